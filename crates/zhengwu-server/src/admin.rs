//! The operator's commands: `zhengwu user …`, `zhengwu token …`, `zhengwu audit verify`.

use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use zhengwu_core::ids::UnitId;
use zhengwu_core::roles::Role;
use zhengwu_core::secret;
use zhengwu_store::audit::{self, Actor};
use zhengwu_store::identity::{self, NewStaff};
use zhengwu_store::org::{self, UnitFilter, UnitKind};
use zhengwu_store::{Db, StoreError};

use crate::cli::{AuditAction, TokenAction, UserAction};

fn operator() -> Actor {
    Actor::system("zhengwu cli")
}

/// A unit named by its code or its id; `None` is the district.
async fn unit(db: &Db, name: Option<&str>) -> anyhow::Result<UnitId> {
    match name {
        Some(n) => {
            if let Some(u) = org::find_by_code(db.conn(), n).await? {
                return Ok(u.id);
            }
            let id: i64 = n
                .parse()
                .map_err(|_| anyhow!("no unit with code or id {n}"))?;
            Ok(org::get_unit(db.conn(), UnitId(id)).await?.id)
        }
        None => org::list_units(
            db.conn(),
            &UnitFilter {
                kind: Some(UnitKind::District),
                ..Default::default()
            },
        )
        .await?
        .first()
        .map(|u| u.id)
        .context("the organisation has no district yet: run `zhengwu demo` or create it first"),
    }
}

fn role(name: &str) -> anyhow::Result<Role> {
    Role::parse(name).ok_or_else(|| {
        anyhow!(
            "unknown role {name}; one of: {}",
            Role::ALL.map(Role::as_str).join(", ")
        )
    })
}

/// The new password: ZHENGWU_NEW_PASSWORD, or a random one that the caller prints once.
fn new_password() -> anyhow::Result<(String, bool)> {
    match std::env::var("ZHENGWU_NEW_PASSWORD") {
        Ok(p) if !p.is_empty() => Ok((p, false)),
        _ => Ok((secret::random_password().map_err(|e| anyhow!("{e}"))?, true)),
    }
}

async fn staff_id(db: &Db, username: &str) -> anyhow::Result<zhengwu_core::ids::StaffId> {
    Ok(identity::find_for_login(db.conn(), username)
        .await?
        .with_context(|| format!("no member of staff named {username}"))?
        .id)
}

fn store(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid { field, message } => anyhow!("{field}: {message}"),
        StoreError::Conflict { constraint } => anyhow!("already exists ({constraint})"),
        other => anyhow::Error::new(other),
    }
}

pub async fn user(db: &Db, action: UserAction) -> anyhow::Result<ExitCode> {
    match action {
        UserAction::Add {
            username,
            name,
            roles,
        } => {
            let mut grants = Vec::new();
            for r in &roles {
                let (r, scope) = match r.split_once('@') {
                    Some((r, s)) => (r, Some(s)),
                    None => (r.as_str(), None),
                };
                grants.push((role(r)?, unit(db, scope).await?));
            }
            let (password, generated) = new_password()?;
            let hash = secret::hash_password(&password)?;
            let tx = db.begin_write().await?;
            let id = identity::create_staff(
                &tx,
                &operator(),
                NewStaff {
                    username: username.clone(),
                    display_name: name,
                    password_hash: hash,
                    grants,
                },
            )
            .await
            .map_err(store)?;
            tx.commit().await?;
            println!("added {username} (id {id})");
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserAction::List => {
            for s in identity::list_staff(db.conn()).await? {
                let roles: Vec<String> = s
                    .grants
                    .iter()
                    .map(|g| format!("{}@{}", g.role.as_str(), g.scope_name))
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    s.username,
                    s.display_name,
                    if s.active { "active" } else { "disabled" },
                    roles.join(", ")
                );
            }
        }
        UserAction::Disable { username } => {
            let id = staff_id(db, &username).await?;
            let tx = db.begin_write().await?;
            identity::set_active(&tx, &operator(), id, false)
                .await
                .map_err(store)?;
            tx.commit().await?;
            println!("disabled {username}");
        }
        UserAction::Enable { username } => {
            let id = staff_id(db, &username).await?;
            let tx = db.begin_write().await?;
            identity::set_active(&tx, &operator(), id, true)
                .await
                .map_err(store)?;
            tx.commit().await?;
            println!("enabled {username}");
        }
        UserAction::ResetPassword { username } => {
            let id = staff_id(db, &username).await?;
            let (password, generated) = new_password()?;
            let hash = secret::hash_password(&password)?;
            let tx = db.begin_write().await?;
            identity::set_password(&tx, &operator(), id, hash)
                .await
                .map_err(store)?;
            tx.commit().await?;
            println!("new password set for {username}");
            if generated {
                println!("password (shown once): {password}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token(db: &Db, action: TokenAction) -> anyhow::Result<ExitCode> {
    match action {
        TokenAction::Add {
            name,
            role: r,
            scope,
        } => {
            let role = role(&r)?;
            let scope = unit(db, scope.as_deref()).await?;
            let token = secret::new_token("zwt_").map_err(|e| anyhow!("{e}"))?;
            let tx = db.begin_write().await?;
            let id = identity::create_token(
                &tx,
                &operator(),
                &name,
                &secret::token_digest(&token),
                role,
                scope,
            )
            .await
            .map_err(store)?;
            tx.commit().await?;
            eprintln!("token {id} for {name} ({}), shown once:", role.as_str());
            println!("{token}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(db: &Db, action: AuditAction) -> anyhow::Result<ExitCode> {
    match action {
        AuditAction::Verify => {
            let v = audit::verify(db.conn()).await?;
            match v.first_bad {
                None => {
                    println!("audit trail intact: {} entries", v.entries);
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, why)) => {
                    eprintln!("audit trail broken at entry {seq}: {why}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

//! Identity: staff with roles bound to scopes of the organisation, their sessions, and API
//! tokens. Passwords arrive here already hashed (argon2id, `zhengwu_core::secret`); tokens and
//! session ids arrive as their SHA-256 digests. Every change writes an audit entry in the same
//! transaction.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::ids::{StaffId, TokenId, UnitId};
use zhengwu_core::roles::Role;
use zhengwu_core::session::{Liveness, liveness};

use crate::audit::{self, Actor, NewEntry};
use crate::entity::{api_token, org_unit, session, staff, staff_role};
use crate::sql::{Exec, Row};
use crate::{Result, StoreError};

/// Failed logins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;

/// A role held within a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Grant {
    #[schema(value_type = String)]
    pub role: Role,
    #[schema(value_type = i64)]
    pub scope: UnitId,
    /// The scope's name.
    pub scope_name: String,
    /// The scope's path in the organisation tree; a unit is in scope when its path starts
    /// with this one.
    #[serde(skip)]
    pub scope_path: String,
}

/// A member of staff, as read (never with the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StaffMember {
    #[schema(value_type = i64)]
    pub id: StaffId,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub grants: Vec<Grant>,
}

/// A member of staff to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub grants: Vec<(Role, UnitId)>,
}

/// Usernames: 3–64 of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
pub fn valid_username(u: &str) -> bool {
    (3..=64).contains(&u.len())
        && u.starts_with(|c: char| c.is_ascii_lowercase())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

async fn check_scope(
    db: &impl ConnectionTrait,
    role: Role,
    scope: UnitId,
) -> Result<org_unit::Model> {
    let unit = org_unit::Entity::find_by_id(scope.get())
        .one(db)
        .await?
        .ok_or_else(|| StoreError::invalid("scope", format!("no unit {scope}")))?;
    if !role.scope_kinds().contains(&unit.kind.as_str()) {
        return Err(StoreError::invalid(
            "scope",
            format!("a {} cannot be scoped to a {}", role.as_str(), unit.kind),
        ));
    }
    Ok(unit)
}

/// Creates a member of staff with their roles.
pub async fn create_staff(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    new: NewStaff,
) -> Result<StaffId> {
    let username = new.username.trim().to_owned();
    if !valid_username(&username) {
        return Err(StoreError::invalid(
            "username",
            "3–64 characters: lower-case letters, digits, . _ -, starting with a letter",
        ));
    }
    let display_name = new.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(StoreError::invalid("display_name", "1–100 characters"));
    }
    if new.grants.is_empty() {
        return Err(StoreError::invalid("roles", "at least one role"));
    }
    for (role, scope) in &new.grants {
        check_scope(tx, *role, *scope).await?;
    }
    let now = Utc::now();
    let m = staff::ActiveModel {
        username: Set(username.clone()),
        display_name: Set(display_name),
        password_hash: Set(new.password_hash),
        active: Set(true),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    for (role, scope) in &new.grants {
        staff_role::ActiveModel {
            staff_id: Set(m.id),
            role: Set(role.as_str().to_owned()),
            scope_unit_id: Set(scope.get()),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "staff.create",
            record_type: "staff",
            record_id: Some(m.id.to_string()),
            summary: json!({
                "username": username,
                "roles": new.grants.iter().map(|(r, s)| json!({"role": r.as_str(), "scope": s.get()})).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    Ok(StaffId(m.id))
}

async fn grants_of(db: &impl Exec, staff_id: i64) -> Result<Vec<Grant>> {
    let rows = db
        .rows(
            "SELECT r.role, r.scope_unit_id, u.name, u.path FROM staff_roles r \
             LEFT JOIN org_units u ON u.id = r.scope_unit_id WHERE r.staff_id = $1 ORDER BY r.id",
            &[staff_id.into()],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(role) = Role::parse(&r.text(0)?) else {
            continue;
        };
        out.push(Grant {
            role,
            scope: UnitId(r.i64(1)?),
            scope_name: r.opt_text(2)?.unwrap_or_default(),
            scope_path: r.opt_text(3)?.unwrap_or_else(|| "/none/".to_owned()),
        });
    }
    Ok(out)
}

fn member(m: staff::Model, grants: Vec<Grant>) -> StaffMember {
    StaffMember {
        id: StaffId(m.id),
        username: m.username,
        display_name: m.display_name,
        active: m.active,
        locked_until: m.locked_until,
        grants,
    }
}

/// The columns [`member_of`] reads, in its order.
macro_rules! member_columns {
    () => {
        "st.id, st.username, st.display_name, st.active, st.locked_until"
    };
}

/// A member of staff from a row of [`member_columns`] starting at column `at`.
async fn member_of(db: &impl Exec, r: &Row, at: usize) -> Result<StaffMember> {
    let id = r.i64(at)?;
    Ok(StaffMember {
        id: StaffId(id),
        username: r.text(at + 1)?,
        display_name: r.text(at + 2)?,
        active: r.bool(at + 3)?,
        locked_until: r.opt_time(at + 4)?,
        grants: grants_of(db, id).await?,
    })
}

/// One member of staff.
pub async fn get_staff(db: &impl Exec, id: StaffId) -> Result<StaffMember> {
    let r = db
        .row(
            concat!(
                "SELECT ",
                member_columns!(),
                " FROM staff st WHERE st.id = $1"
            ),
            &[id.get().into()],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("staff", id))?;
    member_of(db, &r, 0).await
}

/// Every member of staff, by username.
pub async fn list_staff(db: &impl ConnectionTrait) -> Result<Vec<StaffMember>> {
    let all = staff::Entity::find()
        .order_by_asc(staff::Column::Username)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(all.len());
    for m in all {
        let grants = grants_of(db, m.id).await?;
        out.push(member(m, grants));
    }
    Ok(out)
}

/// What a login attempt needs to know about an account.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub id: StaffId,
    pub password_hash: String,
    pub active: bool,
    pub locked_until: Option<DateTime<Utc>>,
}

pub async fn find_for_login(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<LoginRecord>> {
    Ok(staff::Entity::find()
        .filter(staff::Column::Username.eq(username.trim()))
        .one(db)
        .await?
        .map(|m| LoginRecord {
            id: StaffId(m.id),
            password_hash: m.password_hash,
            active: m.active,
            locked_until: m.locked_until,
        }))
}

/// Counts a failed login; the fifth in a row locks the account for 15 minutes. Returns
/// whether the account is now locked.
pub async fn record_failed_login(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    id: StaffId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let m = staff::Entity::find_by_id(id.get())
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("staff", id))?;
    let failed = m.failed_logins + 1;
    let lock = failed >= MAX_FAILED_LOGINS;
    let mut a: staff::ActiveModel = m.into();
    a.failed_logins = Set(if lock { 0 } else { failed });
    if lock {
        a.locked_until = Set(Some(now + Duration::minutes(LOCK_MINUTES)));
    }
    a.updated_at = Set(now);
    a.update(tx).await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: if lock {
                "session.locked"
            } else {
                "session.login_failed"
            },
            record_type: "staff",
            record_id: Some(id.to_string()),
            summary: json!({ "failed_in_a_row": failed }),
        },
    )
    .await?;
    Ok(lock)
}

/// Creates a session for a successful login and clears the failure count.
#[allow(clippy::too_many_arguments)]
pub async fn open_session(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    id: StaffId,
    digest: &str,
    now: DateTime<Utc>,
    absolute: Duration,
    user_agent: Option<String>,
) -> Result<()> {
    let m = staff::Entity::find_by_id(id.get())
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("staff", id))?;
    let mut a: staff::ActiveModel = m.into();
    a.failed_logins = Set(0);
    a.locked_until = Set(None);
    a.update(tx).await?;
    session::ActiveModel {
        digest: Set(digest.to_owned()),
        staff_id: Set(id.get()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + absolute),
        ip: Set(actor.ip.clone()),
        user_agent: Set(user_agent.map(|u| u.chars().take(300).collect())),
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "session.login",
            record_type: "staff",
            record_id: Some(id.to_string()),
            summary: json!({}),
        },
    )
    .await?;
    Ok(())
}

/// The member of staff behind a live session: not expired, not idle for longer than `idle`,
/// the account active. Touches the session (at most once a minute).
pub async fn session_staff(
    db: &impl Exec,
    digest: &str,
    now: DateTime<Utc>,
    idle: Duration,
) -> Result<Option<StaffMember>> {
    let Some(r) = db
        .row(
            concat!(
                "SELECT s.expires_at, s.last_seen_at, ",
                member_columns!(),
                " FROM sessions s JOIN staff st ON st.id = s.staff_id WHERE s.digest = $1"
            ),
            &[digest.into()],
        )
        .await?
    else {
        return Ok(None);
    };
    // The two writes below are housekeeping: when the database is busy they are left for a
    // later request (an ended session is refused either way).
    let touch = match liveness(r.time(0)?, r.time(1)?, now, idle) {
        Liveness::Ended => {
            if let Err(e) = db
                .run("DELETE FROM sessions WHERE digest = $1", &[digest.into()])
                .await
            {
                tracing::debug!(error = %e, "ended session left for later");
            }
            return Ok(None);
        }
        Liveness::Live { touch } => touch,
    };
    let staff = member_of(db, &r, 2).await?;
    if !staff.active {
        return Ok(None);
    }
    if touch
        && let Err(e) = db
            .run(
                "UPDATE sessions SET last_seen_at = $1 WHERE digest = $2",
                &[now.into(), digest.into()],
            )
            .await
    {
        tracing::debug!(error = %e, "session's last-seen time left for later");
    }
    Ok(Some(staff))
}

/// Ends a session.
pub async fn close_session(tx: &impl ConnectionTrait, actor: &Actor, digest: &str) -> Result<bool> {
    let res = session::Entity::delete_by_id(digest.to_owned())
        .exec(tx)
        .await?;
    if res.rows_affected > 0 {
        audit::append(
            tx,
            NewEntry {
                actor,
                action: "session.logout",
                record_type: "staff",
                record_id: actor.id.map(|i| i.to_string()),
                summary: json!({}),
            },
        )
        .await?;
    }
    Ok(res.rows_affected > 0)
}

/// Enables or disables an account; disabling ends its sessions.
pub async fn set_active(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    id: StaffId,
    active: bool,
) -> Result<()> {
    let m = staff::Entity::find_by_id(id.get())
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("staff", id))?;
    let before = m.active;
    let mut a: staff::ActiveModel = m.into();
    a.active = Set(active);
    a.updated_at = Set(Utc::now());
    a.update(tx).await?;
    if !active {
        session::Entity::delete_many()
            .filter(session::Column::StaffId.eq(id.get()))
            .exec(tx)
            .await?;
    }
    audit::append(
        tx,
        NewEntry {
            actor,
            action: if active {
                "staff.enable"
            } else {
                "staff.disable"
            },
            record_type: "staff",
            record_id: Some(id.to_string()),
            summary: json!({ "active": { "before": before, "after": active } }),
        },
    )
    .await?;
    Ok(())
}

/// Sets a new password hash, unlocks the account and ends its sessions.
pub async fn set_password(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    id: StaffId,
    hash: String,
) -> Result<()> {
    let m = staff::Entity::find_by_id(id.get())
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("staff", id))?;
    let mut a: staff::ActiveModel = m.into();
    a.password_hash = Set(hash);
    a.failed_logins = Set(0);
    a.locked_until = Set(None);
    a.updated_at = Set(Utc::now());
    a.update(tx).await?;
    session::Entity::delete_many()
        .filter(session::Column::StaffId.eq(id.get()))
        .exec(tx)
        .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "staff.reset_password",
            record_type: "staff",
            record_id: Some(id.to_string()),
            summary: json!({}),
        },
    )
    .await?;
    Ok(())
}

/// An API token, as read.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Token {
    #[schema(value_type = i64)]
    pub id: TokenId,
    pub name: String,
    pub grant: Grant,
    pub active: bool,
}

/// Stores a new API token (its digest) with one role in one scope.
pub async fn create_token(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    name: &str,
    digest: &str,
    role: Role,
    scope: UnitId,
) -> Result<TokenId> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StoreError::invalid("name", "1–100 characters"));
    }
    check_scope(tx, role, scope).await?;
    let m = api_token::ActiveModel {
        name: Set(name.to_owned()),
        digest: Set(digest.to_owned()),
        role: Set(role.as_str().to_owned()),
        scope_unit_id: Set(scope.get()),
        active: Set(true),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "token.create",
            record_type: "api_token",
            record_id: Some(m.id.to_string()),
            summary: json!({ "name": name, "role": role.as_str(), "scope": scope.get() }),
        },
    )
    .await?;
    Ok(TokenId(m.id))
}

/// The active token with this digest.
pub async fn find_token(db: &impl ConnectionTrait, digest: &str) -> Result<Option<Token>> {
    let Some(m) = api_token::Entity::find()
        .filter(api_token::Column::Digest.eq(digest))
        .filter(api_token::Column::Active.eq(true))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&m.role) else {
        return Ok(None);
    };
    let unit = org_unit::Entity::find_by_id(m.scope_unit_id)
        .one(db)
        .await?;
    let (scope_name, scope_path) = unit.map_or_else(
        || (String::new(), "/none/".to_owned()),
        |u| (u.name, u.path),
    );
    Ok(Some(Token {
        id: TokenId(m.id),
        name: m.name,
        grant: Grant {
            role,
            scope: UnitId(m.scope_unit_id),
            scope_name,
            scope_path,
        },
        active: m.active,
    }))
}

//! The 痛快办 queue (帮办代办, 找我办): a resident's stuck matter — "找不到门、办不成事" — is
//! written down, taken by a named owner with a deadline in working days, and its resolution
//! recorded (and, when it became a case, that case).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::ident::Mobile;

use super::text;
use crate::audit::{self, Actor, NewEntry};
use crate::entity::assist_request;
use crate::{Result, StoreError};

/// Working days an owner has, unless they say otherwise.
pub const DEFAULT_DAYS: u32 = 3;
/// The most working days an owner may give themself.
pub const MAX_DAYS: u32 = 20;

/// The states of a request.
pub const OPEN: &str = "open";
pub const TAKEN: &str = "taken";
pub const RESOLVED: &str = "resolved";

/// A stuck matter.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AssistRequest {
    pub id: i64,
    /// `TK20261128-001`.
    pub number: String,
    pub name: String,
    /// Masked.
    pub mobile: String,
    pub matter: String,
    /// `open`, `taken` or `resolved`.
    pub status: String,
    pub owner: Option<String>,
    pub owner_id: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub taken_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The case it became, if any.
    pub case_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Taken and past its day.
    pub overdue: bool,
}

fn view(m: assist_request::Model, today: NaiveDate) -> AssistRequest {
    AssistRequest {
        overdue: m.status == TAKEN && m.due_on.is_some_and(|d| d < today),
        id: m.id,
        number: m.number,
        name: m.name,
        mobile: zhengwu_core::ident::mask(&m.mobile, 3, 4),
        matter: m.matter,
        status: m.status,
        owner: m.owner_label,
        owner_id: m.owner_id,
        due_on: m.due_on,
        taken_at: m.taken_at,
        resolution: m.resolution,
        resolved_at: m.resolved_at,
        case_id: m.case_id,
        created_at: m.created_at,
    }
}

async fn write_audit(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    id: i64,
) -> Result<()> {
    audit::append(
        tx,
        NewEntry {
            actor,
            action,
            record_type: "assist_request",
            record_id: Some(id.to_string()),
            summary: json!({}),
        },
    )
    .await
    .map(|_| ())
}

/// Who is stuck: a signed-in citizen (their own name and mobile), or someone staff write
/// down.
#[derive(Debug, Clone)]
pub enum Resident {
    Citizen(i64),
    Named { name: String, mobile: String },
}

/// Writes a stuck matter down.
pub async fn create(
    tx: &impl ConnectionTrait,
    who: Resident,
    matter: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<AssistRequest> {
    let (name, mobile) = match who {
        Resident::Citizen(id) => {
            let c = crate::entity::citizen::Entity::find_by_id(id)
                .one(tx)
                .await?
                .ok_or_else(|| StoreError::not_found("citizen", id))?;
            (c.name, c.mobile)
        }
        Resident::Named { name, mobile } => (name, mobile),
    };
    let name = text("name", &name, 1, 50)?;
    let mobile = Mobile::parse(&mobile).map_err(|_| StoreError::invalid("mobile", "mobile"))?;
    let matter = text("matter", matter, 4, 2000)?;
    let (today, _) = local_date_minute(now);
    let prefix = format!("TK{}-", today.format("%Y%m%d"));
    let seq = assist_request::Entity::find()
        .filter(assist_request::Column::Number.starts_with(&prefix))
        .order_by_desc(assist_request::Column::Number)
        .one(tx)
        .await?
        .and_then(|m| m.number[prefix.len()..].parse::<u32>().ok())
        .unwrap_or(0)
        + 1;
    let m = assist_request::ActiveModel {
        number: Set(format!("{prefix}{seq:03}")),
        name: Set(name),
        mobile: Set(mobile.as_str().to_owned()),
        matter: Set(matter),
        status: Set(OPEN.into()),
        owner_id: Set(None),
        owner_label: Set(None),
        due_on: Set(None),
        taken_at: Set(None),
        resolution: Set(None),
        resolved_at: Set(None),
        case_id: Set(None),
        created_at: Set(now),
        created_by: Set(actor.label.chars().take(100).collect()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    write_audit(tx, actor, "assist.create", m.id).await?;
    Ok(view(m, today))
}

async fn locked(tx: &impl ConnectionTrait, id: i64) -> Result<assist_request::Model> {
    crate::db::for_update(
        assist_request::Entity::find_by_id(id),
        tx.get_database_backend(),
        false,
    )
    .one(tx)
    .await?
    .ok_or_else(|| StoreError::not_found("assist_request", id))
}

/// The acting member of staff takes an open request as its named owner, due in `days`
/// working days.
pub async fn take(
    tx: &impl ConnectionTrait,
    id: i64,
    days: Option<u32>,
    calendar: &Calendar,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<AssistRequest> {
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(StoreError::invalid("days", format!("range:1-{MAX_DAYS}")));
    }
    let m = locked(tx, id).await?;
    if m.status != OPEN {
        return Err(StoreError::invalid(
            "assist_request",
            format!("not_now:{}", m.status),
        ));
    }
    let (today, _) = local_date_minute(now);
    let mut am: assist_request::ActiveModel = m.into();
    am.status = Set(TAKEN.into());
    am.owner_id = Set(actor.id);
    am.owner_label = Set(Some(actor.label.chars().take(100).collect()));
    am.due_on = Set(Some(calendar.add_working_days(today, days)));
    am.taken_at = Set(Some(now));
    let m = am.update(tx).await?;
    write_audit(tx, actor, "assist.take", id).await?;
    Ok(view(m, today))
}

/// The owner records how the matter was resolved (and the case it became, if any).
pub async fn resolve(
    tx: &impl ConnectionTrait,
    id: i64,
    resolution: &str,
    case_id: Option<i64>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<AssistRequest> {
    let resolution = text("resolution", resolution, 4, 2000)?;
    let m = locked(tx, id).await?;
    if m.status != TAKEN {
        return Err(StoreError::invalid(
            "assist_request",
            format!("not_now:{}", m.status),
        ));
    }
    if m.owner_id.is_some() && m.owner_id != actor.id {
        return Err(StoreError::invalid("assist_request", "not_owner"));
    }
    if let Some(c) = case_id {
        super::row(tx, c).await?;
    }
    let (today, _) = local_date_minute(now);
    let mut am: assist_request::ActiveModel = m.into();
    am.status = Set(RESOLVED.into());
    am.resolution = Set(Some(resolution));
    am.resolved_at = Set(Some(now));
    am.case_id = Set(case_id);
    let m = am.update(tx).await?;
    write_audit(tx, actor, "assist.resolve", id).await?;
    Ok(view(m, today))
}

/// Requests, open ones first, then taken by their day, then the resolved (newest first).
pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<AssistRequest>> {
    let mut q = assist_request::Entity::find();
    if let Some(s) = status {
        if ![OPEN, TAKEN, RESOLVED].contains(&s) {
            return Err(StoreError::invalid("status", format!("unknown:{s}")));
        }
        q = q.filter(assist_request::Column::Status.eq(s));
    }
    let (today, _) = local_date_minute(now);
    let mut rows: Vec<AssistRequest> = q
        .order_by_desc(assist_request::Column::Id)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(|m| view(m, today))
        .collect();
    let rank = |s: &str| match s {
        OPEN => 0,
        TAKEN => 1,
        _ => 2,
    };
    rows.sort_by(|a, b| {
        rank(&a.status)
            .cmp(&rank(&b.status))
            .then(a.due_on.cmp(&b.due_on))
    });
    Ok(rows)
}

//! Ratings (好差评, M1.5): after a finished service the applicant rates it on the national
//! five levels (GB/T 39734) with optional reasons; a bad rating (the two bottom levels) opens
//! a rectification task for the counter's unit with a deadline in working days. The record
//! the analytics issue reports on.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::booking::{RatingLevel, local_date_minute};
use zhengwu_core::ids::UnitId;

use crate::audit::{self, Actor, NewEntry};
use crate::entity::{rating, rectification};
use crate::queue::{self, TicketStatus};
use crate::{Result, StoreError};

/// Where a rating was given.
pub const CHANNELS: [&str; 3] = ["counter", "kiosk", "phone"];

/// The reasons offered with a rating (the national evaluation's common reasons); free text
/// goes into the comment.
pub const REASONS: [&str; 8] = [
    "态度好",
    "办事快",
    "一次办好",
    "指引清楚",
    "态度差",
    "等候太久",
    "材料要求不清",
    "多次跑腿",
];

/// A rating.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Rating {
    pub id: i64,
    /// The queue ticket rated, or
    pub ticket_id: Option<i64>,
    /// the case rated (one ratings domain for every service event).
    pub case_id: Option<i64>,
    pub site_id: i64,
    pub counter_id: Option<i64>,
    /// The unit rated: the counter's window, or the site.
    pub unit_id: i64,
    /// 5 非常满意 … 1 非常不满意.
    pub level: i16,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    /// The rectification a bad rating opened.
    pub rectification_id: Option<i64>,
}

fn view(m: rating::Model, rectification_id: Option<i64>) -> Rating {
    Rating {
        id: m.id,
        ticket_id: m.ticket_id,
        case_id: m.case_id,
        site_id: m.site_id,
        counter_id: m.counter_id,
        unit_id: m.unit_id,
        level: m.level,
        reasons: serde_json::from_str(&m.reasons).unwrap_or_default(),
        comment: m.comment,
        channel: m.channel,
        created_at: m.created_at,
        rectification_id,
    }
}

/// A rating to record.
#[derive(Debug, Clone)]
pub struct NewRating {
    pub ticket_id: i64,
    pub level: RatingLevel,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    pub channel: String,
}

/// A rating's level, reasons, comment and channel, whatever it rates.
#[derive(Debug, Clone)]
pub struct Score {
    pub level: RatingLevel,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    pub channel: String,
}

impl From<&NewRating> for Score {
    fn from(n: &NewRating) -> Self {
        Self {
            level: n.level,
            reasons: n.reasons.clone(),
            comment: n.comment.clone(),
            channel: n.channel.clone(),
        }
    }
}

/// Checks a rating's channel, reasons and comment; returns the comment trimmed.
fn checked(new: &Score) -> Result<Option<String>> {
    if !CHANNELS.contains(&new.channel.as_str()) {
        return Err(StoreError::invalid(
            "channel",
            format!("unknown:{}", new.channel),
        ));
    }
    if let Some(r) = new.reasons.iter().find(|r| !REASONS.contains(&r.as_str())) {
        return Err(StoreError::invalid("reasons", format!("unknown:{r}")));
    }
    let comment = new
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 500) {
        return Err(StoreError::invalid("comment", "length:0-500"));
    }
    Ok(comment)
}

/// What is being rated: where, which unit, and the record.
struct Rated {
    ticket_id: Option<i64>,
    case_id: Option<i64>,
    site_id: i64,
    counter_id: Option<i64>,
    unit_id: i64,
    label: String,
}

/// Writes a checked rating and, for a bad one, its rectification.
#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &impl ConnectionTrait,
    new: &Score,
    comment: Option<String>,
    r: Rated,
    calendar: &Calendar,
    rectify_days: u32,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Rating> {
    let mut reasons = new.reasons.clone();
    reasons.dedup();
    let m = rating::ActiveModel {
        ticket_id: Set(r.ticket_id),
        case_id: Set(r.case_id),
        site_id: Set(r.site_id),
        counter_id: Set(r.counter_id),
        unit_id: Set(r.unit_id),
        level: Set(i16::from(new.level.get())),
        reasons: Set(serde_json::to_string(&reasons).unwrap_or_else(|_| "[]".into())),
        comment: Set(comment),
        channel: Set(new.channel.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let mut rect = None;
    if new.level.is_bad() {
        let (today, _) = local_date_minute(now);
        let x = rectification::ActiveModel {
            rating_id: Set(m.id),
            unit_id: Set(r.unit_id),
            site_id: Set(r.site_id),
            status: Set(OPEN.into()),
            due_on: Set(calendar.add_working_days(today, rectify_days)),
            created_at: Set(now),
            closed_at: Set(None),
            closed_by: Set(None),
            resolution: Set(None),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        rect = Some(x.id);
    }
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "rating.create",
            record_type: "rating",
            record_id: Some(m.id.to_string()),
            summary: json!({"rated": r.label, "level": m.level, "rectification": rect}),
        },
    )
    .await?;
    Ok(view(m, rect))
}

/// Records the applicant's rating of a case once its result is handed out (or the case is
/// closed), once per case; a bad one opens a rectification for the department.
#[allow(clippy::too_many_arguments)]
pub async fn rate_case(
    tx: &impl ConnectionTrait,
    case_id: i64,
    new: Score,
    calendar: &Calendar,
    rectify_days: u32,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Rating> {
    let comment = checked(&new)?;
    let c = crate::cases::row(tx, case_id).await?;
    if !matches!(c.status.as_str(), "handed_out" | "closed") {
        return Err(StoreError::invalid(
            "case",
            format!("not_finished:{}", c.status),
        ));
    }
    if rating::Entity::find()
        .filter(rating::Column::CaseId.eq(case_id))
        .one(tx)
        .await?
        .is_some()
    {
        return Err(StoreError::invalid("case", "already_rated"));
    }
    let r = Rated {
        ticket_id: None,
        case_id: Some(c.id),
        site_id: c.hall_id.unwrap_or(c.department_id),
        counter_id: None,
        unit_id: c.department_id,
        label: c.number.clone(),
    };
    record(tx, &new, comment, r, calendar, rectify_days, now, actor).await
}

/// Records the rating of a finished service, once per ticket; a bad one opens a rectification
/// due `rectify_days` working days later.
pub async fn rate(
    tx: &impl ConnectionTrait,
    new: NewRating,
    calendar: &Calendar,
    rectify_days: u32,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Rating> {
    let score = Score::from(&new);
    let comment = checked(&score)?;
    let t = queue::ticket(tx, new.ticket_id).await?;
    if t.status != TicketStatus::Done {
        return Err(StoreError::invalid(
            "ticket",
            format!("not_finished:{}", t.status.as_str()),
        ));
    }
    if rating::Entity::find()
        .filter(rating::Column::TicketId.eq(t.id))
        .one(tx)
        .await?
        .is_some()
    {
        return Err(StoreError::invalid("ticket", "already_rated"));
    }
    let unit_id = match t.counter_id {
        Some(c) => queue::counter(tx, c).await?.window_id.unwrap_or(t.site_id),
        None => t.site_id,
    };
    let r = Rated {
        ticket_id: Some(t.id),
        case_id: None,
        site_id: t.site_id,
        counter_id: t.counter_id,
        unit_id,
        label: t.number.clone(),
    };
    record(tx, &score, comment, r, calendar, rectify_days, now, actor).await
}

/// The rating of a ticket, if any.
pub async fn of_ticket(db: &impl ConnectionTrait, ticket_id: i64) -> Result<Option<Rating>> {
    let Some(m) = rating::Entity::find()
        .filter(rating::Column::TicketId.eq(ticket_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let rect = rectification::Entity::find()
        .filter(rectification::Column::RatingId.eq(m.id))
        .one(db)
        .await?
        .map(|r| r.id);
    Ok(Some(view(m, rect)))
}

/// A rectification's state.
pub const OPEN: &str = "open";
pub const DONE: &str = "done";

/// A rectification task (差评整改) for a unit.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Rectification {
    pub id: i64,
    pub rating_id: i64,
    pub unit_id: i64,
    pub site_id: i64,
    /// `open` or `done`.
    pub status: String,
    pub due_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub resolution: Option<String>,
    /// The rating's level, reasons and comment.
    pub level: i16,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
}

/// Rectifications of some sites (every site when `None`), open first, by due date.
pub async fn rectifications(
    db: &impl ConnectionTrait,
    sites: Option<&[i64]>,
    status: Option<&str>,
) -> Result<Vec<Rectification>> {
    let mut q = rectification::Entity::find();
    if let Some(s) = sites {
        q = q.filter(rectification::Column::SiteId.is_in(s.iter().copied()));
    }
    if let Some(st) = status {
        q = q.filter(rectification::Column::Status.eq(st));
    }
    let rows = q
        .order_by_desc(rectification::Column::Status)
        .order_by_asc(rectification::Column::DueOn)
        .limit(500)
        .all(db)
        .await?;
    let ratings = rating::Entity::find()
        .filter(rating::Column::Id.is_in(rows.iter().map(|r| r.rating_id)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let rt = ratings.iter().find(|x| x.id == r.rating_id);
            Rectification {
                id: r.id,
                rating_id: r.rating_id,
                unit_id: r.unit_id,
                site_id: r.site_id,
                status: r.status,
                due_on: r.due_on,
                created_at: r.created_at,
                closed_at: r.closed_at,
                closed_by: r.closed_by,
                resolution: r.resolution,
                level: rt.map_or(0, |x| x.level),
                reasons: rt
                    .and_then(|x| serde_json::from_str(&x.reasons).ok())
                    .unwrap_or_default(),
                comment: rt.and_then(|x| x.comment.clone()),
            }
        })
        .collect())
}

/// One rectification's site (for the scope check).
pub async fn rectification_site(db: &impl ConnectionTrait, id: i64) -> Result<UnitId> {
    rectification::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|r| UnitId(r.site_id))
        .ok_or_else(|| StoreError::not_found("rectification", id))
}

/// Closes a rectification with what was done.
pub async fn close_rectification(
    tx: &impl ConnectionTrait,
    id: i64,
    resolution: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<()> {
    let resolution = resolution.trim();
    if resolution.chars().count() < 4 || resolution.chars().count() > 1000 {
        return Err(StoreError::invalid("resolution", "length:4-1000"));
    }
    let m = rectification::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("rectification", id))?;
    if m.status != OPEN {
        return Err(StoreError::invalid("rectification", "closed_already"));
    }
    let mut am: rectification::ActiveModel = m.into();
    am.status = Set(DONE.into());
    am.closed_at = Set(Some(now));
    am.closed_by = Set(Some(actor.label.chars().take(100).collect()));
    am.resolution = Set(Some(resolution.to_owned()));
    am.update(tx).await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "rectification.close",
            record_type: "rectification",
            record_id: Some(id.to_string()),
            summary: json!({}),
        },
    )
    .await?;
    Ok(())
}

/// Empties ratings and rectifications (the demo's reset).
pub async fn clear(tx: &impl ConnectionTrait) -> Result<()> {
    rectification::Entity::delete_many().exec(tx).await?;
    rating::Entity::delete_many().exec(tx).await?;
    Ok(())
}

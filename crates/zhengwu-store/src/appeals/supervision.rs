//! Listed supervision of frequent topics (挂牌督办, M4.2) and stars for closed appeals (创先争星).
//!
//! A topic whose count of appeals in a rolling window passes a threshold — or one a supervisor
//! chooses — is listed for supervision with an owner unit and a deadline; progress notes follow
//! until it is delisted with a result. One listing per topic at a time.
//!
//! The supervisor rates a unit's handling of a closed appeal with 1–5 stars; a unit's record
//! counts its closed appeals, their average stars and lists its high-star (4 and 5) cases.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::appeal::{Part, Role, Status};
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::ids::UnitId;

use super::{Appeal, check_text, event, handling_unit, locked};
use crate::audit::{self, Actor, NewEntry};
use crate::entity::{
    appeal, appeal_assignment, appeal_topic, org_unit, supervision_note, topic_supervision,
};
use crate::{Result, StoreError};

/// A progress note on a listing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Note {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub note: String,
}

/// A topic listed for supervision.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Supervision {
    pub id: i64,
    pub topic_code: String,
    pub topic_name: String,
    /// `threshold` (listed by the rule) or `chosen` (by a supervisor).
    pub reason: String,
    /// Appeals on the topic in the window when listed.
    pub count_in_window: i32,
    pub window_days: i32,
    /// Appeals on the topic in the same window up to now.
    pub count_now: u64,
    pub owner_unit_id: i64,
    pub owner_unit_name: String,
    pub deadline: NaiveDate,
    pub listed_at: DateTime<Utc>,
    pub listed_by: String,
    pub delisted_at: Option<DateTime<Utc>>,
    pub delisted_by: Option<String>,
    pub result: Option<String>,
    pub notes: Vec<Note>,
}

/// A topic and its count of appeals in a window.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Frequent {
    pub topic_code: String,
    pub topic_name: String,
    pub count: i64,
    /// Whether it is listed now.
    pub listed: bool,
}

/// Appeals per topic taken in since `since` (duplicates merged into another not counted).
async fn counts_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = appeal::Entity::find()
        .select_only()
        .column(appeal::Column::TopicCode)
        .column_as(Expr::from(Func::count(Expr::col(appeal::Column::Id))), "n")
        .filter(appeal::Column::CreatedAt.gte(since))
        .filter(appeal::Column::Status.ne(Status::Merged.as_str()))
        .group_by(appeal::Column::TopicCode)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

async fn topic_names(db: &impl ConnectionTrait) -> Result<HashMap<String, appeal_topic::Model>> {
    Ok(appeal_topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.code.clone(), t))
        .collect())
}

/// Topics with at least `threshold` appeals in the last `window_days` days, most first.
pub async fn frequent(
    db: &impl ConnectionTrait,
    window_days: u32,
    threshold: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Frequent>> {
    let counts = counts_since(db, now - Duration::days(i64::from(window_days))).await?;
    let topics = topic_names(db).await?;
    let listed = active_topics(db).await?;
    let mut v: Vec<Frequent> = counts
        .into_iter()
        .filter(|(_, n)| *n >= threshold)
        .map(|(code, count)| Frequent {
            topic_name: topics
                .get(&code)
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            listed: listed.contains(&code),
            topic_code: code,
            count,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.topic_code.cmp(&b.topic_code)));
    Ok(v)
}

async fn active_topics(db: &impl ConnectionTrait) -> Result<Vec<String>> {
    Ok(topic_supervision::Entity::find()
        .filter(topic_supervision::Column::DelistedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.topic_code)
        .collect())
}

/// Lists a topic leaf for supervision with an owner unit and a deadline (today or later).
#[allow(clippy::too_many_arguments)]
pub async fn list_topic(
    tx: &impl ConnectionTrait,
    topic: &str,
    chosen: bool,
    owner: UnitId,
    deadline: NaiveDate,
    window_days: u32,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Supervision> {
    let t = super::topic(tx, topic)
        .await?
        .filter(|t| t.level == 3)
        .ok_or_else(|| StoreError::invalid("topic", format!("unknown:{topic}")))?;
    handling_unit(tx, owner, "owner").await?;
    let (today, _) = local_date_minute(now);
    if deadline < today {
        return Err(StoreError::invalid(
            "deadline",
            format!("deadline_past:{deadline}"),
        ));
    }
    if !(1..=366).contains(&window_days) {
        return Err(StoreError::invalid("window_days", "range:1-366"));
    }
    if active_topics(tx).await?.contains(&t.code) {
        return Err(StoreError::invalid(
            "topic",
            format!("already_listed:{}", t.code),
        ));
    }
    let count = counts_since(tx, now - Duration::days(i64::from(window_days)))
        .await?
        .get(&t.code)
        .copied()
        .unwrap_or(0);
    let s = topic_supervision::ActiveModel {
        topic_code: Set(t.code.clone()),
        reason: Set(if chosen { "chosen" } else { "threshold" }.into()),
        count_in_window: Set(i32::try_from(count).unwrap_or(i32::MAX)),
        window_days: Set(window_days as i32),
        owner_unit_id: Set(owner.get()),
        deadline: Set(deadline),
        listed_at: Set(now),
        listed_by: Set(actor.label.chars().take(100).collect()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "supervision.list",
            record_type: "topic_supervision",
            record_id: Some(s.id.to_string()),
            summary: json!({"topic": t.code, "owner": owner.get(), "deadline": deadline, "count": count}),
        },
    )
    .await?;
    one(tx, s.id, now).await
}

/// The rule: every topic with at least `threshold` appeals in the last `window_days` days and
/// not listed yet is listed, owned by its default lead unit, due in `limit_days` working days.
/// Returns the new listings. Topics without a known lead unit are left to the supervisor.
#[allow(clippy::too_many_arguments)]
pub async fn list_frequent(
    tx: &impl ConnectionTrait,
    window_days: u32,
    threshold: i64,
    limit_days: u32,
    calendar: &Calendar,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Vec<Supervision>> {
    let topics = topic_names(tx).await?;
    let (today, _) = local_date_minute(now);
    let deadline = calendar.add_working_days(today, limit_days);
    let mut out = Vec::new();
    for f in frequent(tx, window_days, threshold, now).await? {
        if f.listed {
            continue;
        }
        let Some(lead) = topics.get(&f.topic_code).and_then(|t| t.lead_code.clone()) else {
            continue;
        };
        let Some(owner) = crate::org::find_by_code(tx, &lead).await? else {
            continue;
        };
        out.push(
            list_topic(
                tx,
                &f.topic_code,
                false,
                owner.id,
                deadline,
                window_days,
                now,
                actor,
            )
            .await?,
        );
    }
    Ok(out)
}

async fn active(tx: &impl ConnectionTrait, id: i64) -> Result<topic_supervision::Model> {
    let s = topic_supervision::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("supervision", id))?;
    if s.delisted_at.is_some() {
        return Err(StoreError::invalid("supervision", "delisted"));
    }
    Ok(s)
}

/// A progress note on an active listing.
pub async fn add_note(
    tx: &impl ConnectionTrait,
    id: i64,
    text: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Supervision> {
    let text = check_text("note", text, 2, 2000)?;
    active(tx, id).await?;
    supervision_note::ActiveModel {
        supervision_id: Set(id),
        at: Set(now),
        actor: Set(actor.label.chars().take(100).collect()),
        note: Set(text),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    one(tx, id, now).await
}

/// Delists with the result.
pub async fn delist(
    tx: &impl ConnectionTrait,
    id: i64,
    result: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Supervision> {
    let result = check_text("result", result, 2, 2000)?;
    let s = active(tx, id).await?;
    let mut am: topic_supervision::ActiveModel = s.into();
    am.delisted_at = Set(Some(now));
    am.delisted_by = Set(Some(actor.label.chars().take(100).collect()));
    am.result = Set(Some(result.clone()));
    am.update(tx).await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "supervision.delist",
            record_type: "topic_supervision",
            record_id: Some(id.to_string()),
            summary: json!({}),
        },
    )
    .await?;
    one(tx, id, now).await
}

/// One listing with its notes.
pub async fn one(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<Supervision> {
    let s = topic_supervision::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("supervision", id))?;
    views(db, vec![s], now)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("supervision", id))
}

/// Listings, active ones first (then the newest), or only the active ones.
pub async fn all(
    db: &impl ConnectionTrait,
    active_only: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Supervision>> {
    let mut q = topic_supervision::Entity::find();
    if active_only {
        q = q.filter(topic_supervision::Column::DelistedAt.is_null());
    }
    let mut rows = q
        .order_by_desc(topic_supervision::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    rows.sort_by_key(|s| s.delisted_at.is_some());
    views(db, rows, now).await
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<topic_supervision::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<Supervision>> {
    let topics = topic_names(db).await?;
    let owners: HashMap<i64, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(rows.iter().map(|r| r.owner_unit_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut notes: HashMap<i64, Vec<Note>> = HashMap::new();
    for n in supervision_note::Entity::find()
        .filter(supervision_note::Column::SupervisionId.is_in(rows.iter().map(|r| r.id)))
        .order_by_asc(supervision_note::Column::Id)
        .all(db)
        .await?
    {
        notes.entry(n.supervision_id).or_default().push(Note {
            at: n.at,
            actor: n.actor,
            note: n.note,
        });
    }
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let since = now - Duration::days(i64::from(s.window_days));
        let count_now = appeal::Entity::find()
            .filter(appeal::Column::TopicCode.eq(&s.topic_code))
            .filter(appeal::Column::CreatedAt.gte(since))
            .filter(appeal::Column::Status.ne(Status::Merged.as_str()))
            .count(db)
            .await?;
        out.push(Supervision {
            topic_name: topics
                .get(&s.topic_code)
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            owner_unit_name: owners.get(&s.owner_unit_id).cloned().unwrap_or_default(),
            notes: notes.remove(&s.id).unwrap_or_default(),
            count_now,
            id: s.id,
            topic_code: s.topic_code,
            reason: s.reason,
            count_in_window: s.count_in_window,
            window_days: s.window_days,
            owner_unit_id: s.owner_unit_id,
            deadline: s.deadline,
            listed_at: s.listed_at,
            listed_by: s.listed_by,
            delisted_at: s.delisted_at,
            delisted_by: s.delisted_by,
            result: s.result,
        });
    }
    Ok(out)
}

/// The supervisor's stars (1–5) for the handling of a closed appeal, with a note.
pub async fn star(
    tx: &impl ConnectionTrait,
    id: i64,
    stars: i16,
    note: Option<&str>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Appeal> {
    if !(1..=5).contains(&stars) {
        return Err(StoreError::invalid("stars", "range:1-5"));
    }
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(check_text("note", n, 1, 500)?),
        None => None,
    };
    let m = locked(tx, id).await?;
    if m.status != Status::Closed.as_str() || m.answer.is_some() {
        return Err(StoreError::invalid(
            "appeal",
            format!("not_now:{}", m.status),
        ));
    }
    let mut am: appeal::ActiveModel = m.into();
    am.stars = Set(Some(stars));
    am.star_note = Set(note.clone());
    am.updated_at = Set(now);
    let m = am.update(tx).await?;
    event(
        tx,
        id,
        "starred",
        now,
        actor,
        None,
        Some(&format!("{stars}★ {}", note.unwrap_or_default())),
    )
    .await?;
    Ok(m.into())
}

/// A unit's record of closed appeals it led.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnitRecord {
    pub unit_id: i64,
    pub closed: u64,
    pub starred: u64,
    /// The average of the stars given, when any.
    pub average_stars: Option<f64>,
    /// The newest cases with 4 or 5 stars (at most 50).
    pub high_star: Vec<Appeal>,
}

/// The unit's record: closed appeals it led, their stars, its high-star cases.
pub async fn unit_record(db: &impl ConnectionTrait, unit: UnitId) -> Result<UnitRecord> {
    let led: Vec<i64> = appeal_assignment::Entity::find()
        .select_only()
        .column(appeal_assignment::Column::AppealId)
        .filter(appeal_assignment::Column::UnitId.eq(unit.get()))
        .filter(appeal_assignment::Column::Role.eq(Role::Lead.as_str()))
        .filter(appeal_assignment::Column::Part.eq(Part::Done.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    let mut closed = 0u64;
    let mut starred = 0u64;
    let mut sum = 0i64;
    let mut high = Vec::new();
    for chunk in led.chunks(500) {
        let rows = appeal::Entity::find()
            .filter(appeal::Column::Id.is_in(chunk.iter().copied()))
            .filter(appeal::Column::Status.eq(Status::Closed.as_str()))
            .all(db)
            .await?;
        for m in rows {
            closed += 1;
            if let Some(s) = m.stars {
                starred += 1;
                sum += i64::from(s);
                if s >= 4 {
                    high.push(m);
                }
            }
        }
    }
    high.sort_by_key(|m| std::cmp::Reverse(m.closed_at));
    high.truncate(50);
    Ok(UnitRecord {
        unit_id: unit.get(),
        closed,
        starred,
        average_stars: (starred > 0).then(|| sum as f64 / starred as f64),
        high_star: high.into_iter().map(Appeal::from).collect(),
    })
}

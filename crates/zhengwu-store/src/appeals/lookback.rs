//! Look back (回头看, M4.9): on a schedule, closed appeals are sampled for a check of the
//! effect, appeals in progress past three quarters of their time get a progress check, and
//! appeals a recent return visit found unresolved get a check of the reason (the window is
//! the same as for the sample: `closed_within_days`). Each check is a task
//! for the appeal's lead unit, with a deadline and an outcome. Scheduling is idempotent: an
//! appeal gets at most one check of each kind.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::appeal::{DeadlineState, Part, Role, Status, deadline_state};
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::ids::UnitId;

use super::{check_text, event};
use crate::audit::{self, Actor, NewEntry};
use crate::entity::{appeal, appeal_assignment, appeal_check, org_unit};
use crate::{Result, StoreError};

/// The kinds of check.
pub const KINDS: [&str; 3] = ["effect", "progress", "reason"];
/// The outcomes a unit records.
pub const OUTCOMES: [&str; 2] = ["confirmed", "problem"];

/// How checks are scheduled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// One closed appeal in this many is sampled for an effect check.
    pub sample_one_in: u32,
    /// Closed appeals of the last this many days are eligible for sampling.
    pub closed_within_days: u32,
    /// Working days a unit has for a check.
    pub due_days: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            sample_one_in: 10,
            closed_within_days: 30,
            due_days: 5,
        }
    }
}

/// A look-back check.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Check {
    pub id: i64,
    pub appeal_id: i64,
    pub number: String,
    pub topic: String,
    /// `effect`, `progress` or `reason`.
    pub kind: String,
    pub owner_unit_id: i64,
    pub owner_unit_name: String,
    pub created_at: DateTime<Utc>,
    pub due_on: chrono::NaiveDate,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    /// `confirmed` or `problem`.
    pub outcome: Option<String>,
    pub note: Option<String>,
}

/// SplitMix64: a fixed, well-spread sample of appeal ids (not predictable from the id).
fn sampled(id: i64, one_in: u32) -> bool {
    let mut z = (id as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    one_in <= 1 || z.is_multiple_of(u64::from(one_in))
}

/// Creates the checks due now; returns how many of each kind (effect, progress, reason).
pub async fn schedule(
    tx: &impl ConnectionTrait,
    rules: Rules,
    calendar: &Calendar,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<[u32; 3]> {
    let (today, _) = local_date_minute(now);
    let due_on = calendar.add_working_days(today, rules.due_days);
    let since = now - Duration::days(i64::from(rules.closed_within_days));
    let mut wanted: Vec<(i64, &str)> = Vec::new();
    // Effect: a sample of appeals closed after a unit's reply (not instant answers).
    let closed: Vec<i64> = appeal::Entity::find()
        .select_only()
        .column(appeal::Column::Id)
        .filter(appeal::Column::Status.eq(Status::Closed.as_str()))
        .filter(appeal::Column::ClosedAt.gte(since))
        .filter(appeal::Column::Answer.is_null())
        .into_tuple()
        .all(tx)
        .await?;
    wanted.extend(
        closed
            .into_iter()
            .filter(|id| sampled(*id, rules.sample_one_in))
            .map(|id| (id, "effect")),
    );
    // Progress: open and handled, with three quarters of the time used or past it.
    for m in appeal::Entity::find()
        .filter(
            appeal::Column::Status.is_in([Status::Dispatched.as_str(), Status::InHand.as_str()]),
        )
        .all(tx)
        .await?
    {
        let start = local_date_minute(m.created_at).0;
        if deadline_state(calendar, start, m.due_on, today) != DeadlineState::OnTime {
            wanted.push((m.id, "progress"));
        }
    }
    // Reason: a return visit in the same window found it unresolved.
    let unresolved: Vec<i64> = appeal::Entity::find()
        .select_only()
        .column(appeal::Column::Id)
        .filter(appeal::Column::Resolved.eq(false))
        .filter(appeal::Column::UpdatedAt.gte(since))
        .into_tuple()
        .all(tx)
        .await?;
    wanted.extend(unresolved.into_iter().map(|id| (id, "reason")));

    let have: std::collections::HashSet<(i64, String)> = appeal_check::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|c| (c.appeal_id, c.kind))
        .collect();
    wanted.retain(|(id, k)| !have.contains(&(*id, (*k).to_owned())));
    let leads = lead_units(tx, wanted.iter().map(|w| w.0).collect()).await?;
    let mut made = [0u32; 3];
    for (id, kind) in wanted {
        let Some(owner) = leads.get(&id) else {
            continue;
        };
        appeal_check::ActiveModel {
            appeal_id: Set(id),
            kind: Set(kind.into()),
            owner_unit_id: Set(*owner),
            created_at: Set(now),
            due_on: Set(due_on),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        event(
            tx,
            id,
            &format!("check_{kind}"),
            now,
            actor,
            Some(*owner),
            None,
        )
        .await?;
        if let Some(i) = KINDS.iter().position(|k| *k == kind) {
            made[i] += 1;
        }
    }
    if made.iter().any(|n| *n > 0) {
        audit::append(
            tx,
            NewEntry {
                actor,
                action: "lookback.schedule",
                record_type: "appeal_check",
                record_id: None,
                summary: json!({"effect": made[0], "progress": made[1], "reason": made[2]}),
            },
        )
        .await?;
    }
    Ok(made)
}

/// The current lead unit of each appeal (the newest lead part not withdrawn).
async fn lead_units(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for a in appeal_assignment::Entity::find()
            .filter(appeal_assignment::Column::AppealId.is_in(chunk.iter().copied()))
            .filter(appeal_assignment::Column::Role.eq(Role::Lead.as_str()))
            .filter(appeal_assignment::Column::Part.ne(Part::Withdrawn.as_str()))
            .order_by_asc(appeal_assignment::Column::Id)
            .all(db)
            .await?
        {
            out.insert(a.appeal_id, a.unit_id);
        }
    }
    Ok(out)
}

/// The owner unit records the outcome of a check; a problem needs a note.
pub async fn complete(
    tx: &impl ConnectionTrait,
    id: i64,
    unit: UnitId,
    outcome: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Check> {
    if !OUTCOMES.contains(&outcome) {
        return Err(StoreError::invalid("outcome", format!("unknown:{outcome}")));
    }
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(check_text("note", n, 2, 2000)?),
        None if outcome == "problem" => return Err(StoreError::invalid("note", "required")),
        None => None,
    };
    let c = appeal_check::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("check", id))?;
    if c.owner_unit_id != unit.get() {
        return Err(StoreError::invalid("unit", "not_owner"));
    }
    if c.done_at.is_some() {
        return Err(StoreError::invalid("check", "done"));
    }
    let appeal_id = c.appeal_id;
    let kind = c.kind.clone();
    let mut am: appeal_check::ActiveModel = c.into();
    am.done_at = Set(Some(now));
    am.done_by = Set(Some(actor.label.chars().take(100).collect()));
    am.outcome = Set(Some(outcome.into()));
    am.note = Set(note.clone());
    am.update(tx).await?;
    event(
        tx,
        appeal_id,
        &format!("check_{kind}_{outcome}"),
        now,
        actor,
        Some(unit.get()),
        note.as_deref(),
    )
    .await?;
    one(tx, id).await
}

/// One check.
pub async fn one(db: &impl ConnectionTrait, id: i64) -> Result<Check> {
    let c = appeal_check::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("check", id))?;
    views(db, vec![c])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("check", id))
}

/// Checks, open ones first (oldest due first), optionally only those of some units.
pub async fn list(
    db: &impl ConnectionTrait,
    units: Option<&[i64]>,
    open_only: bool,
    limit: u64,
) -> Result<Vec<Check>> {
    let mut q = appeal_check::Entity::find();
    if let Some(u) = units {
        q = q.filter(appeal_check::Column::OwnerUnitId.is_in(u.iter().copied()));
    }
    if open_only {
        q = q.filter(appeal_check::Column::DoneAt.is_null());
    }
    let mut rows = q
        .order_by_asc(appeal_check::Column::DueOn)
        .order_by_asc(appeal_check::Column::Id)
        .limit(limit.clamp(1, 1000))
        .all(db)
        .await?;
    rows.sort_by_key(|c| c.done_at.is_some());
    views(db, rows).await
}

async fn views(db: &impl ConnectionTrait, rows: Vec<appeal_check::Model>) -> Result<Vec<Check>> {
    let appeals: HashMap<i64, (String, String)> = appeal::Entity::find()
        .filter(appeal::Column::Id.is_in(rows.iter().map(|c| c.appeal_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, (a.number, a.topic_code)))
        .collect();
    let units: HashMap<i64, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(rows.iter().map(|c| c.owner_unit_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|c| {
            let (number, topic) = appeals.get(&c.appeal_id).cloned().unwrap_or_default();
            Check {
                id: c.id,
                appeal_id: c.appeal_id,
                number,
                topic,
                owner_unit_name: units.get(&c.owner_unit_id).cloned().unwrap_or_default(),
                kind: c.kind,
                owner_unit_id: c.owner_unit_id,
                created_at: c.created_at,
                due_on: c.due_on,
                done_at: c.done_at,
                done_by: c.done_by,
                outcome: c.outcome,
                note: c.note,
            }
        })
        .collect())
}

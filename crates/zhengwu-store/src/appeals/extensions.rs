//! Extensions of an appeal's deadline: the lead unit asks before the deadline, with a reason
//! and a number of working days; the dispatcher approves (the deadline moves by that many
//! working days) or refuses, with a note. One request at a time.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::appeal::{Role, Status};
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::ids::UnitId;

use super::{appeal_and_part, check_text, event, locked};
use crate::audit::{self, Actor, NewEntry};
use crate::entity::{appeal, appeal_extension};
use crate::{Result, StoreError};

/// The most working days one extension may add.
pub const MAX_DAYS: u32 = 30;

/// An extension request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Extension {
    pub id: i64,
    pub appeal_id: i64,
    /// The appeal's number (lists show it).
    pub number: String,
    pub unit_id: i64,
    /// Working days asked for.
    pub days: i16,
    pub reason: String,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    pub requested_at: DateTime<Utc>,
    pub requested_by: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    /// The deadline when asked.
    pub old_due_on: NaiveDate,
    /// The deadline after approval.
    pub new_due_on: Option<NaiveDate>,
}

fn view(m: appeal_extension::Model, number: String) -> Extension {
    Extension {
        id: m.id,
        appeal_id: m.appeal_id,
        number,
        unit_id: m.unit_id,
        days: m.days,
        reason: m.reason,
        status: m.status,
        requested_at: m.requested_at,
        requested_by: m.requested_by,
        decided_at: m.decided_at,
        decided_by: m.decided_by,
        decision_note: m.decision_note,
        old_due_on: m.old_due_on,
        new_due_on: m.new_due_on,
    }
}

/// The lead unit asks for `days` more working days, before the deadline, while it handles the
/// appeal.
#[allow(clippy::too_many_arguments)]
pub async fn request(
    tx: &impl ConnectionTrait,
    id: i64,
    unit: UnitId,
    days: u32,
    reason: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Extension> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(StoreError::invalid("days", format!("range:1-{MAX_DAYS}")));
    }
    let reason = check_text("reason", reason, 2, 500)?;
    let (m, _) = appeal_and_part(tx, id, unit, Some(Role::Lead)).await?;
    if m.status != Status::InHand.as_str() {
        return Err(StoreError::invalid(
            "appeal",
            format!("not_now:{}", m.status),
        ));
    }
    let (today, _) = local_date_minute(now);
    if today > m.due_on {
        return Err(StoreError::invalid(
            "appeal",
            format!("past_deadline:{}", m.due_on),
        ));
    }
    let pending = appeal_extension::Entity::find()
        .filter(appeal_extension::Column::AppealId.eq(id))
        .filter(appeal_extension::Column::Status.eq("pending"))
        .one(tx)
        .await?;
    if pending.is_some() {
        return Err(StoreError::invalid("appeal", "extension_pending"));
    }
    let e = appeal_extension::ActiveModel {
        appeal_id: Set(id),
        unit_id: Set(unit.get()),
        days: Set(days as i16),
        reason: Set(reason.clone()),
        status: Set("pending".into()),
        requested_at: Set(now),
        requested_by: Set(actor.label.chars().take(100).collect()),
        decided_at: Set(None),
        decided_by: Set(None),
        decision_note: Set(None),
        old_due_on: Set(m.due_on),
        new_due_on: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    event(
        tx,
        id,
        "extension_requested",
        now,
        actor,
        Some(unit.get()),
        Some(&format!("{days}: {reason}")),
    )
    .await?;
    Ok(view(e, m.number))
}

/// The dispatcher approves (the deadline moves by the days asked, counted in working days from
/// the current deadline) or refuses a pending request.
pub async fn decide(
    tx: &impl ConnectionTrait,
    extension_id: i64,
    approve: bool,
    note: Option<&str>,
    calendar: &Calendar,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Extension> {
    let e = appeal_extension::Entity::find_by_id(extension_id)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("extension", extension_id))?;
    if e.status != "pending" {
        return Err(StoreError::invalid(
            "extension",
            format!("decided:{}", e.status),
        ));
    }
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(check_text("note", n, 1, 500)?),
        None if !approve => return Err(StoreError::invalid("note", "required")),
        None => None,
    };
    let m = locked(tx, e.appeal_id).await?;
    let number = m.number.clone();
    let new_due = if approve {
        if !Status::parse(&m.status).is_some_and(Status::is_open) {
            return Err(StoreError::invalid(
                "appeal",
                format!("not_now:{}", m.status),
            ));
        }
        let due = calendar.add_working_days(m.due_on, e.days.max(0) as u32);
        let mut am: appeal::ActiveModel = m.into();
        am.due_on = Set(due);
        am.updated_at = Set(now);
        am.update(tx).await?;
        Some(due)
    } else {
        None
    };
    let status = if approve { "approved" } else { "refused" };
    let appeal_id = e.appeal_id;
    let unit = e.unit_id;
    let mut am: appeal_extension::ActiveModel = e.into();
    am.status = Set(status.into());
    am.decided_at = Set(Some(now));
    am.decided_by = Set(Some(actor.label.chars().take(100).collect()));
    am.decision_note = Set(note.clone());
    am.new_due_on = Set(new_due);
    let e = am.update(tx).await?;
    event(
        tx,
        appeal_id,
        &format!("extension_{status}"),
        now,
        actor,
        Some(unit),
        note.as_deref(),
    )
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal.extension",
            record_type: "appeal",
            record_id: Some(appeal_id.to_string()),
            summary: json!({"extension": extension_id, "decision": status, "due_on": new_due}),
        },
    )
    .await?;
    Ok(view(e, number))
}

async fn with_numbers(
    db: &impl ConnectionTrait,
    rows: Vec<appeal_extension::Model>,
) -> Result<Vec<Extension>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.appeal_id).collect();
    let numbers: std::collections::HashMap<i64, String> = appeal::Entity::find()
        .filter(appeal::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.number))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = numbers.get(&r.appeal_id).cloned().unwrap_or_default();
            view(r, n)
        })
        .collect())
}

/// Requests waiting for the dispatcher, oldest first.
pub async fn pending(db: &impl ConnectionTrait) -> Result<Vec<Extension>> {
    let rows = appeal_extension::Entity::find()
        .filter(appeal_extension::Column::Status.eq("pending"))
        .order_by_asc(appeal_extension::Column::Id)
        .all(db)
        .await?;
    with_numbers(db, rows).await
}

/// Every request of one appeal, oldest first.
pub async fn of_appeal(db: &impl ConnectionTrait, id: i64) -> Result<Vec<Extension>> {
    let rows = appeal_extension::Entity::find()
        .filter(appeal_extension::Column::AppealId.eq(id))
        .order_by_asc(appeal_extension::Column::Id)
        .all(db)
        .await?;
    with_numbers(db, rows).await
}

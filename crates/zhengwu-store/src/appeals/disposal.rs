//! Dispose first (先予处置, M4.3): for an urgent, special or hard appeal whose owner is unclear,
//! a supervisor orders a unit to act at once; the unit records what it did and what it cost
//! (money in fen); ownership is settled afterwards, with the accountability recorded. The
//! ledger lists every order with its cost.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::appeal::Status;
use zhengwu_core::booking::local_instant;
use zhengwu_core::ids::UnitId;

use super::{check_text, event, handling_unit, locked};
use crate::audit::{self, Actor, NewEntry};
use crate::entity::{appeal, appeal_disposal, org_unit};
use crate::{Result, StoreError};

/// The largest cost one order may record: ¥100 million.
pub const MAX_COST_FEN: i64 = 10_000_000_000;

/// A dispose-first order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Disposal {
    pub id: i64,
    pub appeal_id: i64,
    pub number: String,
    pub topic: String,
    /// The unit ordered to act.
    pub unit_id: i64,
    pub unit_name: String,
    pub instruction: String,
    pub ordered_at: DateTime<Utc>,
    pub ordered_by: String,
    /// What the unit did.
    pub action: Option<String>,
    /// What it cost, in fen.
    pub cost_fen: Option<i64>,
    pub done_at: Option<DateTime<Utc>>,
    /// The unit found to own the matter.
    pub owner_unit_id: Option<i64>,
    pub owner_unit_name: Option<String>,
    pub accountability: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_by: Option<String>,
    /// `ordered`, `done` or `settled`.
    pub state: String,
}

async fn get(db: &impl ConnectionTrait, id: i64) -> Result<appeal_disposal::Model> {
    appeal_disposal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("disposal", id))
}

/// A supervisor orders `unit` to act at once on an open appeal.
pub async fn order(
    tx: &impl ConnectionTrait,
    appeal_id: i64,
    unit: UnitId,
    instruction: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Disposal> {
    let instruction = check_text("instruction", instruction, 2, 1000)?;
    handling_unit(tx, unit, "unit").await?;
    let m = locked(tx, appeal_id).await?;
    if !Status::parse(&m.status).is_some_and(Status::is_open) {
        return Err(StoreError::invalid(
            "appeal",
            format!("not_now:{}", m.status),
        ));
    }
    let d = appeal_disposal::ActiveModel {
        appeal_id: Set(appeal_id),
        unit_id: Set(unit.get()),
        instruction: Set(instruction.clone()),
        ordered_at: Set(now),
        ordered_by: Set(actor.label.chars().take(100).collect()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let mut am: appeal::ActiveModel = m.into();
    am.urgent = Set(true);
    am.updated_at = Set(now);
    am.update(tx).await?;
    event(
        tx,
        appeal_id,
        "dispose_ordered",
        now,
        actor,
        Some(unit.get()),
        Some(&instruction),
    )
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal.dispose_order",
            record_type: "appeal",
            record_id: Some(appeal_id.to_string()),
            summary: json!({"disposal": d.id, "unit": unit.get()}),
        },
    )
    .await?;
    one(tx, d.id).await
}

/// The ordered unit records what it did and what it cost (it may correct both until the
/// order is settled).
pub async fn record(
    tx: &impl ConnectionTrait,
    id: i64,
    unit: UnitId,
    action: &str,
    cost_fen: i64,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Disposal> {
    let action = check_text("action", action, 2, 2000)?;
    if !(0..=MAX_COST_FEN).contains(&cost_fen) {
        return Err(StoreError::invalid(
            "cost_fen",
            format!("range:0-{MAX_COST_FEN}"),
        ));
    }
    let d = get(tx, id).await?;
    if d.unit_id != unit.get() {
        return Err(StoreError::invalid("unit", "not_ordered"));
    }
    if d.settled_at.is_some() {
        return Err(StoreError::invalid("disposal", "settled"));
    }
    let appeal_id = d.appeal_id;
    let mut am: appeal_disposal::ActiveModel = d.into();
    am.action = Set(Some(action.clone()));
    am.cost_fen = Set(Some(cost_fen));
    am.done_at = Set(Some(now));
    am.update(tx).await?;
    event(
        tx,
        appeal_id,
        "dispose_done",
        now,
        actor,
        Some(unit.get()),
        Some(&action),
    )
    .await?;
    one(tx, id).await
}

/// Ownership settled afterwards: the unit that owns the matter and who is accountable.
pub async fn settle(
    tx: &impl ConnectionTrait,
    id: i64,
    owner: UnitId,
    accountability: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Disposal> {
    let accountability = check_text("accountability", accountability, 2, 1000)?;
    handling_unit(tx, owner, "owner").await?;
    let d = get(tx, id).await?;
    if d.done_at.is_none() {
        return Err(StoreError::invalid("disposal", "not_done"));
    }
    if d.settled_at.is_some() {
        return Err(StoreError::invalid("disposal", "settled"));
    }
    let appeal_id = d.appeal_id;
    let mut am: appeal_disposal::ActiveModel = d.into();
    am.owner_unit_id = Set(Some(owner.get()));
    am.accountability = Set(Some(accountability.clone()));
    am.settled_at = Set(Some(now));
    am.settled_by = Set(Some(actor.label.chars().take(100).collect()));
    am.update(tx).await?;
    event(
        tx,
        appeal_id,
        "dispose_settled",
        now,
        actor,
        Some(owner.get()),
        Some(&accountability),
    )
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal.dispose_settle",
            record_type: "appeal",
            record_id: Some(appeal_id.to_string()),
            summary: json!({"disposal": id, "owner": owner.get()}),
        },
    )
    .await?;
    one(tx, id).await
}

/// One order as the ledger shows it.
pub async fn one(db: &impl ConnectionTrait, id: i64) -> Result<Disposal> {
    let d = get(db, id).await?;
    views(db, vec![d])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("disposal", id))
}

/// The ledger: every order taken between two days (inclusive, district time), oldest first,
/// and the total cost in fen.
pub async fn ledger(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<Disposal>, i64)> {
    let start = local_instant(from, 0);
    let end = local_instant(to.succ_opt().unwrap_or(to), 0);
    let rows = appeal_disposal::Entity::find()
        .filter(appeal_disposal::Column::OrderedAt.gte(start))
        .filter(appeal_disposal::Column::OrderedAt.lt(end))
        .order_by_asc(appeal_disposal::Column::OrderedAt)
        .order_by_asc(appeal_disposal::Column::Id)
        .all(db)
        .await?;
    let v = views(db, rows).await?;
    let total = v.iter().filter_map(|d| d.cost_fen).sum();
    Ok((v, total))
}

/// Orders of one appeal, or for one unit (open ones first).
pub async fn of_appeal(db: &impl ConnectionTrait, appeal_id: i64) -> Result<Vec<Disposal>> {
    let rows = appeal_disposal::Entity::find()
        .filter(appeal_disposal::Column::AppealId.eq(appeal_id))
        .order_by_asc(appeal_disposal::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

/// Orders given to any of `units` and not yet settled.
pub async fn open_for(db: &impl ConnectionTrait, units: &[i64]) -> Result<Vec<Disposal>> {
    let rows = appeal_disposal::Entity::find()
        .filter(appeal_disposal::Column::UnitId.is_in(units.iter().copied()))
        .filter(appeal_disposal::Column::SettledAt.is_null())
        .order_by_asc(appeal_disposal::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<appeal_disposal::Model>,
) -> Result<Vec<Disposal>> {
    use std::collections::HashMap;
    let appeal_ids: Vec<i64> = rows.iter().map(|d| d.appeal_id).collect();
    let appeals: HashMap<i64, (String, String)> = appeal::Entity::find()
        .filter(appeal::Column::Id.is_in(appeal_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, (a.number, a.topic_code)))
        .collect();
    let unit_ids: Vec<i64> = rows
        .iter()
        .flat_map(|d| std::iter::once(d.unit_id).chain(d.owner_unit_id))
        .collect();
    let units: HashMap<i64, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(unit_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|d| {
            let (number, topic) = appeals.get(&d.appeal_id).cloned().unwrap_or_default();
            let state = if d.settled_at.is_some() {
                "settled"
            } else if d.done_at.is_some() {
                "done"
            } else {
                "ordered"
            };
            Disposal {
                id: d.id,
                appeal_id: d.appeal_id,
                number,
                topic,
                unit_id: d.unit_id,
                unit_name: units.get(&d.unit_id).cloned().unwrap_or_default(),
                instruction: d.instruction,
                ordered_at: d.ordered_at,
                ordered_by: d.ordered_by,
                action: d.action,
                cost_fen: d.cost_fen,
                done_at: d.done_at,
                owner_unit_id: d.owner_unit_id,
                owner_unit_name: d.owner_unit_id.and_then(|u| units.get(&u).cloned()),
                accountability: d.accountability,
                settled_at: d.settled_at,
                settled_by: d.settled_by,
                state: state.into(),
            }
        })
        .collect())
}

//! Routing rules by topic and area: for a branch of the topic tree (a prefix of the topic code:
//! `CG` all of 城市管理, `CG0101` just 占道经营), in one sub-district or everywhere, the lead
//! unit and co-units — and whether a matching appeal is dispatched at intake without waiting
//! for the dispatcher. The most specific rule wins: one for the appeal's sub-district before
//! one for everywhere, then the longest prefix. Without a rule, the topic's own lead and
//! co-units are suggested and the dispatcher decides.
//!
//! The area of an appeal is the sub-district whose office is nearest its coordinates (within
//! 10 km); an appeal without coordinates matches only rules for everywhere.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::appeal::Status;
use zhengwu_core::ids::UnitId;

use super::{Appeal, check_text, handling_unit};
use crate::audit::{self, Actor, NewEntry};
use crate::entity::{appeal_route, appeal_topic};
use crate::org::{self, Location, UnitKind};
use crate::{Result, StoreError};

/// How far from a sub-district's office an appeal still belongs to it.
const AREA_RADIUS_M: f64 = 10_000.0;

/// A routing rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Route {
    pub id: i64,
    /// A topic code or the start of one (`CG`, `CG01`, `CG0101`).
    pub topic_prefix: String,
    /// A sub-district's code; `None`: everywhere.
    pub area: Option<String>,
    /// The lead unit's code.
    pub lead: String,
    /// The co-units' codes.
    pub co: Vec<String>,
    /// Dispatch at intake, without the dispatcher.
    pub auto_dispatch: bool,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

fn view(m: appeal_route::Model) -> Route {
    Route {
        id: m.id,
        topic_prefix: m.topic_prefix,
        area: m.area_code,
        lead: m.lead_code,
        co: serde_json::from_str(&m.co_codes).unwrap_or_default(),
        auto_dispatch: m.auto_dispatch,
        note: m.note,
        updated_at: m.updated_at,
    }
}

/// A rule to save.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RouteInput {
    pub topic_prefix: String,
    #[serde(default)]
    pub area: Option<String>,
    pub lead: String,
    #[serde(default)]
    pub co: Vec<String>,
    #[serde(default)]
    pub auto_dispatch: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// Where an appeal goes: by a rule, or by its topic.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Routing {
    #[schema(value_type = i64)]
    pub lead: UnitId,
    #[schema(value_type = Vec<i64>)]
    pub co: Vec<UnitId>,
    /// The rule that decided it; `None`: the topic's defaults.
    pub rule: Option<i64>,
    pub auto_dispatch: bool,
    /// The sub-district the appeal lies in, when known.
    pub area: Option<String>,
}

/// Every rule, by topic then area.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Route>> {
    Ok(appeal_route::Entity::find()
        .order_by_asc(appeal_route::Column::TopicPrefix)
        .order_by_asc(appeal_route::Column::AreaCode)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

async fn checked(tx: &impl ConnectionTrait, r: &RouteInput) -> Result<(String, Option<String>)> {
    let prefix = r.topic_prefix.trim().to_owned();
    let known = !prefix.is_empty()
        && prefix.len() <= 16
        && appeal_topic::Entity::find()
            .filter(appeal_topic::Column::Code.eq(&prefix))
            .one(tx)
            .await?
            .is_some();
    if !known {
        return Err(StoreError::invalid(
            "topic_prefix",
            format!("unknown:{prefix}"),
        ));
    }
    let area = match r.area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(code) => {
            let u = org::find_by_code(tx, code)
                .await?
                .filter(|u| u.kind == UnitKind::Subdistrict)
                .ok_or_else(|| StoreError::invalid("area", format!("not_a_subdistrict:{code}")))?;
            Some(u.code)
        }
    };
    let unit_of = async |code: &str, field: &str| -> Result<UnitId> {
        let u = org::find_by_code(tx, code)
            .await?
            .ok_or_else(|| StoreError::invalid(field, format!("unknown_unit:{code}")))?;
        handling_unit(tx, u.id, field).await?;
        Ok(u.id)
    };
    unit_of(r.lead.trim(), "lead").await?;
    for c in &r.co {
        if c.trim() == r.lead.trim() {
            return Err(StoreError::invalid("co", "lead_also_co"));
        }
        unit_of(c.trim(), "co").await?;
    }
    if let Some(n) = &r.note {
        check_text("note", n, 0, 200)?;
    }
    Ok((prefix, area))
}

/// Creates a rule, or replaces rule `id`.
pub async fn save(
    tx: &impl ConnectionTrait,
    id: Option<i64>,
    r: &RouteInput,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Route> {
    let (prefix, area) = checked(tx, r).await?;
    let clash = appeal_route::Entity::find()
        .filter(appeal_route::Column::TopicPrefix.eq(&prefix))
        .filter(match &area {
            Some(a) => appeal_route::Column::AreaCode.eq(a),
            None => appeal_route::Column::AreaCode.is_null(),
        })
        .one(tx)
        .await?;
    if clash.as_ref().is_some_and(|c| Some(c.id) != id) {
        return Err(StoreError::invalid(
            "topic_prefix",
            format!("route_exists:{prefix}"),
        ));
    }
    let co: Vec<String> = r.co.iter().map(|c| c.trim().to_owned()).collect();
    let mut am = match id {
        Some(id) => appeal_route::Entity::find_by_id(id)
            .one(tx)
            .await?
            .ok_or_else(|| StoreError::not_found("route", id))?
            .into(),
        None => <appeal_route::ActiveModel as Default>::default(),
    };
    am.topic_prefix = Set(prefix);
    am.area_code = Set(area);
    am.lead_code = Set(r.lead.trim().to_owned());
    am.co_codes = Set(serde_json::to_string(&co).unwrap_or_else(|_| "[]".into()));
    am.auto_dispatch = Set(r.auto_dispatch);
    am.note = Set(r
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned));
    am.updated_at = Set(now);
    let m = if id.is_some() {
        am.update(tx).await?
    } else {
        am.insert(tx).await?
    };
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal_route.save",
            record_type: "appeal_route",
            record_id: Some(m.id.to_string()),
            summary: json!({"topic": m.topic_prefix, "area": m.area_code, "lead": m.lead_code, "auto": m.auto_dispatch}),
        },
    )
    .await?;
    Ok(view(m))
}

/// Deletes a rule.
pub async fn delete(tx: &impl ConnectionTrait, id: i64, actor: &Actor) -> Result<()> {
    let r = appeal_route::Entity::delete_by_id(id).exec(tx).await?;
    if r.rows_affected == 0 {
        return Err(StoreError::not_found("route", id));
    }
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal_route.delete",
            record_type: "appeal_route",
            record_id: Some(id.to_string()),
            summary: json!({}),
        },
    )
    .await?;
    Ok(())
}

/// The sub-district whose office is nearest `at` (within 10 km).
pub async fn area_of(db: &impl ConnectionTrait, at: Location) -> Result<Option<String>> {
    let subs = org::list_units(
        db,
        &org::UnitFilter {
            kind: Some(UnitKind::Subdistrict),
            ..Default::default()
        },
    )
    .await?;
    Ok(subs
        .into_iter()
        .filter_map(|u| u.location.map(|l| (org::distance_m(l, at), u.code)))
        .filter(|(d, _)| *d <= AREA_RADIUS_M)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, code)| code))
}

/// Where an appeal on `topic` at `at` goes: the most specific rule, else the topic's lead and
/// co-units; `None` when the topic has no lead unit and no rule matches.
pub async fn route_for(
    db: &impl ConnectionTrait,
    topic: &str,
    at: Option<Location>,
) -> Result<Option<Routing>> {
    let area = match at {
        Some(l) => area_of(db, l).await?,
        None => None,
    };
    let best = list(db)
        .await?
        .into_iter()
        .filter(|r| topic.starts_with(&r.topic_prefix))
        .filter(|r| r.area.is_none() || r.area == area)
        .max_by_key(|r| (r.area.is_some(), r.topic_prefix.len()));
    let (lead, co, rule, auto) = match best {
        Some(r) => (r.lead, r.co, Some(r.id), r.auto_dispatch),
        None => {
            let Some(t) = super::topic(db, topic).await? else {
                return Ok(None);
            };
            let Some(lead) = t.lead else {
                return Ok(None);
            };
            (lead, t.co, None, false)
        }
    };
    let Some(lead) = org::find_by_code(db, &lead).await? else {
        return Ok(None);
    };
    let mut co_ids = Vec::new();
    for c in co {
        if let Some(u) = org::find_by_code(db, &c).await?
            && u.id != lead.id
        {
            co_ids.push(u.id);
        }
    }
    Ok(Some(Routing {
        lead: lead.id,
        co: co_ids,
        rule,
        auto_dispatch: auto,
        area,
    }))
}

/// Dispatches a newly taken-in appeal at once when a rule says so; returns the appeal as it is
/// then (unchanged when no rule dispatches it).
pub async fn dispatch_by_rule(
    tx: &impl ConnectionTrait,
    appeal: Appeal,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<Appeal> {
    if appeal.status != Status::Registered.as_str() {
        return Ok(appeal);
    }
    let at = appeal
        .lat
        .zip(appeal.lon)
        .map(|(lat, lon)| Location { lat, lon });
    let Some(r) = route_for(tx, &appeal.topic, at).await? else {
        return Ok(appeal);
    };
    let Some(rule) = r.rule.filter(|_| r.auto_dispatch) else {
        return Ok(appeal);
    };
    let actor = Actor::system(&format!("routing rule {rule}"));
    super::dispatch(
        tx,
        appeal.id,
        r.lead,
        &r.co,
        calendar,
        Some(&format!("routing rule {rule}")),
        now,
        &actor,
    )
    .await
}

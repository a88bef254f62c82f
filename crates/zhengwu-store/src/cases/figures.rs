//! The figures of the seed's claims, computed from the cases: the share of materials that
//! applicants no longer bring (shared data and e-licences; "materials down to 35%") and the
//! working time from acceptance to decision against the legal time limit ("approval
//! efficiency +64%"), per item and per department.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use zhengwu_core::{Calendar, WorkingHours};

use crate::Result;
use crate::entity::{case, case_material};

/// The figures of one item, one department, or all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// The item's code, or the department's id; empty for all.
    pub key: String,
    pub name: String,
    pub cases: u64,
    /// Materials the cases called for.
    pub materials: u64,
    /// Of those, replaced by shared data or an e-licence.
    pub shared: u64,
    /// `shared / materials`: the share applicants no longer bring.
    pub shared_share: f64,
    /// Cases decided (approved or rejected) after acceptance.
    pub decided: u64,
    /// Mean working days from acceptance to decision, pauses for supplements left out.
    pub mean_days_to_decision: f64,
    /// Mean legal time limit of the decided cases' items, in working days.
    pub mean_legal_days: f64,
    /// `1 − mean_days_to_decision / mean_legal_days`: how much faster than the law requires.
    pub faster_than_legal: f64,
    /// Decided within the item's promised limit.
    pub on_time: u64,
}

#[derive(Default)]
struct Acc {
    name: String,
    cases: u64,
    materials: u64,
    shared: u64,
    decided: u64,
    days: f64,
    legal: f64,
    on_time: u64,
}

impl Acc {
    fn done(self, key: String) -> Figures {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let mean_days = ratio(self.days, self.decided as f64);
        let mean_legal = ratio(self.legal, self.decided as f64);
        Figures {
            key,
            name: self.name,
            cases: self.cases,
            materials: self.materials,
            shared: self.shared,
            shared_share: ratio(self.shared as f64, self.materials as f64),
            decided: self.decided,
            mean_days_to_decision: mean_days,
            mean_legal_days: mean_legal,
            faster_than_legal: if mean_legal > 0.0 {
                1.0 - mean_days / mean_legal
            } else {
                0.0
            },
            on_time: self.on_time,
        }
    }
}

/// All, per item (by case count), per department.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Report {
    pub all: Figures,
    pub items: Vec<Figures>,
    pub departments: Vec<Figures>,
}

/// Computes the report over every case that is not a part of a bundle.
pub async fn report(
    db: &impl ConnectionTrait,
    cal: &Calendar,
    hours: &WorkingHours,
) -> Result<Report> {
    let cases = case::Entity::find()
        .filter(case::Column::ParentId.is_null())
        .all(db)
        .await?;
    let mats: Vec<(i64, String)> = case_material::Entity::find()
        .select_only()
        .columns([
            case_material::Column::CaseId,
            case_material::Column::Provided,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let mut per_case: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for (c, p) in mats {
        let e = per_case.entry(c).or_default();
        e.0 += 1;
        if p == "shared" {
            e.1 += 1;
        }
    }
    let items = crate::catalog::published_items(db).await?;
    let limits: BTreeMap<&str, (f64, f64)> = items
        .iter()
        .map(|i| (i.code.as_str(), (i.legal_limit_days, i.promised_limit_days)))
        .collect();
    let units = crate::org::list_units(db, &crate::org::UnitFilter::default()).await?;
    let unit_name = |id: i64| {
        units
            .iter()
            .find(|u| u.id.0 == id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let mut all = Acc::default();
    let mut by_item: BTreeMap<String, Acc> = BTreeMap::new();
    let mut by_dept: BTreeMap<i64, Acc> = BTreeMap::new();
    let per_day = hours.seconds_per_day().max(1) as f64;
    for c in &cases {
        let (m, s) = per_case.get(&c.id).copied().unwrap_or((0, 0));
        let decided = match (c.accepted_at, c.decided_at) {
            (Some(a), Some(d)) if c.status != "not_accepted" && c.status != "withdrawn" => {
                let secs = cal.working_seconds_between(a, d, hours) - c.paused_seconds;
                Some((secs.max(0) as f64 / per_day, d <= c.due_at.unwrap_or(d)))
            }
            _ => None,
        };
        let (legal, promised) = limits
            .get(c.item_code.as_str())
            .copied()
            .unwrap_or((0.0, 0.0));
        // An on-the-spot item's legal limit is the day itself.
        let legal = if legal > 0.0 {
            legal
        } else {
            promised.max(1.0)
        };
        for acc in [
            &mut all,
            by_item.entry(c.item_code.clone()).or_default(),
            by_dept.entry(c.department_id).or_default(),
        ] {
            acc.cases += 1;
            acc.materials += m;
            acc.shared += s;
            if let Some((days, on_time)) = decided {
                acc.decided += 1;
                acc.days += days;
                acc.legal += legal;
                acc.on_time += u64::from(on_time);
            }
        }
        by_item.entry(c.item_code.clone()).or_default().name = c.item_name.clone();
    }
    let mut item_figs: Vec<Figures> = by_item.into_iter().map(|(k, a)| a.done(k)).collect();
    item_figs.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.key.cmp(&b.key)));
    let mut dept_figs: Vec<Figures> = by_dept
        .into_iter()
        .map(|(k, mut a)| {
            a.name = unit_name(k);
            a.done(k.to_string())
        })
        .collect();
    dept_figs.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.key.cmp(&b.key)));
    Ok(Report {
        all: all.done(String::new()),
        items: item_figs,
        departments: dept_figs,
    })
}

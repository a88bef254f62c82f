//! Demo cases (办件) for the demo district: a few hundred applications over the last weeks,
//! across the catalog's items and every state — waiting at the window, completed before
//! acceptance, in review (some past their limit, some near it), paused for supplements,
//! approved by the machine (秒批), decided, handed out and rated, withdrawn, not accepted —
//! and a few company setups (企业开办) with their parallel sub-cases. Every case is made
//! through the store's own moves with the clock set to the moment of each step, so their time
//! lines, checks, limits and figures are what real use would leave. Deterministic for a seed.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::appeals_gen::Rng;
use crate::audit::Actor;
use crate::cases::{self, Act, Applicant, Ctx, NewCase, Upload};
use crate::entity::{case, citizen, enterprise};
use crate::{Db, Result};
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::case::Form;
use zhengwu_core::catalog::{FormField, Item};
use zhengwu_core::{Calendar, WorkingHours};

/// What the generator made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CasesSummary {
    pub cases: u64,
    pub bundles: u64,
    pub instant: u64,
    pub decided: u64,
    pub open: u64,
    pub rated: u64,
}

/// A small PDF that the upload checks accept; `n` makes each one's bytes (and hash) its own.
pub fn tiny_pdf(n: u64) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n% demo scan {n}\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )
    .into_bytes()
}

/// A plausible value of a form field for the applicant.
fn value(f: &FormField, who: &Who, today: chrono::NaiveDate, rng: &mut Rng) -> Option<String> {
    Some(match (f.key.as_str(), f.kind.as_str()) {
        ("applicant_name", _) => who.name.clone(),
        (_, "id_number") => who.id_number.clone(),
        (_, "credit_code") => who.credit_code.clone()?,
        (_, "mobile") => who.mobile.clone(),
        ("legal_rep", _) => who.legal.clone().unwrap_or_else(|| who.name.clone()),
        (_, "number") => {
            let lo = f.min.unwrap_or(1.0);
            let hi = f.max.unwrap_or(lo + 100.0).min(lo + 1000.0);
            format!("{:.0}", (lo + (hi - lo) * rng.f()).max(lo).ceil())
        }
        (_, "date") if f.expires => (today + Duration::days(200 + rng.below(3000) as i64))
            .format("%Y-%m-%d")
            .to_string(),
        (_, "date") => (today - Duration::days(300 + rng.below(20000) as i64))
            .format("%Y-%m-%d")
            .to_string(),
        (_, "choice") => f.options.get(rng.below(f.options.len()))?.clone(),
        _ if !f.required && rng.f() < 0.5 => return None,
        _ => format!("{}（演示）", f.label),
    })
}

struct Who {
    applicant: Applicant,
    name: String,
    id_number: String,
    mobile: String,
    credit_code: Option<String>,
    legal: Option<String>,
}

fn actor(label: &str) -> Actor {
    Actor {
        kind: "staff",
        id: None,
        label: label.to_owned(),
        ip: None,
    }
}

/// The reviewer's name for a department code (the demo accounts').
fn reviewer(dept: &str) -> String {
    format!("reviewer.{}", dept.to_ascii_lowercase())
}

/// Makes `count` cases whose submissions fall in the 40 working days before `now`.
pub async fn generate_cases(
    db: &Db,
    count: u64,
    seed: u64,
    now: DateTime<Utc>,
) -> Result<CasesSummary> {
    let mut rng = Rng(seed);
    let calendar = crate::calendar::load(db.conn()).await?;
    let hours = WorkingHours::default();
    let items: Vec<Item> = crate::catalog::published_items(db.conn())
        .await?
        .into_iter()
        .filter(|i| !i.halls.is_empty() && !i.department.is_empty())
        .collect();
    let bundles: Vec<&Item> = items.iter().filter(|i| !i.bundle.is_empty()).collect();
    let singles: Vec<&Item> = items.iter().filter(|i| i.bundle.is_empty()).collect();
    let citizens = citizen::Entity::find().all(db.conn()).await?;
    let enterprises = enterprise::Entity::find().all(db.conn()).await?;
    if singles.is_empty() || citizens.is_empty() {
        return Ok(CasesSummary::default());
    }
    let sink = crate::notify::SINK_LOG;
    let mut s = CasesSummary::default();
    for n in 0..count {
        let bundle = !bundles.is_empty() && n % 40 == 7;
        let item = if bundle {
            bundles[rng.below(bundles.len())]
        } else {
            singles[rng.below(singles.len())]
        };
        let c = &citizens[rng.below(citizens.len())];
        // The form decides who applies: a credit code is an enterprise's.
        let fields = item.form_fields();
        let enterprise_form = fields.iter().any(|f| f.kind == "credit_code");
        if enterprise_form && enterprises.is_empty() {
            continue;
        }
        let who = if enterprise_form
            || (item.for_enterprises()
                && !enterprises.is_empty()
                && (!item.for_citizens() || rng.f() < 0.7))
        {
            let e = &enterprises[rng.below(enterprises.len())];
            Who {
                applicant: Applicant::Enterprise(e.id),
                name: e.name.clone(),
                id_number: c.id_number.clone(),
                mobile: c.mobile.clone(),
                credit_code: Some(e.credit_code.clone()),
                legal: Some(e.legal_representative.clone()),
            }
        } else {
            Who {
                applicant: Applicant::Citizen(c.id),
                name: c.name.clone(),
                id_number: c.id_number.clone(),
                mobile: c.mobile.clone(),
                credit_code: None,
                legal: None,
            }
        };
        // A moment in working hours, 0–40 working days back; recent ones are more common.
        let back = (rng.f() * rng.f() * 40.0 * hours.seconds_per_day() as f64) as i64;
        let at = back_working(&calendar, &hours, now - Duration::seconds(1), back);
        let (today, _) = local_date_minute(at);
        let form: Form = fields
            .iter()
            .filter_map(|f| value(f, &who, today, &mut rng).map(|v| (f.key.clone(), v)))
            .collect();
        // Most applicants bring every file; some forget one (the checks then fail).
        let forgetful = rng.f() < 0.12;
        let mut files: Vec<Upload> = Vec::new();
        for (i, m) in item.materials.iter().enumerate() {
            let (brought, kept) = (rng.f(), rng.f());
            if !m.is_shared() && (m.required || brought < 0.3) && (!forgetful || kept < 0.6) {
                files.push(Upload {
                    material: i,
                    name: format!("{}.pdf", m.name),
                    bytes: tiny_pdf(n * 100 + i as u64),
                });
            }
        }
        let channel = match rng.below(10) {
            0..=4 => "web",
            5..=7 => "window",
            8 => "kiosk",
            _ => "agent",
        };
        let clerk = actor("clerk.hall");
        let applicant_actor = actor(&who.name);
        let submitter = if channel == "window" || channel == "agent" {
            &clerk
        } else {
            &applicant_actor
        };
        let tx = db.begin_write().await?;
        macro_rules! ctx {
            ($at:expr, $actor:expr) => {
                Ctx {
                    calendar: &calendar,
                    hours: &hours,
                    now: $at,
                    actor: $actor,
                    sink,
                }
            };
        }
        let d = cases::submit(
            &tx,
            NewCase {
                item_code: item.code.clone(),
                channel: channel.into(),
                applicant: who.applicant.clone(),
                form,
                files,
                authorisation: (channel == "agent")
                    .then(|| "申请人书面委托书（演示），电话确认".to_owned()),
            },
            &ctx!(at, submitter),
        )
        .await?;
        s.cases += 1;
        if bundle {
            s.bundles += 1;
        }
        if d.case.instant_rule.is_some() {
            s.instant += 1;
            s.decided += 1;
            tx.commit().await?;
            continue;
        }
        let id = d.case.id;
        let fails = d.checks.iter().any(|c| c.outcome == "fail");
        let fate = rng.f();
        let step = |t: DateTime<Utc>, mins: i64| t + Duration::minutes(mins);
        // At the window: ten minutes later, accepted — or told what to complete, refused.
        let t1 = step(at, 5 + rng.below(20) as i64);
        if t1 > now || fate < 0.05 {
            s.open += 1;
            tx.commit().await?;
            continue;
        }
        if fails && fate < 0.25 {
            cases::act(
                &tx,
                id,
                Act::RequestSupplement {
                    missing: vec!["请补齐未提交的申请材料并核对表单".into()],
                },
                None,
                &ctx!(t1, &clerk),
            )
            .await?;
            if fate < 0.12 {
                cases::act(
                    &tx,
                    id,
                    Act::Refuse {
                        reasons: "逾期未补齐材料，不予受理".into(),
                    },
                    None,
                    &ctx!(step(t1, 60 * 24 * 6), &clerk),
                )
                .await
                .ok();
            }
            s.open += 1;
            tx.commit().await?;
            continue;
        }
        if fate > 0.97 {
            cases::act(&tx, id, Act::Withdraw, None, &ctx!(t1, &applicant_actor)).await?;
            tx.commit().await?;
            continue;
        }
        cases::act(&tx, id, Act::Accept, None, &ctx!(t1, &clerk)).await?;
        // The parts of a bundle, or the case itself, go to their departments.
        let targets: Vec<case::Model> = if bundle {
            case::Entity::find()
                .filter(case::Column::ParentId.eq(id))
                .all(&tx)
                .await?
        } else {
            vec![cases::row(&tx, id).await?]
        };
        let mut all_decided = true;
        for t in targets {
            let titem = crate::catalog::version_item(&tx, &t.item_code, t.item_version).await?;
            let dept = reviewer(&titem.department);
            let rv = actor(&dept);
            let due = t.due_at.unwrap_or(t1);
            let limit = calendar.working_seconds_between(t1, due, &hours).max(600);
            // Decisions take 15 %–110 % of the limit; one in ten lies forgotten for 1.5 to 3
            // times the limit (the overdue ones: red while still open, late once decided); a
            // few wait for supplements first.
            let (slow, spread) = (rng.f() < 0.1, rng.f());
            let share = if slow {
                1.5 + spread * 1.5
            } else {
                0.15 + spread * 0.95
            };
            let decided =
                calendar.deadline_after_seconds(t1, (limit as f64 * share) as i64, &hours);
            let review_at =
                calendar.deadline_after_seconds(t1, (limit as f64 * share * 0.3) as i64, &hours);
            if review_at < now {
                cases::act(&tx, t.id, Act::Review, None, &ctx!(review_at, &rv)).await?;
            }
            if !bundle && rng.f() < 0.12 && review_at < now {
                cases::act(
                    &tx,
                    t.id,
                    Act::RequestSupplement {
                        missing: vec!["补充提交经营场所照片".into(), "补充提交租赁合同".into()],
                    },
                    None,
                    &ctx!(step(review_at, 30), &rv),
                )
                .await?;
                let back_at = step(review_at, 60 * 24 * (1 + rng.below(3) as i64));
                if back_at > now || rng.f() < 0.3 {
                    all_decided = false;
                    continue;
                }
                cases::supplement(
                    &tx,
                    t.id,
                    None,
                    vec![Upload {
                        material: 0,
                        name: "补正材料.pdf".into(),
                        bytes: tiny_pdf(n * 100 + 99),
                    }],
                    &ctx!(back_at, &applicant_actor),
                )
                .await?;
            }
            if decided > now {
                all_decided = false;
                continue;
            }
            let approve = rng.f() > 0.06;
            let act = if approve {
                Act::Approve {
                    note: Some("材料齐全，符合法定条件".into()),
                    legal_basis: titem.legal_basis.first().cloned(),
                    instant: None,
                }
            } else {
                Act::Reject {
                    reasons: "经审查，申请不符合法定条件".into(),
                    legal_basis: titem
                        .legal_basis
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "相关法律法规".into()),
                }
            };
            let rv2 = actor(&dept);
            if cases::act(&tx, t.id, act, None, &ctx!(decided, &rv2))
                .await
                .is_err()
            {
                all_decided = false;
                continue;
            }
            if approve {
                cases::act(
                    &tx,
                    t.id,
                    Act::ResultReady,
                    None,
                    &ctx!(step(decided, 20), &rv2),
                )
                .await?;
            } else if !bundle {
                all_decided = false;
            }
        }
        let row = cases::row(&tx, id).await?;
        if row.decided_at.is_some() {
            s.decided += 1;
        }
        if all_decided && row.status == "result_ready" {
            let out_at = step(
                row.result_ready_at.unwrap_or(t1),
                60 * (2 + rng.below(40) as i64),
            );
            if out_at < now {
                let gift = if bundle {
                    vec!["营业执照".into(), "首套公章".into(), "惠企政策汇编".into()]
                } else {
                    Vec::new()
                };
                let way = if rng.f() < 0.8 { "window" } else { "post" };
                cases::act(
                    &tx,
                    id,
                    Act::HandOut {
                        way: way.into(),
                        gift_pack: gift,
                    },
                    None,
                    &ctx!(out_at, &clerk),
                )
                .await?;
                if matches!(row.applicant_kind.as_str(), "citizen" | "enterprise") && rng.f() < 0.6
                {
                    let level = match rng.below(20) {
                        0 => 2,
                        1..=3 => 4,
                        4 => 3,
                        _ => 5,
                    };
                    crate::ratings::rate_case(
                        &tx,
                        id,
                        crate::ratings::Score {
                            level: zhengwu_core::booking::RatingLevel::new(level)
                                .ok_or_else(|| super::invalid(format!("level {level}")))?,
                            reasons: if level >= 4 {
                                vec!["办事快".into()]
                            } else {
                                vec!["等候太久".into()]
                            },
                            comment: None,
                            channel: "phone".into(),
                        },
                        &calendar,
                        5,
                        step(out_at, 30),
                        &applicant_actor,
                    )
                    .await?;
                    s.rated += 1;
                }
            }
        } else if row.decided_at.is_none() {
            s.open += 1;
        }
        tx.commit().await?;
    }
    Ok(s)
}

/// The instant `seconds` of working time before `at` (walking back day by day).
fn back_working(
    cal: &Calendar,
    hours: &WorkingHours,
    at: DateTime<Utc>,
    seconds: i64,
) -> DateTime<Utc> {
    if seconds <= 0 {
        return at;
    }
    // Find a start whose deadline after `seconds` lands at or before `at`: step back a day at
    // a time, then forward.
    let mut start = at - Duration::days(seconds / hours.seconds_per_day().max(1) * 2 + 2);
    while cal.working_seconds_between(start, at, hours) > seconds {
        start += Duration::hours(1);
    }
    start
}

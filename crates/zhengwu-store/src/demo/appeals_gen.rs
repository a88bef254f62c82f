//! Synthetic appeals for the demo district (`zhengwu gen appeals`): a year of hotline appeals
//! with the topic tree's weights and peak months, weekday and hour-of-day rhythms, channels,
//! kinds, lead and co-units from the topic's routing, and outcomes — closed ones with their
//! reply, return visit and satisfaction, recent ones still in hand. Deterministic for a seed.
//! Rows are written in multi-row inserts with ids chosen here from a range reserved first (the
//! id sequences are moved past it), so millions of appeals take minutes and appeals taken in
//! meanwhile never collide with them.
//!
//! Around them, what a year of supervision leaves: stars on about a third of the appeals closed
//! by a unit, an approved extension on about 3 % of the handled ones, and dispose-first orders
//! (先予处置) at the seed's rate — 48 in 50,000 appeals, about ¥17 million in all — with the
//! action, the cost in fen and, once closed, the owner and the accountability settled.
//!
//! Generated appeals carry no event history (their assignments hold the sign and finish
//! times); the appeals taken in through the application have both.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Set, Statement};
use serde::Deserialize;

use super::{APPEAL_TOPICS_TOML, invalid};
use crate::entity::{appeal, appeal_assignment, appeal_disposal, appeal_extension};
use crate::{Db, Result};

#[derive(Debug, Deserialize)]
struct File {
    topics: Vec<Node>,
}

#[derive(Debug, Deserialize)]
struct Node {
    code: String,
    name: String,
    #[serde(default)]
    children: Vec<Node>,
    #[serde(default)]
    lead: Option<String>,
    #[serde(default)]
    co: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    weight: Option<u32>,
    #[serde(default)]
    peak_months: Vec<u32>,
    #[serde(default)]
    words: Vec<String>,
}

/// A leaf as the generator uses it.
struct Leaf {
    code: String,
    name: String,
    lead: i64,
    co: Vec<i64>,
    kind: String,
    weight: f64,
    peaks: Vec<u32>,
    words: Vec<String>,
}

/// A small deterministic generator (SplitMix64).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.f() * n as f64) as usize % n.max(1)
    }

    /// An index drawn by the cumulative weights `cum` (ascending, last = total).
    fn pick(&mut self, cum: &[f64]) -> usize {
        let x = self.f() * cum.last().copied().unwrap_or(1.0);
        cum.partition_point(|c| *c <= x)
            .min(cum.len().saturating_sub(1))
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenOptions {
    pub count: u64,
    /// The first and the last day the appeals fall on.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub seed: u64,
    /// Appeals created after this instant stay open (in hand, replied); older ones are closed.
    pub now: DateTime<Utc>,
}

impl GenOptions {
    /// The days of calendar year `year`.
    pub fn year(year: i32) -> Option<(NaiveDate, NaiveDate)> {
        Some((
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year, 12, 31)?,
        ))
    }

    /// The 365 days up to `now`'s day in the district.
    pub fn last_year(now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
        let today = zhengwu_core::booking::local_date_minute(now).0;
        (today - Duration::days(364), today)
    }
}

/// Dispose-first orders per generated appeal: the seed's 48 in a year of about 50,000.
const DISPOSALS_PER_APPEAL: f64 = 48.0 / 50_000.0;

/// What was generated.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenSummary {
    pub appeals: u64,
    pub assignments: u64,
    pub closed: u64,
    pub starred: u64,
    pub extensions: u64,
    pub disposals: u64,
    /// The disposals' cost, in fen.
    pub disposal_fen: i64,
}

const BATCH: usize = 1000;

/// Generates `opts.count` appeals into `db` (which must hold the demo district).
pub async fn generate_appeals(
    db: &Db,
    opts: GenOptions,
    mut progress: impl FnMut(u64),
) -> Result<GenSummary> {
    let leaves = leaves(db).await?;
    if leaves.is_empty() {
        return Err(invalid(
            "no topics with a lead unit: load the demo district first".into(),
        ));
    }
    // Per month, the leaves' weights with their peaks (2.5×), cumulated.
    let monthly: Vec<Vec<f64>> = (1..=12u32)
        .map(|m| {
            let mut acc = 0.0;
            leaves
                .iter()
                .map(|l| {
                    acc += l.weight * if l.peaks.contains(&m) { 2.5 } else { 1.0 };
                    acc
                })
                .collect()
        })
        .collect();
    // The days: weekdays count fully, weekends at 60 %.
    if opts.to < opts.from || (opts.to - opts.from).num_days() > 3660 {
        return Err(invalid(
            "the days to generate: from must be before to, at most ten years".into(),
        ));
    }
    let days: Vec<NaiveDate> = opts
        .from
        .iter_days()
        .take_while(|d| *d <= opts.to)
        .collect();
    let mut acc = 0.0;
    let day_cum: Vec<f64> = days
        .iter()
        .map(|d| {
            let w = if d.weekday().number_from_monday() >= 6 {
                0.6
            } else {
                1.0
            };
            acc += w;
            acc
        })
        .collect();
    // Hours: 8–20 mostly, a little at night.
    let hour_w = [
        0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 2.5, 3.5, 3.5, 3.0, 2.0, 2.5, 3.2, 3.2, 3.0, 2.5,
        2.0, 1.8, 1.5, 1.2, 0.8, 0.4,
    ];
    let mut acc = 0.0;
    let hour_cum: Vec<f64> = hour_w
        .iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect();
    // The ids this run will use are reserved first, so appeals taken in while it runs (the
    // demo year is made in the background of a serving process) get ids above them.
    let count = i64::try_from(opts.count).unwrap_or(i64::MAX / 8);
    let mut appeal_id = reserve(db, "appeals", count).await?;
    let mut assign_id = reserve(db, "appeal_assignments", count * (MAX_CO + 1)).await?;
    // Numbers continue each day's sequence: generated ones use the 9xxxxx block of the day.
    let mut per_day: std::collections::HashMap<NaiveDate, u32> = std::collections::HashMap::new();
    let mut rng = Rng(opts.seed);
    let offset = zhengwu_core::calendar::district_offset();
    let places = [
        "小区门口",
        "路口",
        "商业街",
        "公交站旁",
        "学校附近",
        "楼下",
        "园区内",
        "地铁站口",
    ];
    let mut summary = GenSummary::default();
    let mut done = 0u64;
    while done < opts.count {
        let n = BATCH.min((opts.count - done) as usize);
        let mut appeals = Vec::with_capacity(n);
        let mut parts = Vec::with_capacity(n * 2);
        let mut extensions = Vec::new();
        let mut disposals = Vec::new();
        for _ in 0..n {
            appeal_id += 1;
            let day = days[rng.pick(&day_cum)];
            let hour = rng.pick(&hour_cum) as u32;
            let minute = rng.below(60) as u32;
            let local = day
                .and_hms_opt(hour, minute, rng.below(60) as u32)
                .unwrap_or_default();
            let created = offset
                .from_local_datetime(&local)
                .single()
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&local));
            let month = day.month();
            let leaf = &leaves[rng.pick(&monthly[(month - 1) as usize])];
            let kind = if rng.f() < 0.8 {
                leaf.kind.clone()
            } else {
                ["consult", "help", "complaint", "report", "suggestion"][rng.below(5)].to_owned()
            };
            let limit =
                zhengwu_core::appeal::Kind::parse(&kind).map_or(15, |k| k.default_limit_days());
            let due = day + Duration::days(i64::from(limit) * 7 / 5);
            let ch = rng.f();
            let (channel, source) = if ch < 0.70 {
                ("hotline", None)
            } else if ch < 0.85 {
                ("web", None)
            } else if ch < 0.95 {
                ("app", None)
            } else {
                (
                    "claimed",
                    Some(["媒体报道", "群众来访", "来信", "网络舆情"][rng.below(4)]),
                )
            };
            let seq = per_day.entry(day).or_insert(900_000);
            *seq += 1;
            let word = leaf
                .words
                .get(rng.below(leaf.words.len().max(1)))
                .cloned()
                .unwrap_or_else(|| leaf.name.clone());
            let place = places[rng.below(places.len())];
            let content = match rng.below(3) {
                0 => format!("{place}{word}问题，反映多次未解决，请尽快处理。"),
                1 => format!("咨询{}相关事宜：{word}。", leaf.name),
                _ => format!("{place}存在{word}的情况，影响居民生活，希望有关部门处理。"),
            };
            // Older than its deadline plus a margin: closed; else by age.
            let age_days = (opts.now - created).num_days();
            let closed = created < opts.now && age_days > i64::from(limit) * 2;
            let instant = kind == "consult" && rng.f() < 0.35;
            let replied_at =
                created + Duration::hours(4 + rng.below(24 * i64::from(limit) as usize) as i64);
            let (status, reply, replied, closed_at, resolved, sat) =
                if instant && created < opts.now {
                    (
                        "closed",
                        None,
                        None,
                        Some(created + Duration::minutes(5)),
                        None,
                        None,
                    )
                } else if closed {
                    let r = rng.f();
                    let sat: i16 = if r < 0.60 {
                        5
                    } else if r < 0.85 {
                        4
                    } else if r < 0.93 {
                        3
                    } else if r < 0.97 {
                        2
                    } else {
                        1
                    };
                    let resolved = rng.f() < 0.9;
                    (
                        "closed",
                        Some(format!("已处理：{}问题已协调解决。", leaf.name)),
                        Some(replied_at),
                        Some(replied_at + Duration::days(1 + rng.below(3) as i64)),
                        Some(resolved),
                        Some(sat),
                    )
                } else if created > opts.now {
                    ("registered", None, None, None, None, None)
                } else if age_days > i64::from(limit) {
                    (
                        "replied",
                        Some(format!("已处理：{}问题正在跟进。", leaf.name)),
                        Some(replied_at),
                        None,
                        None,
                        None,
                    )
                } else {
                    ("in_hand", None, None, None, None, None)
                };
            if status == "closed" {
                summary.closed += 1;
            }
            let has_parts = !(instant || status == "registered");
            // Stars for about a third of the appeals a unit closed.
            let stars: Option<i16> = (status == "closed" && reply.is_some() && rng.f() < 0.33)
                .then(|| match rng.f() {
                    r if r < 0.40 => 5,
                    r if r < 0.75 => 4,
                    r if r < 0.90 => 3,
                    r if r < 0.97 => 2,
                    _ => 1,
                });
            if stars.is_some() {
                summary.starred += 1;
            }
            // An approved extension on about 3 % of the handled ones.
            let mut due = due;
            if has_parts && status != "in_hand" && rng.f() < 0.03 {
                let days = 3 + rng.below(8) as i64;
                let asked = created + Duration::days(1 + rng.below(limit.max(1) as usize) as i64);
                let new_due = due + Duration::days(days * 7 / 5);
                extensions.push(appeal_extension::ActiveModel {
                    appeal_id: Set(appeal_id),
                    unit_id: Set(leaf.lead),
                    days: Set(days as i16),
                    reason: Set([
                        "需要多部门现场会商",
                        "需等待检测结果",
                        "涉及历史遗留问题，需调阅档案",
                        "当事人外出，需约定时间核查",
                    ][rng.below(4)]
                    .into()),
                    status: Set("approved".into()),
                    requested_at: Set(asked),
                    requested_by: Set("gen".into()),
                    decided_at: Set(Some(asked + Duration::hours(2))),
                    decided_by: Set(Some("gen".into())),
                    decision_note: Set(None),
                    old_due_on: Set(due),
                    new_due_on: Set(Some(new_due)),
                    ..Default::default()
                });
                due = new_due;
                summary.extensions += 1;
            }
            // Dispose first, at the seed's rate, on handled appeals (they become urgent).
            let disposed = has_parts && rng.f() < DISPOSALS_PER_APPEAL;
            if disposed {
                let u = rng.f();
                let yuan = 50_000.0 + 1_200_000.0 * u * u * u;
                let fen = (yuan * 100.0).round() as i64;
                let ordered = created + Duration::minutes(10 + rng.below(50) as i64);
                let done = ordered + Duration::hours(2 + rng.below(46) as i64);
                let settled =
                    (status == "closed").then(|| done + Duration::days(3 + rng.below(20) as i64));
                let owner = leaf
                    .co
                    .first()
                    .copied()
                    .filter(|_| rng.f() < 0.3)
                    .unwrap_or(leaf.lead);
                disposals.push(appeal_disposal::ActiveModel {
                    appeal_id: Set(appeal_id),
                    unit_id: Set(leaf.lead),
                    instruction: Set(format!(
                        "{place}{word}，情况紧急、权属不清，请先行处置，保障群众安全。"
                    )),
                    ordered_at: Set(ordered),
                    ordered_by: Set("gen".into()),
                    action: Set(Some(
                        [
                            "已组织人员设备连夜抢修",
                            "已设置围挡并临时疏导",
                            "已调派车辆清运并消杀",
                            "已协调专业队伍排险加固",
                        ][rng.below(4)]
                        .into(),
                    )),
                    cost_fen: Set(Some(fen)),
                    done_at: Set(Some(done)),
                    owner_unit_id: Set(settled.map(|_| owner)),
                    accountability: Set(settled
                        .map(|_| "经会商认定权属，处置费用由责任单位承担并纳入考核。".to_owned())),
                    settled_at: Set(settled),
                    settled_by: Set(settled.map(|_| "gen".to_owned())),
                    ..Default::default()
                });
                summary.disposals += 1;
                summary.disposal_fen += fen;
            }
            appeals.push(appeal::ActiveModel {
                id: Set(appeal_id),
                number: Set(format!("{}-{seq:06}", day.format("%Y%m%d"))),
                channel: Set(channel.into()),
                kind: Set(kind),
                topic_code: Set(leaf.code.clone()),
                content: Set(content),
                address: Set(Some(format!("高新区{place}"))),
                lat: Set(Some(38.80 + rng.f() * 0.12)),
                lon: Set(Some(121.40 + rng.f() * 0.20)),
                caller_name: Set(None),
                caller_mobile: Set(Some(format!("139{:08}", rng.below(100_000_000)))),
                urgent: Set(disposed || rng.f() < 0.02),
                source: Set(source.map(str::to_owned)),
                status: Set(status.into()),
                created_at: Set(created),
                created_by: Set("gen".into()),
                due_on: Set(due),
                answer: Set(instant.then(|| format!("关于{}的问题，已为您解答。", leaf.name))),
                reply: Set(reply),
                replied_at: Set(replied),
                closed_at: Set(closed_at),
                resolved: Set(resolved),
                satisfaction: Set(sat),
                updated_at: Set(closed_at.or(replied).unwrap_or(created)),
                stars: Set(stars),
                ..Default::default()
            });
            if has_parts {
                let sign_due = day + Duration::days(1);
                let signed = created + Duration::hours(1 + rng.below(20) as i64);
                let finished = replied.or(closed_at);
                for (unit, role) in std::iter::once((leaf.lead, "lead"))
                    .chain(leaf.co.iter().take(MAX_CO as usize).map(|c| (*c, "co")))
                {
                    assign_id += 1;
                    summary.assignments += 1;
                    parts.push(appeal_assignment::ActiveModel {
                        id: Set(assign_id),
                        appeal_id: Set(appeal_id),
                        unit_id: Set(unit),
                        role: Set(role.into()),
                        part: Set(if finished.is_some() { "done" } else { "signed" }.into()),
                        assigned_at: Set(created + Duration::minutes(30)),
                        sign_due_on: Set(sign_due),
                        signed_at: Set(Some(signed)),
                        finished_at: Set(finished),
                        note: Set(None),
                    });
                }
            }
        }
        let tx = db.begin_write().await?;
        appeal::Entity::insert_many(appeals)
            .exec_without_returning(&tx)
            .await?;
        if !parts.is_empty() {
            // Kept under the databases' limits on bound parameters (10 columns a row).
            for chunk in parts.chunks(BATCH) {
                appeal_assignment::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(&tx)
                    .await?;
            }
        }
        if !extensions.is_empty() {
            appeal_extension::Entity::insert_many(extensions)
                .exec_without_returning(&tx)
                .await?;
        }
        if !disposals.is_empty() {
            appeal_disposal::Entity::insert_many(disposals)
                .exec_without_returning(&tx)
                .await?;
        }
        tx.commit().await?;
        done += n as u64;
        summary.appeals = done;
        progress(done);
    }
    Ok(summary)
}

/// The most co-units a generated appeal gets.
const MAX_CO: i64 = 3;

/// Reserves `n` ids of `table` after its largest: moves its id sequence past them (SQLite: the
/// AUTOINCREMENT counter; PostgreSQL: the serial sequence, with the table locked meanwhile), so
/// other inserts never take them. Returns the largest id before them.
async fn reserve(db: &Db, table: &str, n: i64) -> Result<i64> {
    let tx = db.begin_write().await?;
    let backend = tx.get_database_backend();
    if backend == sea_orm::DbBackend::Postgres {
        tx.execute_unprepared(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"))
            .await?;
    }
    let start = tx
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COALESCE(MAX(id), 0) AS m FROM {table}"),
        ))
        .await?
        .and_then(|r| r.try_get::<i64>("", "m").ok())
        .unwrap_or(0);
    let upto = start + n;
    if backend == sea_orm::DbBackend::Postgres {
        tx.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), {upto})"
        ))
        .await?;
    } else {
        tx.execute_unprepared(&format!(
            "UPDATE sqlite_sequence SET seq = MAX(seq, {upto}) WHERE name = '{table}'"
        ))
        .await?;
        tx.execute_unprepared(&format!(
            "INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', {upto} \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{table}')"
        ))
        .await?;
    }
    tx.commit().await?;
    Ok(start)
}

async fn leaves(db: &Db) -> Result<Vec<Leaf>> {
    let f: File =
        toml::from_str(APPEAL_TOPICS_TOML).map_err(|e| invalid(format!("appeal topics: {e}")))?;
    let units: std::collections::HashMap<String, i64> = crate::entity::org_unit::Entity::find()
        .order_by_asc(crate::entity::org_unit::Column::Id)
        .all(db.conn())
        .await?
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect();
    let mut out = Vec::new();
    fn walk(n: &Node, units: &std::collections::HashMap<String, i64>, out: &mut Vec<Leaf>) {
        if n.children.is_empty()
            && let Some(lead) = n.lead.as_ref().and_then(|c| units.get(c))
        {
            out.push(Leaf {
                code: n.code.clone(),
                name: n.name.clone(),
                lead: *lead,
                co: n.co.iter().filter_map(|c| units.get(c).copied()).collect(),
                kind: n.kind.clone().unwrap_or_else(|| "complaint".into()),
                weight: f64::from(n.weight.unwrap_or(10).max(1)),
                peaks: n.peak_months.clone(),
                words: n.words.clone(),
            });
        }
        for c in &n.children {
            walk(c, units, out);
        }
    }
    for t in &f.topics {
        walk(t, &units, &mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn picks_follow_the_weights() {
        let mut r = Rng(7);
        let cum = [1.0, 4.0]; // 25 % / 75 %
        let n = 20_000;
        let ones = (0..n).filter(|_| r.pick(&cum) == 1).count();
        let share = ones as f64 / n as f64;
        assert!((0.72..0.78).contains(&share), "{share}");
    }
}

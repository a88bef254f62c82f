//! The queue (M1.2, 智慧无感排号): item groups per site (a hall or a station) with their ticket
//! prefix, counters (windows) that serve some groups or all, and tickets numbered per group
//! and day (A001, B014 …).
//!
//! Numbering takes the group's row for update, so two tickets never get one number. Calling
//! next takes the best waiting ticket — priority class first, then the time of joining — with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL (on SQLite a write transaction is already exclusive),
//! and changes it only while it is still waiting: two counters never call the same ticket, and
//! none is skipped. Every step is an event with its time.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use zhengwu_core::calendar::district_offset;
use zhengwu_core::ids::UnitId;

use crate::entity::{org_unit, queue_counter, queue_event, queue_group, queue_ticket};
use crate::sql::{Arg, Exec, Row};
use crate::{Backend, Result, StoreError};

/// A ticket's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Serving,
    Done,
    NoShow,
    /// Set aside at the counter (the applicant fetches a document) and resumed later.
    Parked,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Called => "called",
            Self::Serving => "serving",
            Self::Done => "done",
            Self::NoShow => "no_show",
            Self::Parked => "parked",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "called" => Self::Called,
            "serving" => Self::Serving,
            "done" => Self::Done,
            "no_show" => Self::NoShow,
            "parked" => Self::Parked,
            _ => Self::Waiting,
        }
    }
}

/// Priority classes: higher is called first (绿色通道 above walk-ins).
pub const PRIORITY_WALK_IN: i32 = 0;
pub const PRIORITY_APPOINTMENT: i32 = 10;
pub const PRIORITY_GREEN: i32 = 20;
pub const PRIORITY_URGENT: i32 = 30;

/// An item group of a site.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Group {
    pub id: i64,
    pub site_id: i64,
    /// The ticket prefix.
    pub code: String,
    pub name: String,
    /// The departments whose items it takes; empty: any department.
    pub departments: Vec<String>,
}

impl From<queue_group::Model> for Group {
    fn from(m: queue_group::Model) -> Self {
        Self {
            id: m.id,
            site_id: m.site_id,
            code: m.code,
            name: m.name,
            departments: serde_json::from_str(&m.departments).unwrap_or_default(),
        }
    }
}

/// A counter (a window, or a station's desk).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Counter {
    pub id: i64,
    pub site_id: i64,
    pub window_id: Option<i64>,
    pub name: String,
    /// The group codes it serves; empty: every group (a comprehensive window).
    pub groups: Vec<String>,
    pub open: bool,
    pub opened_by: Option<String>,
}

impl From<queue_counter::Model> for Counter {
    fn from(m: queue_counter::Model) -> Self {
        Self {
            id: m.id,
            site_id: m.site_id,
            window_id: m.window_id,
            name: m.name,
            groups: serde_json::from_str(&m.groups).unwrap_or_default(),
            open: m.open,
            opened_by: m.opened_by,
        }
    }
}

/// A ticket.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Ticket {
    pub id: i64,
    pub site_id: i64,
    pub group_id: i64,
    pub day: NaiveDate,
    /// What is called out and shown: prefix and number, `A001`.
    pub number: String,
    pub priority: i32,
    pub status: TicketStatus,
    pub counter_id: Option<i64>,
    pub joined_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `done`, `more_material` or `referred`.
    pub outcome: Option<String>,
    /// The appointment whose check-in issued it.
    pub appointment_id: Option<i64>,
    /// Where its notices go; never sent to a client.
    #[serde(skip)]
    pub mobile: Option<String>,
}

impl From<queue_ticket::Model> for Ticket {
    fn from(m: queue_ticket::Model) -> Self {
        Self {
            id: m.id,
            site_id: m.site_id,
            group_id: m.group_id,
            day: m.day,
            number: m.number,
            priority: m.priority,
            status: TicketStatus::parse(&m.status),
            counter_id: m.counter_id,
            joined_at: m.joined_at,
            called_at: m.called_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            outcome: m.outcome,
            appointment_id: m.appointment_id,
            mobile: m.mobile,
        }
    }
}

/// The outcomes of a finished service.
pub const OUTCOMES: [&str; 3] = ["done", "more_material", "referred"];

async fn event(
    tx: &impl Exec,
    ticket: i64,
    counter: Option<i64>,
    kind: &str,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<()> {
    let actor: String = actor.chars().take(100).collect();
    tx.run(
        "INSERT INTO queue_events (ticket_id, counter_id, kind, at, actor) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            ticket.into(),
            counter.into(),
            kind.into(),
            at.into(),
            (&actor).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The columns [`ticket_of`] reads, in its order; `ticket_columns!(t)` qualifies each with the
/// table alias `t`, for a query that joins other tables.
macro_rules! ticket_columns {
    () => {
        ticket_columns!(@ "")
    };
    ($t:ident) => {
        ticket_columns!(@ concat!(stringify!($t), "."))
    };
    (@ $p:expr) => {
        concat!(
            $p, "id, ", $p, "site_id, ", $p, "group_id, ", $p, "day, ", $p, "number, ",
            $p, "priority, ", $p, "status, ", $p, "counter_id, ", $p, "joined_at, ",
            $p, "called_at, ", $p, "started_at, ", $p, "finished_at, ", $p, "outcome, ",
            $p, "appointment_id, ", $p, "mobile"
        )
    };
}

fn ticket_of(r: &Row) -> Result<Ticket> {
    Ok(Ticket {
        id: r.i64(0)?,
        site_id: r.i64(1)?,
        group_id: r.i64(2)?,
        day: r.date(3)?,
        number: r.text(4)?,
        priority: r.i32(5)?,
        status: TicketStatus::parse(&r.text(6)?),
        counter_id: r.opt_i64(7)?,
        joined_at: r.time(8)?,
        called_at: r.opt_time(9)?,
        started_at: r.opt_time(10)?,
        finished_at: r.opt_time(11)?,
        outcome: r.opt_text(12)?,
        appointment_id: r.opt_i64(13)?,
        mobile: r.opt_text(14)?,
    })
}

/// `sql` taking its rows for update on PostgreSQL (skipping rows others hold when
/// `skip_locked`); on SQLite a write transaction is already exclusive.
fn for_update(sql: &str, backend: Backend, skip_locked: bool) -> std::borrow::Cow<'_, str> {
    match (backend, skip_locked) {
        (Backend::Postgres, true) => format!("{sql} FOR UPDATE SKIP LOCKED").into(),
        (Backend::Postgres, false) => format!("{sql} FOR UPDATE").into(),
        (Backend::Sqlite, _) => sql.into(),
    }
}

/// A walk-in who has waited this long is called before any priority class, so the green
/// channel and appointments never starve the queue.
pub const STARVATION_GUARD_MINUTES: i64 = 45;

/// The item groups of a site.
pub async fn groups(db: &impl Exec, site: UnitId) -> Result<Vec<Group>> {
    db.rows(
        "SELECT id, site_id, code, name, departments FROM queue_groups \
         WHERE site_id = $1 ORDER BY code",
        &[site.get().into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Group {
            id: r.i64(0)?,
            site_id: r.i64(1)?,
            code: r.text(2)?,
            name: r.text(3)?,
            departments: serde_json::from_str(&r.text(4)?).unwrap_or_default(),
        })
    })
    .collect()
}

/// The counters of a site, or of every site.
pub async fn counters(db: &impl ConnectionTrait, site: Option<UnitId>) -> Result<Vec<Counter>> {
    let mut q = queue_counter::Entity::find();
    if let Some(s) = site {
        q = q.filter(queue_counter::Column::SiteId.eq(s.get()));
    }
    Ok(q.order_by_asc(queue_counter::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Counter::from)
        .collect())
}

/// One counter.
pub async fn counter(db: &impl Exec, id: i64) -> Result<Counter> {
    let r = db
        .row(
            "SELECT id, site_id, window_id, name, \"groups\", \"open\", opened_by \
             FROM queue_counters WHERE id = $1",
            &[id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("counter", id))?;
    Ok(Counter {
        id: r.i64(0)?,
        site_id: r.i64(1)?,
        window_id: r.opt_i64(2)?,
        name: r.text(3)?,
        groups: serde_json::from_str(&r.text(4)?).unwrap_or_default(),
        open: r.bool(5)?,
        opened_by: r.opt_text(6)?,
    })
}

/// One ticket.
pub async fn ticket(db: &impl Exec, id: i64) -> Result<Ticket> {
    let r = db
        .row(
            concat!(
                "SELECT ",
                ticket_columns!(),
                " FROM queue_tickets WHERE id = $1"
            ),
            &[id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("ticket", id))?;
    ticket_of(&r)
}

/// The district's date of `at`: numbers restart every day.
fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&district_offset()).date_naive()
}

/// Issues a ticket at `site` for the group `group_code` (a walk-in, or a checked-in
/// appointment with its priority).
pub async fn issue(
    tx: &impl Exec,
    site: UnitId,
    group_code: &str,
    priority: i32,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<Ticket> {
    let g = tx
        .row(
            &for_update(
                "SELECT id, code, last_day, last_seq FROM queue_groups \
                 WHERE site_id = $1 AND code = $2",
                tx.backend(),
                false,
            ),
            &[site.get().into(), group_code.into()],
        )
        .await?
        .ok_or_else(|| StoreError::invalid("item_group", format!("no_group:{group_code}")))?;
    let (group_id, code, last_day, last_seq) = (g.i64(0)?, g.text(1)?, g.opt_date(2)?, g.i32(3)?);
    let day = day_of(at);
    let seq = if last_day == Some(day) {
        last_seq + 1
    } else {
        1
    };
    if seq > 9999 {
        return Err(StoreError::invalid("item_group", "queue_full"));
    }
    let number = format!("{code}{seq:03}");
    tx.run(
        "UPDATE queue_groups SET last_day = $1, last_seq = $2 WHERE id = $3",
        &[day.into(), seq.into(), group_id.into()],
    )
    .await?;
    let token = zhengwu_core::secret::random_hex(16)
        .map_err(|e| StoreError::invalid("ticket", e.to_string()))?;
    let status = TicketStatus::Waiting;
    let id = tx
        .row(
            "INSERT INTO queue_tickets (site_id, group_id, day, seq, number, priority, status, \
             joined_at, near_notified, token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                site.get().into(),
                group_id.into(),
                day.into(),
                seq.into(),
                (&number).into(),
                priority.into(),
                status.as_str().into(),
                at.into(),
                false.into(),
                (&token).into(),
            ],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("ticket", "new"))?
        .i64(0)?;
    event(tx, id, None, "join", at, actor).await?;
    Ok(Ticket {
        id,
        site_id: site.get(),
        group_id,
        day,
        number,
        priority,
        status,
        counter_id: None,
        joined_at: at,
        called_at: None,
        started_at: None,
        finished_at: None,
        outcome: None,
        appointment_id: None,
        mobile: None,
    })
}

/// Opens or closes a counter.
pub async fn set_open(
    tx: &impl ConnectionTrait,
    id: i64,
    open: bool,
    actor: &str,
) -> Result<Counter> {
    let m = queue_counter::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("counter", id))?;
    let mut am: queue_counter::ActiveModel = m.into();
    am.open = Set(open);
    am.opened_by = Set(open.then(|| actor.to_owned()));
    am.opened_at = Set(open.then(Utc::now));
    Ok(am.update(tx).await?.into())
}

/// Calls the next ticket to the counter: the waiting ticket of the counter's site and groups
/// with the highest priority class, then the earliest joined; `None` when nobody waits.
pub async fn call_next(
    tx: &impl Exec,
    counter_id: i64,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<Option<Ticket>> {
    call_next_with(tx, counter_id, at, actor, CallOrder::default()).await
}

/// How call-next orders the waiting tickets beyond priority and arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOrder {
    /// A walk-in who has waited this many minutes goes before every priority class.
    pub starvation_guard_minutes: i64,
}

impl Default for CallOrder {
    fn default() -> Self {
        Self {
            starvation_guard_minutes: STARVATION_GUARD_MINUTES,
        }
    }
}

/// [`call_next`] with the site's configured order.
pub async fn call_next_with(
    tx: &impl Exec,
    counter_id: i64,
    at: DateTime<Utc>,
    actor: &str,
    order: CallOrder,
) -> Result<Option<Ticket>> {
    let c = counter(tx, counter_id).await?;
    if !c.open {
        return Err(StoreError::invalid("counter", "counter_closed"));
    }
    let cutoff = at - chrono::Duration::minutes(order.starvation_guard_minutes);
    let mut args: Vec<Arg<'_>> = vec![c.site_id.into(), PRIORITY_WALK_IN.into(), cutoff.into()];
    let mut only = String::new();
    if !c.groups.is_empty() {
        let ids: Vec<i64> = groups(tx, UnitId(c.site_id))
            .await?
            .into_iter()
            .filter(|g| c.groups.contains(&g.code))
            .map(|g| g.id)
            .collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 4)).collect();
        only = format!(" AND group_id IN ({})", marks.join(", "));
        args.extend(ids.into_iter().map(Arg::from));
    }
    // One query: the starvation guard first (a walk-in who has waited too long goes before the
    // priority classes, oldest first), then priority class, then the time of joining.
    let sql = format!(
        concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM queue_tickets WHERE site_id = $1 AND status = 'waiting'{} \
             ORDER BY CASE WHEN priority = $2 AND joined_at <= $3 THEN 1 ELSE 0 END DESC, \
             priority DESC, joined_at ASC, id ASC LIMIT 1"
        ),
        only
    );
    let Some(r) = tx.row(&for_update(&sql, tx.backend(), true), &args).await? else {
        return Ok(None);
    };
    let mut called = ticket_of(&r)?;
    let done = tx
        .run(
            "UPDATE queue_tickets SET status = $1, counter_id = $2, called_at = $3 \
             WHERE id = $4 AND status = $5",
            &[
                TicketStatus::Called.as_str().into(),
                counter_id.into(),
                at.into(),
                called.id.into(),
                TicketStatus::Waiting.as_str().into(),
            ],
        )
        .await?;
    if done != 1 {
        return Err(StoreError::Conflict {
            constraint: "ticket called meanwhile".into(),
        });
    }
    event(tx, called.id, Some(counter_id), "call", at, actor).await?;
    called.status = TicketStatus::Called;
    called.counter_id = Some(counter_id);
    called.called_at = Some(at);
    Ok(Some(called))
}

/// Finishes the service of a called or started ticket, with its outcome.
pub async fn finish(
    tx: &impl Exec,
    id: i64,
    outcome: &str,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<Ticket> {
    if !OUTCOMES.contains(&outcome) {
        return Err(StoreError::invalid("outcome", format!("unknown:{outcome}")));
    }
    let r = tx
        .row(
            &for_update(
                concat!(
                    "SELECT ",
                    ticket_columns!(),
                    " FROM queue_tickets WHERE id = $1"
                ),
                tx.backend(),
                false,
            ),
            &[id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("ticket", id))?;
    let mut t = ticket_of(&r)?;
    if !matches!(t.status, TicketStatus::Called | TicketStatus::Serving) {
        return Err(StoreError::invalid(
            "ticket",
            format!("not_in_service:{}", t.status.as_str()),
        ));
    }
    // Finished straight after the call: the service started when it was called.
    t.started_at = t.started_at.or(t.called_at).or(Some(at));
    t.status = TicketStatus::Done;
    t.finished_at = Some(at);
    t.outcome = Some(outcome.to_owned());
    tx.run(
        "UPDATE queue_tickets SET status = $1, started_at = $2, finished_at = $3, outcome = $4 \
         WHERE id = $5",
        &[
            t.status.as_str().into(),
            t.started_at.into(),
            at.into(),
            outcome.into(),
            id.into(),
        ],
    )
    .await?;
    event(tx, id, t.counter_id, "finish", at, actor).await?;
    Ok(t)
}

/// Gives every hall and station of the organisation its item groups and counters, once: a
/// hall gets group A (综合业务, any department) and a group for each department that has
/// specialised windows there; each window is a counter (a comprehensive window serves every
/// group); each station gets group A and one counter. Returns the counters made.
pub async fn seed_sites(tx: &impl ConnectionTrait) -> Result<usize> {
    let units = org_unit::Entity::find().all(tx).await?;
    let dept_code = |id: Option<i64>| {
        units.iter().find(|u| Some(u.id) == id).map(|u| {
            (
                u.code.clone(),
                u.short_name.clone().unwrap_or(u.name.clone()),
            )
        })
    };
    let mut made = 0;
    let letters = "BCDEFGHJKLMNPQRSTUVWXYZ";
    for site in units
        .iter()
        .filter(|u| u.kind == "hall" || u.kind == "station")
    {
        if queue_group::Entity::find()
            .filter(queue_group::Column::SiteId.eq(site.id))
            .one(tx)
            .await?
            .is_some()
        {
            continue;
        }
        let name = if site.kind == "hall" {
            "综合业务"
        } else {
            "驿站业务"
        };
        let mut groups = vec![("A".to_owned(), name.to_owned(), Vec::<String>::new())];
        let windows: Vec<&org_unit::Model> = units
            .iter()
            .filter(|w| w.kind == "window" && w.parent_id == Some(site.id))
            .collect();
        let mut counters = Vec::new();
        for w in &windows {
            let serves = if w.window_kind.as_deref() == Some("comprehensive") {
                Vec::new()
            } else if let Some((code, short)) = dept_code(w.department_id) {
                let letter = match groups.iter().find(|g| g.2 == [code.clone()]) {
                    Some(g) => g.0.clone(),
                    None => {
                        let l = letters
                            .chars()
                            .nth(groups.len() - 1)
                            .map(String::from)
                            .unwrap_or_else(|| "Z".into());
                        groups.push((l.clone(), short, vec![code]));
                        l
                    }
                };
                vec![letter]
            } else {
                vec!["A".to_owned()]
            };
            counters.push((Some(w.id), w.name.clone(), serves));
        }
        if site.kind == "station" {
            counters.push((None, format!("{}服务台", site.name), Vec::new()));
        }
        for (code, name, departments) in groups {
            queue_group::ActiveModel {
                site_id: Set(site.id),
                code: Set(code),
                name: Set(name),
                departments: Set(serde_json::to_string(&departments).unwrap_or_default()),
                last_day: Set(None),
                last_seq: Set(0),
                ..Default::default()
            }
            .insert(tx)
            .await?;
        }
        for (window_id, name, serves) in counters {
            queue_counter::ActiveModel {
                site_id: Set(site.id),
                window_id: Set(window_id),
                name: Set(name),
                groups: Set(serde_json::to_string(&serves).unwrap_or_default()),
                open: Set(false),
                opened_by: Set(None),
                opened_at: Set(None),
                ..Default::default()
            }
            .insert(tx)
            .await?;
            made += 1;
        }
    }
    Ok(made)
}

/// Adds a counter at a site serving `groups` (codes; empty: every group).
pub async fn add_counter(
    tx: &impl ConnectionTrait,
    site: UnitId,
    name: &str,
    groups: &[String],
) -> Result<Counter> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StoreError::invalid("name", "length:1-100"));
    }
    let known: Vec<String> = self::groups(tx, site)
        .await?
        .into_iter()
        .map(|g| g.code)
        .collect();
    if let Some(g) = groups.iter().find(|g| !known.contains(g)) {
        return Err(StoreError::invalid("groups", format!("no_group:{g}")));
    }
    Ok(queue_counter::ActiveModel {
        site_id: Set(site.get()),
        window_id: Set(None),
        name: Set(name.to_owned()),
        groups: Set(serde_json::to_string(groups).unwrap_or_default()),
        open: Set(false),
        opened_by: Set(None),
        opened_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?
    .into())
}

/// Empties the queue (the demo's reset).
pub async fn clear(tx: &impl ConnectionTrait) -> Result<()> {
    queue_event::Entity::delete_many().exec(tx).await?;
    queue_ticket::Entity::delete_many().exec(tx).await?;
    queue_counter::Entity::delete_many().exec(tx).await?;
    queue_group::Entity::delete_many().exec(tx).await?;
    Ok(())
}

/// How many waiting tickets of the same group are called before this one.
pub async fn ahead_of(db: &impl ConnectionTrait, t: &Ticket) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    if t.status != TicketStatus::Waiting {
        return Ok(0);
    }
    Ok(queue_ticket::Entity::find()
        .filter(queue_ticket::Column::GroupId.eq(t.group_id))
        .filter(queue_ticket::Column::Status.eq(TicketStatus::Waiting.as_str()))
        .filter(
            sea_orm::Condition::any()
                .add(queue_ticket::Column::Priority.gt(t.priority))
                .add(
                    sea_orm::Condition::all()
                        .add(queue_ticket::Column::Priority.eq(t.priority))
                        .add(queue_ticket::Column::JoinedAt.lt(t.joined_at)),
                ),
        )
        .count(db)
        .await?)
}

/// A call as the display board shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Call {
    pub ticket_id: i64,
    pub number: String,
    pub counter: String,
    pub called_at: DateTime<Utc>,
}

/// The latest calls at a site, newest first.
pub async fn recent_calls(db: &impl ConnectionTrait, site: UnitId, n: u64) -> Result<Vec<Call>> {
    let tickets = queue_ticket::Entity::find()
        .filter(queue_ticket::Column::SiteId.eq(site.get()))
        .filter(queue_ticket::Column::CalledAt.is_not_null())
        .order_by_desc(queue_ticket::Column::CalledAt)
        .limit(n)
        .all(db)
        .await?;
    let counters = counters(db, Some(site)).await?;
    Ok(tickets
        .into_iter()
        .filter_map(|t| {
            let c = counters.iter().find(|c| Some(c.id) == t.counter_id)?;
            Some(Call {
                ticket_id: t.id,
                number: t.number,
                counter: c.name.clone(),
                called_at: t.called_at?,
            })
        })
        .collect())
}

/// Waiting tickets per group code at a site, and the mean service time (minutes) of the last
/// 50 finished services there (`None` before any).
pub async fn site_load(
    db: &impl ConnectionTrait,
    site: UnitId,
) -> Result<(Vec<(String, u64)>, Option<f64>)> {
    use sea_orm::PaginatorTrait;
    let mut waiting = Vec::new();
    for g in groups(db, site).await? {
        let n = queue_ticket::Entity::find()
            .filter(queue_ticket::Column::GroupId.eq(g.id))
            .filter(queue_ticket::Column::Status.eq(TicketStatus::Waiting.as_str()))
            .count(db)
            .await?;
        waiting.push((g.code, n));
    }
    Ok((waiting, recent_service_minutes(db, site).await?))
}

/// The mean service time (minutes) of the last 50 finished services at a site; `None` before
/// any.
pub async fn recent_service_minutes(
    db: &impl ConnectionTrait,
    site: UnitId,
) -> Result<Option<f64>> {
    let done = queue_ticket::Entity::find()
        .filter(queue_ticket::Column::SiteId.eq(site.get()))
        .filter(queue_ticket::Column::FinishedAt.is_not_null())
        .order_by_desc(queue_ticket::Column::FinishedAt)
        .limit(50)
        .all(db)
        .await?;
    let spans: Vec<f64> = done
        .iter()
        .filter_map(|t| Some((t.finished_at? - t.started_at?).num_seconds() as f64 / 60.0))
        .collect();
    Ok((!spans.is_empty()).then(|| spans.iter().sum::<f64>() / spans.len() as f64))
}

/// The ticket a counter is serving now (called or started, not finished).
pub async fn current_at(db: &impl ConnectionTrait, counter_id: i64) -> Result<Option<Ticket>> {
    Ok(queue_ticket::Entity::find()
        .filter(queue_ticket::Column::CounterId.eq(counter_id))
        .filter(queue_ticket::Column::Status.is_in([
            TicketStatus::Called.as_str(),
            TicketStatus::Serving.as_str(),
        ]))
        .order_by_desc(queue_ticket::Column::CalledAt)
        .one(db)
        .await?
        .map(Ticket::from))
}

/// A counter action on a ticket it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Call the number out again.
    Recall,
    /// The applicant came: the service starts.
    Start,
    /// Called and did not come.
    NoShow,
    /// Set aside at this counter.
    Park,
    /// Taken up again.
    Resume,
}

impl Step {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "recall" => Self::Recall,
            "start" => Self::Start,
            "no_show" => Self::NoShow,
            "park" => Self::Park,
            "resume" => Self::Resume,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Recall => "recall",
            Self::Start => "start",
            Self::NoShow => "no_show",
            Self::Park => "park",
            Self::Resume => "resume",
        }
    }
}

async fn locked_ticket(tx: &impl ConnectionTrait, id: i64) -> Result<queue_ticket::Model> {
    let q = queue_ticket::Entity::find_by_id(id);
    crate::db::for_update(q, tx.get_database_backend(), false)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("ticket", id))
}

/// Applies a counter's step to a ticket: recall or start a called ticket, mark it a no-show,
/// park a called or started one, resume a parked one.
pub async fn step(
    tx: &impl ConnectionTrait,
    id: i64,
    step: Step,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<Ticket> {
    let m = locked_ticket(tx, id).await?;
    let status = TicketStatus::parse(&m.status);
    use TicketStatus as S;
    let allowed = match step {
        Step::Recall | Step::NoShow => status == S::Called,
        Step::Start => status == S::Called,
        Step::Park => matches!(status, S::Called | S::Serving),
        Step::Resume => status == S::Parked,
    };
    if !allowed {
        return Err(StoreError::invalid(
            "ticket",
            format!("not_in_service:{}", status.as_str()),
        ));
    }
    let counter = m.counter_id;
    let mut am: queue_ticket::ActiveModel = m.clone().into();
    match step {
        Step::Recall => am.called_at = Set(Some(at)),
        Step::Start => {
            am.status = Set(S::Serving.as_str().into());
            am.started_at = Set(Some(at));
        }
        Step::NoShow => {
            am.status = Set(S::NoShow.as_str().into());
            am.finished_at = Set(Some(at));
        }
        Step::Park => am.status = Set(S::Parked.as_str().into()),
        Step::Resume => {
            am.status = Set(if m.started_at.is_some() {
                S::Serving
            } else {
                S::Called
            }
            .as_str()
            .into());
        }
    }
    let t = am.update(tx).await?;
    event(tx, id, counter, step.name(), at, actor).await?;
    Ok(t.into())
}

/// Sends a ticket on to another group of the same site (a referral between windows): it waits
/// again, first in line when `first`, else by its original time of joining.
pub async fn transfer(
    tx: &impl ConnectionTrait,
    id: i64,
    group_code: &str,
    first: bool,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<Ticket> {
    let m = locked_ticket(tx, id).await?;
    let status = TicketStatus::parse(&m.status);
    if !matches!(
        status,
        TicketStatus::Called | TicketStatus::Serving | TicketStatus::Parked
    ) {
        return Err(StoreError::invalid(
            "ticket",
            format!("not_in_service:{}", status.as_str()),
        ));
    }
    let site = UnitId(m.site_id);
    let g = groups(tx, site)
        .await?
        .into_iter()
        .find(|g| g.code == group_code)
        .ok_or_else(|| StoreError::invalid("item_group", format!("no_group:{group_code}")))?;
    // A group no counter serves would keep the applicant waiting for ever.
    let served = counters(tx, Some(site))
        .await?
        .iter()
        .any(|c| c.groups.is_empty() || c.groups.contains(&g.code));
    if !served {
        return Err(StoreError::invalid(
            "item_group",
            format!("unserved:{group_code}"),
        ));
    }
    let counter = m.counter_id;
    let priority = m.priority;
    let original = m.joined_at;
    let mut am: queue_ticket::ActiveModel = m.into();
    if first {
        // Just ahead of the earliest waiting ticket of its class in that group.
        let earliest = queue_ticket::Entity::find()
            .filter(queue_ticket::Column::GroupId.eq(g.id))
            .filter(queue_ticket::Column::Status.eq(TicketStatus::Waiting.as_str()))
            .filter(queue_ticket::Column::Priority.eq(priority))
            .order_by_asc(queue_ticket::Column::JoinedAt)
            .one(tx)
            .await?
            .map(|t| t.joined_at);
        if let Some(e) = earliest.filter(|e| *e <= original) {
            am.joined_at = Set(e - chrono::Duration::milliseconds(1));
        }
    }
    am.group_id = Set(g.id);
    am.status = Set(TicketStatus::Waiting.as_str().into());
    am.counter_id = Set(None);
    am.called_at = Set(None);
    am.started_at = Set(None);
    let t = am.update(tx).await?;
    event(tx, id, counter, "transfer", at, actor).await?;
    Ok(t.into())
}

/// The tickets a counter has parked.
pub async fn parked_at(db: &impl ConnectionTrait, counter_id: i64) -> Result<Vec<Ticket>> {
    Ok(queue_ticket::Entity::find()
        .filter(queue_ticket::Column::CounterId.eq(counter_id))
        .filter(queue_ticket::Column::Status.eq(TicketStatus::Parked.as_str()))
        .order_by_asc(queue_ticket::Column::CalledAt)
        .all(db)
        .await?
        .into_iter()
        .map(Ticket::from)
        .collect())
}

/// A ticket of a site's day as the console's list of the day shows it: the ticket with its
/// group's code and name and the name of the counter that called it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DayTicket {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub group_code: String,
    pub group_name: String,
    /// The counter that called it (none while it waits).
    pub counter: Option<String>,
}

/// Whole minutes from `from` to `to` (rounded to the nearest); none while either is unknown.
fn minutes_between(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<i64> {
    let secs = (to? - from?).num_seconds();
    Some((secs as f64 / 60.0).round() as i64)
}

impl DayTicket {
    /// The wait: minutes from joining to the (latest) call; none before the call.
    pub fn wait_minutes(&self) -> Option<i64> {
        minutes_between(Some(self.ticket.joined_at), self.ticket.called_at)
    }

    /// The service: minutes from its start to its end; none before it ends (and for a
    /// no-show, whose service never started).
    pub fn service_minutes(&self) -> Option<i64> {
        minutes_between(self.ticket.started_at, self.ticket.finished_at)
    }
}

/// Every ticket of `site` on the district's date `day`, in the order they were taken, with
/// their groups and counters: one query.
pub async fn tickets_of_day(
    db: &impl Exec,
    site: UnitId,
    day: NaiveDate,
) -> Result<Vec<DayTicket>> {
    db.rows(
        concat!(
            "SELECT ",
            ticket_columns!(t),
            ", g.code, g.name, c.name \
             FROM queue_tickets t \
             JOIN queue_groups g ON g.id = t.group_id \
             LEFT JOIN queue_counters c ON c.id = t.counter_id \
             WHERE t.site_id = $1 AND t.day = $2 \
             ORDER BY t.joined_at, t.id"
        ),
        &[site.get().into(), day.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(DayTicket {
            ticket: ticket_of(r)?,
            group_code: r.text(15)?,
            group_name: r.text(16)?,
            counter: r.opt_text(17)?,
        })
    })
    .collect()
}

/// Minutes one service takes when the site has no finished service to go by.
pub const DEFAULT_SERVICE_MINUTES: f64 = 5.0;

/// The estimated wait of a waiting ticket, in minutes, and how many are ahead of it: the
/// tickets ahead, plus its own turn, times the recent mean service time, shared among the
/// open counters that serve its group.
pub async fn estimate_wait(db: &impl ConnectionTrait, t: &Ticket) -> Result<(u64, f64)> {
    let ahead = ahead_of(db, t).await?;
    let site = UnitId(t.site_id);
    let mean = recent_service_minutes(db, site).await?;
    let code = groups(db, site)
        .await?
        .into_iter()
        .find(|g| g.id == t.group_id)
        .map(|g| g.code)
        .unwrap_or_default();
    let serving = counters(db, Some(site))
        .await?
        .iter()
        .filter(|c| c.open && (c.groups.is_empty() || c.groups.contains(&code)))
        .count()
        .max(1);
    let minutes = (ahead as f64 + 1.0) * mean.unwrap_or(DEFAULT_SERVICE_MINUTES) / serving as f64;
    Ok((ahead, minutes))
}

/// Gives a ticket the mobile number its notices go to.
pub async fn set_mobile(
    tx: &impl Exec,
    id: i64,
    mobile: &zhengwu_core::ident::Mobile,
) -> Result<()> {
    let n = tx
        .run(
            "UPDATE queue_tickets SET mobile = $1 WHERE id = $2",
            &[mobile.as_str().into(), id.into()],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("ticket", id));
    }
    Ok(())
}

/// Links a ticket to the appointment whose check-in issued it; its notices go to the
/// appointment's mobile.
pub async fn link_appointment(
    tx: &impl ConnectionTrait,
    id: i64,
    appointment: i64,
    mobile: &str,
) -> Result<()> {
    let m = locked_ticket(tx, id).await?;
    let mut am: queue_ticket::ActiveModel = m.into();
    am.appointment_id = Set(Some(appointment));
    am.mobile = Set(Some(mobile.to_owned()));
    am.update(tx).await?;
    Ok(())
}

/// The secret of a ticket's links (its holder's page, its rating).
pub async fn ticket_token(db: &impl ConnectionTrait, id: i64) -> Result<String> {
    queue_ticket::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|m| m.token)
        .ok_or_else(|| StoreError::not_found("ticket", id))
}

/// Whether `token` is the secret of ticket `id`'s links (compared in constant time).
pub async fn ticket_token_matches(db: &impl ConnectionTrait, id: i64, token: &str) -> Result<bool> {
    Ok(zhengwu_core::secret::same(
        &ticket_token(db, id).await?,
        token,
    ))
}

/// How many are ahead when the "your turn is near" notice goes out.
pub const NEAR_AHEAD: u64 = 3;

/// The notices a call causes, written to the outbox in the call's transaction: "called" to
/// the called ticket, and "your turn is near" to the ticket of its group that now has
/// [`NEAR_AHEAD`] ahead (once per ticket). Tickets without a mobile get none.
pub async fn notify_after_call(
    tx: &impl Exec,
    called: &Ticket,
    counter_name: &str,
    sink: &str,
) -> Result<usize> {
    use crate::notify::{self, NewMessage};
    let mut sent = 0;
    if let Some(mobile) = &called.mobile {
        notify::enqueue(
            tx,
            NewMessage {
                sink: sink.to_owned(),
                topic: "sms.queue_called".into(),
                payload: serde_json::json!({
                    "mobile": mobile,
                    "text": format!("【政务服务】请 {} 号到 {} 办理。", called.number, counter_name),
                    "ticket": called.id,
                }),
            },
        )
        .await?;
        sent += 1;
    }
    let waiting = tx
        .rows(
            "SELECT id, number, mobile, near_notified FROM queue_tickets \
             WHERE group_id = $1 AND status = $2 \
             ORDER BY priority DESC, joined_at ASC, id ASC LIMIT $3",
            &[
                called.group_id.into(),
                TicketStatus::Waiting.as_str().into(),
                i64::try_from(NEAR_AHEAD + 1).unwrap_or(i64::MAX).into(),
            ],
        )
        .await?;
    if let Some(near) = waiting.get(NEAR_AHEAD as usize)
        && !near.bool(3)?
        && let Some(mobile) = near.opt_text(2)?
    {
        let (id, number) = (near.i64(0)?, near.text(1)?);
        notify::enqueue(
            tx,
            NewMessage {
                sink: sink.to_owned(),
                topic: "sms.queue_near".into(),
                payload: serde_json::json!({
                    "mobile": mobile,
                    "text": format!("【政务服务】您的 {number} 号前面还有 {NEAR_AHEAD} 位，请留意叫号。"),
                    "ticket": id,
                }),
            },
        )
        .await?;
        tx.run(
            "UPDATE queue_tickets SET near_notified = $1 WHERE id = $2",
            &[true.into(), id.into()],
        )
        .await?;
        sent += 1;
    }
    Ok(sent)
}

//! Appointments (M1.1 智慧预约办理, M2.5 预约微信号): booking rules per site and item group,
//! availability computed from the site's opening hours and the working-day calendar, booking,
//! cancelling and rescheduling, check-in that issues the queue ticket at once (M1.2 无感排号),
//! no-shows and the block they cause, reminders, and urgent requests (急事急办、特事特办).
//!
//! Capacity is kept by one conditional update: a slot row holds its capacity and the number
//! booked, and a booking adds one only `WHERE booked < capacity`. On PostgreSQL the second of
//! two concurrent updates waits for the first and re-reads the row; on SQLite writers take
//! turns. Either way a slot is never booked past its capacity, by any number of processes.
//! A person's bookings are serialised on their citizen row, so "one active appointment per
//! person per item" holds under concurrency too.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TryIntoModel,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::booking::{
    Arrival, ArrivalWindow, NoShowRule, booking_code, day_slots, local_date_minute, local_instant,
};
use zhengwu_core::catalog::Item;
use zhengwu_core::ident::{Mobile, mask};
use zhengwu_core::ids::UnitId;

use crate::audit::{self, Actor, NewEntry};
use crate::entity::{appointment, booking_rule, booking_slot, citizen, urgent_request};
use crate::notify::{self, NewMessage};
use crate::org::{self, UnitKind};
use crate::queue::{self, Group, PRIORITY_APPOINTMENT, PRIORITY_URGENT, PRIORITY_WALK_IN, Ticket};
use crate::{Result, StoreError};

/// The longest range one availability query may span.
pub const MAX_RANGE_DAYS: i64 = 31;

/// How a site books one of its item groups.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Rule {
    pub site_id: i64,
    pub group_id: i64,
    pub group_code: String,
    #[serde(flatten)]
    pub settings: RuleSettings,
}

impl Rule {
    pub fn arrival_window(&self) -> ArrivalWindow {
        ArrivalWindow {
            early_minutes: i64::from(self.settings.early_minutes),
            late_minutes: i64::from(self.settings.late_minutes),
        }
    }
}

fn rule_from(m: booking_rule::Model, group_code: String) -> Rule {
    Rule {
        site_id: m.site_id,
        group_id: m.group_id,
        group_code,
        settings: RuleSettings {
            slot_minutes: m.slot_minutes,
            capacity: m.capacity,
            horizon_days: m.horizon_days,
            min_notice_minutes: m.min_notice_minutes,
            cancel_cutoff_minutes: m.cancel_cutoff_minutes,
            early_minutes: m.early_minutes,
            late_minutes: m.late_minutes,
        },
    }
}

/// The booking rule of a group; an error naming the group when it takes no bookings.
pub async fn rule_of(db: &impl ConnectionTrait, group: &Group) -> Result<Rule> {
    booking_rule::Entity::find()
        .filter(booking_rule::Column::GroupId.eq(group.id))
        .one(db)
        .await?
        .map(|m| rule_from(m, group.code.clone()))
        .ok_or_else(|| StoreError::invalid("item_group", format!("not_bookable:{}", group.code)))
}

/// The booking rules of a site's groups.
pub async fn rules(db: &impl ConnectionTrait, site: UnitId) -> Result<Vec<Rule>> {
    let groups = queue::groups(db, site).await?;
    let rows = booking_rule::Entity::find()
        .filter(booking_rule::Column::SiteId.eq(site.get()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            let code = groups.iter().find(|g| g.id == m.group_id)?.code.clone();
            Some(rule_from(m, code))
        })
        .collect())
}

/// A rule's settings, as an administrator sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RuleSettings {
    /// Minutes a slot lasts, 5–240.
    pub slot_minutes: i32,
    /// Appointments one slot takes, 1–500.
    pub capacity: i32,
    /// How many days ahead slots open (today is day 0), 1–90.
    pub horizon_days: i32,
    /// A slot must start at least this many minutes after the booking.
    pub min_notice_minutes: i32,
    /// Cancel or reschedule up to this many minutes before the start.
    pub cancel_cutoff_minutes: i32,
    /// Check-in opens this many minutes before the start (0–240) …
    pub early_minutes: i32,
    /// … and keeps the appointment's priority until this many minutes after it (0–240).
    pub late_minutes: i32,
}

impl RuleSettings {
    /// A hall's or a station's defaults: half-hour slots two weeks ahead, booked an hour
    /// ahead at least, cancelled up to two hours before, check-in from 30 minutes before to
    /// 15 minutes after.
    pub fn defaults(capacity: i32) -> Self {
        Self {
            slot_minutes: 30,
            capacity,
            horizon_days: 14,
            min_notice_minutes: 60,
            cancel_cutoff_minutes: 120,
            early_minutes: 30,
            late_minutes: 15,
        }
    }

    fn validate(&self) -> Result<()> {
        let checks: [(&str, i32, i32, i32); 7] = [
            ("slot_minutes", self.slot_minutes, 5, 240),
            ("capacity", self.capacity, 1, 500),
            ("horizon_days", self.horizon_days, 1, 90),
            (
                "min_notice_minutes",
                self.min_notice_minutes,
                0,
                7 * 24 * 60,
            ),
            (
                "cancel_cutoff_minutes",
                self.cancel_cutoff_minutes,
                0,
                7 * 24 * 60,
            ),
            ("early_minutes", self.early_minutes, 0, 240),
            ("late_minutes", self.late_minutes, 0, 240),
        ];
        for (field, v, lo, hi) in checks {
            if !(lo..=hi).contains(&v) {
                return Err(StoreError::invalid(field, format!("range:{lo}-{hi}")));
            }
        }
        Ok(())
    }
}

/// Sets (or creates) the booking rule of a group.
pub async fn set_rule(
    tx: &impl ConnectionTrait,
    group: &Group,
    s: RuleSettings,
    actor: &Actor,
) -> Result<Rule> {
    s.validate()?;
    let existing = booking_rule::Entity::find()
        .filter(booking_rule::Column::GroupId.eq(group.id))
        .one(tx)
        .await?;
    let mut am: booking_rule::ActiveModel = match existing {
        Some(m) => m.into(),
        None => booking_rule::ActiveModel {
            site_id: Set(group.site_id),
            group_id: Set(group.id),
            ..Default::default()
        },
    };
    am.slot_minutes = Set(s.slot_minutes);
    am.capacity = Set(s.capacity);
    am.horizon_days = Set(s.horizon_days);
    am.min_notice_minutes = Set(s.min_notice_minutes);
    am.cancel_cutoff_minutes = Set(s.cancel_cutoff_minutes);
    am.early_minutes = Set(s.early_minutes);
    am.late_minutes = Set(s.late_minutes);
    let m = am.save(tx).await?;
    let m: booking_rule::Model = m.try_into_model()?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "booking.rule",
            record_type: "queue_group",
            record_id: Some(group.id.to_string()),
            summary: json!({"slot_minutes": s.slot_minutes, "capacity": s.capacity, "horizon_days": s.horizon_days}),
        },
    )
    .await?;
    Ok(rule_from(m, group.code.clone()))
}

/// Gives every group of every site a booking rule, once: a hall's comprehensive group six
/// appointments a half hour (the ten comprehensive windows), a department's group two, a
/// station's desk two.
pub async fn seed_rules(tx: &impl ConnectionTrait) -> Result<usize> {
    let groups = crate::entity::queue_group::Entity::find().all(tx).await?;
    let have: Vec<i64> = booking_rule::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|r| r.group_id)
        .collect();
    let units = org::paths(tx).await?;
    let mut made = 0;
    for g in groups.into_iter().filter(|g| !have.contains(&g.id)) {
        if !units.contains_key(&g.site_id) {
            continue;
        }
        let capacity = if g.code == "A" && g.departments == "[]" {
            let site = org::get_unit(tx, UnitId(g.site_id)).await?;
            if site.kind == UnitKind::Hall { 6 } else { 2 }
        } else {
            2
        };
        let s = RuleSettings::defaults(capacity);
        booking_rule::ActiveModel {
            site_id: Set(g.site_id),
            group_id: Set(g.id),
            slot_minutes: Set(s.slot_minutes),
            capacity: Set(s.capacity),
            horizon_days: Set(s.horizon_days),
            min_notice_minutes: Set(s.min_notice_minutes),
            cancel_cutoff_minutes: Set(s.cancel_cutoff_minutes),
            early_minutes: Set(s.early_minutes),
            late_minutes: Set(s.late_minutes),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        made += 1;
    }
    Ok(made)
}

/// Whether `item` is handled at `site`, and the group of the site that takes it: the group of
/// the item's department when the site has one, else the comprehensive group A.
pub async fn group_for_item(
    db: &impl ConnectionTrait,
    site: &org::Unit,
    item: &Item,
) -> Result<Group> {
    let offered = match site.kind {
        UnitKind::Hall => item.halls.contains(&site.code),
        UnitKind::Station => item.stations == "all" || (item.stations == "model" && site.is_model),
        _ => false,
    };
    if !offered {
        return Err(StoreError::invalid(
            "item",
            format!("not_offered_here:{}", item.code),
        ));
    }
    let groups = queue::groups(db, site.id).await?;
    groups
        .iter()
        .find(|g| g.departments.contains(&item.department))
        .or_else(|| groups.iter().find(|g| g.departments.is_empty()))
        .cloned()
        .ok_or_else(|| StoreError::invalid("item", format!("not_offered_here:{}", item.code)))
}

/// A slot as offered.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub booked: i32,
    /// Places left.
    pub available: i32,
}

/// One day of availability.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Day {
    pub date: NaiveDate,
    /// Whether the site opens that day at all.
    pub open: bool,
    /// Why it is closed or special: a holiday's name, an exception's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The slots still bookable (in the future, after the minimum notice).
    pub slots: Vec<Slot>,
}

/// The days from `from` to `to` (inclusive) with their bookable slots, for one group of a site:
/// the site's opening hours on each date (weekly schedule, calendar mode, dated exceptions),
/// cut into slots, without the past, the minimum notice and what lies past the horizon.
pub async fn availability(
    db: &impl ConnectionTrait,
    rule: &Rule,
    calendar: &Calendar,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Day>> {
    if to < from {
        return Err(StoreError::invalid("to", "before_from"));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(StoreError::invalid(
            "to",
            format!("range_too_long:{MAX_RANGE_DAYS}"),
        ));
    }
    let hours = org::site_hours(db, UnitId(rule.site_id)).await?;
    let (today, _) = local_date_minute(now);
    let last = today + Duration::days(i64::from(rule.settings.horizon_days));
    let earliest = now + Duration::minutes(i64::from(rule.settings.min_notice_minutes));
    let booked = booking_slot::Entity::find()
        .filter(booking_slot::Column::GroupId.eq(rule.group_id))
        .filter(booking_slot::Column::StartsAt.gte(local_instant(from, 0)))
        .filter(booking_slot::Column::StartsAt.lt(local_instant(to + Duration::days(1), 0)))
        .all(db)
        .await?;
    let slot_minutes = u16::try_from(rule.settings.slot_minutes).unwrap_or(30);
    let mut days = Vec::new();
    let mut date = from;
    while date <= to {
        let periods = hours.open_on(date, calendar);
        let note = hours
            .exceptions
            .iter()
            .find(|e| e.date == date)
            .and_then(|e| e.note.clone())
            .or_else(|| calendar.special_day(date).map(|(_, name)| name.to_owned()))
            .filter(|n| !n.is_empty());
        let mut slots = Vec::new();
        if date >= today && date <= last {
            for p in day_slots(&periods, slot_minutes) {
                let starts_at = local_instant(date, p.start());
                if starts_at < earliest {
                    continue;
                }
                let row = booked.iter().find(|b| b.starts_at == starts_at);
                let capacity = row.map_or(rule.settings.capacity, |r| r.capacity);
                let n = row.map_or(0, |r| r.booked);
                slots.push(Slot {
                    starts_at,
                    ends_at: local_instant(date, p.end()),
                    capacity,
                    booked: n,
                    available: Ord::max(capacity - n, 0),
                });
            }
        }
        days.push(Day {
            date,
            open: !periods.is_empty(),
            note,
            slots,
        });
        date += Duration::days(1);
    }
    Ok(days)
}

/// Why a time cannot be booked, as a reason code: `past`, `too_soon`, `beyond_horizon`,
/// `closed` (a holiday, a closed day or outside the hours), `not_a_slot_start`.
async fn check_slot(
    db: &impl ConnectionTrait,
    rule: &Rule,
    calendar: &Calendar,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let bad = |reason: &str| StoreError::invalid("starts_at", reason.to_owned());
    if starts_at <= now {
        return Err(bad("past"));
    }
    if starts_at < now + Duration::minutes(i64::from(rule.settings.min_notice_minutes)) {
        return Err(bad(&format!(
            "too_soon:{}",
            rule.settings.min_notice_minutes
        )));
    }
    let (date, minute) = local_date_minute(starts_at);
    let (today, _) = local_date_minute(now);
    if date > today + Duration::days(i64::from(rule.settings.horizon_days)) {
        return Err(bad(&format!(
            "beyond_horizon:{}",
            rule.settings.horizon_days
        )));
    }
    let hours = org::site_hours(db, UnitId(rule.site_id)).await?;
    let periods = hours.open_on(date, calendar);
    if periods.is_empty() {
        return Err(bad("closed"));
    }
    let slot_minutes = u16::try_from(rule.settings.slot_minutes).unwrap_or(30);
    let slots = day_slots(&periods, slot_minutes);
    match slots.iter().find(|s| s.start() == minute) {
        Some(s) if local_instant(date, s.start()) == starts_at => Ok(local_instant(date, s.end())),
        _ if periods
            .iter()
            .any(|p| p.start() <= minute && minute < p.end()) =>
        {
            Err(bad("not_a_slot_start"))
        }
        _ => Err(bad("closed")),
    }
}

/// An appointment's state.
pub const BOOKED: &str = "booked";
pub const CANCELLED: &str = "cancelled";
pub const CHECKED_IN: &str = "checked_in";
pub const NO_SHOW: &str = "no_show";

/// How an appointment was made.
pub const CHANNELS: [&str; 5] = ["web", "messaging", "phone", "kiosk", "urgent"];

/// An appointment, as its holder and staff see it (the mobile masked).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Appointment {
    pub id: i64,
    /// The short booking code: said on the phone, sent in a chat message, typed at the kiosk.
    pub code: String,
    pub citizen_id: i64,
    pub site_id: i64,
    pub group_id: i64,
    pub item_code: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `booked`, `cancelled`, `checked_in` or `no_show`.
    pub status: String,
    /// `web`, `messaging`, `phone`, `kiosk` or `urgent`.
    pub channel: String,
    /// `138****5678`.
    pub mobile: String,
    /// Accepted as an urgent matter, outside the slots.
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    /// The queue ticket check-in issued.
    pub ticket_id: Option<i64>,
}

impl From<appointment::Model> for Appointment {
    fn from(m: appointment::Model) -> Self {
        Self {
            id: m.id,
            code: m.code,
            citizen_id: m.citizen_id,
            site_id: m.site_id,
            group_id: m.group_id,
            item_code: m.item_code,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            status: m.status,
            channel: m.channel,
            mobile: mask(&m.mobile, 3, 4),
            urgent: m.urgent,
            created_at: m.created_at,
            checked_in_at: m.checked_in_at,
            ticket_id: m.ticket_id,
        }
    }
}

/// An appointment and the secret of its confirmation link (only its holder is given it).
#[derive(Debug, Clone, PartialEq)]
pub struct Booked {
    pub appointment: Appointment,
    pub link_token: String,
}

/// What one booking asks for.
#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub citizen_id: i64,
    pub site: UnitId,
    pub item_code: String,
    pub starts_at: DateTime<Utc>,
    /// Where the notices go; the citizen's own mobile when `None`.
    pub mobile: Option<Mobile>,
    pub channel: String,
}

/// Where a message goes and how links in it start.
#[derive(Debug, Clone)]
pub struct Notices<'a> {
    /// The outbox sink (`webhook` or `log`).
    pub sink: &'a str,
    /// The site's public address, for links in messages (`https://zw.example.gov.cn`).
    pub base_url: &'a str,
}

async fn locked_citizen(tx: &impl ConnectionTrait, id: i64) -> Result<citizen::Model> {
    crate::db::for_update(
        citizen::Entity::find_by_id(id),
        tx.get_database_backend(),
        false,
    )
    .one(tx)
    .await?
    .ok_or_else(|| StoreError::not_found("citizen", id))
}

/// Until when a citizen may not book (no-shows), or `None`.
pub async fn blocked_until(
    db: &impl ConnectionTrait,
    citizen_id: i64,
    rule: &NoShowRule,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let shows: Vec<DateTime<Utc>> = appointment::Entity::find()
        .filter(appointment::Column::CitizenId.eq(citizen_id))
        .filter(appointment::Column::Status.eq(NO_SHOW))
        .filter(appointment::Column::StartsAt.gte(now - rule.lookback()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.starts_at)
        .collect();
    Ok(rule.blocked_until(&shows, now))
}

/// Takes one place of the slot starting at `starts_at`; `false` when it is full.
async fn take_place(
    tx: &impl ConnectionTrait,
    rule: &Rule,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<Option<i64>> {
    booking_slot::Entity::insert(booking_slot::ActiveModel {
        site_id: Set(rule.site_id),
        group_id: Set(rule.group_id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        capacity: Set(rule.settings.capacity),
        booked: Set(0),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            booking_slot::Column::GroupId,
            booking_slot::Column::StartsAt,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(tx)
    .await?;
    let slot = booking_slot::Entity::find()
        .filter(booking_slot::Column::GroupId.eq(rule.group_id))
        .filter(booking_slot::Column::StartsAt.eq(starts_at))
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("slot", starts_at))?;
    let done = booking_slot::Entity::update_many()
        .col_expr(
            booking_slot::Column::Booked,
            Expr::col(booking_slot::Column::Booked).add(1),
        )
        .filter(booking_slot::Column::Id.eq(slot.id))
        .filter(
            Expr::col(booking_slot::Column::Booked).lt(Expr::col(booking_slot::Column::Capacity)),
        )
        .exec(tx)
        .await?;
    Ok((done.rows_affected == 1).then_some(slot.id))
}

/// Gives a place back to its slot.
async fn free_place(tx: &impl ConnectionTrait, slot_id: Option<i64>) -> Result<()> {
    if let Some(id) = slot_id {
        booking_slot::Entity::update_many()
            .col_expr(
                booking_slot::Column::Booked,
                Expr::col(booking_slot::Column::Booked).sub(1),
            )
            .filter(booking_slot::Column::Id.eq(id))
            .filter(booking_slot::Column::Booked.gt(0))
            .exec(tx)
            .await?;
    }
    Ok(())
}

async fn new_code(tx: &impl ConnectionTrait) -> Result<String> {
    loop {
        let code = booking_code().map_err(|e| StoreError::invalid("code", e.to_string()))?;
        let taken = appointment::Entity::find()
            .filter(appointment::Column::Code.eq(&code))
            .count(tx)
            .await?;
        if taken == 0 {
            return Ok(code);
        }
    }
}

/// `2026年12月01日 09:30`, the district's time.
pub fn fmt_local(at: DateTime<Utc>) -> String {
    at.with_timezone(&zhengwu_core::calendar::district_offset())
        .format("%Y年%m月%d日 %H:%M")
        .to_string()
}

async fn sms(
    tx: &impl ConnectionTrait,
    n: &Notices<'_>,
    topic: &str,
    mobile: &str,
    text: String,
    id: i64,
) -> Result<()> {
    notify::enqueue(
        tx,
        NewMessage {
            sink: n.sink.to_owned(),
            topic: topic.to_owned(),
            payload: json!({"mobile": mobile, "text": text, "appointment": id}),
        },
    )
    .await?;
    Ok(())
}

/// The link that manages an appointment without signing in.
pub fn manage_link(base_url: &str, code: &str, token: &str) -> String {
    format!(
        "{}/appointments/{code}?t={token}",
        base_url.trim_end_matches('/')
    )
}

/// Books an appointment: the person may book (no block for no-shows, no other active
/// appointment for the item), the item is handled at the site, the time is a slot start in the
/// hours and the horizon, and the slot has a place. Confirms by SMS through the outbox with
/// the booking code and the managing link; audited.
#[allow(clippy::too_many_arguments)]
pub async fn book(
    tx: &impl ConnectionTrait,
    new: NewAppointment,
    item: &Item,
    calendar: &Calendar,
    no_show: &NoShowRule,
    now: DateTime<Utc>,
    actor: &Actor,
    notices: &Notices<'_>,
) -> Result<Booked> {
    if !CHANNELS.contains(&new.channel.as_str()) || new.channel == "urgent" {
        return Err(StoreError::invalid(
            "channel",
            format!("unknown:{}", new.channel),
        ));
    }
    if !item.bookable {
        return Err(StoreError::invalid(
            "item",
            format!("not_bookable:{}", item.code),
        ));
    }
    let site = org::get_unit(tx, new.site).await?;
    let group = group_for_item(tx, &site, item).await?;
    let rule = rule_of(tx, &group).await?;
    let person = locked_citizen(tx, new.citizen_id).await?;
    if let Some(until) = blocked_until(tx, person.id, no_show, now).await? {
        return Err(StoreError::invalid(
            "booking",
            format!("blocked_until:{}", fmt_local(until)),
        ));
    }
    let active = appointment::Entity::find()
        .filter(appointment::Column::CitizenId.eq(person.id))
        .filter(appointment::Column::ItemCode.eq(&item.code))
        .filter(appointment::Column::Status.eq(BOOKED))
        .one(tx)
        .await?;
    if let Some(a) = active {
        return Err(StoreError::invalid(
            "item",
            format!("already_booked:{}", a.code),
        ));
    }
    let ends_at = check_slot(tx, &rule, calendar, new.starts_at, now).await?;
    let slot_id = take_place(tx, &rule, new.starts_at, ends_at)
        .await?
        .ok_or_else(|| StoreError::invalid("starts_at", "full"))?;
    let mobile = new
        .mobile
        .map(|m| m.as_str().to_owned())
        .unwrap_or(person.mobile.clone());
    let m = insert_appointment(
        tx,
        Row {
            citizen_id: person.id,
            site_id: site.id.get(),
            group_id: group.id,
            item_code: &item.code,
            slot_id: Some(slot_id),
            starts_at: new.starts_at,
            ends_at,
            channel: &new.channel,
            mobile: &mobile,
            urgent: false,
        },
        now,
        actor,
    )
    .await?;
    let (code, token) = (m.code.clone(), m.link_token.clone());
    sms(
        tx,
        notices,
        "sms.booking_confirmed",
        &mobile,
        format!(
            "【政务服务】预约成功：{} {} 办理“{}”，预约码 {code}。到厅刷身份证或输入预约码即取号，无需排队取号。查看或取消：{}",
            fmt_local(new.starts_at),
            site.name,
            item.name,
            manage_link(notices.base_url, &code, &token)
        ),
        m.id,
    )
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appointment.book",
            record_type: "appointment",
            record_id: Some(m.id.to_string()),
            summary: json!({"code": code, "site": site.code, "item": item.code, "starts_at": new.starts_at, "channel": new.channel}),
        },
    )
    .await?;
    Ok(Booked {
        appointment: m.into(),
        link_token: token,
    })
}

/// What an appointment row is made of.
struct Row<'a> {
    citizen_id: i64,
    site_id: i64,
    group_id: i64,
    item_code: &'a str,
    slot_id: Option<i64>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    channel: &'a str,
    mobile: &'a str,
    urgent: bool,
}

/// Inserts a booked appointment with a new code and link secret; a reminder whose moment has
/// passed already is not sent.
async fn insert_appointment(
    tx: &impl ConnectionTrait,
    r: Row<'_>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<appointment::Model> {
    let code = new_code(tx).await?;
    let token = zhengwu_core::secret::random_hex(16)
        .map_err(|e| StoreError::invalid("code", e.to_string()))?;
    let to_start = r.starts_at - now;
    Ok(appointment::ActiveModel {
        code: Set(code),
        link_token: Set(token),
        citizen_id: Set(r.citizen_id),
        site_id: Set(r.site_id),
        group_id: Set(r.group_id),
        item_code: Set(r.item_code.to_owned()),
        slot_id: Set(r.slot_id),
        starts_at: Set(r.starts_at),
        ends_at: Set(r.ends_at),
        status: Set(BOOKED.into()),
        channel: Set(r.channel.to_owned()),
        mobile: Set(r.mobile.to_owned()),
        urgent: Set(r.urgent),
        created_at: Set(now),
        created_by: Set(actor.label.chars().take(100).collect()),
        updated_at: Set(now),
        checked_in_at: Set(None),
        ticket_id: Set(None),
        reminded_day: Set(to_start <= Duration::hours(24)),
        reminded_hour: Set(to_start <= Duration::hours(1)),
        ..Default::default()
    }
    .insert(tx)
    .await?)
}

async fn locked(tx: &impl ConnectionTrait, id: i64) -> Result<appointment::Model> {
    crate::db::for_update(
        appointment::Entity::find_by_id(id),
        tx.get_database_backend(),
        false,
    )
    .one(tx)
    .await?
    .ok_or_else(|| StoreError::not_found("appointment", id))
}

fn must_be_booked(m: &appointment::Model) -> Result<()> {
    if m.status == BOOKED {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "appointment",
            format!("not_booked:{}", m.status),
        ))
    }
}

async fn rule_for_appointment(tx: &impl ConnectionTrait, m: &appointment::Model) -> Result<Rule> {
    let group = queue::groups(tx, UnitId(m.site_id))
        .await?
        .into_iter()
        .find(|g| g.id == m.group_id)
        .ok_or_else(|| StoreError::not_found("queue_group", m.group_id))?;
    rule_of(tx, &group).await
}

fn before_cutoff(rule: &Rule, m: &appointment::Model, now: DateTime<Utc>) -> Result<()> {
    let cutoff = m.starts_at - Duration::minutes(i64::from(rule.settings.cancel_cutoff_minutes));
    if now > cutoff {
        return Err(StoreError::invalid(
            "appointment",
            format!("past_cutoff:{}", rule.settings.cancel_cutoff_minutes),
        ));
    }
    Ok(())
}

/// Cancels a booked appointment up to the cut-off (staff may cancel later); the place goes
/// back to the slot.
pub async fn cancel(
    tx: &impl ConnectionTrait,
    id: i64,
    by_staff: bool,
    now: DateTime<Utc>,
    actor: &Actor,
    notices: &Notices<'_>,
) -> Result<Appointment> {
    let m = locked(tx, id).await?;
    must_be_booked(&m)?;
    if !by_staff && !m.urgent {
        before_cutoff(&rule_for_appointment(tx, &m).await?, &m, now)?;
    }
    free_place(tx, m.slot_id).await?;
    let mobile = m.mobile.clone();
    let mut am: appointment::ActiveModel = m.clone().into();
    am.status = Set(CANCELLED.into());
    am.updated_at = Set(now);
    let m = am.update(tx).await?;
    sms(
        tx,
        notices,
        "sms.booking_cancelled",
        &mobile,
        format!(
            "【政务服务】您 {} 的预约（预约码 {}）已取消。",
            fmt_local(m.starts_at),
            m.code
        ),
        m.id,
    )
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appointment.cancel",
            record_type: "appointment",
            record_id: Some(id.to_string()),
            summary: json!({"code": m.code}),
        },
    )
    .await?;
    Ok(m.into())
}

/// Moves a booked appointment to another slot of the same group, up to the cut-off: the new
/// place is taken before the old one is given back, so a full slot leaves it as it was.
#[allow(clippy::too_many_arguments)]
pub async fn reschedule(
    tx: &impl ConnectionTrait,
    id: i64,
    starts_at: DateTime<Utc>,
    by_staff: bool,
    calendar: &Calendar,
    now: DateTime<Utc>,
    actor: &Actor,
    notices: &Notices<'_>,
) -> Result<Appointment> {
    let m = locked(tx, id).await?;
    must_be_booked(&m)?;
    if m.urgent {
        return Err(StoreError::invalid("appointment", "urgent_fixed"));
    }
    let rule = rule_for_appointment(tx, &m).await?;
    if !by_staff {
        before_cutoff(&rule, &m, now)?;
    }
    if starts_at == m.starts_at {
        return Ok(m.into());
    }
    let ends_at = check_slot(tx, &rule, calendar, starts_at, now).await?;
    let slot_id = take_place(tx, &rule, starts_at, ends_at)
        .await?
        .ok_or_else(|| StoreError::invalid("starts_at", "full"))?;
    free_place(tx, m.slot_id).await?;
    let old = m.starts_at;
    let to_start = starts_at - now;
    let mut am: appointment::ActiveModel = m.into();
    am.slot_id = Set(Some(slot_id));
    am.starts_at = Set(starts_at);
    am.ends_at = Set(ends_at);
    am.updated_at = Set(now);
    am.reminded_day = Set(to_start <= Duration::hours(24));
    am.reminded_hour = Set(to_start <= Duration::hours(1));
    let m = am.update(tx).await?;
    sms(
        tx,
        notices,
        "sms.booking_moved",
        &m.mobile,
        format!(
            "【政务服务】您的预约（预约码 {}）已改到 {}。",
            m.code,
            fmt_local(starts_at)
        ),
        m.id,
    )
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appointment.reschedule",
            record_type: "appointment",
            record_id: Some(id.to_string()),
            summary: json!({"code": m.code, "from": old, "to": starts_at}),
        },
    )
    .await?;
    Ok(m.into())
}

/// One appointment.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Appointment> {
    appointment::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Appointment::from)
        .ok_or_else(|| StoreError::not_found("appointment", id))
}

/// An appointment by its code, with its link secret (for checking a link).
pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> Result<(Appointment, String)> {
    appointment::Entity::find()
        .filter(appointment::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|m| {
            let t = m.link_token.clone();
            (Appointment::from(m), t)
        })
        .ok_or_else(|| StoreError::not_found("appointment", code))
}

/// Whether `token` is the link secret of appointment `id` (compared in constant time).
pub async fn link_matches(db: &impl ConnectionTrait, id: i64, token: &str) -> Result<bool> {
    let Some(m) = appointment::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    Ok(zhengwu_core::secret::same(&m.link_token, token))
}

/// A citizen's appointments, newest first.
pub async fn of_citizen(db: &impl ConnectionTrait, citizen_id: i64) -> Result<Vec<Appointment>> {
    Ok(appointment::Entity::find()
        .filter(appointment::Column::CitizenId.eq(citizen_id))
        .order_by_desc(appointment::Column::StartsAt)
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(Appointment::from)
        .collect())
}

/// A site's appointments on a date, by time.
pub async fn of_site_on(
    db: &impl ConnectionTrait,
    site: UnitId,
    date: NaiveDate,
) -> Result<Vec<Appointment>> {
    Ok(appointment::Entity::find()
        .filter(appointment::Column::SiteId.eq(site.get()))
        .filter(appointment::Column::StartsAt.gte(local_instant(date, 0)))
        .filter(appointment::Column::StartsAt.lt(local_instant(date + Duration::days(1), 0)))
        .order_by_asc(appointment::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(Appointment::from)
        .collect())
}

/// The appointment a citizen (by ID number) holds at a site today, for check-in by reading the
/// ID card; the earliest booked one when there are several.
pub async fn todays_for_id_number(
    db: &impl ConnectionTrait,
    site: UnitId,
    id_number: &zhengwu_core::ident::IdNumber,
    now: DateTime<Utc>,
) -> Result<Option<Appointment>> {
    let Some(person) = citizen::Entity::find()
        .filter(citizen::Column::IdNumber.eq(id_number.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let (today, _) = local_date_minute(now);
    let rows = appointment::Entity::find()
        .filter(appointment::Column::CitizenId.eq(person.id))
        .filter(appointment::Column::SiteId.eq(site.get()))
        .filter(appointment::Column::StartsAt.gte(local_instant(today, 0)))
        .filter(appointment::Column::StartsAt.lt(local_instant(today + Duration::days(1), 0)))
        .order_by_asc(appointment::Column::StartsAt)
        .all(db)
        .await?;
    // A booked one first; else the one already checked in (so "twice" is reported as such).
    Ok(rows
        .iter()
        .find(|a| a.status == BOOKED)
        .or_else(|| rows.iter().find(|a| a.status == CHECKED_IN))
        .cloned()
        .map(Appointment::from))
}

/// How a check-in went.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CheckIn {
    pub appointment: Appointment,
    pub ticket: Ticket,
    /// `on_time` (the appointment's priority) or `late` (joined the walk-in queue).
    pub arrival: String,
}

/// Checks an appointment holder in and issues the ticket at once: within the arrival window
/// with the appointment's priority (urgent matters above), after it as a walk-in; before the
/// window, on another day, twice, or for a cancelled appointment, refused with the reason.
pub async fn check_in(
    tx: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<CheckIn> {
    let m = locked(tx, id).await?;
    if m.status == CHECKED_IN {
        let number = match m.ticket_id {
            Some(t) => queue::ticket(tx, t).await?.number,
            None => String::new(),
        };
        return Err(StoreError::invalid(
            "appointment",
            format!("already_checked_in:{number}"),
        ));
    }
    must_be_booked(&m)?;
    let rule = rule_for_appointment(tx, &m).await?;
    let arrival = rule.arrival_window().judge(now, m.starts_at);
    let priority = match arrival {
        Arrival::TooEarly { opens } => {
            return Err(StoreError::invalid(
                "appointment",
                format!("too_early:{}", fmt_local(opens)),
            ));
        }
        Arrival::OtherDay => {
            return Err(StoreError::invalid(
                "appointment",
                format!("not_today:{}", fmt_local(m.starts_at)),
            ));
        }
        Arrival::OnTime if m.urgent => PRIORITY_URGENT,
        Arrival::OnTime => PRIORITY_APPOINTMENT,
        Arrival::Late => PRIORITY_WALK_IN,
    };
    let ticket = queue::issue(
        tx,
        UnitId(m.site_id),
        &rule.group_code,
        priority,
        now,
        &actor.label,
    )
    .await?;
    queue::link_appointment(tx, ticket.id, m.id, &m.mobile).await?;
    let mut am: appointment::ActiveModel = m.clone().into();
    am.status = Set(CHECKED_IN.into());
    am.checked_in_at = Set(Some(now));
    am.ticket_id = Set(Some(ticket.id));
    am.updated_at = Set(now);
    let m = am.update(tx).await?;
    let arrival = if matches!(arrival, Arrival::Late) {
        "late"
    } else {
        "on_time"
    };
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appointment.check_in",
            record_type: "appointment",
            record_id: Some(id.to_string()),
            summary: json!({"code": m.code, "ticket": ticket.number, "arrival": arrival}),
        },
    )
    .await?;
    Ok(CheckIn {
        appointment: m.into(),
        ticket: queue::ticket(tx, ticket.id).await?,
        arrival: arrival.into(),
    })
}

/// Marks as no-shows the booked appointments whose arrival window closed without a check-in;
/// returns how many.
pub async fn mark_no_shows(tx: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<usize> {
    let overdue = appointment::Entity::find()
        .filter(appointment::Column::Status.eq(BOOKED))
        .filter(appointment::Column::StartsAt.lt(now))
        .all(tx)
        .await?;
    let mut n = 0;
    let mut rules: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for m in overdue {
        let late = match rules.get(&m.group_id) {
            Some(l) => *l,
            None => {
                let l = rule_for_appointment(tx, &m)
                    .await
                    .map(|r| i64::from(r.settings.late_minutes))
                    .unwrap_or(15);
                rules.insert(m.group_id, l);
                l
            }
        };
        if m.starts_at + Duration::minutes(late) >= now {
            continue;
        }
        let done = appointment::Entity::update_many()
            .col_expr(appointment::Column::Status, Expr::value(NO_SHOW))
            .col_expr(appointment::Column::UpdatedAt, Expr::value(now))
            .filter(appointment::Column::Id.eq(m.id))
            .filter(appointment::Column::Status.eq(BOOKED))
            .exec(tx)
            .await?;
        n += done.rows_affected as usize;
    }
    Ok(n)
}

/// Sends the reminders that are due — the day before (24 hours ahead) and one hour before —
/// each once, through the outbox; returns how many.
pub async fn send_reminders(
    tx: &impl ConnectionTrait,
    now: DateTime<Utc>,
    notices: &Notices<'_>,
) -> Result<usize> {
    let mut sent = 0;
    for (hours, column, topic) in [
        (
            24,
            appointment::Column::RemindedDay,
            "sms.booking_reminder_day",
        ),
        (
            1,
            appointment::Column::RemindedHour,
            "sms.booking_reminder_hour",
        ),
    ] {
        let due = appointment::Entity::find()
            .filter(appointment::Column::Status.eq(BOOKED))
            .filter(column.eq(false))
            .filter(appointment::Column::StartsAt.gt(now))
            .filter(appointment::Column::StartsAt.lte(now + Duration::hours(hours)))
            .limit(500)
            .all(tx)
            .await?;
        for m in due {
            // Claimed by the update, so two processes never send the same reminder.
            let claimed = appointment::Entity::update_many()
                .col_expr(column, Expr::value(true))
                .filter(appointment::Column::Id.eq(m.id))
                .filter(column.eq(false))
                .exec(tx)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let site = org::get_unit(tx, UnitId(m.site_id)).await?;
            sms(
                tx,
                notices,
                topic,
                &m.mobile,
                format!(
                    "【政务服务】提醒：您预约了 {} 在 {} 办事，预约码 {}。请带好身份证，到厅刷证即取号。",
                    fmt_local(m.starts_at),
                    site.name,
                    m.code
                ),
                m.id,
            )
            .await?;
            sent += 1;
        }
    }
    Ok(sent)
}

/// An urgent request's state.
pub const PENDING: &str = "pending";
pub const ACCEPTED: &str = "accepted";
pub const DECLINED: &str = "declined";

/// An urgent request (急事急办、特事特办): outside the slots, for staff of the site to accept
/// (with a time) or decline (with the reason).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UrgentRequest {
    pub id: i64,
    pub citizen_id: i64,
    pub site_id: i64,
    pub item_code: String,
    pub reason: String,
    /// `138****5678`.
    pub mobile: String,
    /// `pending`, `accepted` or `declined`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    /// The reply: the reason of a refusal, or a note with the acceptance.
    pub decision: Option<String>,
    pub appointment_id: Option<i64>,
}

impl From<urgent_request::Model> for UrgentRequest {
    fn from(m: urgent_request::Model) -> Self {
        Self {
            id: m.id,
            citizen_id: m.citizen_id,
            site_id: m.site_id,
            item_code: m.item_code,
            reason: m.reason,
            mobile: mask(&m.mobile, 3, 4),
            status: m.status,
            created_at: m.created_at,
            decided_at: m.decided_at,
            decided_by: m.decided_by,
            decision: m.decision,
            appointment_id: m.appointment_id,
        }
    }
}

/// Files an urgent request for an item at a site.
#[allow(clippy::too_many_arguments)]
pub async fn request_urgent(
    tx: &impl ConnectionTrait,
    citizen_id: i64,
    site: UnitId,
    item: &Item,
    reason: &str,
    mobile: Option<&Mobile>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<UrgentRequest> {
    let reason = reason.trim();
    if reason.chars().count() < 4 || reason.chars().count() > 500 {
        return Err(StoreError::invalid("reason", "length:4-500"));
    }
    let unit = org::get_unit(tx, site).await?;
    group_for_item(tx, &unit, item).await?;
    let person = locked_citizen(tx, citizen_id).await?;
    let pending = urgent_request::Entity::find()
        .filter(urgent_request::Column::CitizenId.eq(person.id))
        .filter(urgent_request::Column::ItemCode.eq(&item.code))
        .filter(urgent_request::Column::Status.eq(PENDING))
        .count(tx)
        .await?;
    if pending > 0 {
        return Err(StoreError::invalid("item", "urgent_pending"));
    }
    let m = urgent_request::ActiveModel {
        citizen_id: Set(person.id),
        site_id: Set(site.get()),
        item_code: Set(item.code.clone()),
        reason: Set(reason.to_owned()),
        mobile: Set(mobile.map_or(person.mobile.clone(), |m| m.as_str().to_owned())),
        status: Set(PENDING.into()),
        created_at: Set(now),
        decided_at: Set(None),
        decided_by: Set(None),
        decision: Set(None),
        appointment_id: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "urgent.request",
            record_type: "urgent_request",
            record_id: Some(m.id.to_string()),
            summary: json!({"site": unit.code, "item": item.code}),
        },
    )
    .await?;
    Ok(m.into())
}

/// One urgent request.
pub async fn urgent(db: &impl ConnectionTrait, id: i64) -> Result<UrgentRequest> {
    urgent_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(UrgentRequest::from)
        .ok_or_else(|| StoreError::not_found("urgent_request", id))
}

/// Urgent requests of some sites (all when `sites` is `None`), pending first, newest first.
pub async fn urgent_list(
    db: &impl ConnectionTrait,
    sites: Option<&[i64]>,
    status: Option<&str>,
) -> Result<Vec<UrgentRequest>> {
    let mut q = urgent_request::Entity::find();
    if let Some(s) = sites {
        q = q.filter(urgent_request::Column::SiteId.is_in(s.iter().copied()));
    }
    if let Some(st) = status {
        q = q.filter(urgent_request::Column::Status.eq(st));
    }
    Ok(q.order_by_desc(urgent_request::Column::CreatedAt)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(UrgentRequest::from)
        .collect())
}

/// A citizen's urgent requests, newest first.
pub async fn urgent_of_citizen(
    db: &impl ConnectionTrait,
    citizen_id: i64,
) -> Result<Vec<UrgentRequest>> {
    Ok(urgent_request::Entity::find()
        .filter(urgent_request::Column::CitizenId.eq(citizen_id))
        .order_by_desc(urgent_request::Column::CreatedAt)
        .limit(50)
        .all(db)
        .await?
        .into_iter()
        .map(UrgentRequest::from)
        .collect())
}

/// Staff's answer to an urgent request.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Come at this time (outside the slots; no capacity is taken); checked in, the ticket is
    /// called before every other class.
    Accept { at: DateTime<Utc>, note: String },
    /// Refused, with the reason told to the person.
    Decline { reason: String },
}

/// Accepts or declines a pending urgent request; the person is told by SMS.
pub async fn decide_urgent(
    tx: &impl ConnectionTrait,
    id: i64,
    decision: Decision,
    now: DateTime<Utc>,
    actor: &Actor,
    notices: &Notices<'_>,
) -> Result<UrgentRequest> {
    let q = urgent_request::Entity::find_by_id(id);
    let m = crate::db::for_update(q, tx.get_database_backend(), false)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("urgent_request", id))?;
    if m.status != PENDING {
        return Err(StoreError::invalid(
            "urgent_request",
            format!("decided:{}", m.status),
        ));
    }
    let site = org::get_unit(tx, UnitId(m.site_id)).await?;
    let mut am: urgent_request::ActiveModel = m.clone().into();
    am.decided_at = Set(Some(now));
    am.decided_by = Set(Some(actor.label.chars().take(100).collect()));
    match decision {
        Decision::Accept { at, note } => {
            if at < now - Duration::minutes(5) || at > now + Duration::days(30) {
                return Err(StoreError::invalid("at", "range:now-30d"));
            }
            let item = crate::catalog::published_item(tx, &m.item_code).await?;
            let group = group_for_item(tx, &site, &item).await?;
            let a = insert_appointment(
                tx,
                Row {
                    citizen_id: m.citizen_id,
                    site_id: m.site_id,
                    group_id: group.id,
                    item_code: &m.item_code,
                    slot_id: None,
                    starts_at: at,
                    ends_at: at + Duration::minutes(30),
                    channel: "urgent",
                    mobile: &m.mobile,
                    urgent: true,
                },
                now,
                actor,
            )
            .await?;
            let (code, token) = (a.code.clone(), a.link_token.clone());
            let note = note.trim().chars().take(500).collect::<String>();
            sms(
                tx,
                notices,
                "sms.urgent_accepted",
                &m.mobile,
                format!(
                    "【政务服务】您的急事申请已受理：请于 {} 到 {} 办理“{}”，预约码 {code}，到厅优先办理。{}查看：{}",
                    fmt_local(at),
                    site.name,
                    item.name,
                    if note.is_empty() { String::new() } else { format!("{note}。") },
                    manage_link(notices.base_url, &code, &token)
                ),
                a.id,
            )
            .await?;
            am.status = Set(ACCEPTED.into());
            am.decision = Set((!note.is_empty()).then_some(note));
            am.appointment_id = Set(Some(a.id));
        }
        Decision::Decline { reason } => {
            let reason = reason.trim().chars().take(500).collect::<String>();
            if reason.chars().count() < 2 {
                return Err(StoreError::invalid("reason", "length:2-500"));
            }
            sms(
                tx,
                notices,
                "sms.urgent_declined",
                &m.mobile,
                format!(
                    "【政务服务】您的急事申请未能受理：{reason}。可预约或到 {} 现场办理，咨询请拨 12345。",
                    site.name
                ),
                m.id,
            )
            .await?;
            am.status = Set(DECLINED.into());
            am.decision = Set(Some(reason));
        }
    }
    let r = am.update(tx).await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "urgent.decide",
            record_type: "urgent_request",
            record_id: Some(id.to_string()),
            summary: json!({"status": r.status, "appointment": r.appointment_id}),
        },
    )
    .await?;
    Ok(r.into())
}

/// Empties the bookings (the demo's reset).
pub async fn clear(tx: &impl ConnectionTrait) -> Result<()> {
    urgent_request::Entity::delete_many().exec(tx).await?;
    appointment::Entity::delete_many().exec(tx).await?;
    booking_slot::Entity::delete_many().exec(tx).await?;
    booking_rule::Entity::delete_many().exec(tx).await?;
    Ok(())
}

//! Citizen appeals (12345, M4.1, M4.4, M4.5): the topic tree, the knowledge base for instant
//! answers, intake from every channel (the hotline, the portal, staff registering an appeal
//! found elsewhere — 主动认领), answering a consultation on the spot (即时响应), dispatch to a
//! lead unit and co-units (联应联办), signing for (签收), returning (退单), co-units'
//! contributions, the lead's reply, and the return visit (回访) that closes or reopens it. Every
//! step is an event; deadlines are working days on the calendar.
//!
//! The states and their moves are `zhengwu_core::appeal::transition`; this module persists what
//! it returns and refuses what it refuses. The supervisor's and dispatcher's further tools live
//! in the submodules: extensions of the deadline, merging and splitting, stars, dispose-first
//! orders and their ledger, listed supervision of frequent topics, look-back checks, and the
//! public view used by Open311.

pub mod admin;
pub mod attachments;
pub mod disposal;
pub mod extensions;
pub mod lookback;
pub mod public;
pub mod routing;
pub mod supervision;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::appeal::{self as rules, Event, Kind, Part, PartEvent, Role, Status};
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::ident::{Mobile, mask};
use zhengwu_core::ids::UnitId;

use crate::audit::{self, Actor, NewEntry};
use crate::entity::{
    appeal, appeal_assignment, appeal_attachment, appeal_check, appeal_disposal, appeal_event,
    appeal_extension, appeal_knowledge, appeal_route, appeal_topic, supervision_note,
    topic_supervision,
};
use crate::{Result, StoreError};

/// The longest content accepted (a caller's account, typed by an operator or on the portal).
pub const MAX_CONTENT: usize = 5000;

/// Channels an appeal comes in by.
pub const CHANNELS: [&str; 6] = ["hotline", "web", "app", "open311", "claimed", "other"];

/// A topic of the classification tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Topic {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// 1, 2 or 3 (a leaf).
    pub level: i16,
    /// The default lead unit's code (leaves).
    pub lead: Option<String>,
    /// The default co-units' codes (leaves).
    pub co: Vec<String>,
    /// The usual kind (leaves).
    pub kind: Option<String>,
    /// Words callers use for it.
    pub words: Vec<String>,
}

fn topic_view(m: appeal_topic::Model) -> Topic {
    Topic {
        code: m.code,
        name: m.name,
        parent_code: m.parent_code,
        level: m.level,
        lead: m.lead_code,
        co: serde_json::from_str(&m.co_codes).unwrap_or_default(),
        kind: m.kind,
        words: serde_json::from_str(&m.words).unwrap_or_default(),
    }
}

/// Every topic, by code (parents before their children).
pub async fn topics(db: &impl ConnectionTrait) -> Result<Vec<Topic>> {
    Ok(appeal_topic::Entity::find()
        .order_by_asc(appeal_topic::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(topic_view)
        .collect())
}

/// One topic.
pub async fn topic(db: &impl ConnectionTrait, code: &str) -> Result<Option<Topic>> {
    Ok(appeal_topic::Entity::find()
        .filter(appeal_topic::Column::Code.eq(code))
        .one(db)
        .await?
        .map(topic_view))
}

/// Replaces the topic tree and the knowledge base (the demo's load).
pub async fn load_topics(
    tx: &impl ConnectionTrait,
    topics: &[Topic],
    knowledge: &[KnowledgeEntry],
) -> Result<(usize, usize)> {
    appeal_route::Entity::delete_many().exec(tx).await?;
    appeal_knowledge::Entity::delete_many().exec(tx).await?;
    appeal_topic::Entity::delete_many().exec(tx).await?;
    for t in topics {
        appeal_topic::ActiveModel {
            code: Set(t.code.clone()),
            name: Set(t.name.clone()),
            parent_code: Set(t.parent_code.clone()),
            level: Set(t.level),
            lead_code: Set(t.lead.clone()),
            co_codes: Set(serde_json::to_string(&t.co).unwrap_or_else(|_| "[]".into())),
            kind: Set(t.kind.clone()),
            words: Set(serde_json::to_string(&t.words).unwrap_or_else(|_| "[]".into())),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    for k in knowledge {
        appeal_knowledge::ActiveModel {
            question: Set(k.question.clone()),
            answer: Set(k.answer.clone()),
            topic_code: Set(k.topic.clone()),
            words: Set(serde_json::to_string(&k.words).unwrap_or_else(|_| "[]".into())),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    Ok((topics.len(), knowledge.len()))
}

/// A knowledge-base entry: a question as callers ask it and the answer given on the spot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KnowledgeEntry {
    /// 0 for an entry not stored yet.
    #[serde(default)]
    pub id: i64,
    pub question: String,
    pub answer: String,
    /// The topic leaf it belongs to.
    pub topic: String,
    pub words: Vec<String>,
}

fn knowledge_view(m: appeal_knowledge::Model) -> KnowledgeEntry {
    KnowledgeEntry {
        id: m.id,
        words: serde_json::from_str(&m.words).unwrap_or_default(),
        question: m.question,
        answer: m.answer,
        topic: m.topic_code,
    }
}

/// The knowledge-base entries whose question or words share the most with `text`, best first
/// (the operator's instant answers; the catalog's guidance is asked separately).
pub async fn knowledge_for(
    db: &impl ConnectionTrait,
    text: &str,
    limit: usize,
) -> Result<Vec<KnowledgeEntry>> {
    let rows = appeal_knowledge::Entity::find().all(db).await?;
    let grams = |s: &str| -> std::collections::HashSet<(char, char)> {
        let cs: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        cs.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let asked = grams(text);
    let mut scored: Vec<(usize, KnowledgeEntry)> = rows
        .into_iter()
        .map(|m| {
            let k = knowledge_view(m);
            let mut score = grams(&k.question).intersection(&asked).count();
            score += k.words.iter().filter(|w| text.contains(w.as_str())).count() * 3;
            (score, k)
        })
        .filter(|(s, _)| *s >= 2)
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    Ok(scored.into_iter().take(limit).map(|(_, k)| k).collect())
}

/// An appeal as staff see it (the caller's mobile masked).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Appeal {
    pub id: i64,
    /// The number the caller is given (`20261128-000123`).
    pub number: String,
    pub channel: String,
    /// `consult`, `help`, `complaint`, `report` or `suggestion`.
    pub kind: String,
    pub topic: String,
    pub content: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub caller_name: Option<String>,
    /// `138****5678`; `None` for an anonymous caller.
    pub caller_mobile: Option<String>,
    pub urgent: bool,
    /// Where a claimed appeal was found (媒体, 来访, 来信 …).
    pub source: Option<String>,
    /// `registered`, `returned`, `dispatched`, `in_hand`, `replied` or `closed`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// The working-day deadline of the whole appeal.
    pub due_on: NaiveDate,
    /// The instant answer, for a consultation closed at intake.
    pub answer: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub resolved: Option<bool>,
    /// The caller's satisfaction at the return visit, 1–5 (GB/T 39734 levels).
    pub satisfaction: Option<i16>,
    /// `a***@example.com`, when the caller left an e-mail address (Open311).
    pub caller_email: Option<String>,
    /// A photo or document the caller linked (Open311 `media_url`).
    pub media_url: Option<String>,
    /// The master appeal this duplicate was merged into.
    pub merged_into: Option<i64>,
    /// The appeal this one was split from.
    pub split_from: Option<i64>,
    /// The supervisor's stars for the unit's handling (创先争星), 1–5.
    pub stars: Option<i16>,
    pub star_note: Option<String>,
}

/// `a***@example.com`: the first character of the local part and the domain.
pub fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

impl From<appeal::Model> for Appeal {
    fn from(m: appeal::Model) -> Self {
        Self {
            id: m.id,
            number: m.number,
            channel: m.channel,
            kind: m.kind,
            topic: m.topic_code,
            content: m.content,
            address: m.address,
            lat: m.lat,
            lon: m.lon,
            caller_name: m.caller_name,
            caller_mobile: m.caller_mobile.map(|x| mask(&x, 3, 4)),
            urgent: m.urgent,
            source: m.source,
            status: m.status,
            created_at: m.created_at,
            due_on: m.due_on,
            answer: m.answer,
            reply: m.reply,
            replied_at: m.replied_at,
            closed_at: m.closed_at,
            resolved: m.resolved,
            satisfaction: m.satisfaction,
            caller_email: m.caller_email.as_deref().map(mask_email),
            media_url: m.media_url,
            merged_into: m.merged_into,
            split_from: m.split_from,
            stars: m.stars,
            star_note: m.star_note,
        }
    }
}

/// A unit's assignment.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Assignment {
    pub id: i64,
    pub unit_id: i64,
    /// `lead` or `co`.
    pub role: String,
    /// `pending`, `signed`, `done` or `withdrawn`.
    pub part: String,
    pub assigned_at: DateTime<Utc>,
    pub sign_due_on: NaiveDate,
    pub signed_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The co-unit's contribution, or the reason of a return.
    pub note: Option<String>,
}

impl From<appeal_assignment::Model> for Assignment {
    fn from(m: appeal_assignment::Model) -> Self {
        Self {
            id: m.id,
            unit_id: m.unit_id,
            role: m.role,
            part: m.part,
            assigned_at: m.assigned_at,
            sign_due_on: m.sign_due_on,
            signed_at: m.signed_at,
            finished_at: m.finished_at,
            note: m.note,
        }
    }
}

/// A step in an appeal's history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AppealEvent {
    pub kind: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub unit_id: Option<i64>,
    pub note: Option<String>,
}

/// An appeal with its assignments and history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AppealDetail {
    #[serde(flatten)]
    pub appeal: Appeal,
    pub assignments: Vec<Assignment>,
    pub events: Vec<AppealEvent>,
    /// Photos and scans the caller attached.
    pub attachments: Vec<attachments::Attachment>,
}

/// What intake takes.
#[derive(Debug, Clone)]
pub struct NewAppeal {
    pub channel: String,
    pub kind: Kind,
    pub topic: String,
    pub content: String,
    pub address: Option<String>,
    pub location: Option<(f64, f64)>,
    pub caller_name: Option<String>,
    pub caller_mobile: Option<Mobile>,
    pub urgent: bool,
    /// Where a claimed appeal was found (required for the `claimed` channel).
    pub source: Option<String>,
    /// An e-mail address to answer (Open311 callers).
    pub caller_email: Option<String>,
    /// A link to a photo or document (Open311 `media_url`): http or https, ≤ 1,000 characters.
    pub media_url: Option<String>,
    /// The token an Open311 client may look the request up by.
    pub open311_token: Option<String>,
}

impl NewAppeal {
    /// An appeal by `channel` with nothing but what every appeal has; the rest is set by the
    /// caller of this function.
    pub fn new(channel: &str, kind: Kind, topic: &str, content: &str) -> Self {
        Self {
            channel: channel.to_owned(),
            kind,
            topic: topic.to_owned(),
            content: content.to_owned(),
            address: None,
            location: None,
            caller_name: None,
            caller_mobile: None,
            urgent: false,
            source: None,
            caller_email: None,
            media_url: None,
            open311_token: None,
        }
    }
}

/// An e-mail address as callers type it: one `@`, a dot in the domain, no spaces, ≤ 254.
fn check_email(e: &str) -> Result<String> {
    let e = e.trim();
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && !d.contains('@')
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
        });
    if ok {
        Ok(e.to_owned())
    } else {
        Err(StoreError::invalid("email", "email"))
    }
}

/// A link as callers give it: http or https, ≤ 1,000 characters, no spaces.
fn check_url(field: &str, u: &str) -> Result<String> {
    let u = u.trim();
    let ok = u.len() <= 1000
        && (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() > "https://".len()
        && !u.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(u.to_owned())
    } else {
        Err(StoreError::invalid(field, "url"))
    }
}

/// The district's bounding box: coordinates outside it are refused.
pub const DISTRICT_BOUNDS: ((f64, f64), (f64, f64)) = ((38.70, 121.25), (39.05, 121.75));

async fn event(
    tx: &impl ConnectionTrait,
    appeal_id: i64,
    kind: &str,
    at: DateTime<Utc>,
    actor: &Actor,
    unit: Option<i64>,
    note: Option<&str>,
) -> Result<()> {
    appeal_event::ActiveModel {
        appeal_id: Set(appeal_id),
        kind: Set(kind.to_owned()),
        at: Set(at),
        actor: Set(actor.label.chars().take(100).collect()),
        unit_id: Set(unit),
        note: Set(note.map(str::to_owned)),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(())
}

fn check_text(field: &str, s: &str, min: usize, max: usize) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(StoreError::invalid(field, format!("length:{min}-{max}")));
    }
    Ok(t.to_owned())
}

/// Takes an appeal in: validated (content 1–5,000 characters, a known topic leaf, coordinates
/// inside the district, a source for a claimed one), numbered `YYYYMMDD-NNNNNN`, its deadline
/// counted in working days from today.
pub async fn intake(
    tx: &impl ConnectionTrait,
    new: NewAppeal,
    calendar: &Calendar,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Appeal> {
    if !CHANNELS.contains(&new.channel.as_str()) {
        return Err(StoreError::invalid(
            "channel",
            format!("unknown:{}", new.channel),
        ));
    }
    let content = check_text("content", &new.content, 1, MAX_CONTENT)?;
    let topic = topic(tx, &new.topic)
        .await?
        .filter(|t| t.level == 3)
        .ok_or_else(|| StoreError::invalid("topic", format!("unknown:{}", new.topic)))?;
    if let Some((lat, lon)) = new.location {
        let ((s, w), (n, e)) = DISTRICT_BOUNDS;
        if !(s..=n).contains(&lat) || !(w..=e).contains(&lon) {
            return Err(StoreError::invalid("lat", "outside_district"));
        }
    }
    let source = match new
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => Some(check_text("source", s, 1, 100)?),
        None if new.channel == "claimed" => {
            return Err(StoreError::invalid("source", "required"));
        }
        None => None,
    };
    let caller_email = match new.caller_email.as_deref().map(str::trim) {
        Some(e) if !e.is_empty() => Some(check_email(e)?),
        _ => None,
    };
    let media_url = match new.media_url.as_deref().map(str::trim) {
        Some(u) if !u.is_empty() => Some(check_url("media_url", u)?),
        _ => None,
    };
    let address = match new
        .address
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(a) => Some(check_text("address", a, 1, 200)?),
        None => None,
    };
    let caller_name = match new
        .caller_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(a) => Some(check_text("caller_name", a, 1, 50)?),
        None => None,
    };
    let (today, _) = local_date_minute(now);
    // The day's next number below the block of generated appeals (900001 on).
    let prefix = today.format("%Y%m%d-").to_string();
    let last = appeal::Entity::find()
        .filter(appeal::Column::Number.starts_with(&prefix))
        .filter(appeal::Column::Number.lt(format!("{prefix}900000")))
        .order_by_desc(appeal::Column::Number)
        .one(tx)
        .await?
        .and_then(|a| a.number[prefix.len()..].parse::<u64>().ok())
        .unwrap_or(0);
    let seq = last + 1;
    let number = format!("{}-{seq:06}", today.format("%Y%m%d"));
    let m = appeal::ActiveModel {
        number: Set(number),
        channel: Set(new.channel.clone()),
        kind: Set(new.kind.as_str().into()),
        topic_code: Set(topic.code.clone()),
        content: Set(content),
        address: Set(address),
        lat: Set(new.location.map(|l| l.0)),
        lon: Set(new.location.map(|l| l.1)),
        caller_name: Set(caller_name),
        caller_mobile: Set(new.caller_mobile.map(|m| m.as_str().to_owned())),
        urgent: Set(new.urgent),
        source: Set(source),
        status: Set(Status::Registered.as_str().into()),
        created_at: Set(now),
        created_by: Set(actor.label.chars().take(100).collect()),
        due_on: Set(calendar.add_working_days(today, admin::limits(tx).await?.for_kind(new.kind))),
        answer: Set(None),
        reply: Set(None),
        replied_at: Set(None),
        closed_at: Set(None),
        resolved: Set(None),
        satisfaction: Set(None),
        updated_at: Set(now),
        caller_email: Set(caller_email),
        media_url: Set(media_url),
        open311_token: Set(new.open311_token.clone()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    event(tx, m.id, "intake", now, actor, None, None).await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal.intake",
            record_type: "appeal",
            record_id: Some(m.id.to_string()),
            summary: json!({"number": m.number, "channel": m.channel, "topic": m.topic_code}),
        },
    )
    .await?;
    Ok(m.into())
}

async fn locked(tx: &impl ConnectionTrait, id: i64) -> Result<appeal::Model> {
    crate::db::for_update(
        appeal::Entity::find_by_id(id),
        tx.get_database_backend(),
        false,
    )
    .one(tx)
    .await?
    .ok_or_else(|| StoreError::not_found("appeal", id))
}

/// Moves an appeal by `event`, or refuses with the state it is in.
fn moved(m: &appeal::Model, e: Event) -> Result<Status> {
    let from = Status::parse(&m.status).unwrap_or(Status::Registered);
    rules::transition(from, e)
        .map_err(|err| StoreError::invalid("appeal", format!("not_now:{}", err.from.as_str())))
}

async fn set_status(
    tx: &impl ConnectionTrait,
    m: appeal::Model,
    to: Status,
    now: DateTime<Utc>,
    edit: impl FnOnce(&mut appeal::ActiveModel),
) -> Result<appeal::Model> {
    let mut am: appeal::ActiveModel = m.into();
    am.status = Set(to.as_str().into());
    am.updated_at = Set(now);
    edit(&mut am);
    Ok(am.update(tx).await?)
}

/// Closes a consultation at intake with the answer given on the spot (即时响应).
pub async fn answer_at_intake(
    tx: &impl ConnectionTrait,
    id: i64,
    answer: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Appeal> {
    let answer = check_text("answer", answer, 2, 2000)?;
    let m = locked(tx, id).await?;
    let to = moved(&m, Event::AnswerAtIntake)?;
    let m = set_status(tx, m, to, now, |am| {
        am.answer = Set(Some(answer.clone()));
        am.closed_at = Set(Some(now));
    })
    .await?;
    event(tx, id, "answer_at_intake", now, actor, None, Some(&answer)).await?;
    Ok(m.into())
}

/// Assigns an appeal to a lead unit and co-units (a first dispatch, or a reassignment after a
/// return): the units' earlier open parts are withdrawn; each new part must be signed within
/// one working day.
#[allow(clippy::too_many_arguments)]
pub async fn dispatch(
    tx: &impl ConnectionTrait,
    id: i64,
    lead: UnitId,
    co: &[UnitId],
    calendar: &Calendar,
    note: Option<&str>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Appeal> {
    if co.contains(&lead) {
        return Err(StoreError::invalid("co", "lead_also_co"));
    }
    for u in std::iter::once(&lead).chain(co) {
        handling_unit(tx, *u, "lead").await?;
    }
    let m = locked(tx, id).await?;
    let to = moved(&m, Event::Dispatch)?;
    // Open parts of an earlier assignment are withdrawn.
    for a in parts(tx, id).await? {
        if Part::parse(&a.part).is_some_and(Part::is_working) {
            let mut am: appeal_assignment::ActiveModel = a.into();
            am.part = Set(Part::Withdrawn.as_str().into());
            am.update(tx).await?;
        }
    }
    let (today, _) = local_date_minute(now);
    let sign_due = calendar.add_working_days(today, admin::limits(tx).await?.sign);
    for (u, role) in std::iter::once((lead, Role::Lead)).chain(co.iter().map(|c| (*c, Role::Co))) {
        appeal_assignment::ActiveModel {
            appeal_id: Set(id),
            unit_id: Set(u.get()),
            role: Set(role.as_str().into()),
            part: Set(Part::Pending.as_str().into()),
            assigned_at: Set(now),
            sign_due_on: Set(sign_due),
            signed_at: Set(None),
            finished_at: Set(None),
            note: Set(None),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    let m = set_status(tx, m, to, now, |_| {}).await?;
    event(tx, id, "dispatch", now, actor, Some(lead.get()), note).await?;
    Ok(m.into())
}

/// A unit that handles appeals (a department, a sub-district or a community), or a refusal
/// naming `field`.
async fn handling_unit(
    tx: &impl ConnectionTrait,
    u: UnitId,
    field: &str,
) -> Result<crate::org::Unit> {
    let unit = crate::org::get_unit(tx, u)
        .await
        .map_err(|_| StoreError::invalid(field, format!("unknown_unit:{u}")))?;
    if !matches!(
        unit.kind,
        crate::org::UnitKind::Department
            | crate::org::UnitKind::Subdistrict
            | crate::org::UnitKind::Community
    ) {
        return Err(StoreError::invalid(
            field,
            format!("not_a_handling_unit:{}", unit.code),
        ));
    }
    Ok(unit)
}

async fn parts(tx: &impl ConnectionTrait, id: i64) -> Result<Vec<appeal_assignment::Model>> {
    Ok(appeal_assignment::Entity::find()
        .filter(appeal_assignment::Column::AppealId.eq(id))
        .order_by_asc(appeal_assignment::Column::Id)
        .all(tx)
        .await?)
}

/// The unit's open (or, for `done`, finished) part of an appeal.
async fn part_of(
    tx: &impl ConnectionTrait,
    id: i64,
    unit: UnitId,
) -> Result<appeal_assignment::Model> {
    parts(tx, id)
        .await?
        .into_iter()
        .rev()
        .find(|a| a.unit_id == unit.get() && a.part != Part::Withdrawn.as_str())
        .ok_or_else(|| StoreError::invalid("unit", "not_assigned"))
}

/// The appeal (locked) and `unit`'s part in it, which must play `role` when one is named.
async fn appeal_and_part(
    tx: &impl ConnectionTrait,
    id: i64,
    unit: UnitId,
    role: Option<Role>,
) -> Result<(appeal::Model, appeal_assignment::Model)> {
    let m = locked(tx, id).await?;
    let a = part_of(tx, id, unit).await?;
    match role {
        Some(Role::Lead) if a.role != Role::Lead.as_str() => {
            Err(StoreError::invalid("unit", "not_lead"))
        }
        Some(Role::Co) if a.role != Role::Co.as_str() => Err(StoreError::invalid("unit", "not_co")),
        _ => Ok((m, a)),
    }
}

async fn move_part(
    tx: &impl ConnectionTrait,
    a: appeal_assignment::Model,
    e: PartEvent,
    now: DateTime<Utc>,
    note: Option<String>,
) -> Result<appeal_assignment::Model> {
    let from = Part::parse(&a.part).unwrap_or(Part::Pending);
    let to = rules::part_transition(from, e)
        .ok_or_else(|| StoreError::invalid("unit", format!("part_not_now:{}", from.as_str())))?;
    let mut am: appeal_assignment::ActiveModel = a.into();
    am.part = Set(to.as_str().into());
    match e {
        PartEvent::Sign => am.signed_at = Set(Some(now)),
        PartEvent::Finish => am.finished_at = Set(Some(now)),
        PartEvent::Withdraw | PartEvent::Reopen => {}
    }
    if note.is_some() {
        am.note = Set(note);
    }
    Ok(am.update(tx).await?)
}

/// A unit signs for its part (签收); the lead's signature puts the appeal in hand.
pub async fn sign(
    tx: &impl ConnectionTrait,
    id: i64,
    unit: UnitId,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Appeal> {
    let (m, a) = appeal_and_part(tx, id, unit, None).await?;
    let lead = a.role == Role::Lead.as_str();
    let to = if lead {
        Some(moved(&m, Event::Sign)?)
    } else {
        None
    };
    move_part(tx, a, PartEvent::Sign, now, None).await?;
    let m = match to {
        Some(to) => set_status(tx, m, to, now, |_| {}).await?,
        None => m,
    };
    event(tx, id, "sign", now, actor, Some(unit.get()), None).await?;
    Ok(m.into())
}

/// The lead unit returns the appeal to the dispatcher with its reason (退单: not our area, not
/// our duty, crossing duties); every open part is withdrawn.
pub async fn return_to_dispatcher(
    tx: &impl ConnectionTrait,
    id: i64,
    unit: UnitId,
    reason: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Appeal> {
    let reason = check_text("reason", reason, 2, 500)?;
    let (m, a) = appeal_and_part(tx, id, unit, Some(Role::Lead)).await?;
    let to = moved(&m, Event::Return)?;
    for p in parts(tx, id).await? {
        if Part::parse(&p.part).is_some_and(Part::is_working) {
            let note = (p.id == a.id).then(|| reason.clone());
            move_part(tx, p, PartEvent::Withdraw, now, note).await?;
        }
    }
    let m = set_status(tx, m, to, now, |_| {}).await?;
    event(
        tx,
        id,
        "return",
        now,
        actor,
        Some(unit.get()),
        Some(&reason),
    )
    .await?;
    Ok(m.into())
}

/// A co-unit hands in its part (after signing).
pub async fn contribute(
    tx: &impl ConnectionTrait,
    id: i64,
    unit: UnitId,
    text: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Appeal> {
    let text = check_text("note", text, 2, 2000)?;
    let (m, a) = appeal_and_part(tx, id, unit, Some(Role::Co)).await?;
    move_part(tx, a, PartEvent::Finish, now, Some(text.clone())).await?;
    event(
        tx,
        id,
        "contribute",
        now,
        actor,
        Some(unit.get()),
        Some(&text),
    )
    .await?;
    Ok(m.into())
}

/// The lead unit replies with the result, once every co-unit has handed in its part; the reply
/// goes to the caller by SMS through the outbox.
pub async fn reply(
    tx: &impl ConnectionTrait,
    id: i64,
    unit: UnitId,
    text: &str,
    now: DateTime<Utc>,
    actor: &Actor,
    sink: &str,
) -> Result<Appeal> {
    let text = check_text("reply", text, 2, 2000)?;
    let (m, a) = appeal_and_part(tx, id, unit, Some(Role::Lead)).await?;
    let to = moved(&m, Event::Reply)?;
    let working = parts(tx, id)
        .await?
        .into_iter()
        .filter(|p| {
            p.role == Role::Co.as_str() && Part::parse(&p.part).is_some_and(Part::is_working)
        })
        .count();
    if working > 0 {
        return Err(StoreError::invalid(
            "appeal",
            format!("co_units_working:{working}"),
        ));
    }
    move_part(tx, a, PartEvent::Finish, now, None).await?;
    // The caller, and every caller of a duplicate merged into this appeal.
    let mut mobiles: Vec<String> = m.caller_mobile.iter().cloned().collect();
    for d in appeal::Entity::find()
        .filter(appeal::Column::MergedInto.eq(id))
        .all(tx)
        .await?
    {
        if let Some(x) = d.caller_mobile
            && !mobiles.contains(&x)
        {
            mobiles.push(x);
        }
    }
    let number = m.number.clone();
    let m = set_status(tx, m, to, now, |am| {
        am.reply = Set(Some(text.clone()));
        am.replied_at = Set(Some(now));
    })
    .await?;
    for mobile in mobiles {
        crate::notify::enqueue(
            tx,
            crate::notify::NewMessage {
                sink: sink.to_owned(),
                topic: "sms.appeal_reply".into(),
                payload: json!({
                    "mobile": mobile,
                    "text": format!("【12345】您的诉求（编号 {number}）已办理：{}", text.chars().take(200).collect::<String>()),
                    "appeal": id,
                }),
            },
        )
        .await?;
    }
    event(tx, id, "reply", now, actor, Some(unit.get()), Some(&text)).await?;
    Ok(m.into())
}

/// The return visit (回访): resolved and satisfied closes the appeal; otherwise it goes back to
/// the lead unit (reopened).
pub async fn visit(
    tx: &impl ConnectionTrait,
    id: i64,
    resolved: bool,
    satisfaction: zhengwu_core::booking::RatingLevel,
    note: Option<&str>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Appeal> {
    let m = locked(tx, id).await?;
    let satisfied = !satisfaction.is_bad();
    let to = moved(
        &m,
        Event::Visit {
            resolved,
            satisfied,
        },
    )?;
    if to == Status::InHand {
        let lead = parts(tx, id)
            .await?
            .into_iter()
            .rev()
            .find(|p| p.role == Role::Lead.as_str() && p.part == Part::Done.as_str());
        if let Some(l) = lead {
            move_part(tx, l, PartEvent::Reopen, now, None).await?;
        }
    }
    let level = i16::from(satisfaction.get());
    let m = set_status(tx, m, to, now, |am| {
        am.resolved = Set(Some(resolved));
        am.satisfaction = Set(Some(level));
        if to == Status::Closed {
            am.closed_at = Set(Some(now));
        }
    })
    .await?;
    let kind = if to == Status::Closed {
        "visit_closed"
    } else {
        "visit_reopened"
    };
    event(tx, id, kind, now, actor, None, note).await?;
    Ok(m.into())
}

/// Merges a duplicate into a master appeal that is still open: the duplicate is closed as
/// merged, its units' open parts are withdrawn, and its caller is answered with the master's
/// reply.
pub async fn merge(
    tx: &impl ConnectionTrait,
    id: i64,
    master: i64,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Appeal> {
    if id == master {
        return Err(StoreError::invalid("master", "same"));
    }
    let mm = locked(tx, master).await?;
    if !Status::parse(&mm.status).is_some_and(Status::is_open) {
        return Err(StoreError::invalid(
            "master",
            format!("not_open:{}", mm.status),
        ));
    }
    let m = locked(tx, id).await?;
    let to = moved(&m, Event::Merge)?;
    for p in parts(tx, id).await? {
        if Part::parse(&p.part).is_some_and(Part::is_working) {
            move_part(tx, p, PartEvent::Withdraw, now, None).await?;
        }
    }
    // Duplicates merged into this one follow it to the master.
    for d in appeal::Entity::find()
        .filter(appeal::Column::MergedInto.eq(id))
        .all(tx)
        .await?
    {
        let mut am: appeal::ActiveModel = d.into();
        am.merged_into = Set(Some(master));
        am.update(tx).await?;
    }
    let number = m.number.clone();
    let m = set_status(tx, m, to, now, |am| {
        am.merged_into = Set(Some(master));
        am.closed_at = Set(Some(now));
    })
    .await?;
    event(tx, id, "merged", now, actor, None, Some(&mm.number)).await?;
    event(tx, master, "merged_in", now, actor, None, Some(&number)).await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal.merge",
            record_type: "appeal",
            record_id: Some(id.to_string()),
            summary: json!({"master": master}),
        },
    )
    .await?;
    Ok(m.into())
}

/// One part of an appeal being split: its own kind, topic and words.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SplitPart {
    /// `consult`, `help`, `complaint`, `report` or `suggestion`.
    pub kind: String,
    /// A topic leaf's code.
    pub topic: String,
    /// 1–5,000 characters.
    pub content: String,
}

/// Splits matters out of an open appeal into new appeals (1–5) with the same caller, channel
/// and place; each new one is numbered and handled on its own, and remembers where it came
/// from. The original goes on with what is left.
pub async fn split(
    tx: &impl ConnectionTrait,
    id: i64,
    new_parts: &[SplitPart],
    calendar: &Calendar,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Vec<Appeal>> {
    if new_parts.is_empty() || new_parts.len() > 5 {
        return Err(StoreError::invalid("parts", "range:1-5"));
    }
    let m = locked(tx, id).await?;
    if !Status::parse(&m.status).is_some_and(Status::is_open) {
        return Err(StoreError::invalid(
            "appeal",
            format!("not_now:{}", m.status),
        ));
    }
    let mut out = Vec::with_capacity(new_parts.len());
    for p in new_parts {
        let kind = Kind::parse(&p.kind)
            .ok_or_else(|| StoreError::invalid("kind", format!("unknown:{}", p.kind)))?;
        let new = NewAppeal {
            address: m.address.clone(),
            location: m.lat.zip(m.lon),
            caller_name: m.caller_name.clone(),
            caller_mobile: m
                .caller_mobile
                .as_deref()
                .and_then(|x| Mobile::parse(x).ok()),
            urgent: m.urgent,
            source: m.source.clone(),
            caller_email: m.caller_email.clone(),
            media_url: m.media_url.clone(),
            ..NewAppeal::new(&m.channel, kind, &p.topic, &p.content)
        };
        let a = intake(tx, new, calendar, now, actor).await?;
        let child = appeal::Entity::find_by_id(a.id)
            .one(tx)
            .await?
            .ok_or_else(|| StoreError::not_found("appeal", a.id))?;
        let mut am: appeal::ActiveModel = child.into();
        am.split_from = Set(Some(id));
        let child = am.update(tx).await?;
        event(
            tx,
            child.id,
            "split_from",
            now,
            actor,
            None,
            Some(&m.number),
        )
        .await?;
        event(tx, id, "split", now, actor, None, Some(&child.number)).await?;
        out.push(child.into());
    }
    Ok(out)
}

/// One appeal with its assignments and history.
pub async fn detail(db: &impl ConnectionTrait, id: i64) -> Result<AppealDetail> {
    let m = appeal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("appeal", id))?;
    let assignments = parts(db, id)
        .await?
        .into_iter()
        .map(Assignment::from)
        .collect();
    let events = appeal_event::Entity::find()
        .filter(appeal_event::Column::AppealId.eq(id))
        .order_by_asc(appeal_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| AppealEvent {
            kind: e.kind,
            at: e.at,
            actor: e.actor,
            unit_id: e.unit_id,
            note: e.note,
        })
        .collect();
    Ok(AppealDetail {
        appeal: m.into(),
        assignments,
        events,
        attachments: attachments::list(db, id).await?,
    })
}

/// An appeal by the number its caller was given.
pub async fn by_number(db: &impl ConnectionTrait, number: &str) -> Result<Appeal> {
    appeal::Entity::find()
        .filter(appeal::Column::Number.eq(number))
        .one(db)
        .await?
        .map(Appeal::from)
        .ok_or_else(|| StoreError::not_found("appeal", number))
}

/// What a list of appeals is filtered by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<Status>,
    /// Appeals with an open (or any, when `open_parts` is false) part of these units.
    pub units: Option<Vec<i64>>,
    pub open_parts: bool,
    pub limit: u64,
}

/// Appeals, newest first.
pub async fn list(db: &impl ConnectionTrait, f: &Filter) -> Result<Vec<Appeal>> {
    let mut q = appeal::Entity::find();
    if let Some(s) = f.status {
        q = q.filter(appeal::Column::Status.eq(s.as_str()));
    }
    if let Some(units) = &f.units {
        let mut aq = appeal_assignment::Entity::find()
            .filter(appeal_assignment::Column::UnitId.is_in(units.iter().copied()));
        if f.open_parts {
            aq = aq.filter(
                appeal_assignment::Column::Part
                    .is_in([Part::Pending.as_str(), Part::Signed.as_str()]),
            );
        }
        let ids: Vec<i64> = aq.all(db).await?.into_iter().map(|a| a.appeal_id).collect();
        q = q.filter(appeal::Column::Id.is_in(ids));
    }
    Ok(q.order_by_desc(appeal::Column::Id)
        .limit(f.limit.clamp(1, 500))
        .all(db)
        .await?
        .into_iter()
        .map(Appeal::from)
        .collect())
}

/// Empties the appeals (the demo's reset; the topics and the knowledge base are reloaded).
pub async fn clear(tx: &impl ConnectionTrait) -> Result<()> {
    supervision_note::Entity::delete_many().exec(tx).await?;
    topic_supervision::Entity::delete_many().exec(tx).await?;
    appeal_check::Entity::delete_many().exec(tx).await?;
    appeal_disposal::Entity::delete_many().exec(tx).await?;
    appeal_extension::Entity::delete_many().exec(tx).await?;
    appeal_attachment::Entity::delete_many().exec(tx).await?;
    appeal_event::Entity::delete_many().exec(tx).await?;
    appeal_assignment::Entity::delete_many().exec(tx).await?;
    appeal::Entity::delete_many().exec(tx).await?;
    Ok(())
}

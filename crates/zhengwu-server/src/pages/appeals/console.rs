//! The staff's side: the hotline operator's intake with instant answers
//! (`/console/appeals/intake`), the dispatcher's lists (`/console/appeals`), one appeal with its
//! actions by state and role (`/console/appeals/{id}`), and a unit handler's open appeals
//! (`/console/appeals/mine`).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::appeal::{Kind, Part, Status};
use zhengwu_core::booking::RatingLevel;
use zhengwu_core::ids::UnitId;
use zhengwu_store::appeals::{self, Appeal, AppealDetail, Filter, KnowledgeEntry, NewAppeal};

use super::super::booking::when;
use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::portal::{kinds, mobile_of, opt};
use super::{
    Deadline, HandlingUnits, TopicGroup, Topics, deadline, excerpt, inline, status_of, today,
};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::appeals::take_in;
use crate::http::appeals::{DISPATCH, HANDLERS, READ_ALL, handled_units, may_read};
use crate::i18n::Lang;
use crate::startup::AppState;

/// Staff only: anyone else goes to the login page.
fn staff_or_login(caller: &Caller) -> Option<Response> {
    (!matches!(caller, Caller::Staff(_) | Caller::Token(_)))
        .then(|| Redirect::to("/console/login").into_response())
}

fn notice_of(q: Option<String>) -> Option<String> {
    q.map(|n| n.chars().take(160).collect())
}

// ---------------------------------------------------------------- intake

/// What the operator typed, kept across "find answers" and refusals.
#[derive(Debug, Default, Deserialize)]
pub(super) struct IntakeForm {
    #[serde(default)]
    csrf: String,
    /// `find`, `save` or `answer`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    caller_name: String,
    #[serde(default)]
    caller_mobile: String,
    #[serde(default)]
    urgent: Option<String>,
    /// A knowledge-base answer chosen.
    #[serde(default)]
    pick: String,
    /// An answer typed by the operator (wins over `pick`).
    #[serde(default)]
    answer: String,
    #[serde(default)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "console_appeal_intake.html")]
struct IntakePage {
    frame: Frame,
    w: Words,
    csrf: String,
    channels: Vec<(&'static str, String)>,
    kinds: Vec<(&'static str, String)>,
    topics: Vec<TopicGroup>,
    form: IntakeForm,
    asked: bool,
    answers: Vec<KnowledgeEntry>,
    notice: Option<String>,
    error: Option<String>,
}

const STAFF_CHANNELS: [&str; 4] = ["hotline", "claimed", "app", "other"];

async fn intake_view(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    mut form: IntakeForm,
    asked: bool,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let topics = Topics::load(state).await?;
    let answers = if asked && !form.content.trim().is_empty() {
        let text: String = form.content.chars().take(appeals::MAX_CONTENT).collect();
        appeals::knowledge_for(state.db.conn(), &text, 5).await?
    } else {
        Vec::new()
    };
    if form.channel.is_empty() {
        form.channel = "hotline".into();
    }
    let page = IntakePage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        channels: STAFF_CHANNELS
            .iter()
            .map(|c| (*c, w.l(format!("appeal.channel.{c}"))))
            .collect(),
        kinds: kinds(&w),
        topics: topics.groups(),
        notice: notice_of(form.notice.take()),
        form,
        asked,
        answers,
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The hotline operator's intake form.
pub(super) async fn intake_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<IntakeForm>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(DISPATCH)?;
    let form = IntakeForm {
        notice: q.notice,
        ..Default::default()
    };
    intake_view(&state, &headers, &uri, form, false, None).await
}

/// Finds answers for the typed text, takes the appeal in, or takes it in and closes it at once
/// with an answer (a consultation, 即时响应).
pub(super) async fn intake_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<IntakeForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(DISPATCH)?;
    let lang = crate::http::lang_from(&uri, &headers);
    if f.action == "find" {
        return intake_view(&state, &headers, &uri, f, true, None).await;
    }
    let answering = f.action == "answer";
    if answering && f.kind != Kind::Consult.as_str() {
        let msg = Words::new(lang).l("appeal.intake.consult_only");
        return intake_view(&state, &headers, &uri, f, true, Some(msg)).await;
    }
    let done = async {
        let kind =
            Kind::parse(&f.kind).ok_or_else(|| ApiError::invalid_field("kind", "required"))?;
        let channel = if STAFF_CHANNELS.contains(&f.channel.as_str()) {
            f.channel.clone()
        } else {
            "hotline".into()
        };
        let answer = if answering {
            Some(
                opt(&f.answer)
                    .or_else(|| opt(&f.pick))
                    .ok_or_else(|| ApiError::invalid_field("answer", "length:2-2000"))?,
            )
        } else {
            None
        };
        let new = NewAppeal {
            source: if channel == "claimed" {
                opt(&f.source)
            } else {
                None
            },
            channel,
            kind,
            topic: f.topic.clone(),
            content: f.content.clone(),
            address: opt(&f.address),
            location: None,
            caller_name: opt(&f.caller_name),
            caller_mobile: mobile_of(&f.caller_mobile)?,
            urgent: f.urgent.is_some(),
            caller_email: None,
            media_url: None,
            open311_token: None,
        };
        take_in(&state, new, &caller.actor(&ip), answer.as_deref()).await
    }
    .await;
    match done {
        Ok(a) => {
            let w = Words::new(lang);
            let key = if answering {
                "appeal.intake.answered"
            } else {
                "appeal.intake.saved"
            };
            let notice = format!("{} {}", w.l(key), a.number);
            Ok(Redirect::to(&format!(
                "/console/appeals/intake?notice={}",
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(e) => {
            let msg = inline(e, lang)?;
            intake_view(&state, &headers, &uri, f, answering, Some(msg)).await
        }
    }
}

// ---------------------------------------------------------------- lists

/// One appeal in a list.
pub(super) struct Row {
    id: i64,
    number: String,
    kind: String,
    topic: String,
    content: String,
    deadline: Deadline,
    status: String,
    urgent: bool,
    /// The handler's part (their own list).
    part: String,
}

fn row(lang: Lang, w: &Words, topics: &Topics, cal: &zhengwu_core::Calendar, a: &Appeal) -> Row {
    Row {
        id: a.id,
        number: a.number.clone(),
        kind: w.l(format!("appeal.kind.{}", a.kind)),
        topic: topics.name(&a.topic),
        content: excerpt(&a.content, 40),
        deadline: deadline(lang, cal, a, today()),
        status: w.l(format!("appeal.status.{}", a.status)),
        urgent: a.urgent,
        part: String::new(),
    }
}

const TABS: [&str; 5] = ["registered", "returned", "in_hand", "replied", "closed"];

#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    tab: String,
}

#[derive(Template)]
#[template(path = "console_appeals.html")]
struct ListPage {
    frame: Frame,
    w: Words,
    tabs: Vec<(&'static str, String)>,
    tab: String,
    rows: Vec<Row>,
    can_intake: bool,
}

/// The dispatcher's and supervisor's lists, by tab.
pub(super) async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(READ_ALL)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let tab = if TABS.contains(&q.tab.as_str()) {
        q.tab.clone()
    } else {
        "registered".to_owned()
    };
    let statuses: &[Status] = match tab.as_str() {
        "returned" => &[Status::Returned],
        "in_hand" => &[Status::Dispatched, Status::InHand],
        "replied" => &[Status::Replied],
        "closed" => &[Status::Closed],
        _ => &[Status::Registered],
    };
    let mut list = Vec::new();
    for s in statuses {
        list.extend(
            appeals::list(
                state.db.conn(),
                &Filter {
                    status: Some(*s),
                    limit: 200,
                    ..Default::default()
                },
            )
            .await?,
        );
    }
    list.sort_by_key(|a| std::cmp::Reverse(a.id));
    let topics = Topics::load(&state).await?;
    let cal = state.calendar();
    let page = ListPage {
        frame: Frame::new(lang, state.district_name()),
        tabs: TABS
            .iter()
            .map(|t| (*t, w.l(format!("appeal.tab.{t}"))))
            .collect(),
        rows: list
            .iter()
            .map(|a| row(lang, &w, &topics, &cal, a))
            .collect(),
        tab,
        can_intake: caller.require(DISPATCH).is_ok(),
        w,
    };
    render(page, None, StatusCode::OK)
}

const MINE_TABS: [&str; 5] = ["all", "to_sign", "in_hand", "due_soon", "overdue"];

#[derive(Template)]
#[template(path = "console_appeals_mine.html")]
struct MinePage {
    frame: Frame,
    w: Words,
    tabs: Vec<(&'static str, String, usize)>,
    tab: String,
    rows: Vec<Row>,
}

/// A unit handler's open appeals: to sign, in hand, due soon, overdue.
pub(super) async fn mine_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(HANDLERS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let tab = if MINE_TABS.contains(&q.tab.as_str()) {
        q.tab.clone()
    } else {
        "all".to_owned()
    };
    let units = handled_units(&state, &caller).await?;
    let list = appeals::list(
        state.db.conn(),
        &Filter {
            units: Some(units.clone()),
            open_parts: true,
            limit: 200,
            ..Default::default()
        },
    )
    .await?;
    let topics = Topics::load(&state).await?;
    let names = HandlingUnits::load(&state).await?;
    let cal = state.calendar();
    let mut all: Vec<(Row, bool)> = Vec::new();
    for a in &list {
        let d = appeals::detail(state.db.conn(), a.id).await?;
        let mine: Vec<_> = d
            .assignments
            .iter()
            .filter(|p| {
                units.contains(&p.unit_id) && Part::parse(&p.part).is_some_and(Part::is_working)
            })
            .collect();
        let to_sign = mine.iter().any(|p| p.part == Part::Pending.as_str());
        let mut r = row(lang, &w, &topics, &cal, a);
        r.part = mine
            .iter()
            .map(|p| {
                format!(
                    "{} · {} · {}",
                    names.name(p.unit_id),
                    w.l(format!("appeal.role.{}", p.role)),
                    w.l(format!("appeal.part.{}", p.part))
                )
            })
            .collect::<Vec<_>>()
            .join("；");
        all.push((r, to_sign));
    }
    let count = |t: &str| {
        all.iter()
            .filter(|(r, to_sign)| match t {
                "to_sign" => *to_sign,
                "in_hand" => !*to_sign,
                "due_soon" => r.deadline.state == "due_soon",
                "overdue" => r.deadline.state == "overdue",
                _ => true,
            })
            .count()
    };
    let tabs = MINE_TABS
        .iter()
        .map(|t| (*t, w.l(format!("appeal.mine.{t}")), count(t)))
        .collect();
    let rows = all
        .into_iter()
        .filter(|(r, to_sign)| match tab.as_str() {
            "to_sign" => *to_sign,
            "in_hand" => !*to_sign,
            "due_soon" => r.deadline.state == "due_soon",
            "overdue" => r.deadline.state == "overdue",
            _ => true,
        })
        .map(|(r, _)| r)
        .collect();
    let page = MinePage {
        frame: Frame::new(lang, state.district_name()),
        tabs,
        tab,
        rows,
        w,
    };
    render(page, None, StatusCode::OK)
}

// ---------------------------------------------------------------- one appeal

struct AssignmentRow {
    unit: String,
    role: String,
    part: String,
    sign_due: String,
    note: String,
}

struct EventRow {
    at: String,
    what: String,
    actor: String,
    unit: String,
    note: String,
}

/// The forms a handler has for one of their units' parts.
struct UnitActions {
    unit_id: i64,
    unit: String,
    lead: bool,
    can_sign: bool,
    can_return: bool,
    can_contribute: bool,
    can_reply: bool,
}

/// What the forms of the appeal's page post, kept when refused.
#[derive(Debug, Default)]
pub(super) struct ActionForm {
    csrf: String,
    action: String,
    unit: i64,
    lead: i64,
    co: Vec<i64>,
    note: String,
    text: String,
    resolved: String,
    satisfaction: String,
    notice: Option<String>,
}

impl ActionForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "action" => f.action = v,
                "unit" => f.unit = v.trim().parse().unwrap_or_default(),
                "lead" => f.lead = v.trim().parse().unwrap_or_default(),
                "co" => {
                    if let Ok(id) = v.trim().parse() {
                        f.co.push(id);
                    }
                }
                "note" => f.note = v,
                "text" => f.text = v,
                "resolved" => f.resolved = v,
                "satisfaction" => f.satisfaction = v,
                _ => {}
            }
        }
        f
    }
}

#[derive(Template)]
#[template(path = "console_appeal.html")]
struct DetailPage {
    frame: Frame,
    w: Words,
    csrf: String,
    a: Appeal,
    kind: String,
    status: String,
    channel: String,
    topic: String,
    created: String,
    deadline: Deadline,
    replied: String,
    satisfaction: String,
    assignments: Vec<AssignmentRow>,
    events: Vec<EventRow>,
    can_dispatch: bool,
    can_visit: bool,
    unit_groups: Vec<(String, Vec<(i64, String)>)>,
    lead: i64,
    co: Vec<i64>,
    actions: Vec<UnitActions>,
    form: ActionForm,
    levels: Vec<(u8, String)>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
}

async fn detail_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    d: AppealDetail,
    mut form: ActionForm,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let topics = Topics::load(state).await?;
    let units = HandlingUnits::load(state).await?;
    let cal = state.calendar();
    let status = Status::parse(&d.appeal.status).unwrap_or(Status::Registered);
    let dispatcher = caller.require(DISPATCH).is_ok();
    let can_dispatch = dispatcher && matches!(status, Status::Registered | Status::Returned);
    let can_visit = dispatcher && status == Status::Replied;
    // The dispatch form's defaults: what was posted, else the topic's lead and co-units.
    let (lead, co) = if form.action == "dispatch" {
        (form.lead, form.co.clone())
    } else {
        let t = topics.get(&d.appeal.topic);
        (
            t.and_then(|t| t.lead.as_deref())
                .and_then(|c| units.id_of(c))
                .unwrap_or_default(),
            t.map(|t| t.co.iter().filter_map(|c| units.id_of(c)).collect())
                .unwrap_or_default(),
        )
    };
    // A handler's forms: for each of the appeal's open parts of a unit the caller handles.
    let mut actions = Vec::new();
    if caller.require(HANDLERS).is_ok() {
        let mine = handled_units(state, caller).await?;
        for p in &d.assignments {
            if !mine.contains(&p.unit_id) {
                continue;
            }
            let Some(part) = Part::parse(&p.part) else {
                continue;
            };
            let lead = p.role == "lead";
            let a = UnitActions {
                unit_id: p.unit_id,
                unit: units.name(p.unit_id),
                lead,
                can_sign: part == Part::Pending,
                can_return: lead
                    && part.is_working()
                    && matches!(status, Status::Dispatched | Status::InHand),
                can_contribute: !lead && part == Part::Signed,
                can_reply: lead && part == Part::Signed && status == Status::InHand,
            };
            if a.can_sign || a.can_return || a.can_contribute || a.can_reply {
                actions.push(a);
            }
        }
    }
    let levels = (1..=5u8)
        .rev()
        .map(|l| (l, w.l(format!("appeal.level.{l}"))))
        .collect();
    let a = d.appeal;
    let page = DetailPage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        kind: w.l(format!("appeal.kind.{}", a.kind)),
        status: w.l(format!("appeal.status.{}", a.status)),
        channel: w.l(format!("appeal.channel.{}", a.channel)),
        topic: topics.path(&a.topic),
        created: when(lang, a.created_at),
        deadline: deadline(lang, &cal, &a, today()),
        replied: a.replied_at.map(|t| when(lang, t)).unwrap_or_default(),
        satisfaction: a
            .satisfaction
            .map(|l| w.l(format!("appeal.level.{l}")))
            .unwrap_or_default(),
        assignments: d
            .assignments
            .iter()
            .map(|p| AssignmentRow {
                unit: units.name(p.unit_id),
                role: w.l(format!("appeal.role.{}", p.role)),
                part: w.l(format!("appeal.part.{}", p.part)),
                sign_due: super::fmt_date(lang, p.sign_due_on),
                note: p.note.clone().unwrap_or_default(),
            })
            .collect(),
        events: d
            .events
            .iter()
            .map(|e| EventRow {
                at: when(lang, e.at),
                what: w.l(format!("appeal.event.{}", e.kind)),
                actor: e.actor.clone(),
                unit: e.unit_id.map(|u| units.name(u)).unwrap_or_default(),
                note: e.note.clone().unwrap_or_default(),
            })
            .collect(),
        can_dispatch,
        can_visit,
        unit_groups: units
            .groups
            .iter()
            .map(|(label, us)| {
                (
                    w.l(label),
                    us.iter().map(|(id, _, n)| (*id, n.clone())).collect(),
                )
            })
            .collect(),
        lead,
        co,
        actions,
        levels,
        notice: notice_of(form.notice.take()),
        form,
        a,
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

async fn readable(state: &AppState, caller: &Caller, id: i64) -> Result<AppealDetail, ApiError> {
    caller.require(&[
        zhengwu_core::roles::Role::Admin,
        zhengwu_core::roles::Role::Dispatcher,
        zhengwu_core::roles::Role::Supervisor,
        zhengwu_core::roles::Role::UnitHandler,
    ])?;
    let d = appeals::detail(state.db.conn(), id).await?;
    may_read(state, caller, &d).await?;
    Ok(d)
}

/// One appeal: its facts, assignments, history and the actions the caller may take.
pub(super) async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let d = readable(&state, &caller, id).await?;
    let form = ActionForm {
        notice: q.notice,
        ..Default::default()
    };
    detail_view(&state, &caller, &headers, &uri, d, form, None).await
}

/// Dispatches, records the return visit, or takes a unit's step (sign, return, contribute,
/// reply); each in one write transaction.
pub(super) async fn detail_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let f = ActionForm::from_pairs(pairs);
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    readable(&state, &caller, id).await?;
    if f.action == "visit" && !matches!(f.resolved.as_str(), "yes" | "no") {
        let msg = Words::new(lang).l("appeal.visit.resolved_required");
        let d = appeals::detail(state.db.conn(), id).await?;
        return detail_view(&state, &caller, &headers, &uri, d, f, Some(msg)).await;
    }
    let actor = caller.actor(&ip);
    let now = Utc::now();
    let done: Result<(), ApiError> = match f.action.as_str() {
        "dispatch" => {
            caller.require(DISPATCH)?;
            let co: Vec<UnitId> = f.co.iter().copied().map(UnitId).collect();
            let cal = state.calendar();
            let note = opt(&f.note);
            crate::http::write(&state, async |tx| {
                appeals::dispatch(
                    tx,
                    id,
                    UnitId(f.lead),
                    &co,
                    &cal,
                    note.as_deref(),
                    now,
                    &actor,
                )
                .await
            })
            .await
            .map(|_| ())
        }
        "visit" => {
            caller.require(DISPATCH)?;
            match (
                f.resolved.as_str(),
                f.satisfaction
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(RatingLevel::new),
            ) {
                (_, Some(level)) => {
                    let note = opt(&f.note);
                    crate::http::write(&state, async |tx| {
                        appeals::visit(
                            tx,
                            id,
                            f.resolved == "yes",
                            level,
                            note.as_deref(),
                            now,
                            &actor,
                        )
                        .await
                    })
                    .await
                    .map(|_| ())
                }
                _ => Err(ApiError::invalid_field("satisfaction", "range:1-5")),
            }
        }
        "sign" | "return" | "contribute" | "reply" => {
            caller.require(HANDLERS)?;
            let path = zhengwu_store::org::unit_path(state.db.conn(), UnitId(f.unit)).await?;
            if !caller.can_see(HANDLERS, &path) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
            }
            let unit = UnitId(f.unit);
            let text = f.text.clone();
            let sink = crate::notify::default_sink(&state.config);
            match f.action.as_str() {
                "sign" => crate::http::write(&state, async |tx| {
                    appeals::sign(tx, id, unit, now, &actor).await
                })
                .await
                .map(|_| ()),
                "return" => crate::http::write(&state, async |tx| {
                    appeals::return_to_dispatcher(tx, id, unit, &text, now, &actor).await
                })
                .await
                .map(|_| ()),
                "contribute" => crate::http::write(&state, async |tx| {
                    appeals::contribute(tx, id, unit, &text, now, &actor).await
                })
                .await
                .map(|_| ()),
                _ => crate::http::write(&state, async |tx| {
                    appeals::reply(tx, id, unit, &text, now, &actor, sink).await
                })
                .await
                .map(|_| ()),
            }
        }
        other => Err(ApiError::invalid_field(
            "action",
            format!("unknown:{other}"),
        )),
    };
    match done {
        Ok(()) => {
            let notice = Words::new(lang).l(format!("appeal.done.{}", f.action));
            Ok(Redirect::to(&format!(
                "/console/appeals/{id}?notice={}",
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(e) => {
            let msg = inline(e, lang)?;
            let d = appeals::detail(state.db.conn(), id).await?;
            detail_view(&state, &caller, &headers, &uri, d, f, Some(msg)).await
        }
    }
}

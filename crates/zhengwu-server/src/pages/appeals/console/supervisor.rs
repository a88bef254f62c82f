//! The supervisor's side: listed supervision of frequent topics (挂牌督办,
//! `/console/appeals/supervision`) — the listings with their notes, the frequent topics of the
//! window and a form to choose a topic — and the dispose-first ledger (先予处置台账,
//! `/console/appeals/ledger`, also as CSV). Dispatchers read both; supervisors act.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;
use zhengwu_core::ids::UnitId;
use zhengwu_store::appeals::disposal::{self, Disposal};
use zhengwu_store::appeals::supervision::{self, Supervision};

use super::super::super::booking::when;
use super::super::super::console::render;
use super::super::super::guide::Words;
use super::super::super::{Frame, urlencode};
use super::super::{HandlingUnits, TopicGroup, Topics, fmt_date, status_of, today};
use super::{Due, Menu, Refusal, due, menu, money, notice_of, staff_or_login};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::appeals::READ_ALL;
use crate::http::supervision::SUPERVISE;
use crate::i18n::{Lang, t, tf};
use crate::startup::AppState;

// ---------------------------------------------------------------- listed supervision

/// What the supervision page is asked for: the frequent topics' filter, a topic to prefill
/// the choose form with, a notice.
#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct SupervisionQuery {
    #[serde(default)]
    window_days: Option<String>,
    #[serde(default)]
    threshold: Option<String>,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

/// What the page's forms post, kept when refused.
#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct SupervisionForm {
    #[serde(default)]
    csrf: String,
    /// `note` or `delist` (a listing's forms); empty for the choose form.
    #[serde(default)]
    action: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    result: String,
    /// The listing the form was about (from the path).
    #[serde(skip)]
    id: i64,
}

struct NoteRow {
    at: String,
    actor: String,
    note: String,
}

struct Listing {
    id: i64,
    topic: String,
    topic_code: String,
    active: bool,
    reason: String,
    owner: String,
    deadline: Due,
    /// `12 件（近 30 天）`: when listed, and now over the same window.
    count_listed: String,
    count_now: String,
    listed: String,
    listed_by: String,
    delisted: String,
    delisted_by: String,
    result: String,
    notes: Vec<NoteRow>,
}

fn in_window(lang: Lang, count: i64, days: i32) -> String {
    tf(
        lang,
        "appeal.sup.in_window",
        &[("count", count.to_string()), ("days", days.to_string())],
    )
}

fn listing(lang: Lang, w: &Words, s: Supervision) -> Listing {
    let active = s.delisted_at.is_none();
    Listing {
        id: s.id,
        topic: s.topic_name,
        topic_code: s.topic_code,
        active,
        reason: w.l(format!("appeal.sup.reason.{}", s.reason)),
        owner: s.owner_unit_name,
        deadline: due(lang, s.deadline, active),
        count_listed: in_window(lang, i64::from(s.count_in_window), s.window_days),
        count_now: in_window(
            lang,
            i64::try_from(s.count_now).unwrap_or(i64::MAX),
            s.window_days,
        ),
        listed: when(lang, s.listed_at),
        listed_by: s.listed_by,
        delisted: s.delisted_at.map(|t| when(lang, t)).unwrap_or_default(),
        delisted_by: s.delisted_by.unwrap_or_default(),
        result: s.result.unwrap_or_default(),
        notes: s
            .notes
            .into_iter()
            .map(|n| NoteRow {
                at: when(lang, n.at),
                actor: n.actor,
                note: n.note,
            })
            .collect(),
    }
}

struct FrequentRow {
    code: String,
    name: String,
    count: i64,
    listed: bool,
}

#[derive(Template)]
#[template(path = "console_appeal_supervision.html")]
struct SupervisionPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    csrf: String,
    can_act: bool,
    listings: Vec<Listing>,
    window_days: String,
    threshold: String,
    frequent: Vec<FrequentRow>,
    filter_error: Option<String>,
    topics: Vec<TopicGroup>,
    unit_groups: Vec<(String, Vec<(i64, String)>)>,
    /// The choose form's values: posted, asked for, or the defaults.
    form: SupervisionForm,
    owner: i64,
    today: String,
    notice: Option<String>,
    error: Option<String>,
}

fn unit_groups(w: &Words, units: &HandlingUnits) -> Vec<(String, Vec<(i64, String)>)> {
    units
        .groups
        .iter()
        .map(|(label, us)| {
            (
                w.l(label),
                us.iter().map(|(id, _, n)| (*id, n.clone())).collect(),
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn supervision_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    q: SupervisionQuery,
    mut form: SupervisionForm,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let now = Utc::now();
    let cfg = &state.config.appeals;
    let topics = Topics::load(state).await?;
    let units = HandlingUnits::load(state).await?;
    // The frequent topics' filter, as typed; a bad value is said beside the filter.
    let window_days = q
        .window_days
        .clone()
        .unwrap_or_else(|| cfg.supervision_window_days.to_string());
    let threshold = q
        .threshold
        .clone()
        .unwrap_or_else(|| cfg.supervision_threshold.to_string());
    let window = window_days
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=366).contains(d));
    let least = threshold.trim().parse::<i64>().ok().filter(|n| *n >= 1);
    let (frequent, filter_error) = match (window, least) {
        (Some(d), Some(n)) => (
            supervision::frequent(state.db.conn(), d, n, now)
                .await?
                .into_iter()
                .map(|f| FrequentRow {
                    code: f.topic_code,
                    name: f.topic_name,
                    count: f.count,
                    listed: f.listed,
                })
                .collect(),
            None,
        ),
        _ => (Vec::new(), Some(w.l("appeal.sup.filter_error"))),
    };
    // The choose form: what was posted, else the topic asked for with its default lead unit
    // and the usual limit in working days.
    if form.action.is_empty() && form.topic.is_empty() {
        form.topic = q.topic.clone().unwrap_or_default();
    }
    let owner = match form.owner.trim().parse::<i64>() {
        Ok(o) => o,
        Err(_) => topics
            .get(&form.topic)
            .and_then(|t| t.lead.as_deref())
            .and_then(|c| units.id_of(c))
            .unwrap_or_default(),
    };
    if form.deadline.is_empty() {
        form.deadline = state
            .calendar()
            .add_working_days(today(), cfg.supervision_limit_days)
            .format("%Y-%m-%d")
            .to_string();
    }
    let listings = supervision::all(state.db.conn(), false, now)
        .await?
        .into_iter()
        .map(|s| listing(lang, &w, s))
        .collect();
    let status = if filter_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status_of(&error)
    };
    let page = SupervisionPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, "/console/appeals/supervision"),
        csrf: csrf.token.clone(),
        can_act: caller.require(SUPERVISE).is_ok(),
        listings,
        window_days,
        threshold,
        frequent,
        filter_error,
        topics: topics.groups(),
        unit_groups: unit_groups(&w, &units),
        form,
        owner,
        today: today().format("%Y-%m-%d").to_string(),
        notice: notice_of(q.notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status)
}

/// Listed supervision: the listings (active first) with their notes, the frequent topics of the
/// window, and the form to choose a topic.
pub(in super::super) async fn supervision_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<SupervisionQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(READ_ALL)?;
    supervision_view(
        &state,
        &caller,
        &headers,
        &uri,
        q,
        SupervisionForm::default(),
        None,
    )
    .await
}

fn redirect_with(path: &str, notice: &str) -> Response {
    Redirect::to(&format!("{path}?notice={}", urlencode(notice))).into_response()
}

/// A supervisor lists the chosen topic with an owner unit and a deadline.
pub(in super::super) async fn list_topic(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<SupervisionForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(SUPERVISE)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let done: Result<Supervision, Refusal> = async {
        if f.topic.trim().is_empty() {
            return Err(Refusal::Say(w.l("appeal.sup.topic_required")));
        }
        let owner = f
            .owner
            .trim()
            .parse::<i64>()
            .map_err(|_| Refusal::Say(w.l("appeal.sup.owner_required")))?;
        let deadline = NaiveDate::parse_from_str(f.deadline.trim(), "%Y-%m-%d")
            .map_err(|_| Refusal::Say(w.l("appeal.sup.date_format")))?;
        let actor = caller.actor(&ip);
        let window = state.config.appeals.supervision_window_days;
        let topic = f.topic.trim().to_owned();
        Ok(crate::http::write(&state, async |tx| {
            supervision::list_topic(
                tx,
                &topic,
                true,
                UnitId(owner),
                deadline,
                window,
                Utc::now(),
                &actor,
            )
            .await
        })
        .await?)
    }
    .await;
    match done {
        Ok(s) => Ok(redirect_with(
            "/console/appeals/supervision",
            &tf(lang, "appeal.sup.done.listed", &[("topic", s.topic_name)]),
        )),
        Err(r) => {
            let msg = r.said(lang, &[("owner", "appeal.sup.owner")])?;
            supervision_view(
                &state,
                &caller,
                &headers,
                &uri,
                SupervisionQuery::default(),
                f,
                Some(msg),
            )
            .await
        }
    }
}

/// A progress note on a listing, or its delisting with the result.
pub(in super::super) async fn supervision_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(mut f): axum::Form<SupervisionForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(SUPERVISE)?;
    f.id = id;
    let lang = crate::http::lang_from(&uri, &headers);
    let actor = caller.actor(&ip);
    let now = Utc::now();
    let done: Result<Supervision, Refusal> = match f.action.as_str() {
        "note" => {
            let text = f.note.clone();
            crate::http::write(&state, async |tx| {
                supervision::add_note(tx, id, &text, now, &actor).await
            })
            .await
            .map_err(Refusal::from)
        }
        "delist" => {
            let result = f.result.clone();
            crate::http::write(&state, async |tx| {
                supervision::delist(tx, id, &result, now, &actor).await
            })
            .await
            .map_err(Refusal::from)
        }
        other => Err(ApiError::invalid_field("action", format!("unknown:{other}")).into()),
    };
    match done {
        Ok(s) => Ok(redirect_with(
            "/console/appeals/supervision",
            &tf(
                lang,
                &format!("appeal.sup.done.{}", f.action),
                &[("topic", s.topic_name)],
            ),
        )),
        Err(r) => {
            let msg = r.said(lang, &[("note", "appeal.sup.note_label")])?;
            supervision_view(
                &state,
                &caller,
                &headers,
                &uri,
                SupervisionQuery::default(),
                f,
                Some(msg),
            )
            .await
        }
    }
}

// ---------------------------------------------------------------- the dispose-first ledger

#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct LedgerQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// An order as the ledger shows it.
pub(super) struct LedgerRow {
    pub(super) id: i64,
    pub(super) appeal_id: i64,
    pub(super) number: String,
    pub(super) topic: String,
    pub(super) unit: String,
    pub(super) instruction: String,
    pub(super) ordered: String,
    pub(super) ordered_by: String,
    pub(super) action: String,
    /// `¥12,345.67`, or empty before the unit recorded it.
    pub(super) cost: String,
    pub(super) done: String,
    /// `ordered`, `done` or `settled`.
    pub(super) state: String,
    pub(super) state_word: String,
    pub(super) owner: String,
    pub(super) accountability: String,
    pub(super) settled: String,
}

pub(super) fn ledger_row(lang: Lang, w: &Words, topics: &Topics, d: Disposal) -> LedgerRow {
    LedgerRow {
        id: d.id,
        appeal_id: d.appeal_id,
        number: d.number,
        topic: topics.name(&d.topic),
        unit: d.unit_name,
        instruction: d.instruction,
        ordered: when(lang, d.ordered_at),
        ordered_by: d.ordered_by,
        action: d.action.unwrap_or_default(),
        cost: d.cost_fen.map(|f| amount(lang, f)).unwrap_or_default(),
        done: d.done_at.map(|t| when(lang, t)).unwrap_or_default(),
        state_word: w.l(format!("appeal.dispose.state.{}", d.state)),
        state: d.state,
        owner: d.owner_unit_name.unwrap_or_default(),
        accountability: d.accountability.unwrap_or_default(),
        settled: d.settled_at.map(|t| when(lang, t)).unwrap_or_default(),
    }
}

/// Fen in yuan with two decimals, as the page's language writes money.
pub(super) fn amount(lang: Lang, fen: i64) -> String {
    tf(lang, "appeal.dispose.yuan", &[("amount", money::yuan(fen))])
}

#[derive(Template)]
#[template(path = "console_appeal_ledger.html")]
struct LedgerPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    from: String,
    to: String,
    rows: Vec<LedgerRow>,
    summary: String,
    csv: String,
    error: Option<String>,
}

/// Why a ledger's range cannot be read.
enum BadRange {
    Format,
    Reversed,
    TooLong,
}

impl BadRange {
    fn said(&self, lang: Lang) -> String {
        match self {
            Self::Format => t(lang, "appeal.sup.date_format"),
            Self::Reversed => crate::i18n::reason(lang, "before_from"),
            Self::TooLong => crate::i18n::reason(lang, "range_too_long:366"),
        }
    }

    fn error(&self) -> ApiError {
        match self {
            Self::Format => ApiError::invalid("invalid_date", "from"),
            Self::Reversed => ApiError::invalid_field("to", "before_from"),
            Self::TooLong => ApiError::invalid_field("to", "range_too_long:366"),
        }
    }
}

/// The range asked for, as typed (1 January of this year to today by default), and the days.
fn ledger_range(q: &LedgerQuery) -> (String, String, Result<(NaiveDate, NaiveDate), BadRange>) {
    let today = today();
    let typed = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let from = typed(&q.from).unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(today.year(), 1, 1)
            .unwrap_or(today)
            .format("%Y-%m-%d")
            .to_string()
    });
    let to = typed(&q.to).unwrap_or_else(|| today.format("%Y-%m-%d").to_string());
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let range = match (parse(&from), parse(&to)) {
        (Some(f), Some(t)) if t < f => Err(BadRange::Reversed),
        (Some(f), Some(t)) if (t - f).num_days() > 366 => Err(BadRange::TooLong),
        (Some(f), Some(t)) => Ok((f, t)),
        _ => Err(BadRange::Format),
    };
    (from, to, range)
}

/// Every dispose-first order between two days, its cost and state, and the total.
pub(in super::super) async fn ledger_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(READ_ALL)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let (from, to, range) = ledger_range(&q);
    let topics = Topics::load(&state).await?;
    let (rows, summary, error) = match range {
        Ok((f, t)) => {
            let (orders, total) = disposal::ledger(state.db.conn(), f, t).await?;
            let summary = tf(
                lang,
                "appeal.dispose.summary",
                &[
                    ("from", fmt_date(lang, f)),
                    ("to", fmt_date(lang, t)),
                    ("count", orders.len().to_string()),
                    ("total", amount(lang, total)),
                ],
            );
            (
                orders
                    .into_iter()
                    .map(|d| ledger_row(lang, &w, &topics, d))
                    .collect(),
                summary,
                None,
            )
        }
        Err(bad) => (Vec::new(), String::new(), Some(bad.said(lang))),
    };
    let page = LedgerPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(&caller, &w, "/console/appeals/ledger"),
        csv: format!(
            "/console/appeals/ledger.csv?from={}&to={}",
            urlencode(&from),
            urlencode(&to)
        ),
        from,
        to,
        rows,
        summary,
        error: error.clone(),
        w,
    };
    render(page, None, status_of(&error))
}

/// A cell a spreadsheet will not run as a formula.
fn cell(s: String) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

/// The ledger as CSV (the page's language for the headings; cost in yuan, two decimals).
pub(in super::super) async fn ledger_csv(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Response, ApiError> {
    caller.require(READ_ALL)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let (_, _, range) = ledger_range(&q);
    let (f, to) = range.map_err(|bad| bad.error())?;
    let (orders, total) = disposal::ledger(state.db.conn(), f, to).await?;
    let topics = Topics::load(&state).await?;
    let io = |e: csv::Error| ApiError::internal(anyhow::Error::new(e));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(
        [
            "appeal.number",
            "field.topic",
            "appeal.dispose.unit",
            "appeal.dispose.instruction",
            "appeal.dispose.ordered_at",
            "appeal.dispose.action",
            "appeal.dispose.cost_yuan",
            "appeal.dispose.state",
            "appeal.dispose.owner",
            "appeal.dispose.accountability",
        ]
        .map(|k| t(lang, k)),
    )
    .map_err(io)?;
    for d in orders {
        out.write_record([
            d.number.clone(),
            topics.name(&d.topic),
            cell(d.unit_name.clone()),
            cell(d.instruction.clone()),
            when(lang, d.ordered_at),
            cell(d.action.clone().unwrap_or_default()),
            d.cost_fen.map(money::typed).unwrap_or_default(),
            t(lang, &format!("appeal.dispose.state.{}", d.state)),
            cell(d.owner_unit_name.clone().unwrap_or_default()),
            cell(d.accountability.clone().unwrap_or_default()),
        ])
        .map_err(io)?;
    }
    out.write_record([
        t(lang, "appeal.dispose.total"),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        money::typed(total),
        String::new(),
        String::new(),
        String::new(),
    ])
    .map_err(io)?;
    let body = out
        .into_inner()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    // A byte-order mark so that spreadsheet programs read the Chinese text as UTF-8.
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(body);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"zhengwu-dispose-first.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

//! The dispatcher's and supervisor's lists (`/console/appeals`) and the extension requests
//! waiting for the dispatcher's decision (`/console/appeals/extensions`).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::appeal::Status;
use zhengwu_store::appeals::extensions::{self, Extension};
use zhengwu_store::appeals::{self, Filter};

use super::super::super::booking::when;
use super::super::super::console::render;
use super::super::super::guide::Words;
use super::super::super::{Frame, urlencode};
use super::super::portal::opt;
use super::super::{HandlingUnits, Topics, fmt_date, status_of};
use super::{ListQuery, Menu, NoticeQuery, Refusal, Row, menu, notice_of, row, staff_or_login};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::appeals::{DISPATCH, READ_ALL};
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

const TABS: [&str; 5] = ["registered", "returned", "in_hand", "replied", "closed"];

#[derive(Template)]
#[template(path = "console_appeals.html")]
struct ListPage {
    frame: Frame,
    w: Words,
    tabs: Vec<(&'static str, String)>,
    tab: String,
    menu: Menu,
    rows: Vec<Row>,
}

/// The dispatcher's and supervisor's lists, by tab.
pub(in super::super) async fn list_page(
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
        menu: menu(&caller, &w, "/console/appeals"),
        w,
    };
    render(page, None, StatusCode::OK)
}

// ---------------------------------------------------------------- extension requests

/// An extension request as the lists show it.
pub(super) struct ExtRow {
    pub(super) id: i64,
    pub(super) appeal_id: i64,
    pub(super) number: String,
    pub(super) unit: String,
    pub(super) days: i16,
    pub(super) reason: String,
    pub(super) requested: String,
    pub(super) requested_by: String,
    pub(super) old_due: String,
    pub(super) new_due: String,
    /// `pending`, `approved` or `refused`.
    pub(super) status: String,
    pub(super) status_word: String,
    pub(super) decided: String,
    pub(super) decided_by: String,
    pub(super) note: String,
}

pub(super) fn ext_row(lang: Lang, w: &Words, units: &HandlingUnits, e: &Extension) -> ExtRow {
    ExtRow {
        id: e.id,
        appeal_id: e.appeal_id,
        number: e.number.clone(),
        unit: units.name(e.unit_id),
        days: e.days,
        reason: e.reason.clone(),
        requested: when(lang, e.requested_at),
        requested_by: e.requested_by.clone(),
        old_due: fmt_date(lang, e.old_due_on),
        new_due: e.new_due_on.map(|d| fmt_date(lang, d)).unwrap_or_default(),
        status: e.status.clone(),
        status_word: w.l(format!("appeal.ext.state.{}", e.status)),
        decided: e.decided_at.map(|t| when(lang, t)).unwrap_or_default(),
        decided_by: e.decided_by.clone().unwrap_or_default(),
        note: e.decision_note.clone().unwrap_or_default(),
    }
}

/// What the decision form posts, kept when refused.
#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct DecisionForm {
    #[serde(default)]
    csrf: String,
    /// `approve` or `refuse`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
    /// The request the form was about (set from the path).
    #[serde(skip)]
    id: i64,
}

#[derive(Template)]
#[template(path = "console_appeal_extensions.html")]
struct ExtensionsPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    csrf: String,
    rows: Vec<ExtRow>,
    can_decide: bool,
    form: DecisionForm,
    notice: Option<String>,
    error: Option<String>,
}

async fn extensions_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    form: DecisionForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let units = HandlingUnits::load(state).await?;
    let rows = extensions::pending(state.db.conn())
        .await?
        .iter()
        .map(|e| ext_row(lang, &w, &units, e))
        .collect();
    let page = ExtensionsPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, "/console/appeals/extensions"),
        csrf: csrf.token.clone(),
        rows,
        can_decide: caller.require(DISPATCH).is_ok(),
        form,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// Extension requests waiting for the dispatcher, oldest first, each with approve / refuse.
pub(in super::super) async fn extensions_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(READ_ALL)?;
    extensions_view(
        &state,
        &caller,
        &headers,
        &uri,
        DecisionForm::default(),
        q.notice,
        None,
    )
    .await
}

/// The dispatcher approves (the deadline moves by the days asked) or refuses, with a note.
pub(in super::super) async fn decide_extension(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(mut f): axum::Form<DecisionForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(DISPATCH)?;
    f.id = id;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let approve = f.action == "approve";
    let done: Result<Extension, Refusal> = if !approve && f.action != "refuse" {
        Err(ApiError::invalid_field("action", format!("unknown:{}", f.action)).into())
    } else if !approve && f.note.trim().is_empty() {
        Err(Refusal::Say(w.l("appeal.ext.note_required")))
    } else {
        let actor = caller.actor(&ip);
        let cal = state.calendar();
        let note = opt(&f.note);
        crate::http::write(&state, async |tx| {
            extensions::decide(tx, id, approve, note.as_deref(), &cal, Utc::now(), &actor).await
        })
        .await
        .map_err(Refusal::from)
    };
    match done {
        Ok(e) => {
            let notice = match e.new_due_on {
                Some(d) => tf(
                    lang,
                    "appeal.ext.done.approved",
                    &[("number", e.number.clone()), ("date", fmt_date(lang, d))],
                ),
                None => tf(
                    lang,
                    "appeal.ext.done.refused",
                    &[("number", e.number.clone())],
                ),
            };
            Ok(Redirect::to(&format!(
                "/console/appeals/extensions?notice={}",
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(r) => {
            let msg = r.said(lang, &[("note", "appeal.ext.decision_note")])?;
            extensions_view(&state, &caller, &headers, &uri, f, None, Some(msg)).await
        }
    }
}

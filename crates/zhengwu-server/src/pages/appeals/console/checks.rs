//! Look-back checks (回头看, `/console/appeals/checks`): supervisors and dispatchers read them
//! all and a supervisor runs the rules now; a unit handler reads their units' checks and
//! records the outcome of each.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use zhengwu_store::appeals::lookback::{self, Check};

use super::super::super::booking::when;
use super::super::super::console::render;
use super::super::super::guide::Words;
use super::super::super::{Frame, urlencode};
use super::super::portal::opt;
use super::super::{Topics, status_of};
use super::{Due, Menu, Refusal, acts_for, due, menu, notice_of, staff_or_login};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::appeals::{HANDLERS, READ_ALL, handled_units};
use crate::http::supervision::SUPERVISE;
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct ChecksQuery {
    /// `open` (the default) or `all`.
    #[serde(default)]
    tab: String,
    #[serde(default)]
    notice: Option<String>,
}

/// What the outcome form posts, kept when refused.
#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct CheckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(skip)]
    id: i64,
}

struct CheckRow {
    id: i64,
    appeal_id: i64,
    number: String,
    topic: String,
    kind: String,
    owner: String,
    created: String,
    due: Due,
    state: String,
    done: String,
    note: String,
    can_complete: bool,
}

fn check_row(lang: Lang, w: &Words, topics: &Topics, mine: &[i64], c: Check) -> CheckRow {
    let open = c.done_at.is_none();
    CheckRow {
        id: c.id,
        appeal_id: c.appeal_id,
        number: c.number,
        topic: topics.name(&c.topic),
        kind: w.l(format!("appeal.check.kind.{}", c.kind)),
        owner: c.owner_unit_name,
        created: when(lang, c.created_at),
        due: due(lang, c.due_on, open),
        state: match &c.outcome {
            Some(o) => w.l(format!("appeal.check.state.{o}")),
            None => w.l("appeal.check.state.open"),
        },
        done: match (c.done_at, c.done_by) {
            (Some(at), Some(by)) => format!("{} · {by}", when(lang, at)),
            (Some(at), None) => when(lang, at),
            _ => String::new(),
        },
        note: c.note.unwrap_or_default(),
        can_complete: open && mine.contains(&c.owner_unit_id),
    }
}

#[derive(Template)]
#[template(path = "console_appeal_checks.html")]
struct ChecksPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    csrf: String,
    tabs: Vec<(&'static str, String)>,
    tab: String,
    rows: Vec<CheckRow>,
    can_run: bool,
    form: CheckForm,
    notice: Option<String>,
    error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn checks_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    tab: &str,
    form: CheckForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let tab = if tab == "all" { "all" } else { "open" };
    let read_all = caller.require(READ_ALL).is_ok();
    let mine = if caller.require(HANDLERS).is_ok() {
        handled_units(state, caller).await?
    } else {
        Vec::new()
    };
    let units = (!read_all).then_some(mine.as_slice());
    let topics = Topics::load(state).await?;
    let rows = lookback::list(state.db.conn(), units, tab == "open", 500)
        .await?
        .into_iter()
        .map(|c| check_row(lang, &w, &topics, &mine, c))
        .collect();
    let page = ChecksPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, "/console/appeals/checks"),
        csrf: csrf.token.clone(),
        tabs: ["open", "all"]
            .into_iter()
            .map(|t| (t, w.l(format!("appeal.check.tab.{t}"))))
            .collect(),
        tab: tab.to_owned(),
        rows,
        can_run: caller.require(SUPERVISE).is_ok(),
        form,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

fn may_see(caller: &Caller) -> Result<(), ApiError> {
    if caller.require(READ_ALL).is_ok() {
        Ok(())
    } else {
        caller.require(HANDLERS)
    }
}

/// The look-back checks, open ones first: all of them for supervisors and dispatchers, a
/// handler's own units' otherwise.
pub(in super::super) async fn checks_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ChecksQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    may_see(&caller)?;
    checks_view(
        &state,
        &caller,
        &headers,
        &uri,
        &q.tab,
        CheckForm::default(),
        q.notice,
        None,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct RunForm {
    #[serde(default)]
    csrf: String,
}

/// A supervisor runs the supervision rule and the look-back scheduling now (they also run on
/// their own every hour).
pub(in super::super) async fn run_checks(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<RunForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(SUPERVISE)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let (listed, made) = crate::startup::appeals_sweep_once(&state)
        .await
        .map_err(ApiError::internal)?;
    let notice = tf(
        lang,
        "appeal.check.done.run",
        &[
            ("listed", listed.to_string()),
            ("effect", made[0].to_string()),
            ("progress", made[1].to_string()),
            ("reason", made[2].to_string()),
        ],
    );
    Ok(Redirect::to(&format!(
        "/console/appeals/checks?notice={}",
        urlencode(&notice)
    ))
    .into_response())
}

/// The owner unit's handler records the outcome of a check; a problem needs a note.
pub(in super::super) async fn complete_check(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(mut f): axum::Form<CheckForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(HANDLERS)?;
    f.id = id;
    let check = lookback::one(state.db.conn(), id).await?;
    let unit = acts_for(&state, &caller, check.owner_unit_id).await?;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let done: Result<Check, Refusal> = if f.outcome.is_empty() {
        Err(Refusal::Say(w.l("appeal.check.outcome_required")))
    } else if f.outcome == "problem" && f.note.trim().is_empty() {
        Err(Refusal::Say(w.l("appeal.check.note_required")))
    } else {
        let actor = caller.actor(&ip);
        let note = opt(&f.note);
        crate::http::write(&state, async |tx| {
            lookback::complete(
                tx,
                id,
                unit,
                &f.outcome,
                note.as_deref(),
                Utc::now(),
                &actor,
            )
            .await
        })
        .await
        .map_err(Refusal::from)
    };
    match done {
        Ok(c) => {
            let notice = tf(lang, "appeal.check.done.completed", &[("number", c.number)]);
            Ok(Redirect::to(&format!(
                "/console/appeals/checks?notice={}",
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(r) => {
            let msg = r.said(lang, &[("note", "appeal.check.note")])?;
            checks_view(&state, &caller, &headers, &uri, "open", f, None, Some(msg)).await
        }
    }
}

//! The 痛快办 queue (`/console/assist`): staff write down a resident's stuck matter ("找不到门、
//! 办不成事"), a member of staff takes it as its named owner with a deadline in working days,
//! and the owner records how it was resolved — and the case it became, by its number.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use zhengwu_store::cases::{self, assist};

use super::super::booking::when;
use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::{Menu, NoticeQuery, menu, notice_of, refusal, staff_or_login, status_of};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::cases::{ASSIST_STAFF, AssistBody, new_assist};
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

/// The store's fields as this page labels them.
const LABELS: &[(&str, &str)] = &[
    ("name", "cases.console.assist.name"),
    ("mobile", "cases.console.assist.mobile"),
    ("matter", "cases.console.assist.matter"),
    ("days", "cases.console.assist.days"),
    ("resolution", "cases.console.assist.resolution"),
    ("case", "cases.console.assist.case"),
];

/// What the forms of the page post, kept when refused.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AssistForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    matter: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    resolution: String,
    /// The case it became: its number (`BJ20261128-00012`).
    #[serde(default)]
    case: String,
    /// The request a row's form was about (from the path).
    #[serde(skip)]
    id: i64,
}

struct AssistRow {
    id: i64,
    number: String,
    name: String,
    mobile: String,
    matter: String,
    status_word: String,
    created: String,
    owner: String,
    due: String,
    overdue: bool,
    resolution: String,
    resolved: String,
    case_id: Option<i64>,
    can_take: bool,
    can_resolve: bool,
}

#[derive(Template)]
#[template(path = "console_cases_assist.html")]
struct AssistPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    csrf: String,
    rows: Vec<AssistRow>,
    form: AssistForm,
    default_days: u32,
    max_days: u32,
    notice: Option<String>,
    error: Option<String>,
}

impl AssistPage {
    /// What was typed into a row's form (after a refusal), else `default`.
    fn typed(&self, id: &i64, field: &str, default: &str) -> String {
        if self.form.id != *id {
            return default.to_owned();
        }
        match field {
            "days" => self.form.days.clone(),
            "resolution" => self.form.resolution.clone(),
            "case" => self.form.case.clone(),
            _ => default.to_owned(),
        }
    }
}

fn staff_id(caller: &Caller) -> Option<i64> {
    match caller {
        Caller::Staff(s) => Some(s.id.get()),
        Caller::Token(t) => Some(t.id.get()),
        _ => None,
    }
}

fn assist_row(lang: Lang, w: &Words, me: Option<i64>, a: &assist::AssistRequest) -> AssistRow {
    AssistRow {
        id: a.id,
        number: a.number.clone(),
        name: a.name.clone(),
        mobile: a.mobile.clone(),
        matter: a.matter.clone(),
        status_word: w.l(format!("cases.console.assist.status.{}", a.status)),
        created: when(lang, a.created_at),
        owner: a.owner.clone().unwrap_or_default(),
        due: a
            .due_on
            .map(|d| match lang {
                Lang::ZhCn => d.format("%Y年%m月%d日").to_string(),
                Lang::En => d.format("%Y-%m-%d").to_string(),
            })
            .unwrap_or_default(),
        overdue: a.overdue,
        resolution: a.resolution.clone().unwrap_or_default(),
        resolved: a.resolved_at.map(|x| when(lang, x)).unwrap_or_default(),
        case_id: a.case_id,
        can_take: a.status == assist::OPEN,
        can_resolve: a.status == assist::TAKEN && me.is_some() && a.owner_id == me,
    }
}

async fn assist_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    form: AssistForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let me = staff_id(caller);
    let rows = assist::list(state.db.conn(), None, Utc::now())
        .await?
        .iter()
        .map(|a| assist_row(lang, &w, me, a))
        .collect();
    let page = AssistPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, "/console/assist"),
        csrf: csrf.token.clone(),
        rows,
        form,
        default_days: assist::DEFAULT_DAYS,
        max_days: assist::MAX_DAYS,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The queue, open requests first, with the form to write one down.
pub(super) async fn assist_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(ASSIST_STAFF)?;
    assist_view(
        &state,
        &caller,
        &headers,
        &uri,
        AssistForm::default(),
        q.notice,
        None,
    )
    .await
}

fn done(notice: &str) -> Response {
    Redirect::to(&format!("/console/assist?notice={}", urlencode(notice))).into_response()
}

/// Writes a resident's stuck matter down.
pub(super) async fn assist_create(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<AssistForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(ASSIST_STAFF)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let body = AssistBody {
        name: Some(f.name.clone()),
        mobile: Some(f.mobile.clone()),
        matter: f.matter.clone(),
    };
    match new_assist(&state, &caller, &ip, body).await {
        Ok(a) => Ok(done(&tf(
            lang,
            "cases.console.assist.done.create",
            &[("number", a.number)],
        ))),
        Err(e) => {
            let msg = refusal(e, lang, LABELS)?;
            assist_view(&state, &caller, &headers, &uri, f, None, Some(msg)).await
        }
    }
}

/// The case a number names, for the record of a resolved request (`None` when the field is
/// empty).
async fn case_by_number(state: &AppState, number: &str) -> Result<Option<i64>, ApiError> {
    let number = number.trim();
    if number.is_empty() {
        return Ok(None);
    }
    match cases::by_number(state.db.conn(), number).await? {
        Some(id) => Ok(Some(id)),
        None => Err(ApiError::invalid_field(
            "case",
            format!("unknown_case:{number}"),
        )),
    }
}

/// Takes a request, or resolves one the caller owns.
pub(super) async fn assist_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(mut f): axum::Form<AssistForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(ASSIST_STAFF)?;
    f.id = id;
    let lang = crate::http::lang_from(&uri, &headers);
    let actor = caller.actor(&ip);
    let now = Utc::now();
    let result: Result<String, ApiError> = match f.action.as_str() {
        "take" => {
            let days = match f.days.trim() {
                "" => Ok(None),
                d => d.parse::<u32>().map(Some).map_err(|_| {
                    ApiError::invalid_field("days", format!("range:1-{}", assist::MAX_DAYS))
                }),
            };
            match days {
                Ok(days) => {
                    let cal = state.calendar();
                    crate::http::write(&state, async |tx| {
                        assist::take(tx, id, days, &cal, now, &actor).await
                    })
                    .await
                    .map(|a| {
                        tf(
                            lang,
                            "cases.console.assist.done.take",
                            &[("number", a.number)],
                        )
                    })
                }
                Err(e) => Err(e),
            }
        }
        "resolve" => match case_by_number(&state, &f.case).await {
            Ok(case) => {
                let resolution = f.resolution.clone();
                crate::http::write(&state, async |tx| {
                    assist::resolve(tx, id, &resolution, case, now, &actor).await
                })
                .await
                .map(|a| {
                    tf(
                        lang,
                        "cases.console.assist.done.resolve",
                        &[("number", a.number)],
                    )
                })
            }
            Err(e) => Err(e),
        },
        other => Err(ApiError::invalid_field(
            "action",
            format!("unknown:{other}"),
        )),
    };
    match result {
        Ok(notice) => Ok(done(&notice)),
        Err(e) => {
            let msg = refusal(e, lang, LABELS)?;
            assist_view(&state, &caller, &headers, &uri, f, None, Some(msg)).await
        }
    }
}

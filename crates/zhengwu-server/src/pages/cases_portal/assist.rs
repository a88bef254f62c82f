//! 痛快办 / 找我办 (`/assist/new`): a signed-in resident writes down a matter they could not get
//! done ("找不到门、办不成事"); a named owner takes it and calls back within the working days
//! the queue gives.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhengwu_store::cases::assist::DEFAULT_DAYS;

use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::{inline, signin_url, status_of};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::http::cases::{AssistBody, new_assist};
use crate::i18n::tf;
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "portal_cases_assist.html")]
struct AssistPage {
    frame: Frame,
    w: Words,
    csrf: String,
    name: String,
    mobile: String,
    matter: String,
    promise: String,
    filed: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct FiledQuery {
    /// The number of the request just written down (after the redirect).
    #[serde(default)]
    filed: Option<String>,
}

async fn assist_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    matter: &str,
    filed: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let (name, mobile) = match caller {
        Caller::Applicant(a) => (a.citizen.name.clone(), a.citizen.mobile.clone()),
        _ => (String::new(), String::new()),
    };
    let page = AssistPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        csrf: csrf.token.clone(),
        name,
        mobile,
        matter: matter.to_owned(),
        promise: tf(
            lang,
            "cases.portal.assist_promise",
            &[("days", DEFAULT_DAYS.to_string())],
        ),
        filed: filed.map(|n| n.chars().take(40).collect()),
        error: error.clone(),
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The form (or, after it was sent, the number given and the promise).
pub(super) async fn assist_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<FiledQuery>,
) -> Result<Response, ApiError> {
    if !matches!(caller, Caller::Applicant(_)) {
        return Ok(Redirect::to(&signin_url("/assist/new")).into_response());
    }
    assist_view(&state, &caller, &headers, &uri, "", q.filed, None).await
}

#[derive(Debug, Deserialize)]
pub(super) struct AssistForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    matter: String,
}

/// Writes the matter down; the page then shows its number.
pub(super) async fn assist_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<AssistForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if !matches!(caller, Caller::Applicant(_)) {
        return Ok(Redirect::to(&signin_url("/assist/new")).into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let body = AssistBody {
        name: None,
        mobile: None,
        matter: f.matter.clone(),
    };
    match new_assist(&state, &caller, &ip, body).await {
        Ok(r) => Ok(
            Redirect::to(&format!("/assist/new?filed={}", urlencode(&r.number))).into_response(),
        ),
        Err(e) => {
            let msg = inline(e, lang)?;
            assist_view(&state, &caller, &headers, &uri, &f.matter, None, Some(msg)).await
        }
    }
}

//! The resident's side: file an appeal (`/appeal/new`) and follow it by its number
//! (`/appeal/track`, no personal data shown).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::appeal::Kind;
use zhengwu_core::ident::Mobile;
use zhengwu_store::StoreError;
use zhengwu_store::appeals::{self, NewAppeal};

use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::{TopicGroup, Topics, fmt_date, inline, status_of};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::startup::AppState;

/// What the appeal form holds, kept when it is refused.
#[derive(Debug, Default, Deserialize)]
pub(super) struct NewForm {
    #[serde(default)]
    csrf: String,
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
    /// The number of the appeal just filed (after the redirect).
    #[serde(default)]
    filed: Option<String>,
}

#[derive(Template)]
#[template(path = "appeal_new.html")]
struct NewPage {
    frame: Frame,
    w: Words,
    csrf: String,
    kinds: Vec<(&'static str, String)>,
    topics: Vec<TopicGroup>,
    form: NewForm,
    filed: Option<String>,
    filed_url: String,
    error: Option<String>,
}

pub(super) fn kinds(w: &Words) -> Vec<(&'static str, String)> {
    Kind::ALL
        .iter()
        .map(|k| (k.as_str(), w.l(format!("appeal.kind.{}", k.as_str()))))
        .collect()
}

async fn new_view(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    mut form: NewForm,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let topics = Topics::load(state).await?;
    let filed = form
        .filed
        .take()
        .map(|n| n.chars().take(40).collect::<String>());
    let page = NewPage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        kinds: kinds(&w),
        topics: topics.groups(),
        filed_url: filed
            .as_deref()
            .map(|n| format!("/appeal/track?number={}", urlencode(n)))
            .unwrap_or_default(),
        filed,
        form,
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The appeal form (or, after filing, the number given).
pub(super) async fn new_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NewForm>,
) -> Result<Response, ApiError> {
    let form = NewForm {
        filed: q.filed,
        ..Default::default()
    };
    new_view(&state, &headers, &uri, form, None).await
}

/// Parses a typed mobile (empty: none).
pub(super) fn mobile_of(s: &str) -> Result<Option<Mobile>, ApiError> {
    match s.trim() {
        "" => Ok(None),
        m => Mobile::parse(m)
            .map(Some)
            .map_err(|_| ApiError::invalid_field("caller_mobile", "mobile")),
    }
}

pub(super) fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Files the resident's appeal (channel `web`) with its photos, in one transaction.
pub(super) async fn new_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    multipart: axum::extract::Multipart,
) -> Result<Response, ApiError> {
    let (fields, files) = crate::http::appeals::file_parts(multipart).await?;
    let field = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let f = NewForm {
        csrf: field("csrf"),
        kind: field("kind"),
        topic: field("topic"),
        content: field("content"),
        address: field("address"),
        caller_name: field("caller_name"),
        caller_mobile: field("caller_mobile"),
        filed: None,
    };
    csrf::verify(&headers, &f.csrf)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let filed = async {
        let kind =
            Kind::parse(&f.kind).ok_or_else(|| ApiError::invalid_field("kind", "required"))?;
        let new = NewAppeal {
            channel: "web".into(),
            kind,
            topic: f.topic.clone(),
            content: f.content.clone(),
            address: opt(&f.address),
            location: None,
            caller_name: opt(&f.caller_name),
            caller_mobile: mobile_of(&f.caller_mobile)?,
            urgent: false,
            source: None,
            caller_email: None,
            media_url: None,
            open311_token: None,
        };
        crate::http::appeals::take_in(&state, new, &caller.actor(&ip), None, &files).await
    }
    .await;
    match filed {
        Ok(a) => Ok(
            Redirect::to(&format!("/appeal/new?filed={}", urlencode(&a.number))).into_response(),
        ),
        Err(e) => {
            let msg = inline(e, lang)?;
            new_view(&state, &headers, &uri, f, Some(msg)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct TrackQuery {
    #[serde(default)]
    number: String,
}

/// What the caller sees of an appeal.
struct Progress {
    number: String,
    kind: String,
    topic: String,
    status: String,
    filed: String,
    due: String,
    answer: Option<String>,
    reply: Option<String>,
    replied: String,
    closed: String,
}

#[derive(Template)]
#[template(path = "appeal_track.html")]
struct TrackPage {
    frame: Frame,
    w: Words,
    number: String,
    progress: Option<Progress>,
    error: Option<String>,
}

/// Follows an appeal by its number.
pub(super) async fn track_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<TrackQuery>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let number: String = q.number.trim().chars().take(40).collect();
    let mut error = None;
    let mut progress = None;
    if !number.is_empty() {
        match appeals::by_number(state.db.conn(), &number).await {
            Ok(a) => {
                let topics = Topics::load(&state).await?;
                let when = |x: Option<chrono::DateTime<Utc>>| {
                    x.map(|at| super::super::booking::when(lang, at))
                        .unwrap_or_default()
                };
                progress = Some(Progress {
                    kind: w.l(format!("appeal.kind.{}", a.kind)),
                    topic: topics.path(&a.topic),
                    status: w.l(format!("appeal.status.{}", a.status)),
                    filed: when(Some(a.created_at)),
                    due: fmt_date(lang, a.due_on),
                    answer: a.answer,
                    reply: a.reply,
                    replied: when(a.replied_at),
                    closed: when(a.closed_at),
                    number: a.number,
                });
            }
            Err(StoreError::NotFound { .. }) => error = Some(w.l("appeal.track.not_found")),
            Err(e) => return Err(e.into()),
        }
    }
    let status = if error.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let page = TrackPage {
        frame: Frame::new(lang, state.district_name()),
        w,
        number,
        progress,
        error,
    };
    render(page, None, status)
}

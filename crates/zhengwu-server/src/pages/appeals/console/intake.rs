//! The hotline operator's intake with instant answers (`/console/appeals/intake`).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhengwu_core::appeal::Kind;
use zhengwu_store::appeals::{self, KnowledgeEntry, NewAppeal};

use super::super::super::console::render;
use super::super::super::guide::Words;
use super::super::super::{Frame, urlencode};
use super::super::portal::{kinds, mobile_of, opt};
use super::super::{TopicGroup, Topics, inline, status_of};
use super::{notice_of, staff_or_login};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::http::appeals::{DISPATCH, take_in};
use crate::startup::AppState;

/// What the operator typed, kept across "find answers" and refusals.
#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct IntakeForm {
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
pub(in super::super) async fn intake_page(
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
pub(in super::super) async fn intake_submit(
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
        take_in(&state, new, &caller.actor(&ip), answer.as_deref(), &[]).await
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

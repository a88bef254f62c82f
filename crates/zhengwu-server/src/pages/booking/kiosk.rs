//! Check-in at the kiosk (`/kiosk/checkin`: the ID card or the booking code, then the ticket at
//! once) and the rating of a finished service (`/rate/{ticket}`: the five levels of GB/T 39734,
//! by the ticket's secret on the holder's phone, or at the counter with its clerk signed in).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::booking::normalize_code;
use zhengwu_core::ids::UnitId;
use zhengwu_store::audit::Actor;
use zhengwu_store::queue::{self, TicketStatus};
use zhengwu_store::{StoreError, booking, org, ratings};

use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::{all_sites, inline, status_of};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::booking::{CheckInBody, find_for_check_in};
use crate::http::ratings::{RateBody, record};
use crate::startup::AppState;

/// Seconds without a touch before the kiosk starts over (as on its other pages).
const IDLE_SECONDS: u32 = 90;

#[derive(Template)]
#[template(path = "kiosk_checkin.html")]
struct CheckinPage {
    frame: Frame,
    w: Words,
    csrf: String,
    site: Option<(i64, String)>,
    sites: Vec<(i64, String)>,
    value: String,
    error: Option<String>,
    idle_seconds: u32,
    idle_note: String,
}

async fn checkin_view(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    site: Option<i64>,
    value: &str,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let mut frame = Frame::new(lang, state.district_name());
    frame.face = "kiosk";
    let sites = all_sites(state).await?;
    let chosen = site.and_then(|s| sites.iter().find(|(id, _)| *id == s).cloned());
    let w = Words::new(lang);
    let page = CheckinPage {
        frame,
        idle_note: w.idle(IDLE_SECONDS),
        w,
        csrf: csrf.token.clone(),
        site: chosen,
        sites,
        value: value.to_owned(),
        error: error.clone(),
        idle_seconds: IDLE_SECONDS,
    };
    render(page, Some(&csrf), status_of(&error))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SiteQuery {
    #[serde(default)]
    site: Option<i64>,
}

/// The check-in screen of a site's kiosk (no sign-in: the kiosk stands in the hall).
pub(super) async fn checkin_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<SiteQuery>,
) -> Result<Response, ApiError> {
    checkin_view(&state, &headers, &uri, q.site, "", None).await
}

#[derive(Debug, Deserialize)]
pub(super) struct CheckinForm {
    #[serde(default)]
    csrf: String,
    site: i64,
    #[serde(default)]
    value: String,
}

/// Finds today's appointment by the ID number or the booking code, checks it in and issues
/// the ticket; the ticket's page (with its secret, for the holder's phone) follows.
pub(super) async fn checkin_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<CheckinForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let value = f.value.trim();
    let body = if normalize_code(value).is_some() {
        CheckInBody {
            site: f.site,
            id_number: None,
            code: Some(value.to_owned()),
        }
    } else {
        CheckInBody {
            site: f.site,
            id_number: Some(value.to_owned()),
            code: None,
        }
    };
    let checked = match find_for_check_in(&state, &body).await {
        Ok(a) => {
            // The kiosk has no account: the terminal itself is the actor, as when it issues a
            // walk-in's ticket.
            let actor = Actor {
                ip: ip.0.clone(),
                ..Actor::system("kiosk")
            };
            let tx = state.db.begin_write().await.map_err(StoreError::from)?;
            match booking::check_in(&tx, a.id, Utc::now(), &actor).await {
                Ok(c) => {
                    tx.commit().await.map_err(StoreError::from)?;
                    state.outbox_wake.notify_one();
                    Ok(c)
                }
                Err(e) => Err(ApiError::from(e)),
            }
        }
        Err(e) => Err(e),
    };
    match checked {
        Ok(c) => {
            let token = queue::ticket_token(state.db.conn(), c.ticket.id).await?;
            Ok(
                Redirect::to(&format!("/ticket/{}?t={}", c.ticket.id, urlencode(&token)))
                    .into_response(),
            )
        }
        Err(e) => {
            let msg = inline(e, lang)?;
            checkin_view(&state, &headers, &uri, Some(f.site), value, Some(msg)).await
        }
    }
}

#[derive(Template)]
#[template(path = "rate.html")]
struct RatePage {
    frame: Frame,
    w: Words,
    csrf: String,
    ticket_id: i64,
    number: String,
    site_name: String,
    token: String,
    finished: bool,
    rated: Option<String>,
    levels: Vec<(i64, String)>,
    reasons: Vec<(String, bool)>,
    comment: String,
    counter_url: Option<String>,
    error: Option<String>,
}

/// Whether the caller may rate ticket `t`: by its secret, or as staff of its counter.
async fn may_rate(
    state: &AppState,
    caller: &Caller,
    t: &queue::Ticket,
    token: Option<&str>,
) -> Result<bool, ApiError> {
    if let Some(given) = token
        && queue::ticket_token_matches(state.db.conn(), t.id, given).await?
    {
        return Ok(false);
    }
    if let Some(c) = t.counter_id
        && matches!(caller, Caller::Staff(_))
    {
        let c = queue::counter(state.db.conn(), c).await?;
        if crate::http::queue::at_counter(state, caller, &c)
            .await
            .is_ok()
        {
            return Ok(true);
        }
    }
    Err(ApiError::not_found())
}

#[allow(clippy::too_many_arguments)]
async fn rate_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    id: i64,
    token: Option<&str>,
    chosen: &[String],
    comment: &str,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let db = state.db.conn();
    let t = queue::ticket(db, id).await?;
    let staff = may_rate(state, caller, &t, token).await?;
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let rated = ratings::of_ticket(db, id)
        .await?
        .map(|r| w.l(format!("rating.level.{}", r.level)));
    let site = org::get_unit(db, UnitId(t.site_id)).await?;
    let page = RatePage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        ticket_id: t.id,
        number: t.number.clone(),
        site_name: site.name,
        token: token.unwrap_or_default().to_owned(),
        finished: t.status == TicketStatus::Done,
        rated,
        levels: (1..=5)
            .rev()
            .map(|l| (l, w.l(format!("rating.level.{l}"))))
            .collect(),
        reasons: ratings::REASONS
            .iter()
            .map(|r| ((*r).to_owned(), chosen.iter().any(|c| c == r)))
            .collect(),
        comment: comment.to_owned(),
        counter_url: t
            .counter_id
            .filter(|_| staff)
            .map(|c| format!("/console/counter/{c}")),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenQuery {
    #[serde(default)]
    t: Option<String>,
}

/// The rating page of a finished service.
pub(super) async fn rate_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> Result<Response, ApiError> {
    let token = q.t.as_deref().filter(|t| !t.is_empty());
    rate_view(&state, &caller, &headers, &uri, id, token, &[], "", None).await
}

/// Records the rating (a bad one opens a rectification); the page then thanks.
pub(super) async fn rate_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    csrf::verify(&headers, get("csrf"))?;
    let lang = crate::http::lang_from(&uri, &headers);
    let token = Some(get("t")).filter(|t| !t.is_empty());
    let reasons: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "reasons")
        .map(|(_, v)| v.clone())
        .collect();
    let comment = get("comment").trim().to_owned();
    let level = get("level").parse::<i64>().unwrap_or(0);
    let done = record(
        &state,
        &caller,
        &ip,
        RateBody {
            ticket: id,
            token: token.map(str::to_owned),
            level,
            reasons: reasons.clone(),
            comment: (!comment.is_empty()).then(|| comment.clone()),
            channel: None,
        },
    )
    .await;
    match done {
        Ok(_) => {
            let q = token
                .map(|t| format!("?t={}", urlencode(t)))
                .unwrap_or_default();
            Ok(Redirect::to(&format!("/rate/{id}{q}")).into_response())
        }
        Err(e) => {
            let msg = inline(e, lang)?;
            rate_view(
                &state,
                &caller,
                &headers,
                &uri,
                id,
                token,
                &reasons,
                &comment,
                Some(msg),
            )
            .await
        }
    }
}

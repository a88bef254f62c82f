//! The resident's urgent request (`/urgent`, 急事急办) and the appointments and requests that
//! "my account" lists.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhengwu_store::{booking, catalog};

use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::portal::{manage_url, signin_url};
use super::{all_sites, inline, item_name, sites_for_item, status_of, unit_name, when};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::http::booking::NewUrgent;
use crate::i18n::Lang;
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "book_urgent.html")]
struct UrgentPage {
    frame: Frame,
    w: Words,
    csrf: String,
    sites: Vec<(i64, String)>,
    site: i64,
    item: String,
    reason: String,
    mobile: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct UrgentQuery {
    #[serde(default)]
    item: Option<String>,
    #[serde(default)]
    site: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
async fn urgent_view(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    site: Option<i64>,
    item: &str,
    reason: &str,
    mobile: &str,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let sites = match catalog::published_item(state.db.conn(), item.trim()).await {
        Ok(i) => sites_for_item(state, &i)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
        Err(_) => all_sites(state).await?,
    };
    let page = UrgentPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        csrf: csrf.token.clone(),
        site: site.unwrap_or_default(),
        sites,
        item: item.to_owned(),
        reason: reason.to_owned(),
        mobile: mobile.to_owned(),
        error: error.clone(),
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The form of an urgent request (急事急办): the site, the item, why it cannot wait.
pub(super) async fn urgent_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<UrgentQuery>,
) -> Result<Response, ApiError> {
    if !matches!(caller, Caller::Applicant(_)) {
        let mut back = format!(
            "/urgent?item={}",
            urlencode(q.item.as_deref().unwrap_or(""))
        );
        if let Some(s) = q.site {
            back.push_str(&format!("&site={s}"));
        }
        return Ok(Redirect::to(&signin_url(&back)).into_response());
    }
    let item = q.item.unwrap_or_default();
    urgent_view(&state, &headers, &uri, q.site, &item, "", "", None).await
}

#[derive(Debug, Deserialize)]
pub(super) struct UrgentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    mobile: String,
}

/// Files the urgent request; "my account" lists it.
pub(super) async fn urgent_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<UrgentForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if !matches!(caller, Caller::Applicant(_)) {
        return Ok(Redirect::to(&signin_url("/urgent")).into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let site = f.site.trim().parse::<i64>().ok();
    let filed = match site {
        Some(site) => {
            crate::http::booking::file_urgent(
                &state,
                &caller,
                &ip,
                NewUrgent {
                    site,
                    item: f.item.trim().to_owned(),
                    reason: f.reason.clone(),
                    mobile: Some(f.mobile.clone()),
                    person: None,
                },
            )
            .await
        }
        None => Err(ApiError::invalid_field("site", "required")),
    };
    match filed {
        Ok(_) => Ok(Redirect::to("/me?filed=urgent#urgent").into_response()),
        Err(e) => {
            let msg = inline(e, lang)?;
            urgent_view(
                &state,
                &headers,
                &uri,
                site,
                &f.item,
                &f.reason,
                &f.mobile,
                Some(msg),
            )
            .await
        }
    }
}

/// One appointment in "my account".
pub(crate) struct MyAppointment {
    pub(crate) url: String,
    pub(crate) code: String,
    pub(crate) item: String,
    pub(crate) site: String,
    pub(crate) time: String,
    pub(crate) status: String,
}

/// One urgent request in "my account".
pub(crate) struct MyUrgent {
    pub(crate) item: String,
    pub(crate) site: String,
    pub(crate) filed: String,
    pub(crate) status: String,
    pub(crate) decision: String,
    pub(crate) url: Option<String>,
}

/// The appointments and urgent requests that "my account" lists.
pub(crate) struct MeBooking {
    pub(crate) w: Words,
    pub(crate) appointments: Vec<MyAppointment>,
    pub(crate) urgent: Vec<MyUrgent>,
    pub(crate) notice: Option<String>,
}

/// The signed-in citizen's appointments and urgent requests, for `/me`.
pub(crate) async fn me_booking(
    state: &AppState,
    lang: Lang,
    citizen: i64,
    uri: &Uri,
) -> Result<MeBooking, ApiError> {
    let db = state.db.conn();
    let w = Words::new(lang);
    let mut appointments = Vec::new();
    for a in booking::of_citizen(db, citizen).await? {
        appointments.push(MyAppointment {
            url: manage_url(&a.code, None),
            item: item_name(state, &a.item_code),
            site: unit_name(state, a.site_id).await,
            time: when(lang, a.starts_at),
            status: w.l(format!("booking.status.{}", a.status)),
            code: a.code,
        });
    }
    let mut urgent = Vec::new();
    for r in booking::urgent_of_citizen(db, citizen).await? {
        let url = match r.appointment_id {
            Some(id) => booking::get(db, id)
                .await
                .ok()
                .map(|a| manage_url(&a.code, None)),
            None => None,
        };
        urgent.push(MyUrgent {
            item: item_name(state, &r.item_code),
            site: unit_name(state, r.site_id).await,
            filed: when(lang, r.created_at),
            status: w.l(format!("urgent.status.{}", r.status)),
            decision: r.decision.unwrap_or_default(),
            url,
        });
    }
    let filed = uri
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv == "filed=urgent"));
    Ok(MeBooking {
        notice: filed.then(|| w.l("urgent.filed")),
        w,
        appointments,
        urgent,
    })
}

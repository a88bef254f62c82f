//! Residents' records in the staff console: a list with masked ID numbers and mobiles, a
//! detail page, and a "show in full" action (a form post with its CSRF token) whose read goes
//! into the audit trail.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhengwu_store::StoreError;
use zhengwu_store::applicants::{self, Citizen};

use super::Frame;
use super::console::render;
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath};
use crate::http::applicants::CITIZEN_READERS;
use crate::i18n::{Lang, t};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/citizens", get(list))
        .route("/console/citizens/{id}", get(detail))
        .route("/console/citizens/{id}/reveal", post(reveal))
}

fn flags(lang: Lang, c: &Citizen) -> String {
    [
        (c.elderly_alone, "flag.elderly_alone"),
        (c.disabled, "flag.disabled"),
        (c.pregnant, "flag.pregnant"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, k)| t(lang, k))
    .collect::<Vec<_>>()
    .join("、")
}

struct Row {
    id: i64,
    name: String,
    id_number: String,
    mobile: String,
    flags: String,
}

#[derive(Template)]
#[template(path = "citizens.html")]
struct ListPage {
    frame: Frame,
    title: String,
    console_label: String,
    empty_label: String,
    headers: Vec<String>,
    rows: Vec<Row>,
}

/// Staff with a role that works with residents, or the way to the login page.
fn check(caller: &Caller) -> Result<Option<Response>, ApiError> {
    if matches!(caller, Caller::Anonymous) {
        return Ok(Some(Redirect::to("/console/login").into_response()));
    }
    caller.require(CITIZEN_READERS)?;
    Ok(None)
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if let Some(r) = check(&caller)? {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let citizens = applicants::list_citizens(state.db.conn(), 1000).await?;
    let page = ListPage {
        frame: Frame::new(lang, t(lang, "page.title")),
        title: t(lang, "page.citizens.title"),
        console_label: t(lang, "page.console.title"),
        empty_label: t(lang, "page.citizens.empty"),
        headers: ["name", "id_number", "mobile", "flags"]
            .iter()
            .map(|c| t(lang, &format!("page.citizens.col.{c}")))
            .collect(),
        rows: citizens
            .iter()
            .map(|c| Row {
                id: c.id,
                name: c.name.clone(),
                id_number: c.id_number.clone(),
                mobile: c.mobile.clone(),
                flags: flags(lang, c),
            })
            .collect(),
    };
    render(page, None, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "citizen.html")]
struct DetailPage {
    frame: Frame,
    list_label: String,
    id: i64,
    name: String,
    id_label: String,
    id_number: String,
    mobile_label: String,
    mobile: String,
    address_label: String,
    address: String,
    flags_label: String,
    flags: String,
    revealed: bool,
    csrf: String,
    show_label: String,
    show_note: String,
}

fn detail_page(lang: Lang, csrf: &Csrf, c: &Citizen) -> DetailPage {
    DetailPage {
        frame: Frame::new(lang, t(lang, "page.title")),
        list_label: t(lang, "page.citizens.title"),
        id: c.id,
        name: c.name.clone(),
        id_label: t(lang, "page.citizens.col.id_number"),
        id_number: c.id_number.clone(),
        mobile_label: t(lang, "page.citizens.col.mobile"),
        mobile: c.mobile.clone(),
        address_label: t(lang, "page.citizens.address"),
        address: t(lang, "page.citizens.hidden"),
        flags_label: t(lang, "page.citizens.col.flags"),
        flags: flags(lang, c),
        revealed: false,
        csrf: csrf.token.clone(),
        show_label: t(lang, "page.citizens.show"),
        show_note: t(lang, "page.citizens.show_note"),
    }
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    if let Some(r) = check(&caller)? {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let csrf = Csrf::for_request(&headers)?;
    let c = applicants::get_citizen(state.db.conn(), id).await?;
    render(detail_page(lang, &csrf, &c), Some(&csrf), StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn reveal(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &form.csrf)?;
    if let Some(r) = check(&caller)? {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let csrf = Csrf::for_request(&headers)?;
    let masked = applicants::get_citizen(state.db.conn(), id).await?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let full = applicants::reveal_citizen(&tx, &caller.actor(&ip), id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let mut page = detail_page(lang, &csrf, &masked);
    page.id_number = full.id_number;
    page.mobile = full.mobile;
    page.address = full.address.unwrap_or_default();
    page.revealed = true;
    render(page, Some(&csrf), StatusCode::OK)
}

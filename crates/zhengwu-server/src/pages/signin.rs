//! The applicants' sign-in pages: a mobile number, then the six-digit code from the SMS
//! (the same store functions as `/api/v1/applicant/…`), and "my account".

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhengwu_core::ident::Mobile;

use super::Frame;
use super::console::render;
use crate::auth::Caller;
use crate::csrf::{self, Csrf};
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signin", get(signin_page).post(send_code))
        .route("/signin/verify", post(verify))
        .route("/signout", post(signout))
        .route("/me", get(me))
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    frame: Frame,
    title: String,
    csrf: String,
    step_code: bool,
    mobile: String,
    mobile_label: String,
    send_label: String,
    sent_to: String,
    code_label: String,
    verify_label: String,
    notice: String,
    error_title: String,
    error: String,
    /// Where to go once signed in (a path of this site), carried through both steps.
    next: String,
}

fn page(
    lang: Lang,
    csrf: &Csrf,
    step_code: bool,
    mobile: &str,
    error: Option<&ApiError>,
) -> SigninPage {
    let args: Vec<(&str, String)> = error.map(|e| e.args.clone()).unwrap_or_default();
    SigninPage {
        frame: Frame::new(lang, t(lang, "page.title")),
        title: t(lang, "page.signin.title"),
        csrf: csrf.token.clone(),
        step_code,
        mobile: mobile.to_owned(),
        mobile_label: t(lang, "page.signin.mobile"),
        send_label: t(lang, "page.signin.send"),
        sent_to: Mobile::parse(mobile)
            .map(|m| tf(lang, "page.signin.sent_to", &[("mobile", m.masked())]))
            .unwrap_or_default(),
        code_label: t(lang, "page.signin.code"),
        verify_label: t(lang, "page.signin.verify"),
        notice: String::new(),
        next: String::new(),
        error_title: error
            .map(|e| t(lang, &format!("error.{}.title", e.code)))
            .unwrap_or_default(),
        error: error
            .map(|e| tf(lang, &format!("error.{}.detail", e.code), &args))
            .unwrap_or_default(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

/// `next` when it is a path of this site, else nothing.
fn next_of(next: &str) -> String {
    super::booking::local_path(next)
        .map(str::to_owned)
        .unwrap_or_default()
}

async fn signin_page(
    headers: HeaderMap,
    uri: Uri,
    crate::error::ApiQuery(q): crate::error::ApiQuery<NextQuery>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(&uri, &headers);
    let csrf = Csrf::for_request(&headers)?;
    let mut p = page(lang, &csrf, false, "", None);
    p.next = next_of(&q.next);
    render(p, Some(&csrf), StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct MobileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

async fn send_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<MobileForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &form.csrf)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let csrf = Csrf::for_request(&headers)?;
    let shown: String = form.mobile.chars().take(20).collect();
    let next = next_of(&form.next);
    let with_next = |mut p: SigninPage| {
        p.next = next.clone();
        p
    };
    let mobile = match Mobile::parse(&form.mobile) {
        Ok(m) => m,
        Err(e) => {
            let err = ApiError::invalid_field("mobile", e);
            return render(
                with_next(page(lang, &csrf, false, &shown, Some(&err))),
                Some(&csrf),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    match crate::auth::send_sign_in_code(&state, &mobile).await {
        Ok(()) => render(
            with_next(page(lang, &csrf, true, mobile.as_str(), None)),
            Some(&csrf),
            StatusCode::OK,
        ),
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => render(
            with_next(page(lang, &csrf, true, mobile.as_str(), Some(&e))),
            Some(&csrf),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e) => Err(e),
    }
}

async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<MobileForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &form.csrf)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let csrf = Csrf::for_request(&headers)?;
    let invalid = ApiError::new(StatusCode::UNAUTHORIZED, "invalid_code");
    let next = next_of(&form.next);
    let with_next = |mut p: SigninPage| {
        p.next = next.clone();
        p
    };
    let Ok(mobile) = Mobile::parse(&form.mobile) else {
        return render(
            with_next(page(lang, &csrf, false, "", Some(&invalid))),
            Some(&csrf),
            StatusCode::UNAUTHORIZED,
        );
    };
    match crate::auth::applicant_sign_in(&state, &mobile, &form.code).await {
        Ok((_, cookie)) => {
            let to = if next.is_empty() {
                "/me"
            } else {
                next.as_str()
            };
            let mut res = Redirect::to(to).into_response();
            res.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(res)
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => render(
            with_next(page(lang, &csrf, true, mobile.as_str(), Some(&invalid))),
            Some(&csrf),
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn signout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &form.csrf)?;
    let clear = crate::auth::applicant_sign_out(&state, &headers).await?;
    let mut res = Redirect::to("/signin").into_response();
    res.headers_mut().append(header::SET_COOKIE, clear);
    Ok(res)
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    frame: Frame,
    title: String,
    welcome: String,
    csrf: String,
    mobile_label: String,
    mobile: String,
    id_label: String,
    id_number: String,
    enterprises_label: String,
    enterprises: Vec<(String, String)>,
    signout_label: String,
    booking: super::booking::MeBooking,
}

async fn me(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let Caller::Applicant(a) = caller else {
        return Ok(Redirect::to("/signin").into_response());
    };
    let lang = crate::http::lang_from(&uri, &headers);
    let csrf = Csrf::for_request(&headers)?;
    let p = MePage {
        frame: Frame::new(lang, t(lang, "page.title")),
        title: t(lang, "page.me.title"),
        welcome: tf(lang, "page.me.welcome", &[("name", a.citizen.name.clone())]),
        csrf: csrf.token.clone(),
        mobile_label: t(lang, "page.me.mobile"),
        mobile: a.citizen.mobile.clone(),
        id_label: t(lang, "page.me.id_number"),
        id_number: a.citizen.id_number.clone(),
        enterprises_label: t(lang, "page.me.enterprises"),
        enterprises: a
            .enterprises
            .iter()
            .map(|e| (e.name.clone(), e.credit_code.clone()))
            .collect(),
        signout_label: t(lang, "page.me.signout"),
        booking: super::booking::me_booking(&state, lang, a.citizen.id, &uri).await?,
    };
    render(p, Some(&csrf), StatusCode::OK)
}

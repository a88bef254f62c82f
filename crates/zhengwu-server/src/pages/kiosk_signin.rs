//! Signing in at the 24-hour kiosk, for the kiosk's pages that need to know who stands at the
//! terminal: the application (`/kiosk/apply`) and the booking (`/kiosk/book`). The sign-in is a
//! step of the page itself — the mobile, then the code from the SMS, with the same functions as
//! `/signin` — and the resident is signed out again on the terminal, which everyone shares:
//! once the matter is done, by "back to start", by "not me", and when nobody touched the kiosk
//! for a while (`kiosk_idle.html`). Each page keeps its own routes (`{base}/code`,
//! `{base}/verify`, `{base}/signout`) and answers with its own page; the steps are here.
//!
//! The templates: `kiosk_signin.html` (the step), `kiosk_signin_home.html` (the way home, which
//! signs out), `kiosk_signin_who.html` (who is signed in, "not me") and
//! `kiosk_idle.html`; they read a page's `signin`, `signed_in`, `signed_in_as`,
//! `csrf`, `error`, `idle_seconds` and `idle_note`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhengwu_core::ident::Mobile;

use crate::auth::{APPLICANT_COOKIE, Caller};
use crate::error::ApiError;
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

/// Seconds without a touch before the kiosk signs out and starts over (as on its other pages).
pub(crate) const IDLE_SECONDS: u32 = 90;

/// The sign-in step's forms (the mobile, then the code) as posted.
#[derive(Debug, Deserialize)]
pub(crate) struct SigninForm {
    #[serde(default)]
    pub(crate) csrf: String,
    /// The item the page is about, to come back to.
    #[serde(default)]
    pub(crate) item: String,
    #[serde(default)]
    pub(crate) mobile: String,
    #[serde(default)]
    pub(crate) code: String,
}

/// "Back to start" (no item) or "not me" (the item whose sign-in step to go back to).
#[derive(Debug, Deserialize)]
pub(crate) struct SignoutForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) item: String,
}

/// Where the sign-in step stands after a post: the mobile typed, whether the code was sent to
/// it, a refusal in words, and the status to answer with.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) mobile: String,
    pub(crate) code_sent: bool,
    pub(crate) error: Option<String>,
    pub(crate) status: StatusCode,
}

/// The sign-in step as the templates show it.
#[derive(Debug, Clone)]
pub(crate) struct SigninView {
    /// The page's path; the step posts to `{base}/code` and `{base}/verify`, the way home to
    /// `{base}/signout`.
    pub(crate) base: &'static str,
    pub(crate) item_code: String,
    /// What the resident signs in for, in a sentence.
    pub(crate) lead: String,
    /// The mobile typed (at most 20 characters shown back).
    pub(crate) mobile: String,
    pub(crate) code_sent: bool,
    /// "The code was sent to 138****0004", once it was.
    pub(crate) sent_to: String,
}

impl SigninView {
    pub(crate) fn new(
        lang: Lang,
        base: &'static str,
        item_code: &str,
        lead: String,
        mobile: &str,
        code_sent: bool,
    ) -> Self {
        let sent_to = if code_sent {
            Mobile::parse(mobile)
                .map(|m| tf(lang, "page.signin.sent_to", &[("mobile", m.masked())]))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Self {
            base,
            item_code: item_code.to_owned(),
            lead,
            mobile: mobile.chars().take(20).collect(),
            code_sent,
            sent_to,
        }
    }
}

/// Sends the sign-in code to the mobile typed: the code step next, or the mobile step again
/// with the refusal (not a mobile; asked too often, when the code sent before still works).
pub(crate) async fn send_code(state: &AppState, lang: Lang, typed: &str) -> Result<Step, ApiError> {
    let mobile = match Mobile::parse(typed) {
        Ok(m) => m,
        Err(e) => {
            let err = ApiError::invalid_field("mobile", e);
            return Ok(Step {
                mobile: typed.to_owned(),
                code_sent: false,
                error: Some(err.short_message(lang)),
                status: err.status,
            });
        }
    };
    let (error, status) = match crate::auth::send_sign_in_code(state, &mobile).await {
        Ok(()) => (None, StatusCode::OK),
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            (Some(e.short_message(lang)), e.status)
        }
        Err(e) => return Err(e),
    };
    Ok(Step {
        mobile: mobile.as_str().to_owned(),
        code_sent: true,
        error,
        status,
    })
}

/// What checking the code comes to.
pub(crate) enum Verified {
    /// Signed in: the applicant's session cookie to set.
    SignedIn(HeaderValue),
    /// The step again, with the refusal.
    Again(Step),
}

/// Checks the code and opens the applicant's session.
pub(crate) async fn verify(
    state: &AppState,
    lang: Lang,
    typed: &str,
    code: &str,
) -> Result<Verified, ApiError> {
    let invalid = ApiError::new(StatusCode::UNAUTHORIZED, "invalid_code");
    let Ok(mobile) = Mobile::parse(typed) else {
        return Ok(Verified::Again(Step {
            mobile: String::new(),
            code_sent: false,
            error: Some(invalid.short_message(lang)),
            status: invalid.status,
        }));
    };
    match crate::auth::applicant_sign_in(state, &mobile, code.trim()).await {
        Ok((_, cookie)) => Ok(Verified::SignedIn(cookie)),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(Verified::Again(Step {
            mobile: mobile.as_str().to_owned(),
            code_sent: true,
            error: Some(invalid.short_message(lang)),
            status: e.status,
        })),
        Err(e) => Err(e),
    }
}

/// Closes the applicant's session at the kiosk and returns the header that clears its cookie
/// (an error closing it in the store is logged: the cookie goes all the same).
pub(crate) async fn sign_out(state: &AppState, headers: &HeaderMap) -> HeaderValue {
    match crate::auth::applicant_sign_out(state, headers).await {
        Ok(clear) => clear,
        Err(e) => {
            tracing::warn!(
                code = e.code,
                "closing the kiosk's applicant session failed"
            );
            crate::auth::named_cookie(state, APPLICANT_COOKIE, "", 0)
        }
    }
}

/// A redirect to `to` that sets (or clears) the applicant's cookie.
pub(crate) fn redirect_with(to: &str, cookie: HeaderValue) -> Response {
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

/// Signs out ("back to start", "not me", the idle timeout) and goes to `to`.
pub(crate) async fn sign_out_to(state: &AppState, headers: &HeaderMap, to: &str) -> Response {
    let clear = sign_out(state, headers).await;
    redirect_with(to, clear)
}

/// Who is signed in at the kiosk, in words (the name and the masked mobile); empty when
/// nobody is.
pub(crate) fn signed_in_as(lang: Lang, caller: &Caller) -> String {
    match caller {
        Caller::Applicant(a) => tf(
            lang,
            "cases.portal.kiosk_signed_in_as",
            &[
                ("name", a.citizen.name.clone()),
                ("mobile", a.citizen.mobile.clone()),
            ],
        ),
        _ => String::new(),
    }
}

/// The notice that the kiosk starts over after a spell without a touch (and signs out, when
/// someone is signed in).
pub(crate) fn idle_note(lang: Lang, signed_in: bool) -> String {
    let key = if signed_in {
        "cases.portal.kiosk_idle"
    } else {
        "page.kiosk.idle"
    };
    tf(lang, key, &[("seconds", IDLE_SECONDS.to_string())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_says_where_the_code_went_only_once_it_was_sent() {
        let v = SigninView::new(
            Lang::ZhCn,
            "/kiosk/book",
            "X",
            String::new(),
            "13804110004",
            true,
        );
        assert!(
            v.sent_to.starts_with("验证码已发送至 138****0004"),
            "{}",
            v.sent_to
        );
        let v = SigninView::new(
            Lang::ZhCn,
            "/kiosk/book",
            "X",
            String::new(),
            "13804110004",
            false,
        );
        assert_eq!(v.sent_to, "");
        let long = "1".repeat(50);
        assert_eq!(
            SigninView::new(Lang::En, "/kiosk/apply", "X", String::new(), &long, false)
                .mobile
                .len(),
            20
        );
        assert!(idle_note(Lang::ZhCn, true).contains("自动退出登录"));
        assert!(!idle_note(Lang::ZhCn, false).contains("退出登录"));
    }
}

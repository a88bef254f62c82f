//! CSRF protection for HTML forms: a random token in a `SameSite=Strict` cookie and the same
//! token in a hidden field of every form (double submit). A cross-site page can make the
//! browser post a form, but it can neither read the cookie nor know the token. The JSON API
//! needs no token: it only accepts `application/json`, which a cross-site form cannot send
//! without a CORS preflight that this server never grants.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::error::ApiError;

pub const CSRF_COOKIE: &str = "zw_csrf";

/// The token for the forms of one response, and the cookie to set if it is new.
#[derive(Debug, Clone)]
pub struct Csrf {
    pub token: String,
    new: bool,
}

impl Csrf {
    /// The request's token, or a new one.
    pub fn for_request(headers: &HeaderMap) -> Result<Self, ApiError> {
        if let Some(t) = crate::auth::cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 64) {
            return Ok(Self {
                token: t.to_owned(),
                new: false,
            });
        }
        let token = zhengwu_core::secret::random_hex(32)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
        Ok(Self { token, new: true })
    }

    /// Sets the cookie on `res` when the token is new.
    pub fn apply(&self, res: &mut Response) {
        if self.new
            && let Ok(v) = HeaderValue::from_str(&format!(
                "{CSRF_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
                self.token
            ))
        {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// Checks a form's token against the cookie; 403 `csrf_failed` otherwise.
pub fn verify(headers: &HeaderMap, form_token: &str) -> Result<(), ApiError> {
    let cookie = crate::auth::cookie(headers, CSRF_COOKIE).unwrap_or("");
    let same = cookie.len() == 64 && zhengwu_core::secret::same(cookie, form_token);
    if same {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_failed"))
    }
}

//! Errors as RFC 9457 problem details. A handler returns an [`ApiError`] with a stable
//! snake_case `code`; the [`problem_details`] middleware, which knows the caller's language
//! and the request id, writes the body. Responses the framework makes itself (no route, body
//! too large, a panic) get the same treatment, so no `/api` error is ever plain text.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use zhengwu_store::StoreError;

use crate::i18n;

/// An error for the caller: a status, a code the catalog translates, and the values its
/// text needs.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    pub args: Vec<(&'static str, String)>,
    /// The cause of a 5xx, logged and never shown.
    pub source: Option<anyhow::Error>,
}

/// What the middleware needs to write the problem body.
#[derive(Debug, Clone)]
struct ProblemInfo {
    code: &'static str,
    field: Option<String>,
    args: Vec<(&'static str, String)>,
}

/// Fields that name a whole record rather than an input: their refusals read as sentences.
const WHOLE_RECORD: [&str; 17] = [
    "appeal",
    "case",
    "assist_request",
    "form",
    "master",
    "extension",
    "disposal",
    "supervision",
    "check",
    "booking",
    "appointment",
    "urgent_request",
    "ticket",
    "rectification",
    "counter",
    "item_group",
    "starts_at",
];

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            field: None,
            args: Vec::new(),
            source: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        let f = field.into();
        self.args.push(("field", f.clone()));
        self.field = Some(f);
        self
    }

    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// 400 with `code`, about `field`.
    pub fn invalid(code: &'static str, field: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code).with_field(field)
    }

    /// 422: the value of `field` breaks a rule; `reason` says which.
    pub fn invalid_field(field: &str, reason: impl ToString) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
            .with_field(field)
            .arg("reason", reason)
    }

    /// The problem's detail in `lang`, for a page that shows the error in place.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        crate::i18n::tf(
            lang,
            &format!("error.{}.detail", self.code),
            &crate::i18n::localize_args(lang, &self.args),
        )
    }

    /// The refusal as a page shows it beside a form: for a rule about the whole record (a
    /// booking, an appointment, a ticket …) the reason alone ("来早了，09:30 起可以签到取号"),
    /// for a field "field: reason"; other problems as [`ApiError::message`].
    pub fn short_message(&self, lang: crate::i18n::Lang) -> String {
        let arg = |k: &str| {
            self.args
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.as_str())
        };
        match (self.code, self.field.as_deref(), arg("reason")) {
            ("invalid_field", Some(field), Some(reason)) => {
                let reason = crate::i18n::reason(lang, reason);
                if WHOLE_RECORD.contains(&field) {
                    reason
                } else {
                    format!(
                        "{}{}{reason}",
                        crate::i18n::field(lang, field),
                        crate::i18n::t(lang, "punct.colon")
                    )
                }
            }
            _ => self.message(lang),
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }

    pub fn internal(source: anyhow::Error) -> Self {
        Self {
            source: Some(source),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::not_found(),
            StoreError::Conflict { constraint } => {
                Self::new(StatusCode::CONFLICT, "conflict").arg("constraint", constraint)
            }
            StoreError::Stale { current, .. } => {
                Self::new(StatusCode::CONFLICT, "stale").arg("revision", current)
            }
            StoreError::Invalid { field, message } => Self::invalid_field(&field, message),
            StoreError::RateLimited { retry_after_secs } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
                    .arg("seconds", retry_after_secs)
            }
            StoreError::Database(db) => {
                let unavailable = matches!(
                    db,
                    zhengwu_store::DbErr::Conn(_) | zhengwu_store::DbErr::ConnectionAcquire(_)
                );
                if unavailable {
                    Self {
                        source: Some(anyhow::Error::new(db)),
                        ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
                    }
                } else {
                    Self::internal(anyhow::Error::new(db))
                }
            }
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query").arg("reason", r.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            JsonRejection::JsonDataError(e) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json")
                    .arg("reason", e.body_text())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            other => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_json").arg("reason", other.body_text())
            }
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        // An id that is not a number names nothing that exists.
        tracing::debug!(reason = %r.body_text(), "path rejected");
        Self::not_found()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            match &self.source {
                Some(e) => tracing::error!(code = self.code, error = ?e, "request failed"),
                None => tracing::error!(code = self.code, "request failed"),
            }
        }
        let mut res = self.status.into_response();
        res.extensions_mut().insert(Arc::new(ProblemInfo {
            code: self.code,
            field: self.field,
            args: self.args,
        }));
        res
    }
}

/// Query parameters, rejected as problem details.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A JSON body, rejected as problem details.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Path parameters; a malformed one is a 404.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The body of a problem response (RFC 9457), with our extension members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// Stable snake_case code the user interface can translate.
    pub code: String,
    /// The input field the problem is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub request_id: String,
}

fn generic_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_json",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "http",
    }
}

/// Middleware: turns every error response into problem details (under `/api`, and any
/// request that asks for JSON) or an HTML error page (elsewhere), in the caller's language.
pub async fn problem_details(req: Request, next: Next) -> Response {
    let lang = crate::http::request_lang(&req);
    let path = req.uri().path().to_owned();
    // Open311 answers its errors in its own format.
    if path.starts_with("/open311/") {
        return next.run(req).await;
    }
    let wants_json = path.starts_with("/api")
        || req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("json") && !a.contains("text/html"));
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let info = res.extensions().get::<Arc<ProblemInfo>>().cloned();
    // A problem already, or a page that rendered its own error state (a login form saying
    // the password was wrong): leave it as it is.
    let own_body = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        // A JSON body set by a handler on purpose (an import's report of broken rows).
        v.starts_with(b"application/problem+json")
            || v.starts_with(b"text/html")
            || v.starts_with(b"application/json")
    });
    if info.is_none() && own_body {
        return res;
    }
    let (code, field, mut args) = match info.as_deref() {
        Some(i) => (i.code, i.field.clone(), i.args.clone()),
        None => (generic_code(status), None, Vec::new()),
    };
    args.push(("request_id", request_id.clone()));
    args.push(("status", status.as_u16().to_string()));
    let title = i18n::t(lang, &format!("error.{code}.title"));
    let detail = i18n::tf(
        lang,
        &format!("error.{code}.detail"),
        &i18n::localize_args(lang, &args),
    );
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    if wants_json {
        let problem = Problem {
            type_: format!("/problems/{code}"),
            title,
            status: status.as_u16(),
            detail,
            instance: path,
            code: code.to_owned(),
            field,
            request_id,
        };
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        Response::from_parts(parts, body.into())
    } else {
        let page = crate::pages::error_page(lang, status, &title, &detail, &request_id);
        let Html(body) = page;
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        Response::from_parts(parts, body.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_server_uses_has_a_title_and_detail_in_the_catalog() {
        for code in [
            "bad_request",
            "invalid_query",
            "invalid_json",
            "unsupported_media_type",
            "invalid_field",
            "invalid_date",
            "invalid_datetime",
            "range_reversed",
            "range_too_long",
            "invalid_working_days",
            "not_found",
            "method_not_allowed",
            "conflict",
            "payload_too_large",
            "unavailable",
            "internal",
            "http",
            "invalid_credentials",
            "account_locked",
            "unauthenticated",
            "invalid_token",
            "forbidden",
            "rate_limited",
            "invalid_code",
            "invalid_credit_code",
        ] {
            assert!(i18n::has(&format!("error.{code}.title")), "{code} title");
            assert!(i18n::has(&format!("error.{code}.detail")), "{code} detail");
        }
    }
}

//! The HTTP surface: one router per domain, merged here, with the layers every request
//! passes through (request id, tracing, problem details, metrics, body limit, panic guard).

pub mod appeal_admin;
pub mod appeals;
pub mod applicants;
pub mod booking;
pub mod calendar;
pub mod cases;
pub mod catalog;
pub mod health;
pub mod open311;
pub mod org;
pub mod queue;
pub mod ratings;
pub mod session;
pub mod supervision;

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, header};
use axum::middleware;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::i18n::Lang;
use crate::startup::AppState;

/// The OpenAPI document's header; the paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "zhengwu 政务",
        description = "One-stop smart government services: the JSON API. Errors are RFC 9457 problem details (application/problem+json) with a stable `code`, in the language of Accept-Language (zh-CN by default, en).",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    tags(
        (name = "catalog", description = "The service catalog (items, their guides, versions, synonyms, import and export) and guidance in plain language"),
        (name = "booking", description = "Appointments: availability, booking by applicants, staff and messaging front ends, the iCalendar file, cancel and reschedule, check-in that issues the ticket at once, urgent requests"),
        (name = "appeals", description = "Citizen appeals (12345): topics, knowledge base, intake, instant answers, dispatch to a lead unit and co-units, signing, returns, contributions, replies, return visits, tracking by number"),
        (name = "cases", description = "Cases (办件): submission with the form and materials, machine checks and instant approval, acceptance at any comprehensive window, review in the department, supplements with the clock paused, decisions, hand-out, withdrawal, my cases, the supervisor's figures, and the 痛快办 queue"),
        (name = "ratings", description = "好差评 ratings of finished services (GB/T 39734 five levels) and the rectification of bad ones"),
        (name = "queue", description = "Queue numbers without a queueing step: sites, item groups, tickets, counters"),
        (name = "calendar", description = "The working-day calendar (statutory holidays and adjusted working days)"),
        (name = "org", description = "The organisation: center, halls, windows, departments, sub-districts, communities, stations, opening hours"),
        (name = "health", description = "Liveness and readiness"),
        (name = "identity", description = "Staff sessions and the caller")
    ),
    components(schemas(crate::error::Problem))
)]
struct ApiDoc;

/// The API's routes and their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(calendar::router())
        .merge(catalog::router())
        .merge(org::router())
        .merge(queue::router())
        .merge(booking::router())
        .merge(ratings::router())
        .merge(appeals::router())
        .merge(cases::router())
        .merge(appeal_admin::router())
        .merge(supervision::router())
        .merge(health::router())
        .merge(session::router())
        .merge(applicants::router())
        .split_for_parts()
}

/// Runs `f` in one write transaction, commits, and wakes the outbox worker for whatever the
/// change queued: the shape of every step of a booking or an appeal, for the API and the pages.
pub async fn write<T>(
    state: &AppState,
    f: impl AsyncFnOnce(&zhengwu_store::WriteTx) -> Result<T, zhengwu_store::StoreError>,
) -> Result<T, crate::error::ApiError> {
    use zhengwu_store::StoreError;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let out = f(&tx).await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.outbox_wake.notify_one();
    Ok(out)
}

/// A stored file sent as a download, never rendered in place: its type as it was read from
/// the content, `nosniff`, and the name in ASCII and in UTF-8 (RFC 6266).
pub fn download(file_name: &str, content_type: String, bytes: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file_name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "_"),
        crate::pages::urlencode(file_name)
    );
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The OpenAPI document alone (for `zhengwu openapi` and tests).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application's router.
pub fn app_router(state: AppState) -> Router {
    let (api_routes, openapi) = api();
    let max_body = state.config.max_body_bytes;
    let max_upload = state.config.max_upload_bytes.max(max_body);
    Router::new()
        .merge(api_routes)
        .merge(crate::pages::router())
        .merge(open311::router())
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .fallback(fallback)
        // Bodies are limited by `limit_body` below, per route.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!(
                        "request",
                        request_id = %id,
                        method = %req.method(),
                        path = %req.uri().path(),
                    )
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(middleware::from_fn(crate::error::problem_details))
                .layer(CatchPanicLayer::new())
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(60),
                ))
                .layer(middleware::from_fn_with_state(
                    BodyLimits {
                        body: max_body,
                        upload: max_upload,
                    },
                    limit_body,
                )),
        )
}

/// How large a request body may be: `upload` for the routes that take files, `body` for the
/// rest.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    body: usize,
    upload: usize,
}

/// Whether a request uploads files: an appeal's attachments, the portal's appeal form.
fn is_upload(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST
        && (path == "/appeal/new"
            || path == "/api/v1/cases"
            || path == "/apply"
            || path == "/kiosk/apply"
            || path == "/console/cases/new"
            || (path.starts_with("/api/v1/cases/") && path.ends_with("/supplement"))
            || (path.starts_with("/my/cases/") && path.ends_with("/supplement"))
            || (path.starts_with("/api/v1/appeals/") && path.ends_with("/attachments")))
}

/// Refuses a body larger than its route's limit: at once when Content-Length says so, else
/// when the body is read (the extractors answer 413).
async fn limit_body(
    axum::extract::State(limits): axum::extract::State<BodyLimits>,
    req: Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let limit = if is_upload(req.method(), req.uri().path()) {
        limits.upload
    } else {
        limits.body
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let req = req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, limit)));
    next.run(req).await
}

async fn fallback() -> crate::error::ApiError {
    crate::error::ApiError::not_found()
}

/// The language of a request: `?lang=`, then the `lang` cookie, then `Accept-Language`.
pub fn request_lang(req: &Request) -> Lang {
    lang_from(req.uri(), req.headers())
}

/// The language of a request from its URI and headers.
pub fn lang_from(uri: &axum::http::Uri, headers: &axum::http::HeaderMap) -> Lang {
    let from_query = uri.query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .map(|v| Lang::negotiate(Some(v)))
    });
    if let Some(l) = from_query {
        return l;
    }
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("lang="))
        .map(|v| Lang::negotiate(Some(v)));
    from_cookie.unwrap_or_else(|| Lang::from_headers(headers))
}

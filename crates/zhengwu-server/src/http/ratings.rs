//! `/api/v1/ratings`: 好差评 of a finished service (the national five levels, GB/T 39734), at
//! the counter's rating page (the counter's clerk is signed in), the kiosk or the phone (the
//! ticket's secret from its link); the rectification a bad rating opens, and its closing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::booking::RatingLevel;
use zhengwu_core::ids::UnitId;
use zhengwu_core::roles::Role;
use zhengwu_store::ratings::{self, NewRating, Rating, Rectification};
use zhengwu_store::{StoreError, org, queue};

use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::booking::visible_sites;
use crate::http::queue::at_counter;
use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(rate))
        .routes(routes!(list_rectifications))
        .routes(routes!(close_rectification))
}

/// A rating.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RateBody {
    /// The ticket of the finished service.
    pub ticket: i64,
    /// The ticket's secret (from its link), unless the counter's clerk is signed in.
    #[serde(default)]
    pub token: Option<String>,
    /// 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.
    pub level: i64,
    /// Reasons from the offered list.
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// `counter`, `kiosk` or `phone` (default: `counter` for staff, else `phone`).
    #[serde(default)]
    pub channel: Option<String>,
}

/// Rates a finished service, once; a bad rating opens a rectification for the counter's unit.
#[utoipa::path(
    post, path = "/api/v1/ratings", tag = "ratings",
    request_body = RateBody,
    responses(
        (status = 201, description = "Recorded", body = Rating),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A level outside 1–5, an unknown reason, a service not finished, rated already", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn rate(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(body): ApiJson<RateBody>,
) -> Result<(StatusCode, Json<Rating>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(record(&state, &caller, &ip, body).await?),
    ))
}

/// Records a rating, for the API and the pages.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    body: RateBody,
) -> Result<Rating, ApiError> {
    let t = queue::ticket(state.db.conn(), body.ticket).await?;
    let staff = match t.counter_id {
        Some(c) if matches!(caller, Caller::Staff(_) | Caller::Token(_)) => {
            let c = queue::counter(state.db.conn(), c).await?;
            at_counter(state, caller, &c).await.is_ok()
        }
        _ => false,
    };
    if !staff {
        let given = body.token.as_deref().unwrap_or("");
        if !queue::ticket_token_matches(state.db.conn(), t.id, given).await? {
            return Err(ApiError::not_found());
        }
    }
    let level = RatingLevel::new(body.level)
        .ok_or_else(|| ApiError::invalid_field("level", "range:1-5"))?;
    let channel = body
        .channel
        .unwrap_or_else(|| if staff { "counter" } else { "phone" }.to_owned());
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let r = ratings::rate(
        &tx,
        NewRating {
            ticket_id: t.id,
            level,
            reasons: body.reasons,
            comment: body.comment,
            channel,
        },
        &state.calendar(),
        state.config.booking.rectify_working_days,
        Utc::now(),
        &caller.actor(ip),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(r)
}

/// Roles that see and close rectifications (within their scope).
pub const RECTIFY_STAFF: &[Role] = &[
    Role::Admin,
    Role::Supervisor,
    Role::Leader,
    Role::WindowClerk,
    Role::StationStaff,
];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RectQuery {
    site: Option<i64>,
    /// `open` or `done`.
    status: Option<String>,
}

/// Rectifications of bad ratings, for the sites in the caller's scope.
#[utoipa::path(
    get, path = "/api/v1/ratings/rectifications", tag = "ratings",
    params(RectQuery),
    responses(
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "Rectifications", body = Vec<Rectification>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_rectifications(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RectQuery>,
) -> Result<Json<Vec<Rectification>>, ApiError> {
    let mut sites = visible_sites(&state, &caller, RECTIFY_STAFF).await?;
    if let Some(s) = q.site {
        sites.retain(|x| *x == s);
    }
    Ok(Json(
        ratings::rectifications(state.db.conn(), Some(&sites), q.status.as_deref()).await?,
    ))
}

/// What was done about a bad rating.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CloseBody {
    /// 4–1000 characters.
    pub resolution: String,
}

/// Closes a rectification with what was done.
#[utoipa::path(
    post, path = "/api/v1/ratings/rectifications/{id}/close", tag = "ratings",
    params(("id" = i64, Path, description = "The rectification's id")),
    request_body = CloseBody,
    responses(
        (status = 204, description = "Closed"),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rectification", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Closed already, or no resolution", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn close_rectification(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CloseBody>,
) -> Result<StatusCode, ApiError> {
    close(&state, &caller, &ip, id, &body.resolution).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Closes, for the API and the pages.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
    resolution: &str,
) -> Result<(), ApiError> {
    caller.require(RECTIFY_STAFF)?;
    let site = ratings::rectification_site(state.db.conn(), id).await?;
    let path = org::unit_path(state.db.conn(), UnitId(site.get())).await?;
    if !caller.can_see(RECTIFY_STAFF, &path) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    ratings::close_rectification(&tx, id, resolution, Utc::now(), &caller.actor(ip)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

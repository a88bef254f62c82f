//! `/api/v1/session` (log in, log out) and `/api/v1/me` (who am I).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiJson};
use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
}

/// A staff login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    #[schema(example = "admin", max_length = 64)]
    username: String,
    #[schema(max_length = 200)]
    password: String,
}

/// Logs a member of staff in: a session cookie (HttpOnly, SameSite=Lax) and the caller.
/// Five failures in a row lock the account for 15 minutes.
#[utoipa::path(
    post, path = "/api/v1/session", tag = "identity",
    request_body = Login,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = Caller),
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong username or password, or the account is locked", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong types", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (member, cookie) =
        crate::auth::log_in(&state, &ip, user_agent, &body.username, body.password).await?;
    let mut res = Json(Caller::Staff(member)).into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(res)
}

/// Logs out: ends the session and clears the cookie.
#[utoipa::path(
    delete, path = "/api/v1/session", tag = "identity",
    responses((status = 204, description = "Logged out (or was not logged in)"))
)]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let clear = crate::auth::log_out(&state, &caller, &ip, &headers).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().append(header::SET_COOKIE, clear);
    Ok(res)
}

/// The caller: a member of staff with roles and scopes, or an API token.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "identity",
    responses(
        (status = 200, description = "The caller", body = Caller),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn me(caller: Caller) -> Result<Json<Caller>, ApiError> {
    if matches!(caller, Caller::Anonymous) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"));
    }
    Ok(Json(caller))
}

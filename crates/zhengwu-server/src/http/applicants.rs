//! Applicants: sign-in with a one-time code sent by SMS (`/api/v1/applicant/…`), and the
//! staff's view of citizens — masked in lists, in full only through an audited `reveal`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::ident::Mobile;
use zhengwu_core::roles::Role;
use zhengwu_core::secret::token_digest;
use zhengwu_store::StoreError;
use zhengwu_store::applicants::{self, Citizen, CitizenDetail};

use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::startup::AppState;

/// Staff who work with applicants' records.
pub const CITIZEN_READERS: &[Role] = &[
    Role::Admin,
    Role::Supervisor,
    Role::WindowClerk,
    Role::StationStaff,
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_code))
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(list_citizens))
        .routes(routes!(get_citizen))
        .routes(routes!(reveal_citizen))
        .routes(routes!(list_enterprises))
        .routes(routes!(link_agent))
}

/// Staff who may let a citizen act for an enterprise.
pub const AGENT_LINKERS: &[Role] = &[Role::Admin, Role::WindowClerk];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    /// Only the enterprise with this unified social credit code.
    credit_code: Option<String>,
}

/// Enterprises (by credit code: "one number", 一号办).
#[utoipa::path(
    get, path = "/api/v1/enterprises", tag = "identity",
    params(EnterpriseQuery),
    responses(
        (status = 200, description = "Enterprises", body = Vec<applicants::Enterprise>),
        (status = 400, description = "Not a credit code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not work with applicants", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_enterprises(
    State(state): State<AppState>,
    caller: Caller,
    crate::error::ApiQuery(q): crate::error::ApiQuery<EnterpriseQuery>,
) -> Result<Json<Vec<applicants::Enterprise>>, ApiError> {
    caller.require(CITIZEN_READERS)?;
    let code = match q.credit_code.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(c) => Some(
            zhengwu_core::ident::CreditCode::parse(c)
                .map_err(|_| ApiError::invalid("invalid_credit_code", "credit_code"))?,
        ),
        None => None,
    };
    Ok(Json(
        applicants::list_enterprises(state.db.conn(), code.as_ref().map(|c| c.as_str())).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentLink {
    /// The citizen who will act for the enterprise.
    citizen_id: i64,
}

/// Lets a citizen act for an enterprise (after the window checked the authorisation).
#[utoipa::path(
    post, path = "/api/v1/enterprises/{id}/agents", tag = "identity",
    params(("id" = i64, Path, description = "The enterprise's id")),
    request_body = AgentLink,
    responses(
        (status = 201, description = "Linked"),
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not link agents", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already linked", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such citizen, or wrong types", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn link_agent(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AgentLink>,
) -> Result<StatusCode, ApiError> {
    caller.require(AGENT_LINKERS)?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    applicants::link_agent(&tx, &caller.actor(&ip), body.citizen_id, id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// A mainland mobile number.
    #[schema(example = "13904110001")]
    mobile: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    /// Always true: the answer does not say whether the number is registered.
    accepted: bool,
    /// How long the code is valid.
    valid_minutes: i64,
}

fn parse_mobile(s: &str) -> Result<Mobile, ApiError> {
    Mobile::parse(s).map_err(|e| ApiError::invalid_field("mobile", e))
}

/// Sends a sign-in code by SMS (through the outbox; in the demo the log shows it). One code a
/// minute and five an hour per number.
#[utoipa::path(
    post, path = "/api/v1/applicant/code", tag = "identity",
    request_body = CodeRequest,
    responses(
        (status = 202, description = "A code is on its way if the number is registered", body = CodeSent),
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a mobile number", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many codes for this number", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn send_code(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Response, ApiError> {
    let mobile = parse_mobile(&body.mobile)?;
    if let Err(e) = crate::auth::send_sign_in_code(&state, &mobile).await {
        let retry = e
            .args
            .iter()
            .find(|(k, _)| *k == "seconds")
            .map(|(_, v)| v.clone());
        let mut r = e.into_response();
        if let Some(v) = retry.and_then(|v| v.parse().ok()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(CodeSent {
            accepted: true,
            valid_minutes: applicants::OTP_VALID_MINUTES,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    #[schema(example = "13904110001")]
    mobile: String,
    /// The six digits from the SMS.
    #[schema(example = "123456")]
    code: String,
}

/// Signs an applicant in with the code: an applicant session cookie.
#[utoipa::path(
    post, path = "/api/v1/applicant/session", tag = "identity",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in", body = Caller),
        (status = 401, description = "Wrong or expired code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a mobile number", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn sign_in(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let mobile = parse_mobile(&body.mobile)?;
    let (token, cookie) = crate::auth::applicant_sign_in(&state, &mobile, &body.code).await?;
    let idle = Duration::from_std(state.config.session.idle).unwrap_or(Duration::minutes(30));
    let applicant =
        applicants::session_applicant(state.db.conn(), &token_digest(&token), Utc::now(), idle)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the new session is missing")))?;
    let mut res = Json(Caller::Applicant(applicant)).into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(res)
}

/// Signs an applicant out.
#[utoipa::path(
    delete, path = "/api/v1/applicant/session", tag = "identity",
    responses((status = 204, description = "Signed out"))
)]
async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let clear = crate::auth::applicant_sign_out(&state, &headers).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().append(header::SET_COOKIE, clear);
    Ok(res)
}

/// Citizens, with ID numbers and mobiles masked.
#[utoipa::path(
    get, path = "/api/v1/citizens", tag = "identity",
    responses(
        (status = 200, description = "Citizens, masked", body = Vec<Citizen>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not work with citizens' records", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_citizens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Citizen>>, ApiError> {
    caller.require(CITIZEN_READERS)?;
    Ok(Json(
        applicants::list_citizens(state.db.conn(), 1000).await?,
    ))
}

/// One citizen, masked.
#[utoipa::path(
    get, path = "/api/v1/citizens/{id}", tag = "identity",
    params(("id" = i64, Path, description = "The citizen's id")),
    responses(
        (status = 200, description = "The citizen, masked", body = Citizen),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not work with citizens' records", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such citizen", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_citizen(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Citizen>, ApiError> {
    caller.require(CITIZEN_READERS)?;
    Ok(Json(applicants::get_citizen(state.db.conn(), id).await?))
}

/// One citizen in full (ID number, mobile, address). The read is recorded in the audit trail.
#[utoipa::path(
    post, path = "/api/v1/citizens/{id}/reveal", tag = "identity",
    params(("id" = i64, Path, description = "The citizen's id")),
    responses(
        (status = 200, description = "The citizen in full", body = CitizenDetail),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not work with citizens' records", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such citizen", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn reveal_citizen(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CitizenDetail>, ApiError> {
    caller.require(CITIZEN_READERS)?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let detail = applicants::reveal_citizen(&tx, &caller.actor(&ip), id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(detail))
}

//! `/api/v1/appeals/…`: what administrators maintain for the hotline — the topic tree, the
//! knowledge base of instant answers, and the time limits.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::appeal::Limits;
use zhengwu_core::roles::Role;
use zhengwu_store::appeals::admin::{self, TopicInput};
use zhengwu_store::appeals::{KnowledgeEntry, Topic};

use super::appeals::APPEAL_STAFF;
use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::startup::AppState;

/// Who maintains the topic tree and the time limits.
pub const ADMINS: &[Role] = &[Role::Admin];
/// Who maintains the knowledge base.
pub const KNOWLEDGE_EDITORS: &[Role] = &[Role::Admin, Role::Dispatcher];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_topic, delete_topic))
        .routes(routes!(list_knowledge, add_knowledge))
        .routes(routes!(put_knowledge, delete_knowledge))
        .routes(routes!(get_limits, put_limits))
}

/// Creates topic `code` or changes it (its name; for a leaf its default lead and co-units,
/// usual kind and words). A topic's code and parent never change.
#[utoipa::path(
    put, path = "/api/v1/appeals/topics/{code}", tag = "appeals",
    params(("code" = String, Path, description = "The topic's code, e.g. CG0108")),
    request_body = TopicInput,
    responses(
        (status = 200, description = "Saved", body = Topic),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A code that does not fit its parent; an unknown parent or unit; routing defaults on a non-leaf; a changed code or parent", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn put_topic(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(code): ApiPath<String>,
    ApiJson(mut b): ApiJson<TopicInput>,
) -> Result<Json<Topic>, ApiError> {
    caller.require(ADMINS)?;
    let actor = caller.actor(&ip);
    b.code = code.clone();
    Ok(Json(
        crate::http::write(&state, async |tx| {
            let existing = zhengwu_store::appeals::topic(tx, &code).await?;
            let existing = existing.as_ref().map(|t| t.code.as_str());
            admin::save_topic(tx, existing, &b, &actor).await
        })
        .await?,
    ))
}

/// Deletes a topic nothing refers to (no sub-topics, appeals, answers or routing rules).
#[utoipa::path(
    delete, path = "/api/v1/appeals/topics/{code}", tag = "appeals",
    params(("code" = String, Path, description = "The topic's code")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such topic", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "In use", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_topic(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(code): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(ADMINS)?;
    let actor = caller.actor(&ip);
    crate::http::write(&state, async |tx| {
        admin::delete_topic(tx, &code, &actor).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every knowledge-base entry, by topic.
#[utoipa::path(
    get, path = "/api/v1/appeals/knowledge/entries", tag = "appeals",
    responses(
        (status = 200, description = "The knowledge base", body = Vec<KnowledgeEntry>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of appeals", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_knowledge(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<KnowledgeEntry>>, ApiError> {
    caller.require(APPEAL_STAFF)?;
    Ok(Json(admin::knowledge(state.db.conn()).await?))
}

/// Adds a question and its answer to the knowledge base.
#[utoipa::path(
    post, path = "/api/v1/appeals/knowledge/entries", tag = "appeals",
    request_body = KnowledgeEntry,
    responses(
        (status = 201, description = "Added", body = KnowledgeEntry),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator or dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No question or answer; an unknown topic leaf", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn add_knowledge(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(b): ApiJson<KnowledgeEntry>,
) -> Result<(StatusCode, Json<KnowledgeEntry>), ApiError> {
    caller.require(KNOWLEDGE_EDITORS)?;
    let actor = caller.actor(&ip);
    let k = crate::http::write(&state, async |tx| {
        admin::save_knowledge(tx, None, &b, &actor).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(k)))
}

/// Replaces a knowledge-base entry.
#[utoipa::path(
    put, path = "/api/v1/appeals/knowledge/entries/{id}", tag = "appeals",
    params(("id" = i64, Path, description = "The entry's id")),
    request_body = KnowledgeEntry,
    responses(
        (status = 200, description = "Saved", body = KnowledgeEntry),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator or dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No question or answer; an unknown topic leaf", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn put_knowledge(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<KnowledgeEntry>,
) -> Result<Json<KnowledgeEntry>, ApiError> {
    caller.require(KNOWLEDGE_EDITORS)?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            admin::save_knowledge(tx, Some(id), &b, &actor).await
        })
        .await?,
    ))
}

/// Deletes a knowledge-base entry.
#[utoipa::path(
    delete, path = "/api/v1/appeals/knowledge/entries/{id}", tag = "appeals",
    params(("id" = i64, Path, description = "The entry's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator or dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_knowledge(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require(KNOWLEDGE_EDITORS)?;
    let actor = caller.actor(&ip);
    crate::http::write(&state, async |tx| {
        admin::delete_knowledge(tx, id, &actor).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The time limits in working days.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LimitsBody {
    /// To sign for an assigned appeal.
    pub sign: u32,
    /// To handle a consultation (咨询).
    pub consult: u32,
    /// A request for help (求助).
    pub help: u32,
    /// A complaint (投诉).
    pub complaint: u32,
    /// A report (举报).
    pub report: u32,
    /// A suggestion (建议).
    pub suggestion: u32,
}

impl From<Limits> for LimitsBody {
    fn from(l: Limits) -> Self {
        Self {
            sign: l.sign,
            consult: l.consult,
            help: l.help,
            complaint: l.complaint,
            report: l.report,
            suggestion: l.suggestion,
        }
    }
}

impl From<LimitsBody> for Limits {
    fn from(b: LimitsBody) -> Self {
        Self {
            sign: b.sign,
            consult: b.consult,
            help: b.help,
            complaint: b.complaint,
            report: b.report,
            suggestion: b.suggestion,
        }
    }
}

/// The time limits in working days: to sign, and to handle each kind.
#[utoipa::path(
    get, path = "/api/v1/appeals/limits", tag = "appeals",
    responses(
        (status = 200, description = "The limits", body = LimitsBody),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of appeals", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_limits(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<LimitsBody>, ApiError> {
    caller.require(APPEAL_STAFF)?;
    Ok(Json(admin::limits(state.db.conn()).await?.into()))
}

/// Sets the time limits (each 1–60 working days) for appeals taken in or dispatched from now.
#[utoipa::path(
    put, path = "/api/v1/appeals/limits", tag = "appeals",
    request_body = LimitsBody,
    responses(
        (status = 200, description = "Saved", body = LimitsBody),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A limit outside 1–60", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn put_limits(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(b): ApiJson<LimitsBody>,
) -> Result<Json<LimitsBody>, ApiError> {
    caller.require(ADMINS)?;
    let actor = caller.actor(&ip);
    let l = Limits::from(b);
    Ok(Json(
        crate::http::write(&state, async |tx| admin::set_limits(tx, &l, &actor).await)
            .await?
            .into(),
    ))
}

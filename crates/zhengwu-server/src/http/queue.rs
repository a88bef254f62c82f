//! `/api/v1/org/sites` and `/api/v1/queue`: the sites that keep a queue, their item groups,
//! tickets and counters (M1.2). Issuing tickets and working counters is for the site's staff
//! (or an API token for a kiosk), within their scope.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::ids::UnitId;
use zhengwu_core::roles::Role;
use zhengwu_store::StoreError;
use zhengwu_store::org::{self, UnitFilter, UnitKind};
use zhengwu_store::queue::{self, Counter, Group, PRIORITY_GREEN, PRIORITY_WALK_IN, Ticket};

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::startup::AppState;

/// Roles that issue tickets and work counters (within their scope).
pub const QUEUE_STAFF: &[Role] = &[Role::Admin, Role::WindowClerk, Role::StationStaff];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sites))
        .routes(routes!(list_groups))
        .routes(routes!(issue_ticket))
        .routes(routes!(get_ticket))
        .routes(routes!(list_counters))
        .routes(routes!(open_counter))
        .routes(routes!(close_counter))
        .routes(routes!(call_next))
        .routes(routes!(finish_ticket))
        .routes(routes!(step_ticket))
        .routes(routes!(transfer_ticket))
}

/// A site that keeps a queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Site {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// `hall` or `station`.
    pub kind: String,
}

/// The halls and stations.
#[utoipa::path(
    get, path = "/api/v1/org/sites", tag = "queue",
    responses((status = 200, description = "Halls and stations", body = Vec<Site>))
)]
async fn sites(State(state): State<AppState>) -> Result<Json<Vec<Site>>, ApiError> {
    let mut out = Vec::new();
    for kind in [UnitKind::Hall, UnitKind::Station] {
        let units = org::list_units(
            state.db.conn(),
            &UnitFilter {
                kind: Some(kind),
                ..Default::default()
            },
        )
        .await?;
        out.extend(units.into_iter().map(|u| Site {
            id: u.id.get(),
            code: u.code,
            name: u.name,
            kind: kind.as_str().to_owned(),
        }));
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    /// The site's id (a hall or a station).
    site: i64,
}

/// A site's item groups (their codes are the ticket prefixes).
#[utoipa::path(
    get, path = "/api/v1/queue/groups", tag = "queue",
    params(SiteQuery),
    responses(
        (status = 200, description = "The groups", body = Vec<Group>),
        (status = 400, description = "No site given", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_groups(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SiteQuery>,
) -> Result<Json<Vec<Group>>, ApiError> {
    Ok(Json(queue::groups(state.db.conn(), UnitId(q.site)).await?))
}

/// A ticket to issue.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTicket {
    /// The site's id.
    pub site: i64,
    /// The item group's code (A, B …).
    pub item_group: String,
    /// 绿色通道: the elderly, the disabled, the pregnant are called first.
    #[serde(default)]
    pub green_channel: bool,
    /// A mobile number for the notices ("your turn is near", "called").
    #[serde(default)]
    pub mobile: Option<String>,
}

/// Checks that the caller works at `site` (or above it).
async fn at_site(state: &AppState, caller: &Caller, site: i64) -> Result<(), ApiError> {
    at_unit(state, caller, site).await
}

/// Checks that the caller may work `counter`: its window's clerk, or staff of its site.
pub async fn at_counter(
    state: &AppState,
    caller: &Caller,
    counter: &Counter,
) -> Result<(), ApiError> {
    at_unit(state, caller, counter.window_id.unwrap_or(counter.site_id)).await
}

/// Checks that the caller may act on a ticket: at the counter that called it, or at its site.
async fn at_ticket(state: &AppState, caller: &Caller, t: &Ticket) -> Result<(), ApiError> {
    match t.counter_id {
        Some(c) => at_counter(state, caller, &queue::counter(&state.db.read()?, c).await?).await,
        None => at_site(state, caller, t.site_id).await,
    }
}

/// Checks that the caller holds a queue role whose scope contains `unit`.
pub async fn at_unit(state: &AppState, caller: &Caller, unit: i64) -> Result<(), ApiError> {
    caller.require(QUEUE_STAFF)?;
    let path = org::unit_path(&state.db.read()?, UnitId(unit)).await?;
    if caller.can_see(QUEUE_STAFF, &path) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"))
    }
}

/// Issues a ticket (a walk-in at the kiosk or the desk).
#[utoipa::path(
    post, path = "/api/v1/queue/tickets", tag = "queue",
    request_body = NewTicket,
    responses(
        (status = 201, description = "Issued", body = Ticket),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such group at this site", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn issue_ticket(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTicket>,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    at_site(&state, &caller, body.site).await?;
    let priority = if body.green_channel {
        PRIORITY_GREEN
    } else {
        PRIORITY_WALK_IN
    };
    let mobile = match body
        .mobile
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(m) => Some(
            zhengwu_core::ident::Mobile::parse(m)
                .map_err(|_| ApiError::invalid_field("mobile", "mobile"))?,
        ),
        None => None,
    };
    let tx = state.db.write().await?;
    let t = queue::issue(
        &tx,
        UnitId(body.site),
        &body.item_group,
        priority,
        Utc::now(),
        &caller.label(),
    )
    .await?;
    if let Some(m) = &mobile {
        queue::set_mobile(&tx, t.id, m).await?;
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// One ticket (its holder's page polls it).
#[utoipa::path(
    get, path = "/api/v1/queue/tickets/{id}", tag = "queue",
    params(("id" = i64, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket", body = Ticket),
        (status = 404, description = "No such ticket", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_ticket(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Ticket>, ApiError> {
    Ok(Json(queue::ticket(state.db.conn(), id).await?))
}

/// A site's counters.
#[utoipa::path(
    get, path = "/api/v1/queue/counters", tag = "queue",
    params(SiteQuery),
    responses(
        (status = 200, description = "The counters", body = Vec<Counter>),
        (status = 400, description = "No site given", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_counters(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SiteQuery>,
) -> Result<Json<Vec<Counter>>, ApiError> {
    Ok(Json(
        queue::counters(state.db.conn(), Some(UnitId(q.site))).await?,
    ))
}

async fn set_open(
    state: &AppState,
    caller: &Caller,
    id: i64,
    open: bool,
) -> Result<Json<Counter>, ApiError> {
    let c = queue::counter(state.db.conn(), id).await?;
    at_counter(state, caller, &c).await?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let c = queue::set_open(&tx, id, open, &caller.label()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(c))
}

/// Opens a counter: a clerk starts serving at it.
#[utoipa::path(
    post, path = "/api/v1/queue/counters/{id}/open", tag = "queue",
    params(("id" = i64, Path, description = "The counter's id")),
    responses(
        (status = 200, description = "Open", body = Counter),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such counter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn open_counter(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Counter>, ApiError> {
    set_open(&state, &caller, id, true).await
}

/// Closes a counter.
#[utoipa::path(
    post, path = "/api/v1/queue/counters/{id}/close", tag = "queue",
    params(("id" = i64, Path, description = "The counter's id")),
    responses(
        (status = 200, description = "Closed", body = Counter),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such counter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn close_counter(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Counter>, ApiError> {
    set_open(&state, &caller, id, false).await
}

/// Calls the next ticket to the counter: 200 with the ticket, 204 when nobody waits.
#[utoipa::path(
    post, path = "/api/v1/queue/counters/{id}/call-next", tag = "queue",
    params(("id" = i64, Path, description = "The counter's id")),
    responses(
        (status = 200, description = "The called ticket", body = Ticket),
        (status = 204, description = "Nobody waits"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such counter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The counter is closed", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn call_next(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let c = queue::counter(&state.db.read()?, id).await?;
    at_counter(&state, &caller, &c).await?;
    // A lost race for one row (two counters, one ticket) is retried, never reported.
    for _ in 0..5 {
        let tx = state.db.write().await?;
        match queue::call_next_with(
            &tx,
            id,
            Utc::now(),
            &caller.label(),
            state.config.queue_order,
        )
        .await
        {
            Ok(Some(t)) => {
                let sink = crate::notify::default_sink(&state.config);
                if queue::notify_after_call(&tx, &t, &c.name, sink).await? > 0 {
                    tx.commit().await?;
                    state.outbox_wake.notify_one();
                } else {
                    tx.commit().await?;
                }
                return Ok(Json(t).into_response());
            }
            Ok(None) => return Ok(StatusCode::NO_CONTENT.into_response()),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    ))
}

/// How a service ended.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FinishBody {
    /// `done` (the default), `more_material` or `referred`.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// Finishes the service of a called ticket.
#[utoipa::path(
    post, path = "/api/v1/queue/tickets/{id}/finish", tag = "queue",
    params(("id" = i64, Path, description = "The ticket's id")),
    request_body(content = Option<FinishBody>, description = "The outcome; no body means done"),
    responses(
        (status = 200, description = "Finished", body = Ticket),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The ticket was never called, or is finished", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn finish_ticket(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Ticket>, ApiError> {
    let t = queue::ticket(&state.db.read()?, id).await?;
    at_ticket(&state, &caller, &t).await?;
    let f: FinishBody = if body.is_empty() {
        FinishBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid_field("outcome", e))?
    };
    let outcome = f.outcome.unwrap_or_else(|| "done".into());
    let tx = state.db.write().await?;
    let t = queue::finish(&tx, id, &outcome, Utc::now(), &caller.label()).await?;
    tx.commit().await?;
    Ok(Json(t))
}

/// A counter's step on a ticket.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StepBody {
    /// `recall` (call out again), `start`, `no_show`, `park` or `resume`.
    pub step: String,
}

/// Recalls, starts, marks a no-show, parks or resumes a ticket.
#[utoipa::path(
    post, path = "/api/v1/queue/tickets/{id}/step", tag = "queue",
    params(("id" = i64, Path, description = "The ticket's id")),
    request_body = StepBody,
    responses(
        (status = 200, description = "Done", body = Ticket),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown step, or not possible in the ticket's state", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn step_ticket(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StepBody>,
) -> Result<Json<Ticket>, ApiError> {
    let t = queue::ticket(state.db.conn(), id).await?;
    at_ticket(&state, &caller, &t).await?;
    let step = queue::Step::parse(&body.step)
        .ok_or_else(|| ApiError::invalid_field("step", format!("unknown:{}", body.step)))?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let t = queue::step(&tx, id, step, Utc::now(), &caller.label()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(t))
}

/// Where a ticket is sent on to.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferBody {
    /// The group's code at the same site.
    pub item_group: String,
    /// First in line there (else by the original time of joining).
    #[serde(default)]
    pub first: bool,
}

/// Sends a ticket on to another group of the site; it waits there again.
#[utoipa::path(
    post, path = "/api/v1/queue/tickets/{id}/transfer", tag = "queue",
    params(("id" = i64, Path, description = "The ticket's id")),
    request_body = TransferBody,
    responses(
        (status = 200, description = "Transferred", body = Ticket),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such group, a group no counter serves, or a ticket not in service", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn transfer_ticket(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Json<Ticket>, ApiError> {
    let t = queue::ticket(state.db.conn(), id).await?;
    at_ticket(&state, &caller, &t).await?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let t = queue::transfer(
        &tx,
        id,
        &body.item_group,
        body.first,
        Utc::now(),
        &caller.label(),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(t))
}

//! `/api/v1/appeals/…`: the dispatcher's and the supervisor's further tools on appeals —
//! extension requests and their approval, merging duplicates and splitting an appeal, stars
//! for closed appeals and a unit's record (创先争星), dispose-first orders and their ledger
//! (先予处置), listed supervision of frequent topics (挂牌督办), and look-back checks (回头看).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::ids::UnitId;
use zhengwu_core::roles::Role;
use zhengwu_store::appeals::disposal::{self, Disposal};
use zhengwu_store::appeals::extensions::{self, Extension};
use zhengwu_store::appeals::lookback::{self, Check};
use zhengwu_store::appeals::routing::{self, Route, RouteInput, Routing};
use zhengwu_store::appeals::supervision::{self, Frequent, Supervision, UnitRecord};
use zhengwu_store::appeals::{self, Appeal, SplitPart};
use zhengwu_store::org;

use super::appeals::{DISPATCH, HANDLERS, READ_ALL, acts_for, handled_units};
use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::startup::AppState;

/// Who supervises: listings, dispose-first orders, stars, look-back.
pub const SUPERVISE: &[Role] = &[Role::Admin, Role::Supervisor];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_extension))
        .routes(routes!(pending_extensions))
        .routes(routes!(decide_extension))
        .routes(routes!(merge))
        .routes(routes!(split))
        .routes(routes!(star))
        .routes(routes!(unit_record))
        .routes(routes!(order_disposal))
        .routes(routes!(record_disposal))
        .routes(routes!(settle_disposal))
        .routes(routes!(ledger))
        .routes(routes!(list_supervision, add_supervision))
        .routes(routes!(frequent))
        .routes(routes!(supervision_note))
        .routes(routes!(delist))
        .routes(routes!(list_checks))
        .routes(routes!(complete_check))
        .routes(routes!(schedule_checks))
        .routes(routes!(list_routes, add_route))
        .routes(routes!(put_route, delete_route))
        .routes(routes!(routing_of))
}

/// An extension request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ExtensionBody {
    /// The lead unit asking.
    pub unit: i64,
    /// Working days more (1–30).
    pub days: u32,
    /// Why (2–500 characters).
    pub reason: String,
}

/// The lead unit asks for more working days, before the deadline.
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/extensions", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = ExtensionBody,
    responses(
        (status = 201, description = "Asked; the dispatcher decides", body = Extension),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a handler of this unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal or unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not the lead; not in hand; past the deadline; one pending already; days outside 1–30; no reason", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn request_extension(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ExtensionBody>,
) -> Result<(StatusCode, Json<Extension>), ApiError> {
    let unit = acts_for(&state, &caller, b.unit).await?;
    let actor = caller.actor(&ip);
    let e = crate::http::write(&state, async |tx| {
        extensions::request(tx, id, unit, b.days, &b.reason, Utc::now(), &actor).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// Extension requests waiting for the dispatcher, oldest first.
#[utoipa::path(
    get, path = "/api/v1/appeals/extensions/pending", tag = "appeals",
    responses(
        (status = 200, description = "Pending requests", body = Vec<Extension>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn pending_extensions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Extension>>, ApiError> {
    caller.require(READ_ALL)?;
    Ok(Json(extensions::pending(state.db.conn()).await?))
}

/// The dispatcher's decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionBody {
    pub approve: bool,
    /// Required when refusing.
    #[serde(default)]
    pub note: Option<String>,
}

/// The dispatcher approves (the deadline moves) or refuses an extension request.
#[utoipa::path(
    post, path = "/api/v1/appeals/extensions/{id}/decision", tag = "appeals",
    params(("id" = i64, Path, description = "The request's id")),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "Decided", body = Extension),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Decided already; a refusal without a note", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn decide_extension(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<Extension>, ApiError> {
    caller.require(DISPATCH)?;
    let actor = caller.actor(&ip);
    let calendar = state.calendar();
    Ok(Json(
        crate::http::write(&state, async |tx| {
            extensions::decide(
                tx,
                id,
                b.approve,
                b.note.as_deref(),
                &calendar,
                Utc::now(),
                &actor,
            )
            .await
        })
        .await?,
    ))
}

/// The master appeal a duplicate goes into.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeBody {
    pub master: i64,
}

/// Merges a duplicate into a master appeal that is still open; the master keeps every caller.
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/merge", tag = "appeals",
    params(("id" = i64, Path, description = "The duplicate's id")),
    request_body = MergeBody,
    responses(
        (status = 200, description = "Merged", body = Appeal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Itself; the master is closed; the duplicate is closed", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MergeBody>,
) -> Result<Json<Appeal>, ApiError> {
    caller.require(DISPATCH)?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            appeals::merge(tx, id, b.master, Utc::now(), &actor).await
        })
        .await?,
    ))
}

/// The matters to split out.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SplitBody {
    /// 1–5 new appeals.
    pub parts: Vec<SplitPart>,
}

/// Splits matters out of an open appeal into new appeals with the same caller.
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/split", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = SplitBody,
    responses(
        (status = 201, description = "The new appeals", body = Vec<Appeal>),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Closed; no parts or more than 5; a part without content or with an unknown topic", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn split(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SplitBody>,
) -> Result<(StatusCode, Json<Vec<Appeal>>), ApiError> {
    caller.require(DISPATCH)?;
    let actor = caller.actor(&ip);
    let calendar = state.calendar();
    let v = crate::http::write(&state, async |tx| {
        appeals::split(tx, id, &b.parts, &calendar, Utc::now(), &actor).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Stars for a unit's handling.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StarBody {
    /// 1–5.
    pub stars: i16,
    #[serde(default)]
    pub note: Option<String>,
}

/// The supervisor rates the handling of a closed appeal with 1–5 stars (创先争星).
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/stars", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = StarBody,
    responses(
        (status = 200, description = "Rated", body = Appeal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not closed by a unit; stars outside 1–5", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn star(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StarBody>,
) -> Result<Json<Appeal>, ApiError> {
    caller.require(SUPERVISE)?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            supervision::star(tx, id, b.stars, b.note.as_deref(), Utc::now(), &actor).await
        })
        .await?,
    ))
}

/// A unit's record: closed appeals it led, their stars and its high-star cases.
#[utoipa::path(
    get, path = "/api/v1/appeals/units/{unit}/record", tag = "appeals",
    params(("unit" = i64, Path, description = "The unit's id")),
    responses(
        (status = 200, description = "The record", body = UnitRecord),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither a supervisor nor a handler of this unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn unit_record(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(unit): ApiPath<i64>,
) -> Result<Json<UnitRecord>, ApiError> {
    let unit = if caller.require(READ_ALL).is_ok() {
        org::get_unit(state.db.conn(), UnitId(unit)).await?.id
    } else {
        acts_for(&state, &caller, unit).await?
    };
    Ok(Json(supervision::unit_record(state.db.conn(), unit).await?))
}

/// A dispose-first order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderBody {
    /// The unit ordered to act at once.
    pub unit: i64,
    /// What to do (2–1,000 characters).
    pub instruction: String,
}

/// The supervisor orders a unit to act at once on an urgent appeal whose owner is unclear.
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/dispose", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = OrderBody,
    responses(
        (status = 201, description = "Ordered", body = Disposal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Closed; not a handling unit; no instruction", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn order_disposal(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<OrderBody>,
) -> Result<(StatusCode, Json<Disposal>), ApiError> {
    caller.require(SUPERVISE)?;
    let actor = caller.actor(&ip);
    let d = crate::http::write(&state, async |tx| {
        disposal::order(tx, id, UnitId(b.unit), &b.instruction, Utc::now(), &actor).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// What the ordered unit did.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RecordBody {
    pub unit: i64,
    /// What was done (2–2,000 characters).
    pub action: String,
    /// What it cost, in fen (0 – 10,000,000,000).
    pub cost_fen: i64,
}

/// The ordered unit records what it did and what it cost.
#[utoipa::path(
    post, path = "/api/v1/appeals/disposals/{id}/record", tag = "appeals",
    params(("id" = i64, Path, description = "The order's id")),
    request_body = RecordBody,
    responses(
        (status = 200, description = "Recorded", body = Disposal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a handler of this unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order or unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not the ordered unit; settled; a negative cost", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn record_disposal(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RecordBody>,
) -> Result<Json<Disposal>, ApiError> {
    let unit = acts_for(&state, &caller, b.unit).await?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            disposal::record(tx, id, unit, &b.action, b.cost_fen, Utc::now(), &actor).await
        })
        .await?,
    ))
}

/// Ownership settled afterwards.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SettleBody {
    /// The unit that owns the matter.
    pub owner: i64,
    /// Who is accountable and how (2–1,000 characters).
    pub accountability: String,
}

/// The supervisor settles ownership and accountability after the unit acted.
#[utoipa::path(
    post, path = "/api/v1/appeals/disposals/{id}/settle", tag = "appeals",
    params(("id" = i64, Path, description = "The order's id")),
    request_body = SettleBody,
    responses(
        (status = 200, description = "Settled", body = Disposal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not done yet; settled already; not a handling unit", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn settle_disposal(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SettleBody>,
) -> Result<Json<Disposal>, ApiError> {
    caller.require(SUPERVISE)?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            disposal::settle(
                tx,
                id,
                UnitId(b.owner),
                &b.accountability,
                Utc::now(),
                &actor,
            )
            .await
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// First day (default: 1 January of this year).
    from: Option<NaiveDate>,
    /// Last day (default: today).
    to: Option<NaiveDate>,
}

/// The dispose-first ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ledger {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub count: usize,
    /// The sum of the recorded costs, in fen.
    pub total_fen: i64,
    pub orders: Vec<Disposal>,
}

/// Every dispose-first order between two days with its cost, and the total.
#[utoipa::path(
    get, path = "/api/v1/appeals/disposals", tag = "appeals",
    params(LedgerQuery),
    responses(
        (status = 200, description = "The ledger", body = Ledger),
        (status = 400, description = "A malformed date", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor or dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`to` before `from`, or more than 366 days", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn ledger(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Json<Ledger>, ApiError> {
    caller.require(READ_ALL)?;
    let (today, _) = local_date_minute(Utc::now());
    let to = q.to.unwrap_or(today);
    let from = q
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if to < from {
        return Err(ApiError::invalid_field("to", "before_from"));
    }
    if (to - from).num_days() > 366 {
        return Err(ApiError::invalid_field("to", "range_too_long:366"));
    }
    let (orders, total_fen) = disposal::ledger(state.db.conn(), from, to).await?;
    Ok(Json(Ledger {
        from,
        to,
        count: orders.len(),
        total_fen,
        orders,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupervisionQuery {
    /// Only listings not yet delisted.
    #[serde(default)]
    active: Option<bool>,
}

/// Topics listed for supervision (active first), with their progress notes.
#[utoipa::path(
    get, path = "/api/v1/appeals/supervision", tag = "appeals",
    params(SupervisionQuery),
    responses(
        (status = 200, description = "Listings", body = Vec<Supervision>),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of appeals", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_supervision(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SupervisionQuery>,
) -> Result<Json<Vec<Supervision>>, ApiError> {
    caller.require(&[
        Role::Admin,
        Role::Dispatcher,
        Role::Supervisor,
        Role::UnitHandler,
        Role::Leader,
    ])?;
    Ok(Json(
        supervision::all(state.db.conn(), q.active.unwrap_or(false), Utc::now()).await?,
    ))
}

/// A topic chosen for supervision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ListBody {
    /// A topic leaf's code.
    pub topic: String,
    /// The unit that owns the matter.
    pub owner: i64,
    pub deadline: NaiveDate,
    /// The window its count is taken over (default 30 days).
    #[serde(default)]
    pub window_days: Option<u32>,
}

/// The supervisor lists a topic for supervision (挂牌督办).
#[utoipa::path(
    post, path = "/api/v1/appeals/supervision", tag = "appeals",
    request_body = ListBody,
    responses(
        (status = 201, description = "Listed", body = Supervision),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown topic; listed already; a past deadline; not a handling unit", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn add_supervision(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(b): ApiJson<ListBody>,
) -> Result<(StatusCode, Json<Supervision>), ApiError> {
    caller.require(SUPERVISE)?;
    let actor = caller.actor(&ip);
    let window = b
        .window_days
        .unwrap_or(state.config.appeals.supervision_window_days);
    let s = crate::http::write(&state, async |tx| {
        supervision::list_topic(
            tx,
            &b.topic,
            true,
            UnitId(b.owner),
            b.deadline,
            window,
            Utc::now(),
            &actor,
        )
        .await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FrequentQuery {
    /// Days back (default: the configured window, 30).
    window_days: Option<u32>,
    /// Least count (default: the configured threshold).
    threshold: Option<i64>,
}

/// Topics with many appeals in a rolling window, most first, and whether each is listed.
#[utoipa::path(
    get, path = "/api/v1/appeals/supervision/frequent", tag = "appeals",
    params(FrequentQuery),
    responses(
        (status = 200, description = "Frequent topics", body = Vec<Frequent>),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor or dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A window outside 1–366 days or a threshold below 1", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn frequent(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<FrequentQuery>,
) -> Result<Json<Vec<Frequent>>, ApiError> {
    caller.require(READ_ALL)?;
    let cfg = &state.config.appeals;
    let window = q.window_days.unwrap_or(cfg.supervision_window_days);
    if !(1..=366).contains(&window) {
        return Err(ApiError::invalid_field("window_days", "range:1-366"));
    }
    let threshold = q.threshold.unwrap_or(cfg.supervision_threshold);
    if threshold < 1 {
        return Err(ApiError::invalid_field("threshold", "range:1-"));
    }
    Ok(Json(
        supervision::frequent(state.db.conn(), window, threshold, Utc::now()).await?,
    ))
}

/// A note.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteBody {
    /// 2–2,000 characters.
    pub note: String,
}

/// A progress note on a listing, by a supervisor or a handler of the owner unit.
#[utoipa::path(
    post, path = "/api/v1/appeals/supervision/{id}/notes", tag = "appeals",
    params(("id" = i64, Path, description = "The listing's id")),
    request_body = NoteBody,
    responses(
        (status = 200, description = "Noted", body = Supervision),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither a supervisor nor a handler of the owner unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Delisted; no note", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn supervision_note(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<Supervision>, ApiError> {
    if caller.require(SUPERVISE).is_err() {
        let s = supervision::one(state.db.conn(), id, Utc::now()).await?;
        acts_for(&state, &caller, s.owner_unit_id).await?;
    }
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            supervision::add_note(tx, id, &b.note, Utc::now(), &actor).await
        })
        .await?,
    ))
}

/// The result a listing ends with.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DelistBody {
    /// 2–2,000 characters.
    pub result: String,
}

/// The supervisor delists a topic with the result.
#[utoipa::path(
    post, path = "/api/v1/appeals/supervision/{id}/delist", tag = "appeals",
    params(("id" = i64, Path, description = "The listing's id")),
    request_body = DelistBody,
    responses(
        (status = 200, description = "Delisted", body = Supervision),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Delisted already; no result", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn delist(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DelistBody>,
) -> Result<Json<Supervision>, ApiError> {
    caller.require(SUPERVISE)?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            supervision::delist(tx, id, &b.result, Utc::now(), &actor).await
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecksQuery {
    /// Only checks not done yet.
    #[serde(default)]
    open: Option<bool>,
    /// Only this unit's checks.
    unit: Option<i64>,
}

/// Look-back checks: all of them for supervisors, a handler's own units' otherwise.
#[utoipa::path(
    get, path = "/api/v1/appeals/checks", tag = "appeals",
    params(ChecksQuery),
    responses(
        (status = 200, description = "Checks, open ones first", body = Vec<Check>),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of appeals", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_checks(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ChecksQuery>,
) -> Result<Json<Vec<Check>>, ApiError> {
    let units: Option<Vec<i64>> = if caller.require(READ_ALL).is_ok() {
        q.unit.map(|u| vec![u])
    } else {
        caller.require(HANDLERS)?;
        let mut mine = handled_units(&state, &caller).await?;
        if let Some(u) = q.unit {
            mine.retain(|x| *x == u);
        }
        Some(mine)
    };
    Ok(Json(
        lookback::list(
            state.db.conn(),
            units.as_deref(),
            q.open.unwrap_or(false),
            500,
        )
        .await?,
    ))
}

/// A check's outcome.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckBody {
    /// The owner unit.
    pub unit: i64,
    /// `confirmed` (the effect holds, the progress is on track, the reason is explained) or
    /// `problem` (with a note).
    pub outcome: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// The owner unit records the outcome of a look-back check.
#[utoipa::path(
    post, path = "/api/v1/appeals/checks/{id}", tag = "appeals",
    params(("id" = i64, Path, description = "The check's id")),
    request_body = CheckBody,
    responses(
        (status = 200, description = "Done", body = Check),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a handler of this unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such check or unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not the owner; done already; an unknown outcome; a problem without a note", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn complete_check(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CheckBody>,
) -> Result<Json<Check>, ApiError> {
    let unit = acts_for(&state, &caller, b.unit).await?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            lookback::complete(
                tx,
                id,
                unit,
                &b.outcome,
                b.note.as_deref(),
                Utc::now(),
                &actor,
            )
            .await
        })
        .await?,
    ))
}

/// What one run of the rules made.
#[derive(Debug, Serialize, ToSchema)]
pub struct SweepResult {
    /// Topics newly listed for supervision by the threshold rule.
    pub listed: usize,
    /// Look-back checks made: effect, progress, reason.
    pub effect: u32,
    pub progress: u32,
    pub reason: u32,
}

/// Runs the supervision rule and the look-back scheduling now (they also run every hour).
#[utoipa::path(
    post, path = "/api/v1/appeals/checks/schedule", tag = "appeals",
    responses(
        (status = 200, description = "What was made", body = SweepResult),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn schedule_checks(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SweepResult>, ApiError> {
    caller.require(SUPERVISE)?;
    let (listed, made) = crate::startup::appeals_sweep_once(&state)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(SweepResult {
        listed,
        effect: made[0],
        progress: made[1],
        reason: made[2],
    }))
}

/// Who sets the routing rules.
pub const ROUTE_EDITORS: &[Role] = &[Role::Admin, Role::Dispatcher];

/// The routing rules by topic and area.
#[utoipa::path(
    get, path = "/api/v1/appeals/routes", tag = "appeals",
    responses(
        (status = 200, description = "Every rule", body = Vec<Route>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher or supervisor", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_routes(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Route>>, ApiError> {
    caller.require(READ_ALL)?;
    Ok(Json(routing::list(state.db.conn()).await?))
}

/// Adds a routing rule: a topic (or a branch of the tree) in a sub-district or everywhere goes
/// to a lead unit and co-units, dispatched at intake when `auto_dispatch`.
#[utoipa::path(
    post, path = "/api/v1/appeals/routes", tag = "appeals",
    request_body = RouteInput,
    responses(
        (status = 201, description = "Added", body = Route),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown topic, area or unit; a rule for the same topic and area exists", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn add_route(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(b): ApiJson<RouteInput>,
) -> Result<(StatusCode, Json<Route>), ApiError> {
    caller.require(ROUTE_EDITORS)?;
    let actor = caller.actor(&ip);
    let r = crate::http::write(&state, async |tx| {
        routing::save(tx, None, &b, Utc::now(), &actor).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Replaces a routing rule.
#[utoipa::path(
    put, path = "/api/v1/appeals/routes/{id}", tag = "appeals",
    params(("id" = i64, Path, description = "The rule's id")),
    request_body = RouteInput,
    responses(
        (status = 200, description = "Saved", body = Route),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rule", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown topic, area or unit; another rule for the same topic and area", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn put_route(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RouteInput>,
) -> Result<Json<Route>, ApiError> {
    caller.require(ROUTE_EDITORS)?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            routing::save(tx, Some(id), &b, Utc::now(), &actor).await
        })
        .await?,
    ))
}

/// Deletes a routing rule.
#[utoipa::path(
    delete, path = "/api/v1/appeals/routes/{id}", tag = "appeals",
    params(("id" = i64, Path, description = "The rule's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rule", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_route(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require(ROUTE_EDITORS)?;
    let actor = caller.actor(&ip);
    crate::http::write(&state, async |tx| routing::delete(tx, id, &actor).await).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where an appeal would go: the rule that matches its topic and area, or its topic's units.
#[utoipa::path(
    get, path = "/api/v1/appeals/{id}/routing", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    responses(
        (status = 200, description = "The suggested lead and co-units", body = Routing),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal, or no unit for its topic", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn routing_of(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Routing>, ApiError> {
    caller.require(READ_ALL)?;
    let a = appeals::detail(state.db.conn(), id).await?.appeal;
    let at = a
        .lat
        .zip(a.lon)
        .map(|(lat, lon)| zhengwu_store::org::Location { lat, lon });
    routing::route_for(state.db.conn(), &a.topic, at)
        .await?
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

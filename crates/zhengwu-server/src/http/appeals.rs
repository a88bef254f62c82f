//! `/api/v1/appeals`: citizen appeals (12345, M4.1, M4.4, M4.5) — the topic tree, the
//! knowledge base, intake (the hotline operator, the portal, staff claiming an appeal found
//! elsewhere), the instant answer, dispatch to a lead unit and co-units, signing, returning,
//! contributions, the reply and the return visit; the caller follows the appeal by its number.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::appeal::{Kind, Status};
use zhengwu_core::booking::RatingLevel;
use zhengwu_core::ident::Mobile;
use zhengwu_core::ids::UnitId;
use zhengwu_core::roles::Role;
use zhengwu_store::appeals::{
    self, Appeal, AppealDetail, Filter, KnowledgeEntry, NewAppeal, Topic,
};
use zhengwu_store::org;

use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::startup::AppState;

/// Who takes appeals in, dispatches them and makes the return visits.
pub const DISPATCH: &[Role] = &[Role::Admin, Role::Dispatcher];
/// Who may read any appeal.
pub const READ_ALL: &[Role] = &[Role::Admin, Role::Dispatcher, Role::Supervisor];
/// Who acts for a unit (within their scope).
pub const HANDLERS: &[Role] = &[Role::Admin, Role::UnitHandler];
/// Who works on appeals at all (what each may see is narrowed further).
pub const APPEAL_STAFF: &[Role] = &[
    Role::Admin,
    Role::Dispatcher,
    Role::Supervisor,
    Role::UnitHandler,
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_topics))
        .routes(routes!(knowledge))
        .routes(routes!(create_appeal, list_appeals))
        .routes(routes!(get_appeal))
        .routes(routes!(track))
        .routes(routes!(answer))
        .routes(routes!(dispatch))
        .routes(routes!(unit_step))
        .routes(routes!(visit))
        .routes(routes!(attach))
        .routes(routes!(attachment))
}

/// The classification tree of appeal topics (three levels).
#[utoipa::path(
    get, path = "/api/v1/appeals/topics", tag = "appeals",
    responses((status = 200, description = "Every topic, parents first", body = Vec<Topic>))
)]
async fn list_topics(State(state): State<AppState>) -> Result<Json<Vec<Topic>>, ApiError> {
    Ok(Json(appeals::topics(state.db.conn()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnowledgeQuery {
    /// What the caller said.
    q: String,
}

/// Knowledge-base answers for what a caller says, best first (the operator's instant answers).
#[utoipa::path(
    get, path = "/api/v1/appeals/knowledge", tag = "appeals",
    params(KnowledgeQuery),
    responses(
        (status = 200, description = "Matching entries", body = Vec<KnowledgeEntry>),
        (status = 400, description = "No question", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A question too long", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn knowledge(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<KnowledgeQuery>,
) -> Result<Json<Vec<KnowledgeEntry>>, ApiError> {
    if q.q.chars().count() > appeals::MAX_CONTENT {
        return Err(ApiError::invalid_field(
            "q",
            format!("length:0-{}", appeals::MAX_CONTENT),
        ));
    }
    Ok(Json(
        appeals::knowledge_for(state.db.conn(), &q.q, 5).await?,
    ))
}

/// An appeal to take in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAppealBody {
    /// `hotline`, `web`, `app`, `claimed` (found elsewhere: give `source`) or `other`; the
    /// portal's own form is always `web`.
    #[serde(default)]
    pub channel: Option<String>,
    /// `consult`, `help`, `complaint`, `report` or `suggestion`.
    pub kind: String,
    /// A topic leaf's code.
    pub topic: String,
    /// 1–5,000 characters.
    pub content: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    #[serde(default)]
    pub caller_name: Option<String>,
    /// For the reply by SMS; none for an anonymous caller.
    #[serde(default)]
    pub caller_mobile: Option<String>,
    #[serde(default)]
    pub urgent: bool,
    /// Where a claimed appeal was found (媒体报道, 来访, 来信 …).
    #[serde(default)]
    pub source: Option<String>,
}

/// Takes an appeal in: staff (the hotline operator, or anyone registering an appeal found
/// elsewhere) or a resident on the portal (channel `web`, signed in or anonymous).
#[utoipa::path(
    post, path = "/api/v1/appeals", tag = "appeals",
    request_body = NewAppealBody,
    responses(
        (status = 201, description = "Taken in; its number", body = Appeal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No content, an unknown topic or kind, coordinates outside the district, a bad mobile", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_appeal(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(b): ApiJson<NewAppealBody>,
) -> Result<(StatusCode, Json<Appeal>), ApiError> {
    let staff =
        matches!(caller, Caller::Staff(_) | Caller::Token(_)) && caller.require(DISPATCH).is_ok();
    let channel = if staff {
        b.channel.unwrap_or_else(|| "hotline".into())
    } else {
        "web".into()
    };
    let kind = Kind::parse(&b.kind)
        .ok_or_else(|| ApiError::invalid_field("kind", format!("unknown:{}", b.kind)))?;
    let location = match (b.lat, b.lng) {
        (Some(lat), Some(lng)) => Some((lat, lng)),
        (None, None) => None,
        _ => return Err(ApiError::invalid_field("lat", "location")),
    };
    let caller_mobile = match b
        .caller_mobile
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(m) => {
            Some(Mobile::parse(m).map_err(|_| ApiError::invalid_field("caller_mobile", "mobile"))?)
        }
        None => None,
    };
    let new = NewAppeal {
        channel,
        kind,
        topic: b.topic,
        content: b.content,
        address: b.address,
        location,
        caller_name: b.caller_name,
        caller_mobile,
        urgent: b.urgent,
        source: b.source,
        caller_email: None,
        media_url: None,
        open311_token: None,
    };
    let a = take_in(&state, new, &caller.actor(&ip), None, &[]).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Takes an appeal in with its attached `files` — and, with `answer`, closes it at once with
/// the instant answer; without, a routing rule may dispatch it — in one transaction, retrying
/// when a concurrent intake took the same day's number. For the API and the pages.
pub(crate) async fn take_in(
    state: &AppState,
    new: NewAppeal,
    actor: &zhengwu_store::audit::Actor,
    answer: Option<&str>,
    files: &[(String, axum::body::Bytes)],
) -> Result<Appeal, ApiError> {
    for _ in 0..5 {
        let calendar = state.calendar();
        let r = crate::http::write(state, async |tx| {
            let a = appeals::intake(tx, new.clone(), &calendar, Utc::now(), actor).await?;
            for (name, bytes) in files {
                appeals::attachments::add(tx, a.id, name, bytes, Utc::now(), actor).await?;
            }
            match answer {
                Some(text) => appeals::answer_at_intake(tx, a.id, text, Utc::now(), actor).await,
                // A routing rule may dispatch it at once.
                None => appeals::routing::dispatch_by_rule(tx, a, &calendar, Utc::now()).await,
            }
        })
        .await;
        match r {
            Err(e) if e.code == "conflict" => continue,
            other => return other,
        }
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `registered`, `returned`, `dispatched`, `in_hand`, `replied` or `closed`.
    status: Option<String>,
    /// Only appeals with an open part for this unit (a handler's own list).
    unit: Option<i64>,
    #[serde(default)]
    limit: Option<u64>,
}

/// The units among `candidates` the caller acts for through `HANDLERS`.
pub(crate) async fn handled_units(state: &AppState, caller: &Caller) -> Result<Vec<i64>, ApiError> {
    let paths = org::paths(state.db.conn()).await?;
    Ok(paths
        .into_iter()
        .filter(|(_, p)| caller.can_see(HANDLERS, p))
        .map(|(id, _)| id)
        .collect())
}

/// `unit` when the caller acts for it (a unit handler within their scope, or an
/// administrator); 403 otherwise.
pub(crate) async fn acts_for(
    state: &AppState,
    caller: &Caller,
    unit: i64,
) -> Result<UnitId, ApiError> {
    caller.require(HANDLERS)?;
    let path = org::unit_path(state.db.conn(), UnitId(unit)).await?;
    if caller.can_see(HANDLERS, &path) {
        Ok(UnitId(unit))
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"))
    }
}

/// Appeals: the dispatcher's and supervisor's whole list, or a unit handler's appeals with an
/// open part for their units.
#[utoipa::path(
    get, path = "/api/v1/appeals", tag = "appeals",
    params(ListQuery),
    responses(
        (status = 200, description = "Appeals, newest first", body = Vec<Appeal>),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of appeals", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_appeals(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Appeal>>, ApiError> {
    let status = match q.status.as_deref() {
        Some(s) => Some(
            Status::parse(s)
                .ok_or_else(|| ApiError::invalid_field("status", format!("unknown:{s}")))?,
        ),
        None => None,
    };
    let mut f = Filter {
        status,
        limit: q.limit.unwrap_or(100),
        ..Default::default()
    };
    if caller.require(READ_ALL).is_ok() && q.unit.is_none() {
        // Every appeal.
    } else {
        caller.require(APPEAL_STAFF)?;
        let mut units = handled_units(&state, &caller).await?;
        if caller.require(READ_ALL).is_ok() {
            units = q.unit.into_iter().collect();
        } else if let Some(u) = q.unit {
            units.retain(|x| *x == u);
        }
        f.units = Some(units);
        f.open_parts = true;
    }
    Ok(Json(appeals::list(state.db.conn(), &f).await?))
}

/// Whether the caller may read the appeal: dispatchers and supervisors, or a handler of a unit
/// it was assigned to. Others get 404.
pub(crate) async fn may_read(
    state: &AppState,
    caller: &Caller,
    d: &AppealDetail,
) -> Result<(), ApiError> {
    if caller.require(READ_ALL).is_ok() {
        return Ok(());
    }
    caller.require(&[Role::UnitHandler])?;
    let units = handled_units(state, caller).await?;
    if d.assignments.iter().any(|a| units.contains(&a.unit_id)) {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// One appeal with its assignments and history.
#[utoipa::path(
    get, path = "/api/v1/appeals/{id}", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    responses(
        (status = 200, description = "The appeal", body = AppealDetail),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of appeals", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal, or not the caller's unit's", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_appeal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AppealDetail>, ApiError> {
    caller.require(APPEAL_STAFF)?;
    let d = appeals::detail(state.db.conn(), id).await?;
    may_read(&state, &caller, &d).await?;
    Ok(Json(d))
}

/// What a caller sees of their appeal by its number.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tracking {
    pub number: String,
    pub kind: String,
    pub topic: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub answer: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// The caller follows an appeal by its number (no sign-in; no personal data shown).
#[utoipa::path(
    get, path = "/api/v1/appeals/track/{number}", tag = "appeals",
    params(("number" = String, Path, description = "The appeal's number, e.g. 20261128-000001")),
    responses(
        (status = 200, description = "Its progress", body = Tracking),
        (status = 404, description = "No such number", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn track(
    State(state): State<AppState>,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<Tracking>, ApiError> {
    let a = appeals::by_number(state.db.conn(), number.trim()).await?;
    Ok(Json(Tracking {
        number: a.number,
        kind: a.kind,
        topic: a.topic,
        status: a.status,
        created_at: a.created_at,
        due_on: a.due_on,
        answer: a.answer,
        reply: a.reply,
        replied_at: a.replied_at,
        closed_at: a.closed_at,
    }))
}

/// The instant answer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerBody {
    /// 2–2,000 characters.
    pub answer: String,
}

/// Closes a consultation at intake with the answer given on the spot (即时响应).
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/answer", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "Closed with the answer", body = Appeal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Already dispatched or closed; no answer", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> Result<Json<Appeal>, ApiError> {
    caller.require(DISPATCH)?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            appeals::answer_at_intake(tx, id, &b.answer, Utc::now(), &actor).await
        })
        .await?,
    ))
}

/// The units an appeal goes to.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DispatchBody {
    /// The lead unit's id (a department, sub-district or community).
    pub lead: i64,
    /// Co-units' ids.
    #[serde(default)]
    pub co: Vec<i64>,
    /// A note for the units (a ruling after a return, 审定).
    #[serde(default)]
    pub note: Option<String>,
}

/// Dispatches (or, after a return, reassigns) an appeal to a lead unit and co-units.
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/dispatch", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = DispatchBody,
    responses(
        (status = 200, description = "Dispatched", body = Appeal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a handling unit; the appeal is not waiting for dispatch", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn dispatch(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DispatchBody>,
) -> Result<Json<Appeal>, ApiError> {
    caller.require(DISPATCH)?;
    let actor = caller.actor(&ip);
    let co: Vec<UnitId> = b.co.iter().copied().map(UnitId).collect();
    let calendar = state.calendar();
    Ok(Json(
        crate::http::write(&state, async |tx| {
            appeals::dispatch(
                tx,
                id,
                UnitId(b.lead),
                &co,
                &calendar,
                b.note.as_deref(),
                Utc::now(),
                &actor,
            )
            .await
        })
        .await?,
    ))
}

/// A unit's step on an appeal.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UnitStepBody {
    /// The unit acting (one the caller handles, assigned to the appeal).
    pub unit: i64,
    /// `sign` (签收), `return` (退单, with `text` as the reason), `contribute` (a co-unit's part,
    /// in `text`) or `reply` (the lead's result, in `text`).
    pub action: String,
    #[serde(default)]
    pub text: Option<String>,
}

/// A unit signs for, returns, contributes to or replies to an appeal assigned to it.
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/unit", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = UnitStepBody,
    responses(
        (status = 200, description = "Done", body = Appeal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a handler of this unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal or unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not assigned to this unit; replying before signing; co-units still working; a return without a reason", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn unit_step(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UnitStepBody>,
) -> Result<Json<Appeal>, ApiError> {
    let unit = acts_for(&state, &caller, b.unit).await?;
    let actor = caller.actor(&ip);
    let text = b.text.unwrap_or_default();
    let sink = crate::notify::default_sink(&state.config);
    let now = Utc::now();
    let a = match b.action.as_str() {
        "sign" => {
            crate::http::write(&state, async |tx| {
                appeals::sign(tx, id, unit, now, &actor).await
            })
            .await?
        }
        "return" => {
            crate::http::write(&state, async |tx| {
                appeals::return_to_dispatcher(tx, id, unit, &text, now, &actor).await
            })
            .await?
        }
        "contribute" => {
            crate::http::write(&state, async |tx| {
                appeals::contribute(tx, id, unit, &text, now, &actor).await
            })
            .await?
        }
        "reply" => {
            crate::http::write(&state, async |tx| {
                appeals::reply(tx, id, unit, &text, now, &actor, sink).await
            })
            .await?
        }
        other => {
            return Err(ApiError::invalid_field(
                "action",
                format!("unknown:{other}"),
            ));
        }
    };
    Ok(Json(a))
}

/// The return visit.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VisitBody {
    pub resolved: bool,
    /// 5 非常满意 … 1 非常不满意.
    pub satisfaction: i64,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records the return visit (回访): resolved and satisfied closes the appeal; otherwise it goes
/// back to its lead unit.
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/visit", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body = VisitBody,
    responses(
        (status = 200, description = "Closed or reopened", body = Appeal),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a dispatcher", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not replied yet; a level outside 1–5", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn visit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<VisitBody>,
) -> Result<Json<Appeal>, ApiError> {
    caller.require(DISPATCH)?;
    let level = RatingLevel::new(b.satisfaction)
        .ok_or_else(|| ApiError::invalid_field("satisfaction", "range:1-5"))?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            appeals::visit(
                tx,
                id,
                b.resolved,
                level,
                b.note.as_deref(),
                Utc::now(),
                &actor,
            )
            .await
        })
        .await?,
    ))
}

/// A multipart body that cannot be read: 413 when it is larger than the route's limit, else
/// 400.
pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, "payload_too_large")
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request")
    }
}

/// Reads every `file` part of a multipart body: (file name, bytes).
pub(crate) async fn file_parts(
    mut multipart: axum::extract::Multipart,
) -> Result<(Vec<(String, String)>, Vec<(String, axum::body::Bytes)>), ApiError> {
    let (mut fields, mut files) = (Vec::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" || name == "files" {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let bytes = field.bytes().await.map_err(multipart_error)?;
            // A file input left empty sends a part with no name and no bytes.
            if !(file_name.is_empty() && bytes.is_empty()) {
                files.push((file_name, bytes));
            }
        } else {
            fields.push((name, field.text().await.map_err(multipart_error)?));
        }
    }
    Ok((fields, files))
}

/// Attaches photos or scans to an appeal (multipart `file` parts: JPEG, PNG, WebP or PDF, at
/// most 5 MB each and 5 to an appeal; the type is read from the content).
#[utoipa::path(
    post, path = "/api/v1/appeals/{id}/attachments", tag = "appeals",
    params(("id" = i64, Path, description = "The appeal's id")),
    request_body(content = String, content_type = "multipart/form-data", description = "One or more `file` parts"),
    responses(
        (status = 201, description = "Attached (a file already attached is kept once)", body = Vec<zhengwu_store::appeals::attachments::Attachment>),
        (status = 400, description = "Not a multipart body", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of appeals", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal, or not the caller's unit's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the upload limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file; empty, too large, of another type than its name says, cut short; more than 5", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn attach(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    multipart: axum::extract::Multipart,
) -> Result<
    (
        StatusCode,
        Json<Vec<zhengwu_store::appeals::attachments::Attachment>>,
    ),
    ApiError,
> {
    caller.require(APPEAL_STAFF)?;
    let d = appeals::detail(state.db.conn(), id).await?;
    may_read(&state, &caller, &d).await?;
    let (_, files) = file_parts(multipart).await?;
    if files.is_empty() {
        return Err(ApiError::invalid_field("file", "required"));
    }
    let actor = caller.actor(&ip);
    let out = crate::http::write(&state, async |tx| {
        let mut out = Vec::new();
        for (name, bytes) in &files {
            out.push(appeals::attachments::add(tx, id, name, bytes, Utc::now(), &actor).await?);
        }
        Ok(out)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// One attachment's bytes (sent as a download, never rendered in place).
#[utoipa::path(
    get, path = "/api/v1/appeals/{id}/attachments/{attachment}", tag = "appeals",
    params(
        ("id" = i64, Path, description = "The appeal's id"),
        ("attachment" = i64, Path, description = "The attachment's id"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of appeals", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal or attachment, or not the caller's unit's", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, attachment)): ApiPath<(i64, i64)>,
) -> Result<axum::response::Response, ApiError> {
    caller.require(APPEAL_STAFF)?;
    let d = appeals::detail(state.db.conn(), id).await?;
    may_read(&state, &caller, &d).await?;
    let (a, bytes) = appeals::attachments::get(state.db.conn(), id, attachment).await?;
    Ok(crate::http::download(&a.file_name, a.content_type, bytes))
}

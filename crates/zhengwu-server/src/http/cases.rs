//! `/api/v1/cases`: cases (办件, M1.4, M1.7, M1.8, M1.9) — submission by the portal, the
//! kiosk, a comprehensive window's clerk for a walk-in, or an agent on someone's behalf
//! (帮办代办) with the applicant's authorisation; acceptance at any comprehensive window,
//! review in the responsible department, supplements (补正, the clock paused), the decision,
//! the result at the hand-out window, withdrawal, the applicant's rating; "my cases"; the
//! supervisor's overview and the figures of shared materials and decision times; and the
//! 痛快办 queue of residents' stuck matters.
//!
//! Who may do what: window clerks (and administrators) submit walk-ins, accept, refuse, ask
//! for completion before acceptance, hand results out and close; reviewers of the responsible
//! department take cases up, ask for supplements, decide and make the result; supervisors,
//! leaders and administrators read everything; an applicant reads, supplements, withdraws and
//! rates their own cases.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::WorkingHours;
use zhengwu_core::booking::RatingLevel;
use zhengwu_core::case::{Deadline, Form, Status};
use zhengwu_core::roles::Role;
use zhengwu_store::cases::{
    self, Act, Applicant, Case, CaseDetail, Ctx, Filter, NewCase, Upload, assist, figures,
};
use zhengwu_store::entity::case as case_row;
use zhengwu_store::org;
use zhengwu_store::ratings::{self, Rating, Score};

use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::startup::AppState;

/// Who works at the comprehensive windows (and may submit for a walk-in or as an agent).
pub const CLERKS: &[Role] = &[Role::Admin, Role::WindowClerk, Role::StationStaff];
/// Who reviews and decides in a department.
pub const REVIEWERS: &[Role] = &[Role::Admin, Role::DeptReviewer];
/// Who reads every case.
pub const READ_ALL: &[Role] = &[Role::Admin, Role::Supervisor, Role::Leader];
/// Who works on cases at all.
pub const CASE_STAFF: &[Role] = &[
    Role::Admin,
    Role::WindowClerk,
    Role::StationStaff,
    Role::DeptReviewer,
    Role::Supervisor,
    Role::Leader,
];
/// Who takes 痛快办 requests.
pub const ASSIST_STAFF: &[Role] = &[
    Role::Admin,
    Role::WindowClerk,
    Role::StationStaff,
    Role::Supervisor,
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit, list_cases))
        .routes(routes!(my_cases))
        .routes(routes!(get_case))
        .routes(routes!(act))
        .routes(routes!(supplement))
        .routes(routes!(withdraw))
        .routes(routes!(rate_case))
        .routes(routes!(case_file))
        .routes(routes!(load))
        .routes(routes!(report))
        .routes(routes!(create_assist, list_assist))
        .routes(routes!(take_assist))
        .routes(routes!(resolve_assist))
}

/// The working hours time limits run on (the government's standard hours).
pub fn hours() -> WorkingHours {
    WorkingHours::default()
}

/// Runs `f` in one write transaction with the context of a case's moves.
pub async fn with_ctx<T>(
    state: &AppState,
    actor: &zhengwu_store::audit::Actor,
    f: impl AsyncFnOnce(&zhengwu_store::WriteTx, &Ctx<'_>) -> Result<T, zhengwu_store::StoreError>,
) -> Result<T, ApiError> {
    let calendar = state.calendar();
    let hours = hours();
    let (_, sink) = crate::http::booking::notices(state);
    crate::http::write(state, async |tx| {
        let ctx = Ctx {
            calendar: &calendar,
            hours: &hours,
            now: Utc::now(),
            actor,
            sink,
        };
        f(tx, &ctx).await
    })
    .await
}

/// The units (ids) among all whose path the caller sees through `roles`.
async fn units_seen(
    state: &AppState,
    caller: &Caller,
    roles: &[Role],
) -> Result<Vec<i64>, ApiError> {
    let paths = org::paths(state.db.conn()).await?;
    Ok(paths
        .into_iter()
        .filter(|(_, p)| caller.can_see(roles, p))
        .map(|(id, _)| id)
        .collect())
}

/// The departments whose cases the caller reviews.
pub async fn reviewed_departments(state: &AppState, caller: &Caller) -> Result<Vec<i64>, ApiError> {
    units_seen(state, caller, REVIEWERS).await
}

/// The halls (and windows and stations) whose cases the caller handles at a window: a clerk of
/// a window works for its hall, whose cases come back to its hand-out window.
pub async fn clerk_units(state: &AppState, caller: &Caller) -> Result<Vec<i64>, ApiError> {
    let mut units = units_seen(state, caller, CLERKS).await?;
    let windows = org::list_units(
        state.db.conn(),
        &org::UnitFilter {
            kind: Some(org::UnitKind::Window),
            ..Default::default()
        },
    )
    .await?;
    for w in windows {
        if units.contains(&w.id.get())
            && let Some(hall) = w.parent_id
            && !units.contains(&hall.get())
        {
            units.push(hall.get());
        }
    }
    Ok(units)
}

/// Whether the caller is the case's applicant (the citizen, one of their enterprises).
pub fn owns(caller: &Caller, c: &case_row::Model) -> bool {
    match caller {
        Caller::Applicant(a) => {
            c.citizen_id == Some(a.citizen.id)
                || c.enterprise_id
                    .is_some_and(|e| a.enterprises.iter().any(|x| x.id == e))
        }
        _ => false,
    }
}

/// Whether the caller is the case's agent (帮办代办) or handles it at a window: they act for
/// the applicant (supplement, withdraw) on a walk-in's or an agent's case.
async fn acts_for_applicant(
    state: &AppState,
    caller: &Caller,
    c: &case_row::Model,
) -> Result<bool, ApiError> {
    if owns(caller, c) {
        return Ok(true);
    }
    if !matches!(c.channel.as_str(), "window" | "agent") || caller.require(CLERKS).is_err() {
        return Ok(false);
    }
    let units = clerk_units(state, caller).await?;
    Ok(caller.require(&[Role::Admin]).is_ok()
        || c.hall_id.is_some_and(|h| units.contains(&h))
        || matches!(caller, Caller::Staff(s) if c.agent_id == Some(s.id.get())))
}

/// Whether the caller may read the case: its applicant, everyone who reads all, a reviewer
/// of its department, a clerk of its hall. Others get 404, so no case is revealed.
pub async fn may_read(
    state: &AppState,
    caller: &Caller,
    c: &case_row::Model,
) -> Result<(), ApiError> {
    if matches!(caller, Caller::Anonymous) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"));
    }
    if owns(caller, c) || caller.require(READ_ALL).is_ok() {
        return Ok(());
    }
    if caller.require(CASE_STAFF).is_err() {
        return Err(ApiError::not_found());
    }
    if reviewed_departments(state, caller)
        .await?
        .contains(&c.department_id)
        || acts_for_applicant(state, caller, c).await?
    {
        return Ok(());
    }
    // A clerk of the hall, or a clerk of a bundle's hall reading its part.
    let units = clerk_units(state, caller).await?;
    if c.hall_id.is_some_and(|h| units.contains(&h)) {
        return Ok(());
    }
    Err(ApiError::not_found())
}

/// Whether the caller may do `action` to the case: window acts are a clerk's of its hall,
/// review acts a reviewer's of its department. 403 otherwise.
pub async fn may_act(
    state: &AppState,
    caller: &Caller,
    c: &case_row::Model,
    action: &str,
) -> Result<(), ApiError> {
    let status = Status::parse(&c.status).unwrap_or(Status::Submitted);
    let review = match action {
        "accept" | "refuse" | "hand_out" | "close" => false,
        "request_supplement" => status != Status::Submitted,
        "review" | "approve" | "reject" | "result_ready" => true,
        other => {
            return Err(ApiError::invalid_field(
                "action",
                format!("unknown:{other}"),
            ));
        }
    };
    if caller.require(&[Role::Admin]).is_ok() {
        return Ok(());
    }
    let ok = if review {
        caller.require(REVIEWERS)?;
        reviewed_departments(state, caller)
            .await?
            .contains(&c.department_id)
    } else {
        caller.require(CLERKS)?;
        let units = clerk_units(state, caller).await?;
        c.hall_id.is_none_or(|h| units.contains(&h))
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"))
    }
}

/// The JSON part of a submission.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCaseBody {
    /// The service item's code.
    pub item: String,
    /// `web` or `kiosk` for an applicant; `window` (a walk-in) or `agent` for staff.
    #[serde(default)]
    pub channel: Option<String>,
    /// The form's fields by key (as the item's `form` defines them).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub form: Form,
    /// An enterprise the signed-in applicant acts for.
    #[serde(default)]
    pub enterprise: Option<i64>,
    /// Staff: the walk-in's name and mobile, or a registered citizen's id.
    #[serde(default)]
    pub applicant_name: Option<String>,
    #[serde(default)]
    pub applicant_mobile: Option<String>,
    #[serde(default)]
    pub citizen: Option<i64>,
    /// An agent's record of the applicant's authorisation (required for `agent`).
    #[serde(default)]
    pub authorisation: Option<String>,
}

/// Reads a multipart form of cases: its text fields, and the files of the materials in parts
/// named `m{index}` (the material's index in the item's list). For the API and the pages.
pub(crate) async fn material_parts(
    mut multipart: axum::extract::Multipart,
) -> Result<(Vec<(String, String)>, Vec<Upload>), ApiError> {
    use crate::http::appeals::multipart_error;
    let (mut fields, mut files) = (Vec::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.strip_prefix('m').and_then(|i| i.parse::<usize>().ok()) {
            Some(material) => {
                let file_name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(multipart_error)?;
                // A file input left empty sends a part with no name and no bytes.
                if !(file_name.is_empty() && bytes.is_empty()) {
                    files.push(Upload {
                        material,
                        name: file_name,
                        bytes: bytes.to_vec(),
                    });
                }
            }
            None => fields.push((name, field.text().await.map_err(multipart_error)?)),
        }
    }
    Ok((fields, files))
}

/// Reads a multipart submission of the API: the `case` part (JSON) and the materials' files.
/// A part named like a material but without its number is refused.
pub(crate) async fn case_parts(
    multipart: axum::extract::Multipart,
) -> Result<(Option<String>, Vec<Upload>), ApiError> {
    let (fields, files) = material_parts(multipart).await?;
    if let Some((name, _)) = fields.iter().find(|(n, _)| n.starts_with('m')) {
        return Err(ApiError::invalid_field(
            "material",
            format!("unknown:{}", &name[1..]),
        ));
    }
    let json = fields
        .into_iter()
        .find(|(n, _)| n == "case")
        .map(|(_, v)| v);
    Ok((json, files))
}

/// The submission's applicant and channel, as the caller may give them.
pub(crate) fn applicant_of(
    caller: &Caller,
    b: &NewCaseBody,
) -> Result<(String, Applicant), ApiError> {
    match caller {
        Caller::Anonymous => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated")),
        Caller::Applicant(a) => {
            let channel = match b.channel.as_deref() {
                None | Some("web") => "web",
                Some("kiosk") => "kiosk",
                Some(other) => {
                    return Err(ApiError::invalid_field(
                        "channel",
                        format!("unknown:{other}"),
                    ));
                }
            };
            let applicant = match b.enterprise {
                Some(e) if a.enterprises.iter().any(|x| x.id == e) => Applicant::Enterprise(e),
                Some(e) => {
                    return Err(ApiError::invalid_field(
                        "enterprise",
                        format!("unknown:{e}"),
                    ));
                }
                None => Applicant::Citizen(a.citizen.id),
            };
            Ok((channel.to_owned(), applicant))
        }
        _ => {
            caller.require(CLERKS)?;
            let channel = b.channel.clone().unwrap_or_else(|| "window".into());
            if channel != "window" && channel != "agent" {
                return Err(ApiError::invalid_field(
                    "channel",
                    format!("unknown:{channel}"),
                ));
            }
            let applicant = match b.citizen {
                Some(c) => Applicant::Citizen(c),
                None => Applicant::WalkIn {
                    name: b.applicant_name.clone().unwrap_or_default(),
                    mobile: b.applicant_mobile.clone(),
                },
            };
            Ok((channel, applicant))
        }
    }
}

/// Submits a case: a multipart body with a `case` part (JSON, [`NewCaseBody`]) and one file
/// part per material, named `m{index}` (PDF, JPEG, PNG or WebP, at most 10 MB; the type is
/// read from the content). Materials that shared data or an e-licence replace need no file.
/// The machine checks run at once; an item marked for instant approval whose checks all pass
/// is approved on the spot.
#[utoipa::path(
    post, path = "/api/v1/cases", tag = "cases",
    request_body(content = String, content_type = "multipart/form-data", description = "A `case` part (JSON: item, channel, form, enterprise, applicant_name, applicant_mobile, citizen, authorisation) and file parts `m0`, `m1` … for the materials"),
    responses(
        (status = 201, description = "Submitted: the case with its checks", body = CaseDetail),
        (status = 400, description = "Not multipart, or the case part is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Staff who do not work at a window", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item in service, or no such citizen", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the upload limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing, wrong-typed or out-of-range form field; a file empty, too large, forged or cut short; an agent without the authorisation", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    multipart: axum::extract::Multipart,
) -> Result<(StatusCode, Json<CaseDetail>), ApiError> {
    let (json, files) = case_parts(multipart).await?;
    let json = json.ok_or_else(|| ApiError::invalid_field("case", "required"))?;
    let b: NewCaseBody = serde_json::from_str(&json)
        .map_err(|_| ApiError::invalid("invalid_json", "case").arg("reason", "case"))?;
    let d = submit_case(&state, &caller, &ip, b, files).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// Submits a case for the API and the pages, retrying when a concurrent submission took the
/// same day's number.
pub(crate) async fn submit_case(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    b: NewCaseBody,
    files: Vec<Upload>,
) -> Result<CaseDetail, ApiError> {
    let (channel, applicant) = applicant_of(caller, &b)?;
    let new = NewCase {
        item_code: b.item.trim().to_owned(),
        channel,
        applicant,
        form: b.form,
        files,
        authorisation: b.authorisation,
    };
    let actor = caller.actor(ip);
    for _ in 0..5 {
        let r = with_ctx(state, &actor, async |tx, ctx| {
            cases::submit(tx, new.clone(), ctx).await
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
    /// `review` (the caller's departments' queue), `window` (the caller's halls), `agent` (the
    /// cases the caller submitted and follows for someone, 帮办代办), `all`.
    #[serde(default)]
    view: Option<String>,
    /// Comma-separated states (`submitted,accepted` …).
    #[serde(default)]
    status: Option<String>,
    /// `yellow` or `red`.
    #[serde(default)]
    deadline: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
}

/// Parses a comma-separated list of states.
pub fn statuses(s: Option<&str>) -> Result<Vec<Status>, ApiError> {
    s.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            Status::parse(x)
                .ok_or_else(|| ApiError::invalid_field("status", format!("unknown:{x}")))
        })
        .collect()
}

/// Parses a deadline colour.
pub fn deadline(s: Option<&str>) -> Result<Option<Deadline>, ApiError> {
    match s.map(str::trim).filter(|x| !x.is_empty()) {
        None => Ok(None),
        Some("yellow") => Ok(Some(Deadline::Yellow)),
        Some("red") => Ok(Some(Deadline::Red)),
        Some(x) => Err(ApiError::invalid_field("deadline", format!("unknown:{x}"))),
    }
}

/// The filter of a staff list for the caller: a reviewer's departments (with the parts of
/// bundles), a clerk's halls, or everything for those who read all.
pub async fn staff_filter(
    state: &AppState,
    caller: &Caller,
    view: &str,
) -> Result<Filter, ApiError> {
    caller.require(CASE_STAFF)?;
    let mut f = Filter {
        limit: 200,
        ..Default::default()
    };
    match view {
        "review" => {
            caller.require(REVIEWERS)?;
            if caller.require(&[Role::Admin]).is_err() {
                f.departments = Some(reviewed_departments(state, caller).await?);
            }
            f.with_parts = true;
        }
        "window" => {
            caller.require(CLERKS)?;
            if caller.require(&[Role::Admin]).is_err() {
                f.halls = Some(clerk_units(state, caller).await?);
            }
        }
        "agent" => {
            caller.require(CLERKS)?;
            let Caller::Staff(s) = caller else {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
            };
            f.agent = Some(s.id.get());
        }
        "all" => caller.require(READ_ALL)?,
        other => return Err(ApiError::invalid_field("view", format!("unknown:{other}"))),
    }
    Ok(f)
}

/// Cases for staff, by due time: a reviewer's queue, a window's list, or all of them.
#[utoipa::path(
    get, path = "/api/v1/cases", tag = "cases",
    params(ListQuery),
    responses(
        (status = 200, description = "Cases, the earliest due first", body = Vec<Case>),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of cases, or not of that view", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown view, state or colour", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_cases(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Case>>, ApiError> {
    let default_view = if caller.require(READ_ALL).is_ok() {
        "all"
    } else if caller.require(REVIEWERS).is_ok() {
        "review"
    } else {
        "window"
    };
    let mut f = staff_filter(&state, &caller, q.view.as_deref().unwrap_or(default_view)).await?;
    f.statuses = statuses(q.status.as_deref())?;
    f.deadline = deadline(q.deadline.as_deref())?;
    if let Some(l) = q.limit {
        f.limit = l;
    }
    let cal = state.calendar();
    Ok(Json(
        cases::list(state.db.conn(), &f, &cal, &hours(), Utc::now()).await?,
    ))
}

/// The signed-in applicant's cases (their own and their enterprises'), newest first.
#[utoipa::path(
    get, path = "/api/v1/my/cases", tag = "cases",
    responses(
        (status = 200, description = "The applicant's cases", body = Vec<Case>),
        (status = 401, description = "Not signed in as an applicant", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn my_cases(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Case>>, ApiError> {
    Ok(Json(mine(&state, &caller).await?))
}

/// The applicant's cases, newest first (for the API and the pages).
pub async fn mine(state: &AppState, caller: &Caller) -> Result<Vec<Case>, ApiError> {
    let Caller::Applicant(a) = caller else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"));
    };
    let cal = state.calendar();
    let db = state.db.conn();
    let mut out = cases::list(
        db,
        &Filter {
            citizen: Some(a.citizen.id),
            limit: 200,
            ..Default::default()
        },
        &cal,
        &hours(),
        Utc::now(),
    )
    .await?;
    if !a.enterprises.is_empty() {
        out.extend(
            cases::list(
                db,
                &Filter {
                    enterprises: Some(a.enterprises.iter().map(|e| e.id).collect()),
                    limit: 200,
                    ..Default::default()
                },
                &cal,
                &hours(),
                Utc::now(),
            )
            .await?,
        );
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.id));
    out.dedup_by_key(|c| c.id);
    Ok(out)
}

/// One case with its materials, files, checks, time line and sub-cases.
#[utoipa::path(
    get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = i64, Path, description = "The case's id")),
    responses(
        (status = 200, description = "The case", body = CaseDetail),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not the caller's to see", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_case(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CaseDetail>, ApiError> {
    let c = cases::row(state.db.conn(), id).await?;
    may_read(&state, &caller, &c).await?;
    let cal = state.calendar();
    Ok(Json(
        cases::detail(state.db.conn(), id, &cal, &hours(), Utc::now()).await?,
    ))
}

/// A move by staff.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActBody {
    /// `accept`, `refuse`, `request_supplement`, `review`, `approve`, `reject`,
    /// `result_ready`, `hand_out` or `close`.
    pub action: String,
    /// The revision the caller saw; a case that moved meanwhile answers 409.
    #[serde(default)]
    pub revision: Option<i64>,
    /// Why not accepted or rejected.
    #[serde(default)]
    pub reasons: Option<String>,
    /// The legal basis of a decision (required to reject).
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// An approval's note.
    #[serde(default)]
    pub note: Option<String>,
    /// Everything missing, at once (一次性告知).
    #[serde(default)]
    pub missing: Vec<String>,
    /// How the result is handed out: `window`, `post` or `station`.
    #[serde(default)]
    pub way: Option<String>,
    /// The gift pack of a company setup as handed out.
    #[serde(default)]
    pub gift_pack: Vec<String>,
}

/// The act a body asks for (the action's name known, its own fields present).
pub fn act_of(b: &ActBody) -> Result<Act, ApiError> {
    let req = |v: &Option<String>, f: &str| {
        v.clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| ApiError::invalid_field(f, "required"))
    };
    Ok(match b.action.as_str() {
        "accept" => Act::Accept,
        "refuse" => Act::Refuse {
            reasons: req(&b.reasons, "reasons")?,
        },
        "request_supplement" => Act::RequestSupplement {
            missing: b.missing.clone(),
        },
        "review" => Act::Review,
        "approve" => Act::Approve {
            note: b.note.clone(),
            legal_basis: b.legal_basis.clone(),
            instant: None,
        },
        "reject" => Act::Reject {
            reasons: req(&b.reasons, "reasons")?,
            legal_basis: req(&b.legal_basis, "legal_basis")?,
        },
        "result_ready" => Act::ResultReady,
        "hand_out" => Act::HandOut {
            way: b.way.clone().unwrap_or_else(|| "window".into()),
            gift_pack: b.gift_pack.clone(),
        },
        "close" => Act::Close,
        other => {
            return Err(ApiError::invalid_field(
                "action",
                format!("unknown:{other}"),
            ));
        }
    })
}

/// Moves a case: a window's acts (accept, refuse, ask for completion before acceptance,
/// hand out, close) or a department's (take up, ask for supplements, approve, reject, make
/// the result). A move the case's state does not allow is refused; with `revision`, a case
/// that moved meanwhile answers 409 and nothing is written.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/act", tag = "cases",
    params(("id" = i64, Path, description = "The case's id")),
    request_body = ActBody,
    responses(
        (status = 200, description = "Moved", body = CaseDetail),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clerk of its hall or a reviewer of its department", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The case moved since the caller read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not possible in the case's state; reasons, legal basis or the missing list absent or too long", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn act(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ActBody>,
) -> Result<Json<CaseDetail>, ApiError> {
    Ok(Json(act_on(&state, &caller, &ip, id, &b).await?))
}

/// Moves a case for the API and the pages.
pub async fn act_on(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
    b: &ActBody,
) -> Result<CaseDetail, ApiError> {
    if matches!(caller, Caller::Anonymous) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"));
    }
    caller.require(CASE_STAFF)?;
    let c = cases::row(state.db.conn(), id).await?;
    may_read(state, caller, &c).await?;
    may_act(state, caller, &c, &b.action).await?;
    let a = act_of(b)?;
    let actor = caller.actor(ip);
    with_ctx(state, &actor, async |tx, ctx| {
        cases::act(tx, id, a.clone(), b.revision, ctx).await
    })
    .await
}

/// Hands in what was asked for: a multipart body with file parts `m{index}` and, optionally,
/// a `case` part with changed form fields (`{"form": {…}}`). The checks run again; a case
/// paused in review resumes with its limit moved by the pause.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/supplement", tag = "cases",
    params(("id" = i64, Path, description = "The case's id")),
    request_body(content = String, content_type = "multipart/form-data", description = "File parts `m0`, `m1` … and an optional `case` part (JSON with `form`)"),
    responses(
        (status = 200, description = "Supplemented", body = CaseDetail),
        (status = 400, description = "Not multipart", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the upload limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing asked for now; no file; a bad file or form field", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn supplement(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    multipart: axum::extract::Multipart,
) -> Result<Json<CaseDetail>, ApiError> {
    let (json, files) = case_parts(multipart).await?;
    let form = match json {
        Some(j) => {
            #[derive(Deserialize)]
            struct Body {
                #[serde(default)]
                form: Option<Form>,
            }
            serde_json::from_str::<Body>(&j)
                .map_err(|_| ApiError::invalid("invalid_json", "case").arg("reason", "case"))?
                .form
        }
        None => None,
    };
    Ok(Json(
        supplement_case(&state, &caller, &ip, id, form, files).await?,
    ))
}

/// Supplements a case for the API and the pages.
pub async fn supplement_case(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
    form: Option<Form>,
    files: Vec<Upload>,
) -> Result<CaseDetail, ApiError> {
    let c = cases::row(state.db.conn(), id).await?;
    may_read(state, caller, &c).await?;
    if !acts_for_applicant(state, caller, &c).await? {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let actor = caller.actor(ip);
    with_ctx(state, &actor, async |tx, ctx| {
        cases::supplement(tx, id, form.clone(), files.clone(), ctx).await
    })
    .await
}

/// The applicant withdraws a case that is not yet decided.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/withdraw", tag = "cases",
    params(("id" = i64, Path, description = "The case's id")),
    responses(
        (status = 200, description = "Withdrawn", body = CaseDetail),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the applicant or their agent", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Already decided", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CaseDetail>, ApiError> {
    Ok(Json(withdraw_case(&state, &caller, &ip, id).await?))
}

/// Withdraws a case for the API and the pages.
pub async fn withdraw_case(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
) -> Result<CaseDetail, ApiError> {
    let c = cases::row(state.db.conn(), id).await?;
    may_read(state, caller, &c).await?;
    if !acts_for_applicant(state, caller, &c).await? {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let actor = caller.actor(ip);
    with_ctx(state, &actor, async |tx, ctx| {
        cases::act(tx, id, Act::Withdraw, None, ctx).await
    })
    .await
}

/// A rating of a case.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RateCaseBody {
    /// 5 非常满意 … 1 非常不满意.
    pub level: i64,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// The applicant rates a case once its result is handed out (好差评, one ratings domain); a
/// bad rating opens a rectification for the department.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/rating", tag = "cases",
    params(("id" = i64, Path, description = "The case's id")),
    request_body = RateCaseBody,
    responses(
        (status = 201, description = "Recorded", body = Rating),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the applicant", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A level outside 1–5, an unknown reason; not handed out yet; rated already", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn rate_case(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RateCaseBody>,
) -> Result<(StatusCode, Json<Rating>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(rate(&state, &caller, &ip, id, b).await?),
    ))
}

/// Rates a case for the API and the pages.
pub async fn rate(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
    b: RateCaseBody,
) -> Result<Rating, ApiError> {
    let c = cases::row(state.db.conn(), id).await?;
    may_read(state, caller, &c).await?;
    if !owns(caller, &c) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let level =
        RatingLevel::new(b.level).ok_or_else(|| ApiError::invalid_field("level", "range:1-5"))?;
    let score = Score {
        level,
        reasons: b.reasons,
        comment: b.comment,
        channel: "phone".into(),
    };
    let calendar = state.calendar();
    let days = state.config.booking.rectify_working_days;
    let actor = caller.actor(ip);
    crate::http::write(state, async |tx| {
        ratings::rate_case(tx, id, score.clone(), &calendar, days, Utc::now(), &actor).await
    })
    .await
}

/// One file of a case (sent as a download, never rendered in place).
#[utoipa::path(
    get, path = "/api/v1/cases/{id}/files/{file}", tag = "cases",
    params(
        ("id" = i64, Path, description = "The case's id"),
        ("file" = i64, Path, description = "The file's id"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case or file, or not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn case_file(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, file)): ApiPath<(i64, i64)>,
) -> Result<axum::response::Response, ApiError> {
    let c = cases::row(state.db.conn(), id).await?;
    may_read(&state, &caller, &c).await?;
    let (f, bytes) = cases::file(state.db.conn(), id, file).await?;
    Ok(crate::http::download(&f.file_name, f.content_type, bytes))
}

/// Open cases per department with their yellow and red counts (the supervisor's overview).
#[utoipa::path(
    get, path = "/api/v1/cases/load", tag = "cases",
    responses(
        (status = 200, description = "Per department, the most red first", body = Vec<cases::DeptLoad>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor, leader or administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn load(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<cases::DeptLoad>>, ApiError> {
    caller.require(READ_ALL)?;
    let cal = state.calendar();
    Ok(Json(
        cases::load_by_department(state.db.conn(), &cal, &hours(), Utc::now()).await?,
    ))
}

/// The share of materials applicants no longer bring and the working time from acceptance to
/// decision against the legal limit, overall, per item and per department.
#[utoipa::path(
    get, path = "/api/v1/cases/figures", tag = "cases",
    responses(
        (status = 200, description = "The figures", body = figures::Report),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a supervisor, leader or administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn report(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<figures::Report>, ApiError> {
    caller.require(READ_ALL)?;
    let cal = state.calendar();
    Ok(Json(
        figures::report(state.db.conn(), &cal, &hours()).await?,
    ))
}

/// A stuck matter to write down.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssistBody {
    /// The resident's name (an applicant's own when signed in).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    /// What they could not get done ("找不到门、办不成事").
    pub matter: String,
}

/// Writes down a resident's stuck matter (痛快办): by staff for a caller or a visitor, or by
/// the signed-in resident.
#[utoipa::path(
    post, path = "/api/v1/assist", tag = "cases",
    request_body = AssistBody,
    responses(
        (status = 201, description = "Written down", body = assist::AssistRequest),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Staff who do not take these", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No name, a bad mobile, a matter of fewer than 4 or more than 2,000 characters", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_assist(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(b): ApiJson<AssistBody>,
) -> Result<(StatusCode, Json<assist::AssistRequest>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(new_assist(&state, &caller, &ip, b).await?),
    ))
}

/// Writes a stuck matter down for the API and the pages.
pub async fn new_assist(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    b: AssistBody,
) -> Result<assist::AssistRequest, ApiError> {
    let who = match caller {
        Caller::Applicant(a) => assist::Resident::Citizen(a.citizen.id),
        _ => {
            caller.require(ASSIST_STAFF)?;
            assist::Resident::Named {
                name: b.name.clone().unwrap_or_default(),
                mobile: b.mobile.clone().unwrap_or_default(),
            }
        }
    };
    let actor = caller.actor(ip);
    crate::http::write(state, async |tx| {
        assist::create(tx, who.clone(), &b.matter, Utc::now(), &actor).await
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssistQuery {
    /// `open`, `taken` or `resolved`.
    #[serde(default)]
    status: Option<String>,
}

/// The 痛快办 queue: open requests first, then taken ones by their day.
#[utoipa::path(
    get, path = "/api/v1/assist", tag = "cases",
    params(AssistQuery),
    responses(
        (status = 200, description = "Requests", body = Vec<assist::AssistRequest>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff who take these", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown state", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_assist(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AssistQuery>,
) -> Result<Json<Vec<assist::AssistRequest>>, ApiError> {
    caller.require(ASSIST_STAFF)?;
    Ok(Json(
        assist::list(state.db.conn(), q.status.as_deref(), Utc::now()).await?,
    ))
}

/// Taking a request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TakeBody {
    /// Working days until it must be resolved (1–20; 3 by default).
    #[serde(default)]
    pub days: Option<u32>,
}

/// The caller takes an open request as its named owner, with a deadline.
#[utoipa::path(
    post, path = "/api/v1/assist/{id}/take", tag = "cases",
    params(("id" = i64, Path, description = "The request's id")),
    request_body = TakeBody,
    responses(
        (status = 200, description = "Taken", body = assist::AssistRequest),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff who take these", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Taken already; days outside 1–20", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn take_assist(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TakeBody>,
) -> Result<Json<assist::AssistRequest>, ApiError> {
    caller.require(ASSIST_STAFF)?;
    let actor = caller.actor(&ip);
    let cal = state.calendar();
    Ok(Json(
        crate::http::write(&state, async |tx| {
            assist::take(tx, id, b.days, &cal, Utc::now(), &actor).await
        })
        .await?,
    ))
}

/// Resolving a request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveBody {
    /// What was done.
    pub resolution: String,
    /// The case it became, if any.
    #[serde(default)]
    pub case: Option<i64>,
}

/// The owner records how the request was resolved.
#[utoipa::path(
    post, path = "/api/v1/assist/{id}/resolve", tag = "cases",
    params(("id" = i64, Path, description = "The request's id")),
    request_body = ResolveBody,
    responses(
        (status = 200, description = "Resolved", body = assist::AssistRequest),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff who take these", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request or case", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not taken, or taken by someone else; a resolution of fewer than 4 characters", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn resolve_assist(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ResolveBody>,
) -> Result<Json<assist::AssistRequest>, ApiError> {
    caller.require(ASSIST_STAFF)?;
    let actor = caller.actor(&ip);
    Ok(Json(
        crate::http::write(&state, async |tx| {
            assist::resolve(tx, id, &b.resolution, b.case, Utc::now(), &actor).await
        })
        .await?,
    ))
}

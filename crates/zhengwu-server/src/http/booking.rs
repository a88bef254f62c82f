//! `/api/v1/booking`: availability, appointments (booked by a signed-in applicant, by staff on
//! the phone or at a kiosk, or by a messaging front end with an API token), their iCalendar
//! file, cancel and reschedule, check-in that issues the ticket at once, the applicant's phone
//! reporting arrival, and urgent requests (M1.1, M1.2, M2.5).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::booking::{local_date_minute, normalize_code};
use zhengwu_core::ident::{IdNumber, Mobile};
use zhengwu_core::ids::UnitId;
use zhengwu_core::roles::Role;
use zhengwu_store::applicants::{self, NewCitizen};
use zhengwu_store::booking::{
    self, Appointment, CheckIn, Day, Decision, NewAppointment, Notices, Rule, UrgentRequest,
};
use zhengwu_store::{StoreError, catalog, org};

use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::queue::at_unit;
use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(availability))
        .routes(routes!(create_appointment, list_appointments))
        .routes(routes!(get_appointment))
        .routes(routes!(cancel_appointment))
        .routes(routes!(reschedule_appointment))
        .routes(routes!(arrive))
        .routes(routes!(check_in))
        .routes(routes!(create_urgent, list_urgent))
        .routes(routes!(decide_urgent))
        .routes(routes!(list_rules))
        .routes(routes!(put_rule))
}

/// Runs `f` in one write transaction with the notices it may queue, commits, and wakes the
/// outbox worker: the shape of every booking change.
pub async fn with_notices<T>(
    state: &AppState,
    f: impl AsyncFnOnce(&zhengwu_store::WriteTx, &Notices<'_>) -> Result<T, StoreError>,
) -> Result<T, ApiError> {
    let (base, sink) = notices(state);
    crate::http::write(state, async |tx| {
        f(
            tx,
            &Notices {
                sink,
                base_url: &base,
            },
        )
        .await
    })
    .await
}

/// Where notices go and how their links begin.
pub fn notices(state: &AppState) -> (String, &'static str) {
    (
        state.config.public_url(),
        crate::notify::default_sink(&state.config),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    /// The site (a hall or a station).
    site: i64,
    /// The service item's code; the site's group that takes it is used.
    item: Option<String>,
    /// Or the item group's code directly.
    group: Option<String>,
    /// First date (default today).
    from: Option<NaiveDate>,
    /// Last date (default a week after `from`; at most 31 days).
    to: Option<NaiveDate>,
}

/// A site's availability for one item or group.
#[derive(Debug, Serialize, ToSchema)]
pub struct Availability {
    pub site: i64,
    pub site_name: String,
    pub group: String,
    pub item: Option<String>,
    pub rule: Rule,
    pub days: Vec<Day>,
}

/// The rule of the group that takes `item` (or of `group`) at `site`.
pub async fn rule_for(
    state: &AppState,
    site: &org::Unit,
    item: Option<&str>,
    group: Option<&str>,
) -> Result<(Rule, Option<zhengwu_core::catalog::Item>), ApiError> {
    if !matches!(site.kind, org::UnitKind::Hall | org::UnitKind::Station) {
        return Err(ApiError::invalid_field("site", "not_a_site"));
    }
    let db = state.db.conn();
    match (item, group) {
        (Some(code), _) => {
            let item = catalog::published_item(db, code)
                .await
                .map_err(|_| ApiError::invalid_field("item", format!("unknown:{code}")))?;
            let g = booking::group_for_item(db, site, &item).await?;
            Ok((booking::rule_of(db, &g).await?, Some(item)))
        }
        (None, Some(code)) => {
            let g = zhengwu_store::queue::groups(db, site.id)
                .await?
                .into_iter()
                .find(|g| g.code == code)
                .ok_or_else(|| ApiError::invalid_field("group", format!("no_group:{code}")))?;
            Ok((booking::rule_of(db, &g).await?, None))
        }
        (None, None) => Err(ApiError::invalid_field("item", "required")),
    }
}

async fn site_unit(state: &AppState, id: i64) -> Result<org::Unit, ApiError> {
    org::get_unit(state.db.conn(), UnitId(id))
        .await
        .map_err(|_| ApiError::invalid_field("site", format!("unknown:{id}")))
}

/// The bookable slots of a site for an item (or an item group), day by day, from the site's
/// opening hours and the working-day calendar. No sign-in needed.
#[utoipa::path(
    get, path = "/api/v1/booking/availability", tag = "booking",
    params(AvailabilityQuery),
    responses(
        (status = 200, description = "Days and their slots", body = Availability),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown site, item or group, an item not handled there, or a bad range", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn availability(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AvailabilityQuery>,
) -> Result<Json<Availability>, ApiError> {
    let site = site_unit(&state, q.site).await?;
    let (rule, item) = rule_for(&state, &site, q.item.as_deref(), q.group.as_deref()).await?;
    let now = Utc::now();
    let from = q.from.unwrap_or_else(|| local_date_minute(now).0);
    let to = q.to.unwrap_or(from + Duration::days(6));
    let days =
        booking::availability(state.db.conn(), &rule, &state.calendar(), from, to, now).await?;
    Ok(Json(Availability {
        site: q.site,
        site_name: site.name,
        group: rule.group_code.clone(),
        item: item.map(|i| i.code),
        rule,
        days,
    }))
}

/// The person an appointment is for, when staff or a messaging front end books.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Person {
    pub name: String,
    /// Resident ID number (GB 11643).
    pub id_number: String,
    /// Mobile number for the confirmation and reminders.
    pub mobile: String,
}

/// An appointment to book.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewBooking {
    pub site: i64,
    /// The service item's code.
    pub item: String,
    /// The slot's start (as listed by the availability).
    pub starts_at: DateTime<Utc>,
    /// `web`, `messaging`, `phone` or `kiosk` (default: `web` for an applicant, `phone` for
    /// staff, `messaging` for an API token).
    #[serde(default)]
    pub channel: Option<String>,
    /// Another mobile for the notices (default: the person's own).
    #[serde(default)]
    pub mobile: Option<String>,
    /// Required when staff or a token books; ignored for a signed-in applicant.
    #[serde(default)]
    pub person: Option<Person>,
}

/// A booked appointment as returned to whoever booked it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentView {
    #[serde(flatten)]
    pub appointment: Appointment,
    pub site_name: String,
    pub item_name: String,
    /// The iCalendar file.
    pub ics_url: String,
    /// The confirmation link (manage without signing in), fit for a chat message; only in
    /// the answer to the booking itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

pub async fn view(
    state: &AppState,
    a: Appointment,
    token: Option<&str>,
) -> Result<AppointmentView, ApiError> {
    let db = state.db.conn();
    let site_name = org::get_unit(db, UnitId(a.site_id)).await?.name;
    let item_name = catalog::published_item(db, &a.item_code)
        .await
        .map(|i| i.name)
        .unwrap_or_else(|_| a.item_code.clone());
    let ics_url = match token {
        Some(t) => format!("/api/v1/booking/appointments/{}.ics?t={t}", a.id),
        None => format!("/api/v1/booking/appointments/{}.ics", a.id),
    };
    let link = token.map(|t| booking::manage_link(&state.config.public_url(), &a.code, t));
    Ok(AppointmentView {
        appointment: a,
        site_name,
        item_name,
        ics_url,
        link,
    })
}

/// The citizen a booking is for: the signed-in applicant, or the person staff name (found by
/// ID number, or registered).
pub async fn person_for(
    state: &AppState,
    caller: &Caller,
    site: i64,
    person: Option<&Person>,
    ip: &ClientIp,
) -> Result<(i64, &'static str), ApiError> {
    match caller {
        Caller::Applicant(a) => Ok((a.citizen.id, "web")),
        Caller::Anonymous => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated")),
        Caller::Staff(_) | Caller::Token(_) => {
            at_unit(state, caller, site).await?;
            let default_channel = if matches!(caller, Caller::Token(_)) {
                "messaging"
            } else {
                "phone"
            };
            let p = person.ok_or_else(|| ApiError::invalid_field("person", "required"))?;
            let id_number = IdNumber::parse(&p.id_number, Utc::now().date_naive())
                .map_err(|e| ApiError::invalid_field("id_number", format!("id_{}", e.code())))?;
            let mobile = Mobile::parse(&p.mobile)
                .map_err(|_| ApiError::invalid_field("mobile", "mobile"))?;
            let name = p.name.trim();
            if name.is_empty() || name.chars().count() > 50 {
                return Err(ApiError::invalid_field("name", "length:1-50"));
            }
            if let Some(c) = applicants::find_by_id_number(state.db.conn(), &id_number).await? {
                return Ok((c.id, default_channel));
            }
            let tx = state.db.begin_write().await.map_err(StoreError::from)?;
            let id = applicants::create_citizen(
                &tx,
                &caller.actor(ip),
                NewCitizen {
                    name: name.to_owned(),
                    id_number: id_number.clone(),
                    mobile,
                    elderly_alone: false,
                    disabled: false,
                    pregnant: false,
                    address: None,
                },
            )
            .await;
            match id {
                Ok(id) => {
                    tx.commit().await.map_err(StoreError::from)?;
                    Ok((id, default_channel))
                }
                // Registered meanwhile by another request: use that record.
                Err(StoreError::Conflict { .. }) => {
                    tx.rollback().await.map_err(StoreError::from)?;
                    let c = applicants::find_by_id_number(state.db.conn(), &id_number)
                        .await?
                        .ok_or_else(ApiError::not_found)?;
                    Ok((c.id, default_channel))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn parse_mobile(m: Option<&str>) -> Result<Option<Mobile>, ApiError> {
    match m.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Mobile::parse(m)
            .map(Some)
            .map_err(|_| ApiError::invalid_field("mobile", "mobile")),
        None => Ok(None),
    }
}

/// Books one appointment and returns it with its link; the shared booking path of the API and
/// the pages.
pub async fn book(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    body: NewBooking,
) -> Result<AppointmentView, ApiError> {
    let site = site_unit(state, body.site).await?;
    let (citizen, default_channel) =
        person_for(state, caller, body.site, body.person.as_ref(), ip).await?;
    let item = catalog::published_item(state.db.conn(), &body.item)
        .await
        .map_err(|_| ApiError::invalid_field("item", format!("unknown:{}", body.item)))?;
    let mobile = parse_mobile(body.mobile.as_deref())?;
    let channel = body.channel.unwrap_or_else(|| default_channel.to_owned());
    let new = NewAppointment {
        citizen_id: citizen,
        site: site.id,
        item_code: item.code.clone(),
        starts_at: body.starts_at,
        mobile,
        channel,
    };
    let calendar = state.calendar();
    let booked = with_notices(state, async |tx, n| {
        booking::book(
            tx,
            new,
            &item,
            &calendar,
            &state.config.booking.no_show,
            Utc::now(),
            &caller.actor(ip),
            n,
        )
        .await
    })
    .await?;
    view(state, booked.appointment, Some(&booked.link_token)).await
}

/// Books an appointment: a signed-in applicant for themself; staff (on the phone, at a kiosk)
/// or an API token (a messaging front end) for the person named. One active appointment per
/// person per item; a slot is never booked past its capacity.
#[utoipa::path(
    post, path = "/api/v1/booking/appointments", tag = "booking",
    request_body = NewBooking,
    responses(
        (status = 201, description = "Booked; the confirmation SMS is queued", body = AppointmentView),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Full, past, closed or holiday slot; blocked for no-shows; already booked; a bad ID number", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_appointment(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewBooking>,
) -> Result<(StatusCode, Json<AppointmentView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(book(&state, &caller, &ip, body).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Staff: the site (required for staff).
    site: Option<i64>,
    /// Staff: the date (default today).
    date: Option<NaiveDate>,
}

/// An applicant's own appointments; staff: a site's appointments of a day.
#[utoipa::path(
    get, path = "/api/v1/booking/appointments", tag = "booking",
    params(ListQuery),
    responses(
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "Appointments", body = Vec<Appointment>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Staff must name the site", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_appointments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Appointment>>, ApiError> {
    match &caller {
        Caller::Applicant(a) => Ok(Json(
            booking::of_citizen(state.db.conn(), a.citizen.id).await?,
        )),
        Caller::Anonymous => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated")),
        _ => {
            let site = q
                .site
                .ok_or_else(|| ApiError::invalid_field("site", "required"))?;
            at_unit(&state, &caller, site).await?;
            let date = q.date.unwrap_or_else(|| local_date_minute(Utc::now()).0);
            Ok(Json(
                booking::of_site_on(state.db.conn(), UnitId(site), date).await?,
            ))
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// The secret of the confirmation link, for acting without signing in.
    t: Option<String>,
}

/// Whether the caller may see and act on an appointment: its holder signed in, the bearer of
/// its link, or staff of its site. Others get 404, never a hint that it exists.
pub async fn may_act(
    state: &AppState,
    caller: &Caller,
    a: &Appointment,
    token: Option<&str>,
) -> Result<bool, ApiError> {
    if let Caller::Applicant(x) = caller
        && x.citizen.id == a.citizen_id
    {
        return Ok(false);
    }
    if let Some(t) = token
        && booking::link_matches(state.db.conn(), a.id, t).await?
    {
        return Ok(false);
    }
    if matches!(caller, Caller::Staff(_) | Caller::Token(_))
        && at_unit(state, caller, a.site_id).await.is_ok()
    {
        return Ok(true);
    }
    Err(ApiError::not_found())
}

/// The appointment (`{id}`), or its iCalendar file (`{id}.ics`, RFC 5545).
#[utoipa::path(
    get, path = "/api/v1/booking/appointments/{id}", tag = "booking",
    params(("id" = String, Path, description = "The appointment's id; with `.ics` its iCalendar file"), LinkQuery),
    responses(
        (status = 200, description = "The appointment (JSON), or its text/calendar file", body = AppointmentView),
        (status = 404, description = "No such appointment, or not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_appointment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> Result<Response, ApiError> {
    let (raw, ics) = match id.strip_suffix(".ics") {
        Some(r) => (r, true),
        None => (id.as_str(), false),
    };
    let id: i64 = raw.parse().map_err(|_| ApiError::not_found())?;
    let a = booking::get(state.db.conn(), id).await?;
    may_act(&state, &caller, &a, q.t.as_deref()).await?;
    let v = view(&state, a, None).await?;
    if !ics {
        return Ok(Json(v).into_response());
    }
    let body = crate::ics::appointment(&v, &state.config.public_url());
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"appointment-{}.ics\"",
        v.appointment.code
    )) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// Cancels an appointment (its holder up to the cut-off; staff at any time).
#[utoipa::path(
    post, path = "/api/v1/booking/appointments/{id}/cancel", tag = "booking",
    params(("id" = i64, Path, description = "The appointment's id"), LinkQuery),
    responses(
        (status = 200, description = "Cancelled", body = Appointment),
        (status = 404, description = "No such appointment, or not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Past the cut-off, or not booked", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn cancel_appointment(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> Result<Json<Appointment>, ApiError> {
    Ok(Json(
        cancel(&state, &caller, &ip, id, q.t.as_deref()).await?,
    ))
}

/// Cancels, for the API and the pages.
pub async fn cancel(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
    token: Option<&str>,
) -> Result<Appointment, ApiError> {
    let a = booking::get(state.db.conn(), id).await?;
    let staff = may_act(state, caller, &a, token).await?;
    let a = with_notices(state, async |tx, n| {
        booking::cancel(tx, id, staff, Utc::now(), &caller.actor(ip), n).await
    })
    .await?;
    Ok(a)
}

/// The new time of an appointment.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RescheduleBody {
    pub starts_at: DateTime<Utc>,
}

/// Moves an appointment to another slot (up to the cut-off for its holder).
#[utoipa::path(
    post, path = "/api/v1/booking/appointments/{id}/reschedule", tag = "booking",
    params(("id" = i64, Path, description = "The appointment's id"), LinkQuery),
    request_body = RescheduleBody,
    responses(
        (status = 200, description = "Moved", body = Appointment),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment, or not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Full, past, closed slot; past the cut-off", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn reschedule_appointment(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LinkQuery>,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> Result<Json<Appointment>, ApiError> {
    Ok(Json(
        reschedule(&state, &caller, &ip, id, q.t.as_deref(), body.starts_at).await?,
    ))
}

/// Reschedules, for the API and the pages.
pub async fn reschedule(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
    token: Option<&str>,
    starts_at: DateTime<Utc>,
) -> Result<Appointment, ApiError> {
    let a = booking::get(state.db.conn(), id).await?;
    let staff = may_act(state, caller, &a, token).await?;
    let a = with_notices(state, async |tx, n| {
        booking::reschedule(
            tx,
            id,
            starts_at,
            staff,
            &state.calendar(),
            Utc::now(),
            &caller.actor(ip),
            n,
        )
        .await
    })
    .await?;
    Ok(a)
}

/// How far from the site an arrival still counts (the hall's geofence).
pub const GEOFENCE_METRES: f64 = 300.0;

/// Where the phone is.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ArrivalBody {
    pub lat: f64,
    pub lng: f64,
}

/// The applicant's phone reports arrival inside the site's geofence: checked in, the ticket
/// issued at once.
#[utoipa::path(
    post, path = "/api/v1/booking/appointments/{id}/arrive", tag = "booking",
    params(("id" = i64, Path, description = "The appointment's id"), LinkQuery),
    request_body = ArrivalBody,
    responses(
        (status = 200, description = "Checked in; the ticket", body = CheckIn),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment, or not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not at the site; too early; checked in already", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn arrive(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LinkQuery>,
    ApiJson(body): ApiJson<ArrivalBody>,
) -> Result<Json<CheckIn>, ApiError> {
    Ok(Json(
        arrive_at(&state, &caller, &ip, id, q.t.as_deref(), body.lat, body.lng).await?,
    ))
}

/// The phone's arrival: the holder (or the link's bearer) within the site's geofence is
/// checked in. For the API and the pages.
pub async fn arrive_at(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
    token: Option<&str>,
    lat: f64,
    lng: f64,
) -> Result<CheckIn, ApiError> {
    let a = booking::get(state.db.conn(), id).await?;
    may_act(state, caller, &a, token).await?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
        return Err(ApiError::invalid_field("lat", "location"));
    }
    // The site's coordinates, or its nearest ancestor's (a hall stands in its center).
    let mut unit = org::get_unit(state.db.conn(), UnitId(a.site_id)).await?;
    while unit.location.is_none()
        && let Some(parent) = unit.parent_id
    {
        unit = org::get_unit(state.db.conn(), parent).await?;
    }
    if let Some(loc) = unit.location {
        let d = crate::guide::distance_m(loc, org::Location { lat, lon: lng });
        if d > GEOFENCE_METRES {
            return Err(ApiError::invalid_field(
                "lat",
                format!("not_at_site:{}", d.round() as i64),
            ));
        }
    }
    do_check_in(state, caller, ip, a.id).await
}

/// Checks in and wakes the outbox, for every way of checking in.
pub async fn do_check_in(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
) -> Result<CheckIn, ApiError> {
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let c = booking::check_in(&tx, id, Utc::now(), &caller.actor(ip)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(c)
}

/// A check-in at the site: the ID number read from the card (or typed), or the booking code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckInBody {
    pub site: i64,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

/// Finds the appointment a check-in at a site means.
pub async fn find_for_check_in(
    state: &AppState,
    body: &CheckInBody,
) -> Result<Appointment, ApiError> {
    let now = Utc::now();
    if let Some(raw) = body
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let code =
            normalize_code(raw).ok_or_else(|| ApiError::invalid_field("code", "booking_code"))?;
        let (a, _) = booking::by_code(state.db.conn(), &code)
            .await
            .map_err(|_| ApiError::invalid_field("code", "no_such_code"))?;
        if a.site_id != body.site {
            let other = org::get_unit(state.db.conn(), UnitId(a.site_id)).await?;
            return Err(ApiError::invalid_field(
                "code",
                format!("other_site:{}", other.name),
            ));
        }
        return Ok(a);
    }
    let raw = body
        .id_number
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::invalid_field("id_number", "required"))?;
    let id = IdNumber::parse(raw, now.date_naive())
        .map_err(|e| ApiError::invalid_field("id_number", format!("id_{}", e.code())))?;
    booking::todays_for_id_number(state.db.conn(), UnitId(body.site), &id, now)
        .await?
        .ok_or_else(|| ApiError::invalid_field("id_number", "no_appointment_today"))
}

/// Checks an appointment holder in at the site — by the ID card (a reader posts the number) or
/// the booking code — and issues the ticket at once (无感排号). For the site's staff and its
/// kiosks' tokens.
#[utoipa::path(
    post, path = "/api/v1/booking/check-in", tag = "booking",
    request_body = CheckInBody,
    responses(
        (status = 200, description = "Checked in; the ticket", body = CheckIn),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A wrong check digit, no appointment today, too early, checked in twice", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn check_in(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(body): ApiJson<CheckInBody>,
) -> Result<Json<CheckIn>, ApiError> {
    at_unit(&state, &caller, body.site).await?;
    let a = find_for_check_in(&state, &body).await?;
    Ok(Json(do_check_in(&state, &caller, &ip, a.id).await?))
}

/// An urgent request (急事急办、特事特办).
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUrgent {
    pub site: i64,
    pub item: String,
    /// Why it cannot wait (4–500 characters).
    pub reason: String,
    #[serde(default)]
    pub mobile: Option<String>,
    /// Required when staff or a token files it for someone.
    #[serde(default)]
    pub person: Option<Person>,
}

/// Files an urgent request outside the slots; the site's staff accept or decline it.
#[utoipa::path(
    post, path = "/api/v1/booking/urgent", tag = "booking",
    request_body = NewUrgent,
    responses(
        (status = 201, description = "Filed", body = UrgentRequest),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, an item not handled there, one pending already", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_urgent(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewUrgent>,
) -> Result<(StatusCode, Json<UrgentRequest>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(file_urgent(&state, &caller, &ip, body).await?),
    ))
}

/// Files an urgent request, for the API and the pages.
pub async fn file_urgent(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    body: NewUrgent,
) -> Result<UrgentRequest, ApiError> {
    let site = site_unit(state, body.site).await?;
    let (citizen, _) = person_for(state, caller, body.site, body.person.as_ref(), ip).await?;
    let item = catalog::published_item(state.db.conn(), &body.item)
        .await
        .map_err(|_| ApiError::invalid_field("item", format!("unknown:{}", body.item)))?;
    let mobile = parse_mobile(body.mobile.as_deref())?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let r = booking::request_urgent(
        &tx,
        citizen,
        site.id,
        &item,
        &body.reason,
        mobile.as_ref(),
        Utc::now(),
        &caller.actor(ip),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(r)
}

/// Roles that decide urgent requests (within their scope).
pub const URGENT_STAFF: &[Role] = &[Role::Admin, Role::WindowClerk, Role::StationStaff];

/// The sites (halls and stations) whose records the caller may see through `roles`.
pub async fn visible_sites(
    state: &AppState,
    caller: &Caller,
    roles: &[Role],
) -> Result<Vec<i64>, ApiError> {
    caller.require(roles)?;
    let paths = org::paths(state.db.conn()).await?;
    let mut out = Vec::new();
    for kind in [org::UnitKind::Hall, org::UnitKind::Station] {
        for u in org::list_units(
            state.db.conn(),
            &org::UnitFilter {
                kind: Some(kind),
                ..Default::default()
            },
        )
        .await?
        {
            if paths
                .get(&u.id.get())
                .is_some_and(|p| caller.can_see(roles, p))
            {
                out.push(u.id.get());
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UrgentQuery {
    site: Option<i64>,
    /// `pending`, `accepted` or `declined`.
    status: Option<String>,
}

/// Urgent requests: an applicant's own; staff's for the sites in their scope.
#[utoipa::path(
    get, path = "/api/v1/booking/urgent", tag = "booking",
    params(UrgentQuery),
    responses(
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "Urgent requests", body = Vec<UrgentRequest>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_urgent(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UrgentQuery>,
) -> Result<Json<Vec<UrgentRequest>>, ApiError> {
    if let Caller::Applicant(a) = &caller {
        return Ok(Json(
            booking::urgent_of_citizen(state.db.conn(), a.citizen.id).await?,
        ));
    }
    let mut sites = visible_sites(&state, &caller, URGENT_STAFF).await?;
    if let Some(s) = q.site {
        sites.retain(|x| *x == s);
    }
    Ok(Json(
        booking::urgent_list(state.db.conn(), Some(&sites), q.status.as_deref()).await?,
    ))
}

/// Staff's answer to an urgent request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecideBody {
    pub accept: bool,
    /// With an acceptance: when to come.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// With an acceptance: a note for the person.
    #[serde(default)]
    pub note: Option<String>,
    /// With a refusal: the reason told to the person.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Accepts (with a time) or declines (with a reason) an urgent request; the person is told.
#[utoipa::path(
    post, path = "/api/v1/booking/urgent/{id}/decide", tag = "booking",
    params(("id" = i64, Path, description = "The request's id")),
    request_body = DecideBody,
    responses(
        (status = 200, description = "Decided", body = UrgentRequest),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Decided already; no time or no reason", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn decide_urgent(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecideBody>,
) -> Result<Json<UrgentRequest>, ApiError> {
    Ok(Json(decide(&state, &caller, &ip, id, body).await?))
}

/// Decides, for the API and the pages.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    id: i64,
    body: DecideBody,
) -> Result<UrgentRequest, ApiError> {
    let r = booking::urgent(state.db.conn(), id).await?;
    caller.require(URGENT_STAFF)?;
    let path = org::unit_path(state.db.conn(), UnitId(r.site_id)).await?;
    if !caller.can_see(URGENT_STAFF, &path) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let decision = if body.accept {
        Decision::Accept {
            at: body
                .at
                .ok_or_else(|| ApiError::invalid_field("at", "required"))?,
            note: body.note.unwrap_or_default(),
        }
    } else {
        Decision::Decline {
            reason: body
                .reason
                .ok_or_else(|| ApiError::invalid_field("reason", "required"))?,
        }
    };
    let r = with_notices(state, async |tx, n| {
        booking::decide_urgent(tx, id, decision, Utc::now(), &caller.actor(ip), n).await
    })
    .await?;
    Ok(r)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RulesQuery {
    /// The site (a hall or a station).
    site: i64,
}

/// The booking rules of a site's item groups (slot length, places, horizon, notice, cut-off,
/// the arrival window). Public: a messaging front end shows them.
#[utoipa::path(
    get, path = "/api/v1/booking/rules", tag = "booking",
    params(RulesQuery),
    responses(
        (status = 200, description = "The rules", body = Vec<Rule>),
        (status = 400, description = "No site given", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_rules(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<RulesQuery>,
) -> Result<Json<Vec<Rule>>, ApiError> {
    Ok(Json(booking::rules(state.db.conn(), UnitId(q.site)).await?))
}

/// Sets the booking rule of a site's item group (administrators of the site or above). Places
/// already booked stay; the new capacity applies to slots not yet booked.
#[utoipa::path(
    put, path = "/api/v1/booking/rules/{site}/{group}", tag = "booking",
    params(("site" = i64, Path, description = "The site's id"), ("group" = String, Path, description = "The group's code")),
    request_body = booking::RuleSettings,
    responses(
        (status = 200, description = "The rule now", body = Rule),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of this site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such site", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such group, or a value out of range", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn put_rule(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath((site, group)): ApiPath<(i64, String)>,
    ApiJson(b): ApiJson<booking::RuleSettings>,
) -> Result<Json<Rule>, ApiError> {
    caller.require(&[Role::Admin])?;
    let path = org::unit_path(state.db.conn(), UnitId(site)).await?;
    if !caller.can_see(&[Role::Admin], &path) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let g = zhengwu_store::queue::groups(state.db.conn(), UnitId(site))
        .await?
        .into_iter()
        .find(|g| g.code == group)
        .ok_or_else(|| ApiError::invalid_field("group", format!("no_group:{group}")))?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let r = booking::set_rule(&tx, &g, b, &caller.actor(&ip)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(r))
}

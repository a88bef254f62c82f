//! `/api/v1/calendar`: the working-day calendar.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::calendar::{MAX_WORKING_DAYS, district_offset};
use zhengwu_core::ids::UnitId;
use zhengwu_core::{WorkingDays, WorkingHours};

use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::startup::AppState;

/// The most days one `days` query may cover (three years and a day).
pub const MAX_RANGE_DAYS: i64 = 3 * 365 + 1;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(days))
        .routes(routes!(deadline))
        .routes(routes!(elapsed))
        .routes(routes!(deadlines))
}

/// The most deadlines one request may compute.
pub const MAX_BATCH: usize = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// First date, `YYYY-MM-DD`.
    #[param(format = Date, example = "2026-01-01")]
    from: String,
    /// Last date (inclusive), `YYYY-MM-DD`; at most three years after `from`.
    #[param(format = Date, example = "2026-12-31")]
    to: String,
}

/// One date of the calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct Day {
    #[schema(value_type = String, format = Date, example = "2026-10-01")]
    date: NaiveDate,
    working_day: bool,
    /// The holiday the date belongs to: a day off or an adjusted working day (调休).
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

pub(crate) fn parse_date(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid("invalid_date", field))
}

fn parse_instant(field: &str, s: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| ApiError::invalid("invalid_datetime", field))
}

/// Every date from `from` to `to`: working day or not, and the holiday's name.
#[utoipa::path(
    get, path = "/api/v1/calendar/days", tag = "calendar",
    params(DaysQuery),
    responses(
        (status = 200, description = "The dates in order", body = Vec<Day>),
        (status = 400, description = "A malformed date, a reversed or too long range", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn days(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> Result<Json<Vec<Day>>, ApiError> {
    let from = parse_date("from", &q.from)?;
    let to = parse_date("to", &q.to)?;
    if to < from {
        return Err(ApiError::invalid("range_reversed", "to"));
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(ApiError::invalid("range_too_long", "to").arg("max", MAX_RANGE_DAYS));
    }
    let cal = state.calendar();
    Ok(Json(
        cal.days(from, to)
            .into_iter()
            .map(|d| Day {
                date: d.date,
                working_day: d.working_day,
                name: d.name,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// When the time limit starts, RFC 3339 with an offset.
    #[param(format = DateTime, example = "2026-11-23T09:00:00+08:00")]
    start: String,
    /// The time limit in working days; fractions allowed (0.5 = half a working day, measured
    /// in working hours).
    #[param(value_type = f64, minimum = 0, maximum = 2500, example = 0.5)]
    working_days: String,
    /// Count on this site's working hours instead of the standard 9:00–12:00, 13:30–17:30.
    unit: Option<i64>,
}

/// A computed deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deadline {
    /// The deadline, RFC 3339 in the district's time (UTC+8).
    #[schema(value_type = String, format = DateTime)]
    deadline: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    start: DateTime<FixedOffset>,
    working_days: f64,
    /// The working hours the limit was counted on, e.g. `09:00-12:00`.
    working_hours: Vec<String>,
}

async fn hours_for(state: &AppState, unit: Option<i64>) -> Result<WorkingHours, ApiError> {
    let Some(id) = unit else {
        return Ok(WorkingHours::default());
    };
    let site = zhengwu_store::org::site_hours(state.db.conn(), UnitId(id)).await?;
    let regular = site.schedule.regular_day().to_vec();
    if regular.is_empty() {
        return Ok(WorkingHours::default());
    }
    WorkingHours::new(regular).map_err(|e| ApiError::invalid_field("unit", e))
}

fn parse_working_days(s: &str) -> Result<WorkingDays, ApiError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .and_then(|v| WorkingDays::new(v).ok())
        .ok_or_else(|| {
            ApiError::invalid("invalid_working_days", "working_days").arg("max", MAX_WORKING_DAYS)
        })
}

/// The deadline of a time limit counted on the working-day calendar.
#[utoipa::path(
    get, path = "/api/v1/calendar/deadline", tag = "calendar",
    params(DeadlineQuery),
    responses(
        (status = 200, description = "The deadline", body = Deadline),
        (status = 400, description = "A malformed instant or number of days", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn deadline(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DeadlineQuery>,
) -> Result<Json<Deadline>, ApiError> {
    let start = parse_instant("start", &q.start)?;
    let days = parse_working_days(&q.working_days)?;
    let hours = hours_for(&state, q.unit).await?;
    Ok(Json(Deadline::compute(
        &state.calendar(),
        start,
        days,
        &hours,
    )))
}

impl Deadline {
    fn compute(
        cal: &zhengwu_core::Calendar,
        start: DateTime<Utc>,
        days: WorkingDays,
        hours: &WorkingHours,
    ) -> Self {
        let tz = district_offset();
        Self {
            deadline: cal.deadline(start, days, hours).with_timezone(&tz),
            start: start.with_timezone(&tz),
            working_days: days.get(),
            working_hours: hours.periods().iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ElapsedQuery {
    /// RFC 3339 with an offset.
    #[param(format = DateTime)]
    from: String,
    /// RFC 3339 with an offset.
    #[param(format = DateTime)]
    to: String,
    /// Count on this site's working hours.
    unit: Option<i64>,
}

/// Working time between two instants.
#[derive(Debug, Serialize, ToSchema)]
pub struct Elapsed {
    working_seconds: i64,
    working_days: f64,
}

/// The working time that passed between two instants (0 when `to` is not after `from`).
#[utoipa::path(
    get, path = "/api/v1/calendar/elapsed", tag = "calendar",
    params(ElapsedQuery),
    responses(
        (status = 200, description = "The working time", body = Elapsed),
        (status = 400, description = "A malformed instant", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn elapsed(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ElapsedQuery>,
) -> Result<Json<Elapsed>, ApiError> {
    let from = parse_instant("from", &q.from)?;
    let to = parse_instant("to", &q.to)?;
    if (to - from).num_days().abs() > MAX_RANGE_DAYS * 4 {
        return Err(ApiError::invalid("range_too_long", "to").arg("max", MAX_RANGE_DAYS * 4));
    }
    let hours = hours_for(&state, q.unit).await?;
    let cal = state.calendar();
    let secs = cal.working_seconds_between(from, to, &hours);
    Ok(Json(Elapsed {
        working_seconds: secs,
        working_days: secs as f64 / hours.seconds_per_day() as f64,
    }))
}

/// One time limit to compute.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRequest {
    /// When the limit starts, RFC 3339 with an offset.
    #[schema(format = DateTime, example = "2026-11-23T09:00:00+08:00")]
    start: String,
    /// Working days, fractions allowed.
    #[schema(minimum = 0, maximum = 2500, example = 0.5)]
    working_days: f64,
    /// Count on this site's working hours.
    unit: Option<i64>,
}

/// Several time limits at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesRequest {
    /// At most 1000 items.
    #[schema(max_items = 1000)]
    items: Vec<DeadlineRequest>,
}

/// The deadlines, in the order asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlinesResponse {
    items: Vec<Deadline>,
}

/// Deadlines of several time limits in one request (for integrations that set many limits,
/// e.g. every sub-case of a bundle). A bad item is reported with its index, e.g.
/// `items[3].start`.
#[utoipa::path(
    post, path = "/api/v1/calendar/deadlines", tag = "calendar",
    request_body = DeadlinesRequest,
    responses(
        (status = 200, description = "The deadlines", body = DeadlinesResponse),
        (status = 400, description = "Malformed JSON, a malformed instant or number of days", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong types or too many items", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn deadlines(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<DeadlinesRequest>,
) -> Result<Json<DeadlinesResponse>, ApiError> {
    if req.items.len() > MAX_BATCH {
        return Err(ApiError::invalid_field(
            "items",
            format!("at most {MAX_BATCH} items"),
        ));
    }
    let cal = state.calendar();
    let mut hours_by_unit: Vec<(Option<i64>, WorkingHours)> = Vec::new();
    let mut items = Vec::with_capacity(req.items.len());
    for (i, item) in req.items.iter().enumerate() {
        let start = parse_instant(&format!("items[{i}].start"), &item.start)?;
        let days = WorkingDays::new(item.working_days).map_err(|_| {
            ApiError::invalid("invalid_working_days", &format!("items[{i}].working_days"))
                .arg("max", MAX_WORKING_DAYS)
        })?;
        let hours = match hours_by_unit.iter().find(|(u, _)| *u == item.unit) {
            Some((_, h)) => h.clone(),
            None => {
                let h = hours_for(&state, item.unit).await?;
                hours_by_unit.push((item.unit, h.clone()));
                h
            }
        };
        items.push(Deadline::compute(&cal, start, days, &hours));
    }
    Ok(Json(DeadlinesResponse { items }))
}

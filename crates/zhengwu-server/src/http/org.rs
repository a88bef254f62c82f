//! `/api/v1/units`: the organisation and its opening hours. Public: residents look up halls,
//! stations and when they are open.

use axum::Json;
use axum::extract::State;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::calendar::district_offset;
use zhengwu_core::ids::UnitId;
use zhengwu_store::org::{self, Unit, UnitFilter, UnitKind};

use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::calendar::parse_date;
use crate::startup::AppState;

/// The most days one hours query may cover.
const MAX_HOURS_DAYS: i64 = 62;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_units))
        .routes(routes!(get_unit))
        .routes(routes!(unit_hours))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitsQuery {
    /// Only units of this kind.
    kind: Option<UnitKind>,
    /// Only the direct children of this unit.
    parent: Option<i64>,
    /// Only this unit and everything below it.
    within: Option<i64>,
}

/// Units of the organisation, in tree order.
#[utoipa::path(
    get, path = "/api/v1/units", tag = "org",
    params(UnitsQuery),
    responses(
        (status = 200, description = "The units", body = Vec<Unit>),
        (status = 400, description = "An unknown kind or a malformed id", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`within` names no unit", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_units(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UnitsQuery>,
) -> Result<Json<Vec<Unit>>, ApiError> {
    let filter = UnitFilter {
        kind: q.kind,
        parent_id: q.parent.map(UnitId),
        within: q.within.map(UnitId),
        // The organisation is public: everyone sees every unit.
        scope: None,
    };
    Ok(Json(org::list_units(state.db.conn(), &filter).await?))
}

/// One unit.
#[utoipa::path(
    get, path = "/api/v1/units/{id}", tag = "org",
    params(("id" = i64, Path, description = "The unit's id")),
    responses(
        (status = 200, description = "The unit", body = Unit),
        (status = 404, description = "No such unit", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_unit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Unit>, ApiError> {
    Ok(Json(org::get_unit(state.db.conn(), UnitId(id)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoursQuery {
    /// First date, `YYYY-MM-DD` (default: today in the district).
    #[param(format = Date)]
    from: Option<String>,
    /// Last date, inclusive (default: six days after `from`); at most 62 days.
    #[param(format = Date)]
    to: Option<String>,
}

/// A site's opening on one date.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenDay {
    #[schema(value_type = String, format = Date)]
    date: NaiveDate,
    working_day: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    holiday: Option<String>,
    open: bool,
    /// Open periods, `HH:MM-HH:MM`.
    periods: Vec<String>,
    /// Why the day differs from the weekly schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// A site's opening hours over some dates.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitHours {
    #[schema(value_type = i64)]
    unit: UnitId,
    /// The unit whose weekly schedule applies (a window keeps its hall's, a hall its
    /// center's).
    #[schema(value_type = i64)]
    schedule_from: UnitId,
    /// `working_days`: closed on statutory holidays, open on adjusted working days;
    /// `all_year`: the weekly schedule applies every week (全年无休).
    mode: String,
    days: Vec<OpenDay>,
}

/// When a site is open, date by date, with holidays and exceptions applied.
#[utoipa::path(
    get, path = "/api/v1/units/{id}/hours", tag = "org",
    params(("id" = i64, Path, description = "The unit's id"), HoursQuery),
    responses(
        (status = 200, description = "The opening hours", body = UnitHours),
        (status = 400, description = "A malformed date or range", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn unit_hours(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HoursQuery>,
) -> Result<Json<UnitHours>, ApiError> {
    let today = Utc::now().with_timezone(&district_offset()).date_naive();
    let from = match &q.from {
        Some(s) => parse_date("from", s)?,
        None => today,
    };
    let to = match &q.to {
        Some(s) => parse_date("to", s)?,
        None => from + chrono::Duration::days(6),
    };
    if to < from {
        return Err(ApiError::invalid("range_reversed", "to"));
    }
    if (to - from).num_days() + 1 > MAX_HOURS_DAYS {
        return Err(ApiError::invalid("range_too_long", "to").arg("max", MAX_HOURS_DAYS));
    }
    let site = org::site_hours(state.db.conn(), UnitId(id)).await?;
    let cal = state.calendar();
    let days = cal
        .days(from, to)
        .into_iter()
        .map(|d| {
            let periods = site.open_on(d.date, &cal);
            OpenDay {
                date: d.date,
                working_day: d.working_day,
                holiday: d.name,
                open: !periods.is_empty(),
                periods: periods.iter().map(ToString::to_string).collect(),
                note: site
                    .exceptions
                    .iter()
                    .find(|e| e.date == d.date)
                    .and_then(|e| e.note.clone()),
            }
        })
        .collect();
    Ok(Json(UnitHours {
        unit: UnitId(id),
        schedule_from: site.schedule_from,
        mode: match site.mode {
            zhengwu_core::hours::CalendarMode::WorkingDays => "working_days",
            zhengwu_core::hours::CalendarMode::AllYear => "all_year",
        }
        .to_owned(),
        days,
    }))
}

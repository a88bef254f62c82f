//! The organisation (M1.10, M2.2): the district, its service center with halls and windows,
//! its departments, its sub-districts with communities and their stations — one tree of
//! units — and the opening hours of every site.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::hours::{self, CalendarMode, DateException, Period, WeeklySchedule};
use zhengwu_core::ids::UnitId;

use crate::entity::{opening_exception, opening_hours, org_unit};
use crate::{Result, StoreError};

/// What a unit of the organisation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    District,
    Center,
    Hall,
    Window,
    Department,
    Subdistrict,
    Community,
    Station,
}

impl UnitKind {
    pub const ALL: [UnitKind; 8] = [
        Self::District,
        Self::Center,
        Self::Hall,
        Self::Window,
        Self::Department,
        Self::Subdistrict,
        Self::Community,
        Self::Station,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::District => "district",
            Self::Center => "center",
            Self::Hall => "hall",
            Self::Window => "window",
            Self::Department => "department",
            Self::Subdistrict => "subdistrict",
            Self::Community => "community",
            Self::Station => "station",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kinds a unit of this kind may have as its parent.
    fn allowed_parents(self) -> &'static [UnitKind] {
        match self {
            Self::District => &[],
            Self::Center | Self::Department | Self::Subdistrict => &[Self::District],
            Self::Hall => &[Self::Center],
            Self::Window => &[Self::Hall],
            Self::Community => &[Self::Subdistrict],
            Self::Station => &[Self::Community, Self::Subdistrict],
        }
    }
}

/// The kinds of hall in one center (只进一扇门).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HallKind {
    PublicService,
    TrafficPolice,
    PublicSecurity,
    Tax,
}

impl HallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublicService => "public_service",
            Self::TrafficPolice => "traffic_police",
            Self::PublicSecurity => "public_security",
            Self::Tax => "tax",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::PublicService,
            Self::TrafficPolice,
            Self::PublicSecurity,
            Self::Tax,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A comprehensive window accepts any department's item (无差别受理); a specialised one
/// serves one department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    Comprehensive,
    Specialised,
}

impl WindowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Comprehensive => "comprehensive",
            Self::Specialised => "specialised",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "comprehensive" => Some(Self::Comprehensive),
            "specialised" => Some(Self::Specialised),
            _ => None,
        }
    }
}

fn mode_str(m: CalendarMode) -> &'static str {
    match m {
        CalendarMode::WorkingDays => "working_days",
        CalendarMode::AllYear => "all_year",
    }
}

fn parse_mode(s: &str) -> CalendarMode {
    if s == "all_year" {
        CalendarMode::AllYear
    } else {
        CalendarMode::WorkingDays
    }
}

/// A point on the map (WGS84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

/// Great-circle distance in metres.
pub fn distance_m(a: Location, b: Location) -> f64 {
    let r = 6_371_000.0_f64;
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dla = la2 - la1;
    let dlo = (b.lon - a.lon).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// A unit of the organisation, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Unit {
    #[schema(value_type = i64)]
    pub id: UnitId,
    pub kind: UnitKind,
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<UnitId>,
    pub code: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hall_kind: Option<HallKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_kind: Option<WindowKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub department_id: Option<UnitId>,
    /// A model station (驿站样板).
    pub is_model: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<String>,
    #[schema(value_type = String)]
    pub calendar_mode: CalendarMode,
    pub active: bool,
}

impl From<org_unit::Model> for Unit {
    fn from(m: org_unit::Model) -> Self {
        Self {
            id: UnitId(m.id),
            kind: UnitKind::parse(&m.kind).unwrap_or(UnitKind::District),
            parent_id: m.parent_id.map(UnitId),
            code: m.code,
            name: m.name,
            short_name: m.short_name,
            address: m.address,
            location: m.lat.zip(m.lon).map(|(lat, lon)| Location { lat, lon }),
            hall_kind: m.hall_kind.as_deref().and_then(HallKind::parse),
            window_kind: m.window_kind.as_deref().and_then(WindowKind::parse),
            department_id: m.department_id.map(UnitId),
            is_model: m.is_model,
            population: m.population,
            phone: m.phone,
            floor: m.floor,
            calendar_mode: parse_mode(&m.calendar_mode),
            active: m.active,
        }
    }
}

/// A unit to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUnit {
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub address: Option<String>,
    pub location: Option<Location>,
    pub hall_kind: Option<HallKind>,
    pub window_kind: Option<WindowKind>,
    pub department_id: Option<UnitId>,
    pub is_model: bool,
    pub population: Option<i32>,
    pub phone: Option<String>,
    pub floor: Option<String>,
    pub calendar_mode: CalendarMode,
}

impl NewUnit {
    /// A unit with only the required fields set.
    pub fn new(kind: UnitKind, parent_id: Option<UnitId>, code: &str, name: &str) -> Self {
        Self {
            kind,
            parent_id,
            code: code.to_owned(),
            name: name.to_owned(),
            short_name: None,
            address: None,
            location: None,
            hall_kind: None,
            window_kind: None,
            department_id: None,
            is_model: false,
            population: None,
            phone: None,
            floor: None,
            calendar_mode: CalendarMode::WorkingDays,
        }
    }
}

/// Creates a unit under its parent, checking the shape of the tree.
#[tracing::instrument(skip_all, fields(code = %new.code))]
pub async fn create_unit(tx: &impl ConnectionTrait, new: NewUnit) -> Result<UnitId> {
    let code = new.code.trim();
    if code.is_empty() || code.len() > 40 || !code.chars().all(|c| c.is_ascii_graphic()) {
        return Err(StoreError::invalid("code", "1–40 visible ASCII characters"));
    }
    if new.name.trim().is_empty() || new.name.chars().count() > 200 {
        return Err(StoreError::invalid("name", "1–200 characters"));
    }
    if let Some(loc) = new.location
        && (!(-90.0..=90.0).contains(&loc.lat) || !(-180.0..=180.0).contains(&loc.lon))
    {
        return Err(StoreError::invalid(
            "location",
            "latitude or longitude out of range",
        ));
    }
    let parent = match new.parent_id {
        Some(pid) => Some(
            org_unit::Entity::find_by_id(pid.get())
                .one(tx)
                .await?
                .ok_or_else(|| StoreError::invalid("parent_id", "no such unit"))?,
        ),
        None => None,
    };
    let parent_kind = parent.as_ref().and_then(|p| UnitKind::parse(&p.kind));
    let allowed = new.kind.allowed_parents();
    let ok = match parent_kind {
        None => allowed.is_empty(),
        Some(k) => allowed.contains(&k),
    };
    if !ok {
        return Err(StoreError::invalid(
            "parent_id",
            format!("a {} cannot be placed there", new.kind.as_str()),
        ));
    }
    if let Some(dep) = new.department_id {
        let d = org_unit::Entity::find_by_id(dep.get()).one(tx).await?;
        if d.map(|d| d.kind) != Some(UnitKind::Department.as_str().to_owned()) {
            return Err(StoreError::invalid("department_id", "not a department"));
        }
    }
    if new.kind == UnitKind::Window
        && new.window_kind == Some(WindowKind::Specialised)
        && new.department_id.is_none()
    {
        return Err(StoreError::invalid(
            "department_id",
            "a specialised window serves one department",
        ));
    }
    let now = Utc::now();
    let model = org_unit::ActiveModel {
        kind: Set(new.kind.as_str().to_owned()),
        parent_id: Set(new.parent_id.map(UnitId::get)),
        path: Set(String::new()),
        code: Set(code.to_owned()),
        name: Set(new.name.trim().to_owned()),
        short_name: Set(new.short_name),
        address: Set(new.address),
        lat: Set(new.location.map(|l| l.lat)),
        lon: Set(new.location.map(|l| l.lon)),
        hall_kind: Set(new.hall_kind.map(|k| k.as_str().to_owned())),
        window_kind: Set(new.window_kind.map(|k| k.as_str().to_owned())),
        department_id: Set(new.department_id.map(UnitId::get)),
        is_model: Set(new.is_model),
        population: Set(new.population),
        phone: Set(new.phone),
        floor: Set(new.floor),
        calendar_mode: Set(mode_str(new.calendar_mode).to_owned()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let path = format!(
        "{}{}/",
        parent.map_or_else(|| "/".to_owned(), |p| p.path),
        model.id
    );
    let id = model.id;
    let mut active: org_unit::ActiveModel = model.into();
    active.path = Set(path);
    active.update(tx).await?;
    Ok(UnitId(id))
}

/// One unit by id.
/// Every unit's organisation path by id (for scope checks over many records).
pub async fn paths(db: &impl ConnectionTrait) -> Result<HashMap<i64, String>> {
    Ok(org_unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.path))
        .collect())
}

/// The organisation path of a unit (`/1/4/17/`), for scope checks.
pub async fn unit_path(db: &impl crate::sql::Exec, id: UnitId) -> Result<String> {
    db.row(
        "SELECT path FROM org_units WHERE id = $1",
        &[id.get().into()],
    )
    .await?
    .ok_or_else(|| StoreError::not_found("unit", id))?
    .text(0)
}

pub async fn get_unit(db: &impl ConnectionTrait, id: UnitId) -> Result<Unit> {
    org_unit::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .map(Unit::from)
        .ok_or_else(|| StoreError::not_found("unit", id))
}

/// One unit by its code.
pub async fn find_by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<Unit>> {
    Ok(org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq(code))
        .one(db)
        .await?
        .map(Unit::from))
}

/// Which units to list.
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub kind: Option<UnitKind>,
    pub parent_id: Option<UnitId>,
    /// Only this unit and the units below it.
    pub within: Option<UnitId>,
    /// Only units in this scope (the caller's).
    pub scope: Option<crate::scope::Scope>,
}

/// Units matching `filter`, in tree order.
pub async fn list_units(db: &impl ConnectionTrait, filter: &UnitFilter) -> Result<Vec<Unit>> {
    let mut q = org_unit::Entity::find();
    if let Some(kind) = filter.kind {
        q = q.filter(org_unit::Column::Kind.eq(kind.as_str()));
    }
    if let Some(parent) = filter.parent_id {
        q = q.filter(org_unit::Column::ParentId.eq(parent.get()));
    }
    if let Some(within) = filter.within {
        let root = org_unit::Entity::find_by_id(within.get())
            .one(db)
            .await?
            .ok_or_else(|| StoreError::not_found("unit", within))?;
        q = q.filter(org_unit::Column::Path.starts_with(root.path));
    }
    if let Some(scope) = &filter.scope {
        q = q.filter(crate::scope::within(org_unit::Column::Path, scope));
    }
    Ok(q.order_by_asc(org_unit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Unit::from)
        .collect())
}

/// How many units of each kind exist.
pub async fn count_by_kind(db: &impl ConnectionTrait) -> Result<Vec<(UnitKind, u64)>> {
    let mut out = Vec::new();
    for kind in UnitKind::ALL {
        let n = org_unit::Entity::find()
            .filter(org_unit::Column::Kind.eq(kind.as_str()))
            .count(db)
            .await?;
        out.push((kind, n));
    }
    Ok(out)
}

/// Replaces a unit's weekly opening hours.
pub async fn set_weekly_hours(
    tx: &impl ConnectionTrait,
    unit: UnitId,
    schedule: &WeeklySchedule,
) -> Result<()> {
    opening_hours::Entity::delete_many()
        .filter(opening_hours::Column::UnitId.eq(unit.get()))
        .exec(tx)
        .await?;
    let mut rows = Vec::new();
    for weekday in 1..=7u32 {
        for p in schedule.weekday(weekday) {
            rows.push(opening_hours::ActiveModel {
                unit_id: Set(unit.get()),
                weekday: Set(weekday as i16),
                opens: Set(p.start() as i16),
                closes: Set(p.end() as i16),
                ..Default::default()
            });
        }
    }
    if !rows.is_empty() {
        opening_hours::Entity::insert_many(rows).exec(tx).await?;
    }
    Ok(())
}

/// Records an exception to a unit's hours on one date (replacing an earlier one).
pub async fn set_exception(
    tx: &impl ConnectionTrait,
    unit: UnitId,
    exception: &DateException,
) -> Result<()> {
    let periods = hours::normalize(exception.periods.clone())
        .map_err(|e| StoreError::invalid("periods", e.to_string()))?;
    opening_exception::Entity::delete_many()
        .filter(opening_exception::Column::UnitId.eq(unit.get()))
        .filter(opening_exception::Column::Date.eq(exception.date))
        .exec(tx)
        .await?;
    let row = |p: Option<Period>| opening_exception::ActiveModel {
        unit_id: Set(unit.get()),
        date: Set(exception.date),
        opens: Set(p.map(|p| p.start() as i16)),
        closes: Set(p.map(|p| p.end() as i16)),
        note: Set(exception.note.clone()),
        ..Default::default()
    };
    let rows: Vec<_> = if periods.is_empty() {
        vec![row(None)]
    } else {
        periods.into_iter().map(|p| row(Some(p))).collect()
    };
    opening_exception::Entity::insert_many(rows)
        .exec(tx)
        .await?;
    Ok(())
}

/// A site's hours: its own weekly schedule, or the nearest ancestor's (a window keeps its
/// hall's hours, a hall its center's), its calendar mode, and its exceptions.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SiteHours {
    /// The unit whose weekly schedule applies.
    #[schema(value_type = i64)]
    pub schedule_from: UnitId,
    #[schema(value_type = Object)]
    pub schedule: WeeklySchedule,
    #[schema(value_type = String)]
    pub mode: CalendarMode,
    #[schema(value_type = Vec<Object>)]
    pub exceptions: Vec<DateException>,
}

/// The hours of `unit`, with inheritance.
pub async fn site_hours(db: &impl ConnectionTrait, unit: UnitId) -> Result<SiteHours> {
    let u = org_unit::Entity::find_by_id(unit.get())
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("unit", unit))?;
    let chain = ancestry(&u);
    let hours = opening_hours::Entity::find()
        .filter(opening_hours::Column::UnitId.is_in(chain.clone()))
        .all(db)
        .await?;
    let exceptions = opening_exception::Entity::find()
        .filter(opening_exception::Column::UnitId.is_in(chain))
        .all(db)
        .await?;
    resolve_hours(&u, &group_hours(hours), &exceptions)
}

/// Every unit of `kind` with its hours, in three queries whatever the number of units (for
/// pages that show every station).
pub async fn site_hours_of_kind(
    db: &impl ConnectionTrait,
    kind: UnitKind,
) -> Result<Vec<(Unit, SiteHours)>> {
    site_hours_of_kinds(db, &[kind]).await
}

/// Every unit of any of `kinds` with its hours, in the same three queries.
pub async fn site_hours_of_kinds(
    db: &impl ConnectionTrait,
    kinds: &[UnitKind],
) -> Result<Vec<(Unit, SiteHours)>> {
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())))
        .order_by_asc(org_unit::Column::Id)
        .all(db)
        .await?;
    let hours = group_hours(opening_hours::Entity::find().all(db).await?);
    let exceptions = opening_exception::Entity::find().all(db).await?;
    units
        .into_iter()
        .map(|u| {
            let h = resolve_hours(&u, &hours, &exceptions)?;
            Ok((Unit::from(u), h))
        })
        .collect()
}

/// The unit's id and its ancestors' ids, nearest first.
fn ancestry(u: &org_unit::Model) -> Vec<i64> {
    u.path
        .split('/')
        .filter_map(|s| s.parse().ok())
        .rev()
        .collect()
}

fn group_hours(rows: Vec<opening_hours::Model>) -> HashMap<i64, Vec<opening_hours::Model>> {
    let mut by_unit: HashMap<i64, Vec<opening_hours::Model>> = HashMap::new();
    for r in rows {
        by_unit.entry(r.unit_id).or_default().push(r);
    }
    by_unit
}

/// A unit's hours from the rows of its ancestry: the nearest weekly schedule, and for each
/// date the nearest unit's exception (a closure of the center closes its halls and windows).
fn resolve_hours(
    u: &org_unit::Model,
    hours: &HashMap<i64, Vec<opening_hours::Model>>,
    exception_rows: &[opening_exception::Model],
) -> Result<SiteHours> {
    let chain = ancestry(u);
    let mut schedule_from = UnitId(u.id);
    let mut schedule = WeeklySchedule::default();
    for id in &chain {
        if let Some(rows) = hours.get(id).filter(|r| !r.is_empty()) {
            schedule = schedule_from_rows(rows)?;
            schedule_from = UnitId(*id);
            break;
        }
    }
    let depth = |unit_id: i64| chain.iter().position(|c| *c == unit_id);
    let mut rows: Vec<(usize, &opening_exception::Model)> = exception_rows
        .iter()
        .filter_map(|r| depth(r.unit_id).map(|d| (d, r)))
        .collect();
    rows.sort_by_key(|(d, r)| (r.date, *d, r.opens));
    let mut exceptions: Vec<DateException> = Vec::new();
    let mut held_depth = usize::MAX;
    for (d, r) in rows {
        let p = match (r.opens, r.closes) {
            (Some(o), Some(c)) => Some(period(o, c)?),
            _ => None,
        };
        match exceptions.last_mut() {
            Some(e) if e.date == r.date => {
                // Rows of the nearest unit come first for a date; farther ones are ignored.
                if d == held_depth {
                    e.periods.extend(p);
                }
            }
            _ => {
                held_depth = d;
                exceptions.push(DateException {
                    date: r.date,
                    periods: p.into_iter().collect(),
                    note: r.note.clone(),
                });
            }
        }
    }
    Ok(SiteHours {
        schedule_from,
        schedule,
        mode: parse_mode(&u.calendar_mode),
        exceptions,
    })
}

fn period(o: i16, c: i16) -> Result<Period> {
    Period::new(o.max(0) as u16, c.max(0) as u16)
        .map_err(|e| StoreError::invalid("opening_hours", e.to_string()))
}

fn schedule_from_rows(rows: &[opening_hours::Model]) -> Result<WeeklySchedule> {
    let mut days: [Vec<Period>; 7] = Default::default();
    for r in rows {
        let i = (r.weekday.clamp(1, 7) - 1) as usize;
        days[i].push(period(r.opens, r.closes)?);
    }
    WeeklySchedule::new(days).map_err(|e| StoreError::invalid("opening_hours", e.to_string()))
}

impl SiteHours {
    /// The periods the site is open on `date`.
    pub fn open_on(&self, date: NaiveDate, calendar: &Calendar) -> Vec<Period> {
        hours::open_periods(date, &self.schedule, self.mode, calendar, &self.exceptions)
    }
}

//! The working-day calendar of the People's Republic of China.
//!
//! Every time limit in zhengwu ("办结时限 5 个工作日", "企业开办 0.5 个工作日") is counted on it.
//! A day is a working day when it is Monday–Friday and not a statutory holiday, or when it is
//! an adjusted working day (调休上班). The table of holidays and adjusted working days comes from
//! the State Council's yearly notices (`cn_holidays.txt`, 2007–2026) and is stored in the
//! database, where an administrator can edit it; this module only computes.
//!
//! Time is measured in the district's zone, Asia/Shanghai. China has not observed daylight
//! saving time since 1991, so the zone is the fixed offset UTC+8 for every date the calendar
//! covers; using a fixed offset spares the whole tz database in the binary.

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset as _,
    TimeZone as _, Utc, Weekday,
};
use serde::{Deserialize, Serialize};

use crate::hours::{HoursError, Period, normalize};

/// The seed table: statutory holidays and adjusted working days, 2007–2026.
pub const CN_HOLIDAYS: &str = include_str!("cn_holidays.txt");

/// The district's zone, Asia/Shanghai (UTC+8, no daylight saving since 1991).
pub fn district_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The most working days one time limit may have (ten years of working days).
pub const MAX_WORKING_DAYS: f64 = 2500.0;

/// One entry of the table: a date whose status differs from the weekday rule, or that carries
/// a holiday's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: NaiveDate,
    pub working_day: bool,
    pub name: String,
}

/// What the calendar says about one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayInfo {
    pub date: NaiveDate,
    pub working_day: bool,
    /// The holiday this date belongs to (a day off or an adjusted working day), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A line of the holiday table that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TableError {
    pub line: usize,
    pub message: String,
}

/// The working-day calendar: the weekday rule plus a table of special days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    special: BTreeMap<NaiveDate, (bool, String)>,
}

impl Calendar {
    /// The calendar of the seed table. The table is part of the binary and tested, so a
    /// failure to read it is a bug found by the tests, never at run time.
    pub fn china() -> Self {
        Self::parse(CN_HOLIDAYS).unwrap_or_default()
    }

    /// A calendar from special days, e.g. the rows of the database table.
    pub fn from_days(days: impl IntoIterator<Item = SpecialDay>) -> Self {
        Self {
            special: days
                .into_iter()
                .map(|d| (d.date, (d.working_day, d.name)))
                .collect(),
        }
    }

    /// Reads the table format: `YYYY-MM-DD[..YYYY-MM-DD] off|work NAME`, `#` comments.
    pub fn parse(text: &str) -> Result<Self, TableError> {
        Ok(Self::from_days(parse_table(text)?))
    }

    /// The special days, in date order.
    pub fn special_days(&self) -> impl Iterator<Item = SpecialDay> + '_ {
        self.special
            .iter()
            .map(|(date, (working_day, name))| SpecialDay {
                date: *date,
                working_day: *working_day,
                name: name.clone(),
            })
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.special.get(&date) {
            Some((working, _)) => *working,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The table's entry for `date`: whether it is worked, and the holiday's name.
    pub fn special_day(&self, date: NaiveDate) -> Option<(bool, &str)> {
        self.special.get(&date).map(|(w, n)| (*w, n.as_str()))
    }

    pub fn day(&self, date: NaiveDate) -> DayInfo {
        DayInfo {
            date,
            working_day: self.is_working_day(date),
            name: self.special.get(&date).map(|(_, n)| n.clone()),
        }
    }

    /// Every date from `from` to `to`, inclusive.
    pub fn days(&self, from: NaiveDate, to: NaiveDate) -> Vec<DayInfo> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .map(|d| self.day(d))
            .collect()
    }

    /// The `n`-th working day after `date` (`date` itself when `n` is 0).
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut d = date;
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().unwrap_or(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The number of working days in `(from, to]`.
    pub fn working_days_after(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }

    /// The instant that lies `days` working days of working time after `start`: working
    /// time only runs during `hours` on working days. One working day is the length of
    /// `hours` (7 hours by default), so 0.5 working day is 3.5 working hours. A deadline that
    /// falls exactly at the end of a period is that end, not the start of the next one.
    pub fn deadline(
        &self,
        start: DateTime<Utc>,
        days: WorkingDays,
        hours: &WorkingHours,
    ) -> DateTime<Utc> {
        self.deadline_after_seconds(start, days.seconds(hours), hours)
    }

    /// The instant that lies `seconds` of working time after `start` (see [`Self::deadline`]).
    pub fn deadline_after_seconds(
        &self,
        start: DateTime<Utc>,
        seconds: i64,
        hours: &WorkingHours,
    ) -> DateTime<Utc> {
        let mut left = seconds.max(0);
        if left == 0 {
            return start;
        }
        let tz = district_offset();
        let local = start.with_timezone(&tz).naive_local();
        let mut date = local.date();
        let mut first = true;
        loop {
            if self.is_working_day(date) {
                let day_start = date.and_time(chrono::NaiveTime::MIN);
                for p in hours.periods() {
                    let ps = day_start + Duration::minutes(i64::from(p.start()));
                    let pe = day_start + Duration::minutes(i64::from(p.end()));
                    let from = if first && local > ps { local } else { ps };
                    if from >= pe {
                        continue;
                    }
                    let available = (pe - from).num_seconds();
                    if left <= available {
                        return to_utc(from + Duration::seconds(left));
                    }
                    left -= available;
                }
            }
            first = false;
            match date.succ_opt() {
                Some(d) => date = d,
                None => return start,
            }
        }
    }

    /// Working time between two instants, in seconds (0 when `to` is not after `from`).
    pub fn working_seconds_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        hours: &WorkingHours,
    ) -> i64 {
        if to <= from {
            return 0;
        }
        let tz = district_offset();
        let a = from.with_timezone(&tz).naive_local();
        let b = to.with_timezone(&tz).naive_local();
        let mut total = 0;
        for date in a.date().iter_days().take_while(|d| *d <= b.date()) {
            if !self.is_working_day(date) {
                continue;
            }
            let day_start = date.and_time(chrono::NaiveTime::MIN);
            for p in hours.periods() {
                let ps = day_start + Duration::minutes(i64::from(p.start()));
                let pe = day_start + Duration::minutes(i64::from(p.end()));
                let s = ps.max(a);
                let e = pe.min(b);
                if e > s {
                    total += (e - s).num_seconds();
                }
            }
        }
        total
    }

    /// Working time between two instants, in working days (fractional).
    pub fn working_days_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        hours: &WorkingHours,
    ) -> f64 {
        self.working_seconds_between(from, to, hours) as f64 / hours.seconds_per_day() as f64
    }
}

fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    Utc.from_utc_datetime(&(local - Duration::hours(8)))
}

fn parse_table(text: &str) -> Result<Vec<SpecialDay>, TableError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| TableError {
            line: i + 1,
            message,
        };
        let mut parts = line.splitn(3, char::is_whitespace);
        let dates = parts.next().unwrap_or_default();
        let kind = parts.next().unwrap_or_default();
        let name = parts.next().unwrap_or_default().trim();
        let (from, to) = match dates.split_once("..") {
            Some((a, b)) => (parse_date(a), parse_date(b)),
            None => (parse_date(dates), parse_date(dates)),
        };
        let (Some(from), Some(to)) = (from, to) else {
            return Err(err(format!("“{dates}” is not a date or a date range")));
        };
        if to < from || (to - from).num_days() > 31 {
            return Err(err(format!("the range “{dates}” is reversed or too long")));
        }
        let working_day = match kind {
            "off" => false,
            "work" => true,
            other => return Err(err(format!("“{other}” must be off or work"))),
        };
        if name.is_empty() {
            return Err(err("the holiday's name is missing".into()));
        }
        for date in from.iter_days().take_while(|d| *d <= to) {
            out.push(SpecialDay {
                date,
                working_day,
                name: name.to_owned(),
            });
        }
    }
    Ok(out)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A site's working hours: the periods of a working day during which time limits run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingHours {
    periods: Vec<Period>,
}

impl Default for WorkingHours {
    /// 9:00–12:00 and 13:30–17:30, the government's standard hours.
    fn default() -> Self {
        Self {
            periods: vec![Period::MORNING, Period::AFTERNOON],
        }
    }
}

impl WorkingHours {
    /// Working hours from periods; they must not overlap and must not be empty.
    pub fn new(periods: Vec<Period>) -> Result<Self, HoursError> {
        let periods = normalize(periods)?;
        if periods.is_empty() {
            return Err(HoursError::Malformed(String::new()));
        }
        Ok(Self { periods })
    }

    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    /// The length of one working day, in seconds.
    pub fn seconds_per_day(&self) -> i64 {
        self.periods
            .iter()
            .map(|p| i64::from(p.minutes()) * 60)
            .sum()
    }
}

/// A time limit in working days: finite, not negative, at most [`MAX_WORKING_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct WorkingDays(f64);

/// Why a number is not a time limit.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum WorkingDaysError {
    #[error("a time limit must be a number")]
    NotANumber,
    #[error("a time limit cannot be negative")]
    Negative,
    #[error("a time limit is at most {MAX_WORKING_DAYS} working days")]
    TooLarge,
}

impl WorkingDays {
    pub fn new(days: f64) -> Result<Self, WorkingDaysError> {
        if !days.is_finite() {
            Err(WorkingDaysError::NotANumber)
        } else if days < 0.0 {
            Err(WorkingDaysError::Negative)
        } else if days > MAX_WORKING_DAYS {
            Err(WorkingDaysError::TooLarge)
        } else {
            Ok(Self(days))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }

    /// The limit in seconds of working time under `hours`, to the nearest second.
    pub fn seconds(self, hours: &WorkingHours) -> i64 {
        (self.0 * hours.seconds_per_day() as f64).round() as i64
    }
}

impl TryFrom<f64> for WorkingDays {
    type Error = WorkingDaysError;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<WorkingDays> for f64 {
    fn from(v: WorkingDays) -> f64 {
        v.0
    }
}

#[cfg(test)]
mod tests;

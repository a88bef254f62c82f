//! Opening hours: periods of a day, weekly schedules, exceptions by date, and which periods a
//! site is open on a given date.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;

/// Minutes in a day.
pub const DAY_MINUTES: u16 = 24 * 60;

/// A period of one day, `[start, end)`, in minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    start: u16,
    end: u16,
}

/// Why a period or a schedule is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("“{0}” is not a period like 09:00-12:00")]
    Malformed(String),
    #[error("the period {0} ends before it starts")]
    Reversed(String),
    #[error("the periods {0} and {1} overlap")]
    Overlap(Period, Period),
}

impl Period {
    /// 9:00–12:00, the government's standard morning.
    pub const MORNING: Period = Period {
        start: 9 * 60,
        end: 12 * 60,
    };
    /// 13:30–17:30, the government's standard afternoon.
    pub const AFTERNOON: Period = Period {
        start: 13 * 60 + 30,
        end: 17 * 60 + 30,
    };

    /// A period from `start` to `end` minutes after midnight; `end` may be 24:00.
    pub fn new(start: u16, end: u16) -> Result<Self, HoursError> {
        if end > DAY_MINUTES || start >= end {
            return Err(HoursError::Reversed(format!(
                "{}-{}",
                fmt_minutes(start),
                fmt_minutes(end)
            )));
        }
        Ok(Self { start, end })
    }

    /// Parses `HH:MM-HH:MM`.
    pub fn parse(s: &str) -> Result<Self, HoursError> {
        let malformed = || HoursError::Malformed(s.to_owned());
        let (a, b) = s.trim().split_once('-').ok_or_else(malformed)?;
        let start = parse_hhmm(a).ok_or_else(malformed)?;
        let end = parse_hhmm(b).ok_or_else(malformed)?;
        Self::new(start, end)
    }

    pub const fn start(self) -> u16 {
        self.start
    }

    pub const fn end(self) -> u16 {
        self.end
    }

    pub const fn minutes(self) -> u16 {
        self.end - self.start
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", fmt_minutes(self.start), fmt_minutes(self.end))
    }
}

/// `HH:MM` → minutes after midnight; `24:00` is allowed as the end of the day.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// Minutes after midnight → `HH:MM`.
pub fn fmt_minutes(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Sorts periods and rejects overlaps; touching periods are allowed.
pub fn normalize(mut periods: Vec<Period>) -> Result<Vec<Period>, HoursError> {
    periods.sort();
    for w in periods.windows(2) {
        if w[1].start < w[0].end {
            return Err(HoursError::Overlap(w[0], w[1]));
        }
    }
    Ok(periods)
}

/// Opening periods for each weekday, Monday first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklySchedule {
    days: [Vec<Period>; 7],
}

impl WeeklySchedule {
    /// `days[0]` is Monday. Each day's periods are sorted and checked for overlaps.
    pub fn new(days: [Vec<Period>; 7]) -> Result<Self, HoursError> {
        let [a, b, c, d, e, f, g] = days;
        Ok(Self {
            days: [
                normalize(a)?,
                normalize(b)?,
                normalize(c)?,
                normalize(d)?,
                normalize(e)?,
                normalize(f)?,
                normalize(g)?,
            ],
        })
    }

    /// The periods of an ISO weekday number (1 = Monday … 7 = Sunday).
    pub fn weekday(&self, iso: u32) -> &[Period] {
        let i = (iso.clamp(1, 7) - 1) as usize;
        &self.days[i]
    }

    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// The periods of the first weekday that has any: the site's regular working-day hours.
    pub fn regular_day(&self) -> &[Period] {
        self.days
            .iter()
            .find(|d| !d.is_empty())
            .map_or(&[][..], Vec::as_slice)
    }
}

/// An exception to a site's schedule on one date: closed, or open during other periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateException {
    pub date: NaiveDate,
    /// Empty means closed all day.
    pub periods: Vec<Period>,
    pub note: Option<String>,
}

/// How a site's weekly schedule meets the statutory calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarMode {
    /// Follows the statutory calendar — a government hall: closed on the days off of a
    /// holiday, open on an adjusted working day (调休) with the regular working-day hours,
    /// and on every other date as the weekly schedule says (weekends included).
    WorkingDays,
    /// The weekly schedule applies every week of the year, holidays included (全年无休) — a
    /// community station.
    AllYear,
}

/// The periods a site is open on `date`.
pub fn open_periods(
    date: NaiveDate,
    schedule: &WeeklySchedule,
    mode: CalendarMode,
    calendar: &Calendar,
    exceptions: &[DateException],
) -> Vec<Period> {
    if let Some(e) = exceptions.iter().find(|e| e.date == date) {
        return e.periods.clone();
    }
    let weekday = date.weekday().number_from_monday();
    match mode {
        CalendarMode::AllYear => schedule.weekday(weekday).to_vec(),
        CalendarMode::WorkingDays => match calendar.special_day(date) {
            Some((false, _)) => Vec::new(),
            Some((true, _)) if schedule.weekday(weekday).is_empty() => {
                schedule.regular_day().to_vec()
            }
            _ => schedule.weekday(weekday).to_vec(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    fn weekdays_only() -> WeeklySchedule {
        let std = vec![p("09:00-12:00"), p("13:30-17:30")];
        WeeklySchedule::new([
            std.clone(),
            std.clone(),
            std.clone(),
            std.clone(),
            std,
            vec![],
            vec![],
        ])
        .unwrap()
    }

    #[test]
    fn periods_parse_and_print_back() {
        assert_eq!(p("09:00-12:00").to_string(), "09:00-12:00");
        assert_eq!(p("8:30-24:00").minutes(), 930);
        for bad in [
            "",
            "9-12",
            "09:00",
            "12:00-09:00",
            "09:60-10:00",
            "25:00-26:00",
            "x",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn overlapping_periods_are_rejected_touching_ones_accepted() {
        assert!(normalize(vec![p("09:00-12:00"), p("11:00-13:00")]).is_err());
        assert_eq!(
            normalize(vec![p("12:00-13:00"), p("09:00-12:00")]).unwrap(),
            vec![p("09:00-12:00"), p("12:00-13:00")]
        );
    }

    #[test]
    fn a_hall_is_closed_on_national_day_and_open_on_the_adjusted_saturday() {
        let cal = Calendar::china();
        let s = weekdays_only();
        let national_day = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
        assert!(open_periods(national_day, &s, CalendarMode::WorkingDays, &cal, &[]).is_empty());
        // 2025-09-28 (Sunday) was an adjusted working day for National Day.
        let sunday = NaiveDate::from_ymd_opt(2025, 9, 28).unwrap();
        assert_eq!(
            open_periods(sunday, &s, CalendarMode::WorkingDays, &cal, &[]),
            s.regular_day()
        );
    }

    #[test]
    fn a_station_open_all_year_ignores_holidays_but_not_exceptions() {
        let cal = Calendar::china();
        let every_day = vec![p("08:30-20:00")];
        let s = WeeklySchedule::new(std::array::from_fn(|_| every_day.clone())).unwrap();
        let national_day = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
        assert_eq!(
            open_periods(national_day, &s, CalendarMode::AllYear, &cal, &[]),
            every_day
        );
        let closed = DateException {
            date: national_day,
            periods: vec![],
            note: None,
        };
        assert!(open_periods(national_day, &s, CalendarMode::AllYear, &cal, &[closed]).is_empty());
    }
}

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// An instant given in Beijing time.
fn bj(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
    district_offset()
        .with_ymd_and_hms(y, m, day, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn days(x: f64) -> WorkingDays {
    WorkingDays::new(x).unwrap()
}

#[test]
fn the_seed_table_parses_and_covers_2007_to_2026() {
    let cal = Calendar::parse(CN_HOLIDAYS).unwrap();
    let years: std::collections::BTreeSet<i32> =
        cal.special_days().map(|s| s.date.year()).collect();
    assert_eq!(years, (2007..=2026).collect());
}

#[test]
fn national_day_and_spring_festival_are_days_off_and_adjusted_days_are_worked() {
    let cal = Calendar::china();
    assert!(!cal.is_working_day(d(2025, 10, 1)));
    assert_eq!(
        cal.day(d(2025, 10, 1)).name.as_deref(),
        Some("中秋节、国庆节")
    );
    // 2025-09-28 was a Sunday worked in exchange for National Day.
    assert!(cal.is_working_day(d(2025, 9, 28)));
    assert!(!cal.is_working_day(d(2026, 2, 17)), "Spring Festival 2026");
    // An ordinary Wednesday and Saturday.
    assert!(cal.is_working_day(d(2026, 11, 25)));
    assert!(!cal.is_working_day(d(2026, 11, 28)));
}

#[test]
fn table_errors_name_the_line() {
    let err = Calendar::parse("# ok\n2026-01-01 off 元旦\n2026-13-01 off 元旦\n").unwrap_err();
    assert_eq!(err.line, 3);
    assert!(Calendar::parse("2026-01-01 maybe 元旦").is_err());
    assert!(Calendar::parse("2026-01-01 off").is_err());
    assert!(Calendar::parse("2026-01-03..2026-01-01 off 元旦").is_err());
}

#[test]
fn adding_working_days_skips_weekends_and_holidays() {
    let cal = Calendar::china();
    // Friday 2026-11-20 + 1 working day: Monday the 23rd.
    assert_eq!(cal.add_working_days(d(2026, 11, 20), 1), d(2026, 11, 23));
    assert_eq!(cal.add_working_days(d(2026, 11, 20), 0), d(2026, 11, 20));
    // Across National Day 2025 (10-01..10-08 off, 09-28 and 10-11 worked).
    assert_eq!(cal.add_working_days(d(2025, 9, 30), 1), d(2025, 10, 9));
}

#[test]
fn half_a_working_day_from_the_morning_ends_after_lunch() {
    let cal = Calendar::china();
    let h = WorkingHours::default();
    // Monday 2026-11-23 09:00 + 3.5 working hours = 12:00 + 0.5 h after 13:30 = 14:00.
    assert_eq!(
        cal.deadline(bj(2026, 11, 23, 9, 0), days(0.5), &h),
        bj(2026, 11, 23, 14, 0)
    );
    // Started at 16:30 on a Friday: 1 hour on Friday, 2.5 hours on Monday morning.
    assert_eq!(
        cal.deadline(bj(2026, 11, 27, 16, 30), days(0.5), &h),
        bj(2026, 11, 30, 11, 30)
    );
    // Submitted on Saturday night: counted from Monday 9:00.
    assert_eq!(
        cal.deadline(bj(2026, 11, 28, 22, 0), days(0.5), &h),
        bj(2026, 11, 30, 14, 0)
    );
    // A deadline that falls on the end of the morning is that end.
    assert_eq!(
        cal.deadline(
            bj(2026, 11, 23, 8, 0),
            WorkingDays::new(3.0 / 7.0).unwrap(),
            &h
        ),
        bj(2026, 11, 23, 12, 0)
    );
    assert_eq!(
        cal.deadline(bj(2026, 11, 23, 10, 0), days(0.0), &h),
        bj(2026, 11, 23, 10, 0)
    );
}

#[test]
fn five_working_days_across_national_day() {
    let cal = Calendar::china();
    let h = WorkingHours::default();
    // Tuesday 2025-09-30 10:00: 09-30 (rest of day), then 10-09, 10-10, 10-11 (Saturday,
    // adjusted working day), 10-13, 10-14 until 10:00.
    assert_eq!(
        cal.deadline(bj(2025, 9, 30, 10, 0), days(5.0), &h),
        bj(2025, 10, 14, 10, 0)
    );
}

#[test]
fn elapsed_working_time_counts_only_working_hours() {
    let cal = Calendar::china();
    let h = WorkingHours::default();
    assert_eq!(
        cal.working_seconds_between(bj(2026, 11, 27, 16, 0), bj(2026, 11, 30, 10, 0), &h),
        (90 + 60) * 60
    );
    assert_eq!(
        cal.working_seconds_between(bj(2026, 11, 30, 10, 0), bj(2026, 11, 27, 16, 0), &h),
        0
    );
    assert!(
        (cal.working_days_between(bj(2026, 11, 23, 9, 0), bj(2026, 11, 24, 9, 0), &h) - 1.0).abs()
            < 1e-9
    );
}

#[test]
fn working_days_rejects_bad_numbers() {
    assert_eq!(WorkingDays::new(-1.0), Err(WorkingDaysError::Negative));
    assert_eq!(
        WorkingDays::new(f64::NAN),
        Err(WorkingDaysError::NotANumber)
    );
    assert_eq!(WorkingDays::new(1e9), Err(WorkingDaysError::TooLarge));
    assert!(serde_json::from_str::<WorkingDays>("-0.5").is_err());
    assert_eq!(
        serde_json::from_str::<WorkingDays>("0.5").unwrap().get(),
        0.5
    );
}

#[test]
fn standard_hours_are_seven_hours() {
    assert_eq!(WorkingHours::default().seconds_per_day(), 7 * 3600);
    assert_eq!(Period::MORNING.to_string(), "09:00-12:00");
    assert_eq!(Period::AFTERNOON.to_string(), "13:30-17:30");
}

fn instants() -> impl Strategy<Value = DateTime<Utc>> {
    // 2007-01-01 .. 2026-12-01, to the minute.
    (1_167_580_800i64..1_796_083_200).prop_map(|s| Utc.timestamp_opt(s - s % 60, 0).unwrap())
}

fn dates() -> impl Strategy<Value = NaiveDate> {
    (0i64..7300).prop_map(|n| d(2007, 1, 1) + Duration::days(n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn elapsed_time_is_the_inverse_of_the_deadline(start in instants(), x in 0.0f64..40.0) {
        let cal = Calendar::china();
        let h = WorkingHours::default();
        let w = days(x);
        let end = cal.deadline(start, w, &h);
        prop_assert!(end >= start);
        prop_assert_eq!(cal.working_seconds_between(start, end, &h), w.seconds(&h));
    }

    #[test]
    fn deadlines_add_up(start in instants(), a in 0.0f64..10.0, b in 0.0f64..10.0) {
        let cal = Calendar::china();
        let h = WorkingHours::default();
        let (a, b) = ((a * 14.0).round() / 14.0, (b * 14.0).round() / 14.0);
        let once = cal.deadline(start, days(a + b), &h);
        let twice = cal.deadline(cal.deadline(start, days(a), &h), days(b), &h);
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn a_longer_limit_never_ends_earlier(start in instants(), a in 0.0f64..20.0, extra in 0.0f64..5.0) {
        let cal = Calendar::china();
        let h = WorkingHours::default();
        prop_assert!(cal.deadline(start, days(a), &h) <= cal.deadline(start, days(a + extra), &h));
    }

    #[test]
    fn adding_n_working_days_lands_on_the_nth_working_day(date in dates(), n in 0u32..60) {
        let cal = Calendar::china();
        let end = cal.add_working_days(date, n);
        prop_assert_eq!(cal.working_days_after(date, end), n);
        if n > 0 {
            prop_assert!(cal.is_working_day(end));
        }
    }

    #[test]
    fn dates_outside_the_table_follow_the_weekday_rule(n in 0i64..3650) {
        let cal = Calendar::china();
        let date = d(2027, 1, 1) + Duration::days(n);
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        prop_assert_eq!(cal.is_working_day(date), !weekend);
    }

    #[test]
    fn the_table_round_trips_through_special_days(_x in 0u8..1) {
        let cal = Calendar::china();
        prop_assert_eq!(Calendar::from_days(cal.special_days()), cal);
    }
}

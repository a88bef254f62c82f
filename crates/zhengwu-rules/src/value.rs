//! Exact values: money in integer fen, numbers and ratios as fixed-point decimals with six
//! places, dates as day numbers. Every runtime value is an `i64`; its type is known statically.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// Numbers and ratios are stored multiplied by this (six decimal places).
pub const DEC_SCALE: i64 = 1_000_000;

/// How money is rounded to the fen after a multiplication or division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 四舍五入: half away from zero (the default).
    #[default]
    HalfUp,
    /// 银行家舍入: half to even.
    HalfEven,
    /// 向下取整 / 舍去: toward zero.
    Down,
    /// 向上取整 / 进一: away from zero.
    Up,
}

impl Rounding {
    /// The Chinese name used in policy files.
    pub fn zh(self) -> &'static str {
        match self {
            Rounding::HalfUp => "四舍五入",
            Rounding::HalfEven => "银行家舍入",
            Rounding::Down => "向下取整",
            Rounding::Up => "向上取整",
        }
    }

    /// Divides `n` by `d` (d > 0 or d < 0, never 0) and rounds the quotient to an integer.
    #[inline]
    pub fn div(self, n: i64, d: i64) -> Option<i64> {
        if d == 0 {
            return None;
        }
        let (n, d) = if d < 0 {
            (n.checked_neg()?, d.checked_neg()?)
        } else {
            (n, d)
        };
        let q = n / d;
        let r = n % d;
        if r == 0 {
            return Some(q);
        }
        let away = if n < 0 { -1 } else { 1 };
        let twice = r.unsigned_abs().saturating_mul(2);
        let du = d.unsigned_abs();
        let bump = match self {
            Rounding::Down => false,
            Rounding::Up => true,
            Rounding::HalfUp => twice >= du,
            Rounding::HalfEven => twice > du || (twice == du && q % 2 != 0),
        };
        Some(if bump { q + away } else { q })
    }

    /// `a * b / d` rounded, computed without overflow where the result fits in `i64`.
    #[inline]
    pub fn mul_div(self, a: i64, b: i64, d: i64) -> Option<i64> {
        match a.checked_mul(b) {
            Some(p) => self.div(p, d),
            None => self.div_wide(i128::from(a) * i128::from(b), i128::from(d)),
        }
    }

    /// `n / d` on 128-bit operands, rounded; `None` when `d` is 0 or the rounded quotient does
    /// not fit in `i64`. Gives the same answer as [`Rounding::div`] wherever both apply.
    pub fn div_wide(self, n: i128, d: i128) -> Option<i64> {
        let q = n.checked_div(d)?;
        let r = n.checked_rem(d)?;
        let q = if r == 0 {
            q
        } else {
            let away = if (n < 0) != (d < 0) { -1 } else { 1 };
            // |r| < |d| <= 2^127, so 2|r| fits in u128.
            let twice = r.unsigned_abs() * 2;
            let du = d.unsigned_abs();
            let bump = match self {
                Rounding::Down => false,
                Rounding::Up => true,
                Rounding::HalfUp => twice >= du,
                Rounding::HalfEven => twice > du || (twice == du && q % 2 != 0),
            };
            if bump { q + away } else { q }
        };
        i64::try_from(q).ok()
    }
}

/// Day number (days since 0001-01-01 = day 1) of a calendar date, if it exists.
pub fn days_from_ymd(y: i32, m: u32, d: u32) -> Option<i32> {
    NaiveDate::from_ymd_opt(y, m, d).map(|nd| nd.num_days_from_ce())
}

/// The calendar date of a day number.
pub fn date_of_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days)
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<i32> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .map(|d| d.num_days_from_ce())
}

/// Formats a day number as `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    date_of_days(days).map_or_else(
        || format!("day {days}"),
        |d| d.format("%Y-%m-%d").to_string(),
    )
}

/// Whole years from `a` to `b` (negative when b is before a), as a person counts birthdays.
pub fn years_between(a: i32, b: i32) -> Option<i64> {
    months_between(a, b).map(|m| m / 12)
}

/// Whole months from `a` to `b` (negative when b is before a).
pub fn months_between(a: i32, b: i32) -> Option<i64> {
    let (da, db) = (date_of_days(a)?, date_of_days(b)?);
    let (lo, hi, sign) = if db >= da { (da, db, 1) } else { (db, da, -1) };
    let mut m =
        i64::from(hi.year() - lo.year()) * 12 + i64::from(hi.month()) - i64::from(lo.month());
    if hi.day() < lo.day() {
        m -= 1;
    }
    Some(sign * m)
}

/// Formats money in fen as yuan with two decimals and, for large sums, in 万元: `12.5万元`.
pub fn format_money(fen: i64) -> String {
    let neg = fen < 0;
    let a = fen.unsigned_abs();
    let s = if a >= 1_000_000 && a.is_multiple_of(100) {
        // 万元 with up to 4 decimals, trailing zeros trimmed.
        let wan = a / 1_000_000;
        let rest = (a % 1_000_000) / 100; // yuan below 10,000
        if rest == 0 {
            format!("{wan}万元")
        } else {
            let frac = format!("{rest:04}");
            format!("{wan}.{}万元", frac.trim_end_matches('0'))
        }
    } else if a.is_multiple_of(100) {
        format!("{}元", a / 100)
    } else {
        format!("{}.{:02}元", a / 100, a % 100)
    };
    if neg { format!("-{s}") } else { s }
}

/// Formats a decimal (scaled by [`DEC_SCALE`]) with trailing zeros trimmed.
pub fn format_decimal(v: i64) -> String {
    let neg = v < 0;
    let a = v.unsigned_abs();
    let int = a / DEC_SCALE as u64;
    let frac = a % DEC_SCALE as u64;
    let s = if frac == 0 {
        int.to_string()
    } else {
        let f = format!("{frac:06}");
        format!("{int}.{}", f.trim_end_matches('0'))
    };
    if neg { format!("-{s}") } else { s }
}

/// Formats a ratio (scaled by [`DEC_SCALE`]) as a percentage: `3%`, `12.5%`.
pub fn format_percent(v: i64) -> String {
    // percent = v / 10_000 with up to 4 decimals.
    let neg = v < 0;
    let a = v.unsigned_abs();
    let int = a / 10_000;
    let frac = a % 10_000;
    let s = if frac == 0 {
        format!("{int}%")
    } else {
        let f = format!("{frac:04}");
        format!("{int}.{}%", f.trim_end_matches('0'))
    };
    if neg { format!("-{s}") } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_modes_round_halves_as_named() {
        assert_eq!(Rounding::HalfUp.div(25, 10), Some(3));
        assert_eq!(Rounding::HalfUp.div(-25, 10), Some(-3));
        assert_eq!(Rounding::HalfEven.div(25, 10), Some(2));
        assert_eq!(Rounding::HalfEven.div(35, 10), Some(4));
        assert_eq!(Rounding::Down.div(29, 10), Some(2));
        assert_eq!(Rounding::Up.div(21, 10), Some(3));
        assert_eq!(Rounding::HalfUp.div(1, 0), None);
        // 0.35 × 10 fen is exactly 3.5 fen: half-up gives 4 (a float would give 3).
        assert_eq!(Rounding::HalfUp.mul_div(10, 350_000, DEC_SCALE), Some(4));
        assert_eq!(
            Rounding::HalfUp.mul_div(i64::MAX, 2, 4),
            Some(i64::MAX / 2 + 1)
        );
        // The wide path rounds exactly like the narrow one, halves to even included.
        for r in [
            Rounding::HalfUp,
            Rounding::HalfEven,
            Rounding::Down,
            Rounding::Up,
        ] {
            for n in [
                -35i64, -25, -5, 0, 5, 15, 25, 35, 1_500_000, 2_500_000, 3_500_001,
            ] {
                for d in [-10i64, 10, 1_000_000] {
                    assert_eq!(r.div_wide(i128::from(n), i128::from(d)), r.div(n, d));
                }
            }
        }
        assert_eq!(Rounding::HalfEven.div_wide(3_500_000, 1_000_000), Some(4));
        assert_eq!(Rounding::HalfUp.div_wide(i128::MIN, -1), None);
        assert_eq!(Rounding::HalfUp.div_wide(1, 0), None);
    }

    #[test]
    fn date_differences_count_whole_years_and_months() {
        let a = parse_date("2020-02-29").unwrap();
        let b = parse_date("2021-02-28").unwrap();
        assert_eq!(years_between(a, b), Some(0));
        assert_eq!(months_between(a, b), Some(11));
        let c = parse_date("2024-03-01").unwrap();
        assert_eq!(years_between(a, c), Some(4));
        assert_eq!(years_between(c, a), Some(-4));
    }

    #[test]
    fn formats_read_naturally() {
        assert_eq!(format_money(30_0000_00), "30万元");
        assert_eq!(format_money(12_3456_00), "12.3456万元");
        assert_eq!(format_money(1234_56), "1234.56元");
        assert_eq!(format_percent(30_000), "3%");
        assert_eq!(format_percent(125_000), "12.5%");
        assert_eq!(format_decimal(2_500_000), "2.5");
    }
}

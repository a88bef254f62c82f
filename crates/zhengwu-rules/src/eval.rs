//! The engine's results and entry points: evaluates a compiled [`Program`] over whole columns,
//! a chunk of records at a time, with three-valued logic (yes / no / unknown). No loops in the
//! language, no I/O, and the work is linear in (records × expression size), so evaluation is
//! bounded. The executor itself (plans, bitmaps, selection vectors) is in `src/exec.rs`.

use crate::compile::{Formula, PValue, Program};
use crate::data::Dataset;
use crate::value::DEC_SCALE;

/// Records evaluated together; intermediate columns of this length stay in cache. A multiple of
/// 64, so that a chunk's condition bits are whole words of the result bitmaps.
pub const CHUNK: usize = 2048;

/// Eligibility of one record for one clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    /// Not eligible.
    No = 0,
    /// Eligible.
    Yes = 1,
    /// Cannot be decided: some input is missing (see the missing inputs).
    Unknown = 2,
    /// Two applicable exceptions of equal priority: an error in the policy, never a silent pick.
    Conflict = 3,
}

impl Eligibility {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => Eligibility::No,
            1 => Eligibility::Yes,
            3 => Eligibility::Conflict,
            _ => Eligibility::Unknown,
        }
    }
    /// In Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Eligibility::No => "不符合",
            Eligibility::Yes => "符合",
            Eligibility::Unknown => "无法判定",
            Eligibility::Conflict => "例外冲突",
        }
    }
}

/// `exception` value meaning no exception applied.
pub const NO_EXCEPTION: u8 = u8::MAX;
/// `exception` value meaning an exception may apply but its condition is unknown.
pub const MAYBE_EXCEPTION: u8 = u8::MAX - 1;

/// The results of one clause for every record of a batch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClauseColumns {
    /// [`Eligibility`] as `u8` per record.
    pub eligibility: Vec<u8>,
    /// Amount in fen (0 when not eligible).
    pub amount: Vec<i64>,
    /// Whether the amount is known.
    pub amount_known: Vec<bool>,
    /// One bitmap per condition over the records (record `i` is bit `i % 64` of word `i / 64`):
    /// set where the condition is false. See [`ClauseColumns::condition_failed`].
    pub failed: Vec<Vec<u64>>,
    /// One bitmap per condition: set where the condition is unknown.
    pub unknown: Vec<Vec<u64>>,
    /// Index into the clause's exceptions of the one that applied, or [`NO_EXCEPTION`] /
    /// [`MAYBE_EXCEPTION`].
    pub exception: Vec<u8>,
    /// Whether the clause was in force on the evaluation date.
    pub in_force: bool,
}

impl ClauseColumns {
    /// Whether condition `cond` is false for record `i`.
    pub fn condition_failed(&self, cond: usize, i: usize) -> bool {
        bit(&self.failed, cond, i)
    }
    /// Whether condition `cond` is unknown for record `i`.
    pub fn condition_unknown(&self, cond: usize, i: usize) -> bool {
        bit(&self.unknown, cond, i)
    }
    /// Eligibility of record `i`.
    pub fn eligibility(&self, i: usize) -> Eligibility {
        Eligibility::from_u8(self.eligibility.get(i).copied().unwrap_or(2))
    }
    /// Counts of (yes, no, unknown, conflict).
    pub fn counts(&self) -> [usize; 4] {
        let mut c = [0usize; 4];
        for &e in &self.eligibility {
            if let Some(slot) = c.get_mut(e as usize) {
                *slot += 1;
            }
        }
        c
    }
    /// Total amount over eligible records with a known amount, in fen.
    pub fn total_amount(&self) -> i128 {
        self.amount
            .iter()
            .zip(&self.eligibility)
            .filter(|(_, e)| **e == 1)
            .map(|(a, _)| i128::from(*a))
            .sum()
    }
}

fn bit(maps: &[Vec<u64>], cond: usize, i: usize) -> bool {
    maps.get(cond)
        .and_then(|m| m.get(i / 64))
        .is_some_and(|w| w >> (i % 64) & 1 != 0)
}

/// Civil date from a day number (days since 0001-01-01 = 1), without chrono (fast path).
#[inline]
pub(crate) fn ymd(days: i64) -> (i64, i64, i64) {
    // Howard Hinnant's civil_from_days, shifted from the Unix epoch.
    let z = days - 719_163 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day numbers this far from the epoch are refused by the date arithmetic (unknown).
pub(crate) const DAY_LIMIT: i64 = 1_000_000_000;

/// Whole months from `a` to `b` (negative when b is before a); `None` beyond ±[`DAY_LIMIT`].
#[inline]
pub(crate) fn months_between(a: i64, b: i64) -> Option<i64> {
    if !(-DAY_LIMIT..=DAY_LIMIT).contains(&a) || !(-DAY_LIMIT..=DAY_LIMIT).contains(&b) {
        return None;
    }
    let (lo, hi, sign) = if b >= a { (a, b, 1) } else { (b, a, -1) };
    let (y1, m1, d1) = ymd(lo);
    let (y2, m2, d2) = ymd(hi);
    let mut m = (y2 - y1) * 12 + m2 - m1;
    if d2 < d1 {
        m -= 1;
    }
    Some(sign * m)
}

/// `x / y` as a decimal with six places, cut toward −∞: then `x / y >= t` and `x / y < t` are
/// exact for any threshold `t` written with at most six decimals (3%, 12.5%, 0.1).
#[inline]
pub(crate) fn floor_ratio(x: i64, y: i64) -> Option<i64> {
    if y == 0 {
        return None;
    }
    match x.checked_mul(DEC_SCALE) {
        Some(p) => {
            let (p, y) = if y < 0 {
                (p.checked_neg()?, y.checked_neg()?)
            } else {
                (p, y)
            };
            Some(p.div_euclid(y))
        }
        None => {
            let (p, y) = (i128::from(x) * i128::from(DEC_SCALE), i128::from(y));
            let (p, y) = if y < 0 { (-p, -y) } else { (p, y) };
            i64::try_from(p.div_euclid(y)).ok()
        }
    }
}

/// Parameter values in force on the evaluation date: `(effective from, value)`.
pub(crate) type Bound<'p> = Vec<Option<(i32, &'p PValue)>>;

/// Binds parameters to the values in force on `date`.
pub(crate) fn bind(prog: &Program, date: i32) -> Bound<'_> {
    prog.params.iter().map(|p| p.at(date)).collect()
}

impl Program {
    /// Evaluates every clause over every record of `data` for `date` (a day number).
    pub fn evaluate(&self, data: &Dataset, date: i32) -> Vec<ClauseColumns> {
        (0..self.clauses.len())
            .map(|c| self.evaluate_clause(c, data, date))
            .collect()
    }

    /// Like [`Program::evaluate`], with the clauses shared among `threads` threads (clauses are
    /// independent; each thread evaluates whole clauses column at a time).
    pub fn evaluate_parallel(
        &self,
        data: &Dataset,
        date: i32,
        threads: usize,
    ) -> Vec<ClauseColumns> {
        let threads = threads.clamp(1, self.clauses.len().max(1));
        if threads == 1 {
            return self.evaluate(data, date);
        }
        let mut slots: Vec<Option<ClauseColumns>> = vec![None; self.clauses.len()];
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        (t..self.clauses.len())
                            .step_by(threads)
                            .map(|c| (c, self.evaluate_clause(c, data, date)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                // A panicking worker would be a bug; its clauses are then evaluated here.
                if let Ok(done) = h.join() {
                    for (c, r) in done {
                        if let Some(slot) = slots.get_mut(c) {
                            *slot = Some(r);
                        }
                    }
                }
            }
        });
        slots
            .into_iter()
            .enumerate()
            .map(|(c, r)| r.unwrap_or_else(|| self.evaluate_clause(c, data, date)))
            .collect()
    }

    /// Evaluates one clause over every record, a chunk at a time.
    pub fn evaluate_clause(&self, clause: usize, data: &Dataset, date: i32) -> ClauseColumns {
        evaluate_clause_rows(self, clause, data, date, 0, data.len)
    }
}

/// Evaluates one clause over records `first .. first + count` of `data`.
pub fn evaluate_clause_rows(
    prog: &Program,
    clause: usize,
    data: &Dataset,
    date: i32,
    first: usize,
    count: usize,
) -> ClauseColumns {
    crate::exec::evaluate_clause_rows(prog, clause, data, date, first, count)
}

/// Evaluates one formula for one record (used by the trace).
pub(crate) fn eval_one(
    prog: &Program,
    data: &Dataset,
    row: usize,
    date: i32,
    f: &Formula,
) -> Option<i64> {
    crate::exec::eval_one(prog, data, row, date, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{date_of_days, parse_date};
    use chrono::Datelike;

    #[test]
    fn fast_civil_date_agrees_with_chrono() {
        let start = parse_date("1900-01-01").unwrap();
        for d in (start..start + 200 * 366).step_by(7) {
            let c = date_of_days(d).unwrap();
            assert_eq!(
                ymd(i64::from(d)),
                (
                    i64::from(c.year()),
                    i64::from(c.month()),
                    i64::from(c.day())
                )
            );
        }
    }

    #[test]
    fn ratios_are_cut_so_threshold_comparisons_are_exact() {
        // 2.99996% must not pass a 3% threshold; exactly 3% must.
        assert_eq!(floor_ratio(29_999_6, 10_000_000), Some(29_999));
        assert_eq!(floor_ratio(3, 100), Some(30_000));
        assert_eq!(floor_ratio(-1, 3_000_000), Some(-1));
        assert_eq!(floor_ratio(1, 0), None);
        assert_eq!(floor_ratio(i64::MAX, 1), None);
        assert_eq!(floor_ratio(i64::MAX / 2, i64::MAX), Some(500_000 - 1));
    }
}

//! Appointments (M1.1, M2.5), the parts that need no database: the slots of an open day, the
//! no-show rule (three in 90 days block new bookings for 30 days), the arrival window of an
//! appointment, short booking codes, and the 好差评 rating levels (GB/T 39734).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::calendar::district_offset;
use crate::hours::Period;

/// The slots of a day: consecutive `slot_minutes` pieces of each open period, each wholly
/// inside it (a period's tail shorter than a slot gets none).
pub fn day_slots(periods: &[Period], slot_minutes: u16) -> Vec<Period> {
    let mut out = Vec::new();
    if slot_minutes == 0 {
        return out;
    }
    for p in periods {
        let mut start = p.start();
        while start + slot_minutes <= p.end() {
            if let Ok(s) = Period::new(start, start + slot_minutes) {
                out.push(s);
            }
            start += slot_minutes;
        }
    }
    out
}

/// The instant a slot of `date` starts or ends, `minutes` after the district's midnight.
pub fn local_instant(date: NaiveDate, minutes: u16) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    let local = district_offset()
        .from_local_datetime(&midnight)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight));
    local + Duration::minutes(i64::from(minutes))
}

/// The district's date and minute of the day of an instant.
pub fn local_date_minute(at: DateTime<Utc>) -> (NaiveDate, u16) {
    let local = at.with_timezone(&district_offset()).naive_local();
    let minute = local
        .time()
        .signed_duration_since(NaiveTime::MIN)
        .num_minutes();
    (local.date(), u16::try_from(minute).unwrap_or(0))
}

/// When no-shows block new bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoShowRule {
    /// This many no-shows …
    pub limit: u32,
    /// … within this many days …
    pub window_days: i64,
    /// … block new bookings for this many days after the last of them.
    pub block_days: i64,
}

impl Default for NoShowRule {
    fn default() -> Self {
        Self {
            limit: 3,
            window_days: 90,
            block_days: 30,
        }
    }
}

impl NoShowRule {
    /// How far back no-shows can matter: a window and the block after it.
    pub fn lookback(&self) -> Duration {
        Duration::days(self.window_days + self.block_days)
    }

    /// Until when bookings are blocked at `now`, given a person's no-shows (any order):
    /// `limit` no-shows within `window_days` block until `block_days` after the last of them.
    /// `None` when not blocked.
    pub fn blocked_until(
        &self,
        no_shows: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if self.limit == 0 {
            return None;
        }
        let mut times: Vec<DateTime<Utc>> =
            no_shows.iter().copied().filter(|t| *t <= now).collect();
        times.sort();
        let n = self.limit as usize;
        let window = Duration::days(self.window_days);
        times
            .windows(n)
            .filter(|w| w[n - 1] - w[0] <= window)
            .map(|w| w[n - 1] + Duration::days(self.block_days))
            .filter(|until| *until > now)
            .max()
    }
}

/// How early and how late an appointment holder may check in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrivalWindow {
    pub early_minutes: i64,
    pub late_minutes: i64,
}

impl Default for ArrivalWindow {
    fn default() -> Self {
        Self {
            early_minutes: 30,
            late_minutes: 15,
        }
    }
}

/// An appointment holder's arrival, measured against the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Before the window opens: check-in is refused until `opens`.
    TooEarly { opens: DateTime<Utc> },
    /// Within the window: the ticket has the appointment's priority.
    OnTime,
    /// After the window: the holder joins the walk-in queue.
    Late,
    /// Another day than the appointment's.
    OtherDay,
}

impl ArrivalWindow {
    pub fn judge(&self, at: DateTime<Utc>, starts_at: DateTime<Utc>) -> Arrival {
        if local_date_minute(at).0 != local_date_minute(starts_at).0 {
            return Arrival::OtherDay;
        }
        let opens = starts_at - Duration::minutes(self.early_minutes);
        if at < opens {
            Arrival::TooEarly { opens }
        } else if at <= starts_at + Duration::minutes(self.late_minutes) {
            Arrival::OnTime
        } else {
            Arrival::Late
        }
    }
}

/// The alphabet of booking codes: no 0/O, 1/I/L, so a code read out on the phone or typed on
/// a kiosk is not mistaken.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// A booking code's length: 31^8 ≈ 8.5 × 10^11 codes.
pub const CODE_LEN: usize = 8;

/// A new random booking code.
pub fn booking_code() -> Result<String, getrandom::Error> {
    let mut buf = [0u8; CODE_LEN];
    getrandom::fill(&mut buf)?;
    Ok(buf
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
        .collect())
}

/// A booking code as typed (spaces, dashes, lower case, O for 0 …) in its canonical form, or
/// `None` when it cannot be one.
pub fn normalize_code(s: &str) -> Option<String> {
    let code: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// The national five levels of 好差评 (GB/T 39734): 5 非常满意 … 1 非常不满意.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RatingLevel(u8);

impl RatingLevel {
    pub fn new(level: i64) -> Option<Self> {
        (1..=5)
            .contains(&level)
            .then(|| Self(u8::try_from(level).unwrap_or(1)))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The two bottom levels are bad ratings (差评): each opens a rectification.
    pub fn is_bad(self) -> bool {
        self.0 <= 2
    }

    pub fn name_zh(self) -> &'static str {
        match self.0 {
            5 => "非常满意",
            4 => "满意",
            3 => "基本满意",
            2 => "不满意",
            _ => "非常不满意",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self.0 {
            5 => "Very satisfied",
            4 => "Satisfied",
            3 => "Fairly satisfied",
            2 => "Dissatisfied",
            _ => "Very dissatisfied",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn slots_fill_each_period_and_drop_a_short_tail() {
        let slots = day_slots(&[p("09:00-12:00"), p("13:30-17:30")], 30);
        assert_eq!(slots.len(), 6 + 8);
        assert_eq!(slots[0], p("09:00-09:30"));
        assert_eq!(slots[6], p("13:30-14:00"));
        let slots = day_slots(&[p("09:00-10:10")], 30);
        assert_eq!(slots, vec![p("09:00-09:30"), p("09:30-10:00")]);
        assert!(day_slots(&[p("09:00-10:00")], 0).is_empty());
        assert!(day_slots(&[], 30).is_empty());
    }

    #[test]
    fn slot_instants_are_in_the_district_zone() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let t = local_instant(d, 9 * 60);
        assert_eq!(t.to_rfc3339(), "2026-12-01T01:00:00+00:00");
        assert_eq!(local_date_minute(t), (d, 540));
    }

    fn day(n: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap() + Duration::days(n)
    }

    #[test]
    fn three_no_shows_in_ninety_days_block_for_thirty_days() {
        let r = NoShowRule::default();
        let shows = [day(0), day(40), day(80)];
        assert_eq!(r.blocked_until(&shows, day(81)), Some(day(110)));
        assert_eq!(r.blocked_until(&shows, day(110)), None);
        // Two are not enough.
        assert_eq!(r.blocked_until(&shows[..2], day(41)), None);
        // Three spread over more than 90 days are not enough.
        assert_eq!(r.blocked_until(&[day(0), day(50), day(91)], day(92)), None);
        // The latest block wins; order does not matter.
        assert_eq!(
            r.blocked_until(&[day(100), day(0), day(10), day(20), day(90)], day(101)),
            Some(day(130))
        );
        // A rule with no limit never blocks.
        let off = NoShowRule { limit: 0, ..r };
        assert_eq!(off.blocked_until(&shows, day(81)), None);
    }

    #[test]
    fn arrival_is_judged_against_the_window() {
        let w = ArrivalWindow::default();
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap();
        assert_eq!(
            w.judge(start - Duration::minutes(31), start),
            Arrival::TooEarly {
                opens: start - Duration::minutes(30)
            }
        );
        assert_eq!(
            w.judge(start - Duration::minutes(30), start),
            Arrival::OnTime
        );
        assert_eq!(
            w.judge(start + Duration::minutes(15), start),
            Arrival::OnTime
        );
        assert_eq!(w.judge(start + Duration::minutes(16), start), Arrival::Late);
        assert_eq!(w.judge(start + Duration::days(1), start), Arrival::OtherDay);
    }

    #[test]
    fn codes_are_unambiguous_and_typed_codes_are_normalised() {
        for _ in 0..100 {
            let c = booking_code().unwrap();
            assert_eq!(c.len(), CODE_LEN);
            assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
            assert_eq!(normalize_code(&c.to_lowercase()), Some(c.clone()));
        }
        assert_eq!(normalize_code("k7m2-qx9p"), Some("K7M2QX9P".into()));
        assert_eq!(normalize_code("K7M2 QX9"), None);
        assert_eq!(normalize_code("K7M2QX9O"), None);
        assert_eq!(normalize_code("预约码"), None);
    }

    #[test]
    fn the_two_bottom_levels_are_bad() {
        assert!(RatingLevel::new(0).is_none());
        assert!(RatingLevel::new(6).is_none());
        let bad: Vec<u8> = (1..=5)
            .filter_map(RatingLevel::new)
            .filter(|l| l.is_bad())
            .map(RatingLevel::get)
            .collect();
        assert_eq!(bad, vec![1, 2]);
        assert_eq!(RatingLevel::new(5).unwrap().name_zh(), "非常满意");
    }
}

//! Whether a session (staff or applicant) is still alive: one rule for both.

use chrono::{DateTime, Duration, Utc};

/// What to do with a session found by its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Past its absolute end, or idle for too long: delete it.
    Ended,
    /// Alive; `touch` when its last-seen time should be moved to now (at most once a minute,
    /// to spare writes).
    Live { touch: bool },
}

pub fn liveness(
    expires_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    now: DateTime<Utc>,
    idle: Duration,
) -> Liveness {
    if expires_at <= now || last_seen_at + idle <= now {
        Liveness::Ended
    } else {
        Liveness::Live {
            touch: now - last_seen_at > Duration::minutes(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_when_expired_or_idle_and_are_touched_sparingly() {
        let now = Utc::now();
        let idle = Duration::minutes(30);
        let later = now + Duration::hours(1);
        assert_eq!(
            liveness(later, now, now, idle),
            Liveness::Live { touch: false }
        );
        assert_eq!(
            liveness(later, now - Duration::minutes(5), now, idle),
            Liveness::Live { touch: true }
        );
        assert_eq!(liveness(now, now, now, idle), Liveness::Ended);
        assert_eq!(liveness(later, now - idle, now, idle), Liveness::Ended);
    }
}

//! Citizen appeals (12345, M4): the kinds of appeal with their time limits, the states of an
//! appeal and of each unit's assignment, and the one transition function for each. Pure; the
//! store persists what these return.

use std::fmt;

/// The kind of an appeal (咨询, 求助, 投诉, 举报, 建议).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Consult,
    Help,
    Complaint,
    Report,
    Suggestion,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Consult,
        Kind::Help,
        Kind::Complaint,
        Kind::Report,
        Kind::Suggestion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consult => "consult",
            Self::Help => "help",
            Self::Complaint => "complaint",
            Self::Report => "report",
            Self::Suggestion => "suggestion",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Consult => "咨询",
            Self::Help => "求助",
            Self::Complaint => "投诉",
            Self::Report => "举报",
            Self::Suggestion => "建议",
        }
    }

    /// The default time limit to handle it, in working days: consultation 2, help 5,
    /// complaint, report and suggestion 15.
    pub fn default_limit_days(self) -> u32 {
        match self {
            Self::Consult => 2,
            Self::Help => 5,
            Self::Complaint | Self::Report | Self::Suggestion => 15,
        }
    }
}

/// Working days a unit has to sign for (签收) an appeal assigned to it.
pub const SIGN_LIMIT_DAYS: u32 = 1;

/// The time limits in working days: to sign, and to handle each kind. The defaults are the
/// issue's (sign 1; consultation 2, help 5, complaint, report and suggestion 15); a district
/// sets its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    pub sign: u32,
    pub consult: u32,
    pub help: u32,
    pub complaint: u32,
    pub report: u32,
    pub suggestion: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            sign: SIGN_LIMIT_DAYS,
            consult: Kind::Consult.default_limit_days(),
            help: Kind::Help.default_limit_days(),
            complaint: Kind::Complaint.default_limit_days(),
            report: Kind::Report.default_limit_days(),
            suggestion: Kind::Suggestion.default_limit_days(),
        }
    }
}

impl Limits {
    /// The most working days any limit may be.
    pub const MAX_DAYS: u32 = 60;

    pub fn for_kind(&self, kind: Kind) -> u32 {
        match kind {
            Kind::Consult => self.consult,
            Kind::Help => self.help,
            Kind::Complaint => self.complaint,
            Kind::Report => self.report,
            Kind::Suggestion => self.suggestion,
        }
    }

    /// The limits by name (`sign`, then the kinds).
    pub fn named(&self) -> [(&'static str, u32); 6] {
        [
            ("sign", self.sign),
            ("consult", self.consult),
            ("help", self.help),
            ("complaint", self.complaint),
            ("report", self.report),
            ("suggestion", self.suggestion),
        ]
    }

    /// Sets the limit called `name`; false for an unknown name.
    pub fn set(&mut self, name: &str, days: u32) -> bool {
        let slot = match name {
            "sign" => &mut self.sign,
            "consult" => &mut self.consult,
            "help" => &mut self.help,
            "complaint" => &mut self.complaint,
            "report" => &mut self.report,
            "suggestion" => &mut self.suggestion,
            _ => return false,
        };
        *slot = days;
        true
    }
}

/// The state of an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Taken in, not yet dispatched.
    Registered,
    /// Returned by its lead unit to the dispatcher (退单), to reassign or rule on.
    Returned,
    /// Assigned to a lead unit (and co-units), waiting for the lead to sign.
    Dispatched,
    /// Signed for by the lead unit, being handled.
    InHand,
    /// The lead unit replied; waiting for the return visit (回访).
    Replied,
    /// Closed: answered at intake, or visited.
    Closed,
    /// A duplicate merged into a master appeal, which keeps this one's caller and answers
    /// both.
    Merged,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Registered,
        Status::Returned,
        Status::Dispatched,
        Status::InHand,
        Status::Replied,
        Status::Closed,
        Status::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Returned => "returned",
            Self::Dispatched => "dispatched",
            Self::InHand => "in_hand",
            Self::Replied => "replied",
            Self::Closed => "closed",
            Self::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the appeal still runs against a deadline.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Merged)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A consultation answered on the spot from the knowledge base (即时响应).
    AnswerAtIntake,
    /// The dispatcher assigns a lead unit (and co-units) (联应联办).
    Dispatch,
    /// The lead unit signs for it (签收).
    Sign,
    /// The lead unit sends it back to the dispatcher with a reason (退单).
    Return,
    /// The lead unit replies with the result (every co-unit having contributed).
    Reply,
    /// The return visit (回访): resolved and satisfied, or not.
    Visit { resolved: bool, satisfied: bool },
    /// The dispatcher merges this duplicate into a master appeal still open.
    Merge,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Self::AnswerAtIntake => "answer_at_intake",
            Self::Dispatch => "dispatch",
            Self::Sign => "sign",
            Self::Return => "return",
            Self::Reply => "reply",
            Self::Visit { .. } => "visit",
            Self::Merge => "merge",
        }
    }
}

/// An event that the appeal's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{event} is not possible while the appeal is {from}")]
pub struct TransitionError {
    pub from: Status,
    pub event: &'static str,
}

/// The one transition function of an appeal. A visit that finds the matter unresolved or the
/// caller unsatisfied sends the appeal back to its lead unit (reopened, 重办); one that finds
/// it resolved and the caller satisfied closes it.
pub fn transition(from: Status, event: Event) -> Result<Status, TransitionError> {
    use Status as S;
    let to = match (from, event) {
        (S::Registered, Event::AnswerAtIntake) => S::Closed,
        (S::Registered | S::Returned, Event::Dispatch) => S::Dispatched,
        (S::Dispatched, Event::Sign) => S::InHand,
        (S::Dispatched | S::InHand, Event::Return) => S::Returned,
        (S::InHand, Event::Reply) => S::Replied,
        (
            S::Replied,
            Event::Visit {
                resolved: true,
                satisfied: true,
            },
        ) => S::Closed,
        (S::Replied, Event::Visit { .. }) => S::InHand,
        (S::Registered | S::Returned | S::Dispatched | S::InHand, Event::Merge) => S::Merged,
        _ => {
            return Err(TransitionError {
                from,
                event: event.name(),
            });
        }
    };
    Ok(to)
}

/// How an open appeal stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineState {
    OnTime,
    /// Three quarters of the working days are used (amber).
    DueSoon,
    /// Past the deadline (red).
    Overdue,
}

impl DeadlineState {
    /// `""`, `due_soon` or `overdue`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTime => "",
            Self::DueSoon => "due_soon",
            Self::Overdue => "overdue",
        }
    }
}

/// Where an appeal taken in on `start` and due on `due` stands on `today`: overdue after the
/// due day, due soon once 75 % of its working days are used.
pub fn deadline_state(
    cal: &crate::Calendar,
    start: chrono::NaiveDate,
    due: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> DeadlineState {
    if today > due {
        return DeadlineState::Overdue;
    }
    let total = cal.working_days_after(start, due).max(1);
    let used = cal.working_days_after(start, today);
    if used * 4 >= total * 3 {
        DeadlineState::DueSoon
    } else {
        DeadlineState::OnTime
    }
}

/// A unit's part in an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Lead,
    Co,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Co => "co",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "lead" => Some(Self::Lead),
            "co" => Some(Self::Co),
            _ => None,
        }
    }
}

/// The state of one unit's assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// Assigned, not yet signed for.
    Pending,
    /// Signed for; working on it.
    Signed,
    /// A co-unit's contribution is in; or the lead's reply is out.
    Done,
    /// Sent back (退单), or withdrawn when the appeal was reassigned.
    Withdrawn,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Signed => "signed",
            Self::Done => "done",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Signed, Self::Done, Self::Withdrawn]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    /// Whether the unit still owes its part.
    pub fn is_working(self) -> bool {
        matches!(self, Self::Pending | Self::Signed)
    }
}

/// What a unit does with its assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartEvent {
    Sign,
    /// The co-unit's contribution, or the lead's reply.
    Finish,
    /// Returned by the unit, or withdrawn by the dispatcher.
    Withdraw,
    /// Reopened after an unsatisfied visit: the lead works on it again.
    Reopen,
}

/// The transition function of an assignment: sign before finishing; a finished part is
/// reopened only by an unsatisfied visit.
pub fn part_transition(from: Part, event: PartEvent) -> Option<Part> {
    use Part as P;
    match (from, event) {
        (P::Pending, PartEvent::Sign) => Some(P::Signed),
        (P::Signed, PartEvent::Finish) => Some(P::Done),
        (P::Pending | P::Signed, PartEvent::Withdraw) => Some(P::Withdrawn),
        (P::Done, PartEvent::Reopen) => Some(P::Signed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events() -> Vec<Event> {
        let mut v = vec![
            Event::AnswerAtIntake,
            Event::Dispatch,
            Event::Sign,
            Event::Return,
            Event::Reply,
            Event::Merge,
        ];
        for resolved in [false, true] {
            for satisfied in [false, true] {
                v.push(Event::Visit {
                    resolved,
                    satisfied,
                });
            }
        }
        v
    }

    #[test]
    fn every_state_and_event_has_the_expected_outcome() {
        use Status as S;
        for from in Status::ALL {
            for e in events() {
                let want = match (from, e) {
                    (S::Registered, Event::AnswerAtIntake) => Some(S::Closed),
                    (S::Registered | S::Returned, Event::Dispatch) => Some(S::Dispatched),
                    (S::Dispatched, Event::Sign) => Some(S::InHand),
                    (S::Dispatched | S::InHand, Event::Return) => Some(S::Returned),
                    (S::InHand, Event::Reply) => Some(S::Replied),
                    (
                        S::Replied,
                        Event::Visit {
                            resolved,
                            satisfied,
                        },
                    ) => Some(if resolved && satisfied {
                        S::Closed
                    } else {
                        S::InHand
                    }),
                    (S::Registered | S::Returned | S::Dispatched | S::InHand, Event::Merge) => {
                        Some(S::Merged)
                    }
                    _ => None,
                };
                assert_eq!(transition(from, e).ok(), want, "{from:?} + {e:?}");
            }
        }
    }

    #[test]
    fn a_closed_or_merged_appeal_accepts_nothing_and_the_error_names_both() {
        for from in [Status::Closed, Status::Merged] {
            assert!(!from.is_open());
            for e in events() {
                let err = transition(from, e).unwrap_err();
                assert_eq!(err.from, from);
                assert!(err.to_string().contains(from.as_str()));
            }
        }
    }

    #[test]
    fn deadlines_turn_amber_at_three_quarters_and_red_after_the_day() {
        let cal = crate::Calendar::from_days([]);
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Monday 2026-11-02 + 4 working days = Friday 2026-11-06.
        let (start, due) = (d("2026-11-02"), d("2026-11-06"));
        assert_eq!(
            deadline_state(&cal, start, due, d("2026-11-04")),
            DeadlineState::OnTime
        );
        assert_eq!(
            deadline_state(&cal, start, due, d("2026-11-05")),
            DeadlineState::DueSoon
        );
        assert_eq!(
            deadline_state(&cal, start, due, d("2026-11-06")),
            DeadlineState::DueSoon
        );
        assert_eq!(
            deadline_state(&cal, start, due, d("2026-11-07")),
            DeadlineState::Overdue
        );
        assert_eq!(DeadlineState::Overdue.as_str(), "overdue");
    }

    #[test]
    fn limits_default_to_the_issue_and_are_set_by_name() {
        let mut l = Limits::default();
        assert_eq!(l.for_kind(Kind::Help), 5);
        assert_eq!(l.named()[0], ("sign", 1));
        assert!(l.set("help", 7));
        assert!(!l.set("chat", 7));
        assert_eq!(l.for_kind(Kind::Help), 7);
    }

    #[test]
    fn parts_are_signed_before_they_are_finished() {
        assert_eq!(part_transition(Part::Pending, PartEvent::Finish), None);
        assert_eq!(
            part_transition(Part::Pending, PartEvent::Sign),
            Some(Part::Signed)
        );
        assert_eq!(
            part_transition(Part::Signed, PartEvent::Finish),
            Some(Part::Done)
        );
        assert_eq!(part_transition(Part::Done, PartEvent::Withdraw), None);
        assert_eq!(
            part_transition(Part::Done, PartEvent::Reopen),
            Some(Part::Signed)
        );
        assert!(Part::Signed.is_working() && !Part::Done.is_working());
    }

    #[test]
    fn kinds_and_states_round_trip_and_limits_follow_the_issue() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        let limits: Vec<u32> = Kind::ALL.iter().map(|k| k.default_limit_days()).collect();
        assert_eq!(limits, vec![2, 5, 15, 15, 15]);
        assert_eq!(Kind::parse("投诉"), None);
    }
}

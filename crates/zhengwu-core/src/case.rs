//! Cases (办件, M1.4, M1.7, M1.8, M1.9): one application for one service item, from submission
//! to the result in the applicant's hands. The states and the one transition function, the
//! time limit on the working-day calendar (paused while the applicant supplements), the form's
//! validation and the machine checks of assisted approval (智慧辅助审批) with the instant
//! approval (秒批) they allow. Pure; the store persists what these return.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, WorkingHours};
use crate::catalog::{FormField, Item};
use crate::ident::{CreditCode, IdNumber, Mobile};

/// The state of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Submitted, waiting for a window clerk (or the machine) to accept it.
    Submitted,
    /// Before acceptance, the applicant was told at once everything missing (一次性告知) and
    /// is completing it (补正); the time limit has not started.
    Correcting,
    /// Not accepted (不予受理), with reasons. Final.
    NotAccepted,
    /// Accepted (受理): in the responsible department's queue; the time limit runs.
    Accepted,
    /// A reviewer of the department has taken it up.
    InReview,
    /// The reviewer asked for supplements (补正); the time limit is paused.
    Supplementing,
    Approved,
    /// Rejected with reasons and legal basis; closed once the decision is delivered.
    Rejected,
    /// The licence or certificate is made and waits at the hand-out window.
    ResultReady,
    /// Handed out at the window, by post or at a station.
    HandedOut,
    Closed,
    /// Withdrawn by the applicant before a decision. Final.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 12] = [
        Status::Submitted,
        Status::Correcting,
        Status::NotAccepted,
        Status::Accepted,
        Status::InReview,
        Status::Supplementing,
        Status::Approved,
        Status::Rejected,
        Status::ResultReady,
        Status::HandedOut,
        Status::Closed,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Correcting => "correcting",
            Self::NotAccepted => "not_accepted",
            Self::Accepted => "accepted",
            Self::InReview => "in_review",
            Self::Supplementing => "supplementing",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::ResultReady => "result_ready",
            Self::HandedOut => "handed_out",
            Self::Closed => "closed",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the time limit is running (accepted and not yet decided, not paused).
    pub fn clock_runs(self) -> bool {
        matches!(self, Self::Accepted | Self::InReview)
    }

    /// Accepted and not yet decided: the department still owes a decision.
    pub fn awaits_decision(self) -> bool {
        matches!(self, Self::Accepted | Self::InReview | Self::Supplementing)
    }

    /// Nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::NotAccepted | Self::Closed | Self::Withdrawn)
    }

    /// The applicant still has something to do: complete or supplement the materials.
    pub fn awaits_applicant(self) -> bool {
        matches!(self, Self::Correcting | Self::Supplementing)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// 受理, by a clerk or by the machine (秒批).
    Accept,
    /// 不予受理, with reasons.
    Refuse,
    /// 一次性告知: everything missing, at once; before acceptance it asks for completion, in
    /// review it pauses the clock.
    RequestSupplement,
    /// The applicant hands in what was asked for.
    Supplement,
    /// A reviewer of the department takes the case up.
    Review,
    Approve,
    Reject,
    /// The result (licence, certificate) is made and sent to the hand-out window.
    ResultReady,
    /// Handed to the applicant.
    HandOut,
    Close,
    /// The applicant withdraws before a decision.
    Withdraw,
}

impl Event {
    pub const ALL: [Event; 11] = [
        Event::Accept,
        Event::Refuse,
        Event::RequestSupplement,
        Event::Supplement,
        Event::Review,
        Event::Approve,
        Event::Reject,
        Event::ResultReady,
        Event::HandOut,
        Event::Close,
        Event::Withdraw,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Refuse => "refuse",
            Self::RequestSupplement => "request_supplement",
            Self::Supplement => "supplement",
            Self::Review => "review",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::ResultReady => "result_ready",
            Self::HandOut => "hand_out",
            Self::Close => "close",
            Self::Withdraw => "withdraw",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == s)
    }
}

/// An event that the case's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{event} is not possible while the case is {from}")]
pub struct TransitionError {
    pub from: Status,
    pub event: &'static str,
}

/// The one transition function of a case.
pub fn transition(from: Status, event: Event) -> Result<Status, TransitionError> {
    use Event as E;
    use Status as S;
    let to = match (from, event) {
        (S::Submitted, E::Accept) => S::Accepted,
        (S::Submitted | S::Correcting, E::Refuse) => S::NotAccepted,
        (S::Submitted, E::RequestSupplement) => S::Correcting,
        (S::Accepted | S::InReview, E::RequestSupplement) => S::Supplementing,
        (S::Correcting, E::Supplement) => S::Submitted,
        (S::Supplementing, E::Supplement) => S::InReview,
        (S::Accepted, E::Review) => S::InReview,
        (S::Accepted | S::InReview, E::Approve) => S::Approved,
        (S::Accepted | S::InReview, E::Reject) => S::Rejected,
        (S::Approved, E::ResultReady) => S::ResultReady,
        (S::ResultReady, E::HandOut) => S::HandedOut,
        (S::HandedOut | S::Rejected, E::Close) => S::Closed,
        (
            S::Submitted | S::Correcting | S::Accepted | S::InReview | S::Supplementing,
            E::Withdraw,
        ) => S::Withdrawn,
        _ => {
            return Err(TransitionError {
                from,
                event: event.name(),
            });
        }
    };
    Ok(to)
}

/// How a result reaches the applicant.
pub const HAND_OUT_WAYS: [&str; 3] = ["window", "post", "station"];

/// Channels a case is submitted by.
pub const CHANNELS: [&str; 4] = ["web", "kiosk", "window", "agent"];

/// The instant a case accepted at `accepted_at` is due: the item's promised working days on
/// the calendar during `hours` (0.5 day is half a working day's hours), plus the working time
/// it spent paused. An on-the-spot item (0 days) is due at the end of that working day.
pub fn due_at(
    cal: &Calendar,
    hours: &WorkingHours,
    accepted_at: DateTime<Utc>,
    promised_days: f64,
    paused_seconds: i64,
) -> DateTime<Utc> {
    let limit = if promised_days <= 0.0 {
        // The rest of the acceptance day, or the whole next working day after hours.
        let (date, _) = crate::booking::local_date_minute(accepted_at);
        let midnight = crate::booking::local_instant(date, crate::hours::DAY_MINUTES);
        match cal.working_seconds_between(accepted_at, midnight, hours) {
            0 => hours.seconds_per_day(),
            left => left,
        }
    } else {
        let days = promised_days.min(crate::calendar::MAX_WORKING_DAYS);
        (days * hours.seconds_per_day() as f64).round() as i64
    };
    cal.deadline_after_seconds(accepted_at, limit + paused_seconds.max(0), hours)
}

/// How a case stands against its time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    OnTime,
    /// 75 % of its working time used (yellow).
    Yellow,
    /// Past the limit (red).
    Red,
}

impl Deadline {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTime => "on_time",
            Self::Yellow => "yellow",
            Self::Red => "red",
        }
    }
}

/// Where a case accepted at `accepted_at`, due at `due`, paused for `paused_seconds` of
/// working time so far, stands at `now`.
pub fn deadline_state(
    cal: &Calendar,
    hours: &WorkingHours,
    accepted_at: DateTime<Utc>,
    due: DateTime<Utc>,
    paused_seconds: i64,
    now: DateTime<Utc>,
) -> Deadline {
    if now > due {
        return Deadline::Red;
    }
    let total = (cal.working_seconds_between(accepted_at, due, hours) - paused_seconds).max(1);
    let used = cal.working_seconds_between(accepted_at, now, hours) - paused_seconds;
    if used * 4 >= total * 3 {
        Deadline::Yellow
    } else {
        Deadline::OnTime
    }
}

/// The form as submitted: each field's key and its text.
pub type Form = BTreeMap<String, String>;

/// What is wrong with a submitted form (a 4xx for the caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FormError {
    pub field: String,
    /// `required`, `unknown_field`, `not_a_number`, `not_a_date`, `range:{min}-{max}`,
    /// `length:0-{max}`, `choice`.
    pub reason: String,
}

/// The longest text a form field takes.
pub const MAX_FIELD_CHARS: usize = 500;

/// Checks a form against the item's fields: no unknown field, every required one present,
/// numbers are numbers within their bounds, dates are dates, choices are among the options.
/// Whether an identifier is valid is a machine check, not a refusal. Returns the form trimmed,
/// without empty values.
pub fn validate_form(fields: &[FormField], form: &Form) -> Result<Form, FormError> {
    let err = |field: &str, reason: String| FormError {
        field: field.to_owned(),
        reason,
    };
    if let Some(k) = form.keys().find(|k| !fields.iter().any(|f| &f.key == *k)) {
        return Err(err(k, "unknown_field".into()));
    }
    let mut out = Form::new();
    for f in fields {
        let v = form.get(&f.key).map(|v| v.trim()).unwrap_or("");
        if v.is_empty() {
            if f.required {
                return Err(err(&f.key, "required".into()));
            }
            continue;
        }
        if v.chars().count() > MAX_FIELD_CHARS || v.chars().any(char::is_control) {
            return Err(err(&f.key, format!("length:0-{MAX_FIELD_CHARS}")));
        }
        match f.kind.as_str() {
            "number" => {
                let n: f64 = v
                    .parse()
                    .ok()
                    .filter(|n: &f64| n.is_finite())
                    .ok_or_else(|| err(&f.key, "not_a_number".into()))?;
                if f.min.is_some_and(|m| n < m) || f.max.is_some_and(|m| n > m) {
                    let fmt = |b: Option<f64>| b.map(|x| x.to_string()).unwrap_or_default();
                    return Err(err(&f.key, format!("range:{}-{}", fmt(f.min), fmt(f.max))));
                }
            }
            "date" => {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| err(&f.key, "not_a_date".into()))?;
            }
            "choice" if !f.options.iter().any(|o| o == v) => {
                return Err(err(&f.key, "choice".into()));
            }
            _ => {}
        }
        out.insert(f.key.clone(), v.to_owned());
    }
    Ok(out)
}

/// How a material of the item is provided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Provided {
    /// A file uploaded (its type read from the content when it was taken).
    File { mime: String },
    /// Shared data of another department or an e-licence (免提交), by its reference.
    Shared { reference: String },
    /// Not provided.
    Missing,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// A person has to look (a signature on paper).
    Manual,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pass, Self::Fail, Self::Manual]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// One machine check's result: what it looked at (a form field's key or a material's name),
/// which check, the outcome and a detail key the interface translates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub target: String,
    pub check: String,
    pub outcome: Outcome,
    pub detail: String,
}

/// Runs the machine checks of assisted approval on an application: every form field by its
/// kind (identifiers valid, validity dates not passed, the applicant's name consistent), then
/// every material: present (uploaded, or shared data / an e-licence), the file readable, and
/// the checks the catalog gives it. `provided` is in the order of the item's materials.
pub fn run_checks(
    item: &Item,
    form: &Form,
    provided: &[Provided],
    applicant_name: &str,
    today: NaiveDate,
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let mut push = |target: &str, check: &str, outcome: Outcome, detail: &str| {
        out.push(CheckResult {
            target: target.to_owned(),
            check: check.to_owned(),
            outcome,
            detail: detail.to_owned(),
        });
    };
    let fields = item.form_fields();
    let field_outcome = |f: &FormField| -> Option<(&'static str, Outcome, String)> {
        let v = form.get(&f.key)?;
        Some(match f.kind.as_str() {
            "id_number" => match IdNumber::parse(v, today) {
                Ok(_) => ("id_number_valid", Outcome::Pass, String::new()),
                Err(e) => ("id_number_valid", Outcome::Fail, e.code().to_owned()),
            },
            "credit_code" => match CreditCode::parse(v) {
                Ok(_) => ("credit_code_valid", Outcome::Pass, String::new()),
                Err(e) => ("credit_code_valid", Outcome::Fail, e.code().to_owned()),
            },
            "mobile" => match Mobile::parse(v) {
                Ok(_) => ("mobile_valid", Outcome::Pass, String::new()),
                Err(e) => ("mobile_valid", Outcome::Fail, e.code().to_owned()),
            },
            "date" if f.expires => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) if d >= today => ("not_expired", Outcome::Pass, String::new()),
                Ok(_) => ("not_expired", Outcome::Fail, "expired".to_owned()),
                Err(_) => ("not_expired", Outcome::Fail, "not_a_date".to_owned()),
            },
            _ if f.applicant_name => {
                if same_name(v, applicant_name) {
                    ("consistent_names", Outcome::Pass, String::new())
                } else {
                    ("consistent_names", Outcome::Fail, "name_differs".to_owned())
                }
            }
            _ => return None,
        })
    };
    let mut by_check: BTreeMap<&'static str, Vec<(Outcome, String)>> = BTreeMap::new();
    for f in &fields {
        if let Some((check, outcome, detail)) = field_outcome(f) {
            push(&f.key, check, outcome, &detail);
            by_check.entry(check).or_default().push((outcome, detail));
        }
    }
    let missing_required = fields
        .iter()
        .filter(|f| f.required && form.get(&f.key).is_none_or(|v| v.trim().is_empty()))
        .count();
    for (i, m) in item.materials.iter().enumerate() {
        let p = provided.get(i).unwrap_or(&Provided::Missing);
        match p {
            Provided::Missing if m.required => {
                push(&m.name, "present", Outcome::Fail, "missing");
                continue;
            }
            Provided::Missing => continue,
            Provided::Shared { .. } => push(&m.name, "present", Outcome::Pass, "shared"),
            Provided::File { mime } => {
                push(&m.name, "present", Outcome::Pass, "uploaded");
                push(&m.name, "readable", Outcome::Pass, mime);
            }
        }
        for c in &m.checks {
            let (outcome, detail) = match c.as_str() {
                "required_fields" if missing_required == 0 => (Outcome::Pass, String::new()),
                "required_fields" => (Outcome::Fail, format!("missing:{missing_required}")),
                "signature_present" => match p {
                    Provided::Shared { .. } => (Outcome::Pass, "shared".to_owned()),
                    _ => (Outcome::Manual, "signature".to_owned()),
                },
                "photo_spec" => match p {
                    Provided::File { mime } if mime == "image/jpeg" || mime == "image/png" => {
                        (Outcome::Pass, mime.clone())
                    }
                    Provided::Shared { .. } => (Outcome::Pass, "shared".to_owned()),
                    _ => (Outcome::Fail, "not_a_photo".to_owned()),
                },
                // The checks that read the form: the material passes when every field of
                // that kind does; with no such field a person has to look.
                other => match by_check.get(other) {
                    Some(results) => match results.iter().find(|r| r.0 != Outcome::Pass) {
                        Some(bad) => (bad.0, bad.1.clone()),
                        None => (Outcome::Pass, String::new()),
                    },
                    None => match p {
                        Provided::Shared { .. } => (Outcome::Pass, "shared".to_owned()),
                        _ => (Outcome::Manual, "no_field".to_owned()),
                    },
                },
            };
            push(&m.name, c, outcome, &detail);
        }
    }
    out
}

/// Names compared as people write them: ignoring spaces and the width of brackets.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '(' => '（',
                ')' => '）',
                c => c,
            })
            .collect()
    };
    !a.trim().is_empty() && norm(a) == norm(b)
}

/// Whether an item marked for instant approval may be approved by the machine: every check
/// passed (none failed, none left to a person).
pub fn instantly_approvable(item: &Item, results: &[CheckResult]) -> bool {
    item.instant_approval
        && !results.is_empty()
        && results.iter().all(|r| r.outcome == Outcome::Pass)
}

/// The rule set that approved a case instantly, as recorded on it: the item's code and
/// version and the checks that passed.
pub fn instant_rule_set(item: &Item, results: &[CheckResult]) -> String {
    let mut checks: Vec<&str> = results.iter().map(|r| r.check.as_str()).collect();
    checks.sort_unstable();
    checks.dedup();
    format!(
        "秒批 {} v{}: {}",
        item.code,
        item.version,
        checks.join(", ")
    )
}

#[cfg(test)]
mod tests;

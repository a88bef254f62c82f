//! Cases (办件, issue 7) in the staff console, on the same functions as `/api/v1/cases`: the
//! comprehensive window's desk (`/console/cases`) and its walk-in submission
//! (`/console/cases/new`), the department reviewer's queue (`/console/cases/review`), one case
//! with the moves the caller may make in its state (`/console/cases/{id}`), the supervisor's
//! overview with the figures (`/console/cases/supervise`), and the 痛快办 queue of residents'
//! stuck matters (`/console/assist`). Every form works without JavaScript; a successful post
//! redirects (post/redirect/get), a refused one shows the reason in place with what was typed.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use zhengwu_core::Calendar;
use zhengwu_core::roles::Role;
use zhengwu_store::cases::Case;

use super::booking::when;
use super::guide::Words;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::cases::{ASSIST_STAFF, CLERKS, READ_ALL, REVIEWERS, hours};
use crate::i18n::{self, Lang, t, tf};
use crate::startup::AppState;

mod assist;
mod desk;
mod detail;
mod intake;
mod review;
mod supervise;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/cases", get(desk::desk_page))
        .route(
            "/console/cases/new",
            get(intake::new_page).post(intake::new_submit),
        )
        .route("/console/cases/review", get(review::review_page))
        .route("/console/cases/supervise", get(supervise::supervise_page))
        .route(
            "/console/cases/supervise/{file}",
            get(supervise::supervise_download),
        )
        .route("/console/cases/{id}", get(detail::detail_page))
        .route("/console/cases/{id}/act", post(detail::act_submit))
        .route(
            "/console/assist",
            get(assist::assist_page).post(assist::assist_create),
        )
        .route("/console/assist/{id}", post(assist::assist_submit))
}

/// Staff only: anyone else goes to the login page.
fn staff_or_login(caller: &Caller) -> Option<Response> {
    (!matches!(caller, Caller::Staff(_) | Caller::Token(_)))
        .then(|| Redirect::to("/console/login").into_response())
}

/// A notice carried in the address after a post (shortened).
fn notice_of(q: Option<String>) -> Option<String> {
    q.map(|n| n.chars().take(160).collect())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
}

/// The status of a page that shows a refusal.
fn status_of(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// A reason code in words: this page's own (`cases.console.reason.*`) first, then the
/// catalogue's (`reason.*`), with what follows the colon as `{detail}`.
fn reason_words(lang: Lang, code: &str) -> String {
    let (head, detail) = code.split_once(':').unwrap_or((code, ""));
    let key = format!("cases.console.reason.{head}");
    if i18n::has(&key) {
        tf(lang, &key, &[("detail", detail.to_owned())])
    } else {
        i18n::reason(lang, code)
    }
}

/// A refusal in the words shown beside the form: a rule broken (422) or a case that moved
/// meanwhile (409); any other error goes to the error page. `labels` names the store's fields
/// as the form labels them (`note` → "审批意见").
fn refusal(e: ApiError, lang: Lang, labels: &[(&str, &str)]) -> Result<String, ApiError> {
    if e.status == StatusCode::CONFLICT && e.code == "stale" {
        return Ok(t(lang, "cases.console.stale"));
    }
    if e.status != StatusCode::UNPROCESSABLE_ENTITY {
        return Err(e);
    }
    let reason = e
        .args
        .iter()
        .find(|(k, _)| *k == "reason")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let field = e.field.clone().unwrap_or_default();
    if let Some((_, key)) = labels.iter().find(|(name, _)| *name == field) {
        return Ok(format!(
            "{}{}{}",
            t(lang, key),
            t(lang, "punct.colon"),
            reason_words(lang, &reason)
        ));
    }
    // A rule about the case or the request as a whole reads as a sentence, states in words.
    if field == "case" || field == "assist_request" {
        if let Some(status) = reason.strip_prefix("case_not_now:") {
            return Ok(tf(
                lang,
                "reason.case_not_now",
                &[("detail", t(lang, &format!("case.status.{status}")))],
            ));
        }
        if let Some(status) = reason.strip_prefix("not_now:") {
            return Ok(tf(
                lang,
                "cases.console.reason.not_now",
                &[(
                    "status",
                    t(lang, &format!("cases.console.assist.status.{status}")),
                )],
            ));
        }
        return Ok(reason_words(lang, &reason));
    }
    Ok(e.short_message(lang))
}

/// The case pages a caller may open: (address, label key), by role.
fn pages_for(caller: &Caller) -> Vec<(&'static str, &'static str)> {
    let may = |roles: &[Role]| caller.require(roles).is_ok();
    [
        ("/console/cases", "cases.console.desk.title", may(CLERKS)),
        ("/console/cases/new", "cases.console.new.title", may(CLERKS)),
        (
            "/console/cases/review",
            "cases.console.review.title",
            may(REVIEWERS),
        ),
        (
            "/console/cases/supervise",
            "cases.console.supervise.title",
            may(READ_ALL),
        ),
        (
            "/console/assist",
            "cases.console.assist.title",
            may(ASSIST_STAFF),
        ),
    ]
    .into_iter()
    .filter(|(_, _, ok)| *ok)
    .map(|(href, key, _)| (href, key))
    .collect()
}

/// The links of the case pages for the console's home page, in the caller's language.
pub(crate) fn console_links(caller: &Caller, lang: Lang) -> Vec<(&'static str, String)> {
    pages_for(caller)
        .into_iter()
        .map(|(href, key)| (href, t(lang, key)))
        .collect()
}

/// The menu at the top of every case page: (address, label, the page shown now).
pub(super) struct Menu {
    items: Vec<(&'static str, String, bool)>,
}

fn menu(caller: &Caller, w: &Words, current: &str) -> Menu {
    Menu {
        items: pages_for(caller)
            .into_iter()
            .map(|(href, key)| (href, w.l(key), href == current))
            .collect(),
    }
}

/// How a case stands against its time limit, in words and never by colour alone: the state
/// (`""` when no decision is owed, `on_time`, `yellow`, `red`), its word, and the working time
/// left or over.
pub(super) struct Badge {
    state: String,
    word: String,
    left: String,
}

fn badge(lang: Lang, cal: &Calendar, c: &Case, now: DateTime<Utc>) -> Badge {
    let state = c.deadline.clone();
    if state.is_empty() {
        return Badge {
            state,
            word: String::new(),
            left: String::new(),
        };
    }
    let h = hours();
    let per_day = h.seconds_per_day().max(1);
    // Working days, or working hours when less than a day is left or over.
    let span = |key_days: &str, key_hours: &str, secs: i64| {
        if secs <= 0 {
            String::new()
        } else if secs < per_day {
            tf(
                lang,
                key_hours,
                &[("hours", days_text(secs as f64 / 3600.0))],
            )
        } else {
            tf(
                lang,
                key_days,
                &[("days", days_text(secs as f64 / per_day as f64))],
            )
        }
    };
    let left = match c.due_at {
        _ if c.status == "supplementing" => t(lang, "cases.console.paused_now"),
        Some(due) if now <= due => span(
            "cases.console.left",
            "cases.console.left_hours",
            cal.working_seconds_between(now, due, &h),
        ),
        Some(due) => span(
            "cases.console.over",
            "cases.console.over_hours",
            cal.working_seconds_between(due, now, &h),
        ),
        None => String::new(),
    };
    Badge {
        word: t(lang, &format!("case.deadline.{state}")),
        state,
        left,
    }
}

/// Working days with one decimal, without a trailing `.0`.
fn days_text(d: f64) -> String {
    let r = (d * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// One case in a list.
pub(super) struct Row {
    id: i64,
    number: String,
    item: String,
    applicant: String,
    channel: String,
    submitted: String,
    status: String,
    due: String,
    dl: Badge,
    /// The bundle this case is part of.
    part_of: Option<i64>,
    /// `2 项未通过 · 1 项需人工核验`, where the list shows it.
    checks: String,
    /// The responsible department's name, where the list shows it.
    department: String,
}

fn row(lang: Lang, w: &Words, cal: &Calendar, c: &Case, now: DateTime<Utc>) -> Row {
    Row {
        id: c.id,
        number: c.number.clone(),
        item: c.item_name.clone(),
        applicant: c.applicant_name.clone(),
        channel: w.l(format!("case.channel.{}", c.channel)),
        submitted: when(lang, c.submitted_at),
        status: w.l(format!("case.status.{}", c.status)),
        due: c.due_at.map(|d| when(lang, d)).unwrap_or_default(),
        dl: badge(lang, cal, c, now),
        part_of: c.parent_id,
        checks: String::new(),
        department: String::new(),
    }
}

/// The machine checks in a few words: how many failed and how many a person has to look at.
fn checks_summary(lang: Lang, (failed, manual, all): (u32, u32, u32)) -> String {
    if all == 0 {
        return String::new();
    }
    if failed == 0 && manual == 0 {
        return t(lang, "cases.console.checks.all_pass");
    }
    tf(
        lang,
        "cases.console.checks.summary",
        &[
            ("failed", failed.to_string()),
            ("manual", manual.to_string()),
        ],
    )
}

/// The names of the organisation's units by id (departments, halls).
async fn unit_names(state: &AppState) -> Result<std::collections::HashMap<i64, String>, ApiError> {
    Ok(
        zhengwu_store::org::list_units(state.db.conn(), &zhengwu_store::org::UnitFilter::default())
            .await?
            .into_iter()
            .map(|u| (u.id.get(), u.name))
            .collect(),
    )
}

/// A tab of a list: its value in the address and its label.
pub(super) struct Tab {
    value: &'static str,
    label: String,
}

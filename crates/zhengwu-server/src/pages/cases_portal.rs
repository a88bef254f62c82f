//! Cases (办件, issue 7) on the portal, for the applicant on a phone, on the same functions as
//! `/api/v1/cases`: the online application from an item's page (`/apply?item=…`, the item's
//! form and its materials in one multipart post), "my cases" (`/my/cases`), one case with its
//! time line, checks, deadline, supplements, withdrawal, the place to collect the result and
//! the rating (`/my/cases/{id}`), and 找我办 (`/assist/new`) for a matter the resident could not
//! get done. The same application at the 24-hour kiosk (`/kiosk/apply?item=…`), in the kiosk's
//! face, with its own sign-in step and the applicant signed out once the case is in. Every
//! form works without JavaScript; a successful post redirects (post/redirect/get; the kiosk's
//! confirmation excepted), a refused one shows the reason in place with what was typed.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use zhengwu_core::case::Status;
use zhengwu_store::cases::{Case, Upload};

use super::console::render;
use super::guide::Words;
use super::{Frame, urlencode};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::cases::{hours, mine};
use crate::i18n::{self, Lang};
use crate::startup::AppState;

mod apply;
mod assist;
mod case;
mod kiosk;

/// Seconds without a touch before the kiosk starts over (as on the kiosk's other pages).
const KIOSK_IDLE_SECONDS: u32 = super::kiosk_signin::IDLE_SECONDS;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apply", get(apply::apply_page).post(apply::apply_submit))
        .route(
            "/kiosk/apply",
            get(apply::kiosk_apply_page).post(apply::kiosk_apply_submit),
        )
        .route("/kiosk/apply/code", post(kiosk::send_code))
        .route("/kiosk/apply/verify", post(kiosk::verify))
        .route("/kiosk/apply/signout", post(kiosk::signout))
        .route("/my/cases", get(mine_page))
        .route("/my/cases/{id}", get(case::case_page))
        .route("/my/cases/{id}/supplement", post(case::supplement_submit))
        .route("/my/cases/{id}/withdraw", post(case::withdraw_submit))
        .route("/my/cases/{id}/rating", post(case::rate_submit))
        .route(
            "/assist/new",
            get(assist::assist_page).post(assist::assist_submit),
        )
}

/// The sign-in page that comes back to `next` (a path of this site).
fn signin_url(next: &str) -> String {
    format!("/signin?next={}", urlencode(next))
}

/// A refusal to show in place (a rule broken: 422), or an error for the error page.
fn inline(e: ApiError, lang: Lang) -> Result<String, ApiError> {
    if e.status == StatusCode::UNPROCESSABLE_ENTITY {
        Ok(e.short_message(lang))
    } else {
        Err(e)
    }
}

/// The status of a page that shows a refusal.
fn status_of(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// The text fields and the material files (`m{index}`) of a multipart form.
async fn form_parts(
    multipart: Multipart,
) -> Result<(Vec<(String, String)>, Vec<Upload>), ApiError> {
    crate::http::cases::material_parts(multipart).await
}

/// The value of a posted field (empty when absent).
fn posted<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A number as people write it: `0.5`, `30000`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// A state's tag class, so the same state looks the same everywhere (the words beside it).
fn status_class(s: &str) -> &'static str {
    match Status::parse(s) {
        Some(s) if s.awaits_applicant() => "needs-material",
        Some(Status::Rejected | Status::NotAccepted) => "rejected",
        Some(Status::Approved | Status::ResultReady | Status::HandedOut | Status::Closed) => "done",
        Some(Status::Withdrawn) => "closed",
        Some(Status::Submitted) => "waiting",
        _ => "in-progress",
    }
}

/// A translated catalog word, or `fallback` when the catalog lacks `key`.
fn word_or(lang: Lang, key: &str, fallback: &str) -> String {
    if i18n::has(key) {
        i18n::t(lang, key)
    } else {
        fallback.to_owned()
    }
}

/// One case in "my cases".
struct MineRow {
    url: String,
    number: String,
    item: String,
    status: String,
    status_class: &'static str,
    /// What the applicant must do now (补正), or nothing.
    todo: Option<String>,
    due: String,
    deadline: String,
    /// A bundle's parts in words: how many, how many done.
    parts: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_cases_mine.html")]
struct MinePage {
    frame: Frame,
    w: Words,
    rows: Vec<MineRow>,
}

/// A bundle's parts: how many there are, how many are done, whether one waits for the
/// applicant.
struct PartsSummary {
    total: usize,
    done: usize,
    awaits_applicant: bool,
}

fn mine_row(lang: Lang, w: &Words, c: &Case, parts: Option<&PartsSummary>) -> MineRow {
    let status = Status::parse(&c.status);
    let awaits =
        status.is_some_and(Status::awaits_applicant) || parts.is_some_and(|p| p.awaits_applicant);
    MineRow {
        url: format!("/my/cases/{}", c.id),
        number: c.number.clone(),
        item: c.item_name.clone(),
        status: w.l(format!("case.status.{}", c.status)),
        status_class: status_class(&c.status),
        todo: awaits.then(|| w.l("cases.portal.todo_supplement")),
        due: c
            .due_at
            .map(|d| super::booking::when(lang, d))
            .unwrap_or_default(),
        deadline: if c.deadline.is_empty() {
            String::new()
        } else {
            w.l(format!("case.deadline.{}", c.deadline))
        },
        parts: parts.map(|p| {
            i18n::tf(
                lang,
                "cases.portal.parts_summary",
                &[("n", p.total.to_string()), ("done", p.done.to_string())],
            )
        }),
    }
}

/// The parts of a bundle case, summed up (none for a case that is not a bundle).
async fn parts_summary(state: &AppState, c: &Case) -> Result<Option<PartsSummary>, ApiError> {
    let is_bundle = state
        .guide
        .item(&c.item_code)
        .is_some_and(|i| !i.bundle.is_empty());
    if !is_bundle {
        return Ok(None);
    }
    let cal = state.calendar();
    let d = zhengwu_store::cases::detail(state.db.conn(), c.id, &cal, &hours(), Utc::now()).await?;
    let states: Vec<Option<Status>> = d.parts.iter().map(|p| Status::parse(&p.status)).collect();
    Ok(Some(PartsSummary {
        total: states.len(),
        done: states
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    Some(Status::ResultReady | Status::HandedOut | Status::Closed)
                )
            })
            .count(),
        awaits_applicant: states.iter().flatten().any(|s| s.awaits_applicant()),
    }))
}

/// The signed-in applicant's cases (their own and their enterprises'), newest first.
async fn mine_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if !matches!(caller, Caller::Applicant(_)) {
        return Ok(Redirect::to(&signin_url("/my/cases")).into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let cases = mine(&state, &caller).await?;
    let mut rows = Vec::with_capacity(cases.len());
    for c in &cases {
        let parts = parts_summary(&state, c).await?;
        rows.push(mine_row(lang, &w, c, parts.as_ref()));
    }
    let page = MinePage {
        frame: Frame::new(lang, state.district_name()),
        w,
        rows,
    };
    render(page, None, StatusCode::OK)
}

/// Working days left until `due` (negative when past), one decimal.
fn days_left(state: &AppState, due: chrono::DateTime<Utc>) -> f64 {
    let cal = state.calendar();
    let h = hours();
    let per_day = h.seconds_per_day().max(1) as f64;
    let now = Utc::now();
    let secs = if due >= now {
        cal.working_seconds_between(now, due, &h)
    } else {
        -cal.working_seconds_between(due, now, &h)
    };
    (secs as f64 / per_day * 10.0).round() / 10.0
}

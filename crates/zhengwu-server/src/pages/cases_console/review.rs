//! The department reviewer's queue (`/console/cases/review`): the cases of the caller's
//! departments (with their parts of bundles) that owe a decision or a result, the earliest due
//! first; tabs for all of them, the due-soon (yellow), the overdue (red) and those waiting for
//! the applicant's supplements.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::case::{Deadline, Status};
use zhengwu_store::cases;

use super::super::Frame;
use super::super::console::render;
use super::super::guide::Words;
use super::{Menu, Row, Tab, menu, row, staff_or_login, unit_names};
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};
use crate::http::cases::{hours, staff_filter};
use crate::startup::AppState;

const TABS: [&str; 4] = ["all", "yellow", "red", "supplementing"];

#[derive(Debug, Default, Deserialize)]
pub(super) struct ReviewQuery {
    #[serde(default)]
    tab: String,
}

#[derive(Template)]
#[template(path = "console_cases_review.html")]
struct ReviewPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    tabs: Vec<Tab>,
    tab: String,
    rows: Vec<Row>,
}

/// The reviewer's queue, by tab, the earliest due first.
pub(super) async fn review_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let mut f = staff_filter(&state, &caller, "review").await?;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let tab = if TABS.contains(&q.tab.as_str()) {
        q.tab.clone()
    } else {
        "all".to_owned()
    };
    f.statuses = match tab.as_str() {
        "supplementing" => vec![Status::Supplementing],
        "yellow" | "red" => vec![Status::Accepted, Status::InReview, Status::Supplementing],
        // Everything the department still owes: a decision, or the result of an approval.
        _ => vec![
            Status::Accepted,
            Status::InReview,
            Status::Supplementing,
            Status::Approved,
        ],
    };
    f.deadline = match tab.as_str() {
        "yellow" => Some(Deadline::Yellow),
        "red" => Some(Deadline::Red),
        _ => None,
    };
    let cal = state.calendar();
    let now = Utc::now();
    let list = cases::list(state.db.conn(), &f, &cal, &hours(), now).await?;
    let names = unit_names(&state).await?;
    let rows = list
        .iter()
        .map(|c| Row {
            department: names.get(&c.department_id).cloned().unwrap_or_default(),
            ..row(lang, &w, &cal, c, now)
        })
        .collect();
    let page = ReviewPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(&caller, &w, "/console/cases/review"),
        tabs: TABS
            .iter()
            .map(|t| Tab {
                value: t,
                label: w.l(format!("cases.console.review.tab.{t}")),
            })
            .collect(),
        tab,
        rows,
        w,
    };
    render(page, None, StatusCode::OK)
}

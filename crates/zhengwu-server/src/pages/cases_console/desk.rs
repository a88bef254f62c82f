//! The comprehensive window's desk (`/console/cases`): cases waiting for acceptance (with what
//! the machine checks found), results waiting at the hand-out window, and the recently
//! finished; and the way to a walk-in's submission.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::case::Status;

use super::super::Frame;
use super::super::console::render;
use super::super::guide::Words;
use super::{Menu, Row, Tab, checks_summary, menu, notice_of, row, staff_or_login};
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};
use crate::http::cases::{hours, staff_filter};
use crate::startup::AppState;
use zhengwu_store::cases;

const TABS: [&str; 3] = ["pending", "ready", "done"];

/// The most rows a tab shows.
const ROWS: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub(super) struct DeskQuery {
    #[serde(default)]
    tab: String,
    #[serde(default)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "console_cases_desk.html")]
struct DeskPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    tabs: Vec<Tab>,
    tab: String,
    rows: Vec<Row>,
    notice: Option<String>,
}

/// The window clerk's desk, by tab.
pub(super) async fn desk_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<DeskQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let mut f = staff_filter(&state, &caller, "window").await?;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let tab = if TABS.contains(&q.tab.as_str()) {
        q.tab.clone()
    } else {
        "pending".to_owned()
    };
    f.statuses = match tab.as_str() {
        "ready" => vec![Status::ResultReady],
        "done" => vec![
            Status::HandedOut,
            Status::Closed,
            Status::NotAccepted,
            Status::Withdrawn,
        ],
        _ => vec![Status::Submitted, Status::Correcting],
    };
    f.limit = 1000;
    let cal = state.calendar();
    let now = Utc::now();
    let db = state.db.conn();
    let mut list = cases::list(db, &f, &cal, &hours(), now).await?;
    match tab.as_str() {
        // The newest first: what was just finished.
        "done" => list.sort_by_key(|c| std::cmp::Reverse(c.id)),
        // The longest waiting first.
        _ => list.sort_by_key(|c| (c.submitted_at, c.id)),
    }
    list.truncate(ROWS);
    let counts = if tab == "pending" {
        let ids: Vec<i64> = list.iter().map(|c| c.id).collect();
        cases::check_counts(db, &ids).await?
    } else {
        Default::default()
    };
    let rows = list
        .iter()
        .map(|c| {
            let mut r = row(lang, &w, &cal, c, now);
            if let Some(n) = counts.get(&c.id) {
                r.checks = checks_summary(lang, *n);
            }
            r
        })
        .collect();
    let page = DeskPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(&caller, &w, "/console/cases"),
        tabs: TABS
            .iter()
            .map(|t| Tab {
                value: t,
                label: w.l(format!("cases.console.desk.tab.{t}")),
            })
            .collect(),
        tab,
        rows,
        notice: notice_of(q.notice),
        w,
    };
    render(page, None, StatusCode::OK)
}

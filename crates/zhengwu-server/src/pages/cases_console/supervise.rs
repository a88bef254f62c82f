//! The supervisor's overview of cases (`/console/cases/supervise`): open cases per department
//! with how many are due soon (yellow) and overdue (red), the red and the yellow lists across
//! departments, and the figures — the share of materials applicants no longer bring, and the
//! working time from acceptance to decision against the legal limit, overall, per department
//! and for the most used items.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::Utc;
use zhengwu_core::case::Deadline;
use zhengwu_store::cases::{self, figures};

use super::super::Frame;
use super::super::console::render;
use super::super::download::{FileFormat, Table, respond};
use super::super::guide::Words;
use super::{Menu, Row, days_text, menu, row, staff_or_login, unit_names};
use crate::auth::Caller;
use crate::error::{ApiError, ApiPath};
use crate::http::cases::{READ_ALL, hours, staff_filter};
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

/// How many items the figures show.
const TOP_ITEMS: usize = 20;

struct LoadRow {
    department: String,
    open: u64,
    yellow: u64,
    red: u64,
}

/// One line of the figures, as the page shows it.
struct FigRow {
    name: String,
    cases: u64,
    materials: u64,
    shared: u64,
    shared_share: String,
    decided: u64,
    mean_days: String,
    mean_legal: String,
    faster: String,
    on_time: u64,
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn fig_row(lang: Lang, f: &figures::Figures, name: String) -> FigRow {
    let decided = f.decided > 0;
    let dash = || "—".to_owned();
    FigRow {
        name,
        cases: f.cases,
        materials: f.materials,
        shared: f.shared,
        shared_share: if f.materials > 0 {
            percent(f.shared_share)
        } else {
            dash()
        },
        decided: f.decided,
        mean_days: if decided {
            tf(
                lang,
                "cases.console.sup.days",
                &[("days", days_text(f.mean_days_to_decision))],
            )
        } else {
            dash()
        },
        mean_legal: if decided {
            tf(
                lang,
                "cases.console.sup.days",
                &[("days", days_text(f.mean_legal_days))],
            )
        } else {
            dash()
        },
        faster: if decided {
            percent(f.faster_than_legal)
        } else {
            dash()
        },
        on_time: f.on_time,
    }
}

#[derive(Template)]
#[template(path = "console_cases_supervise.html")]
struct SupervisePage {
    frame: Frame,
    w: Words,
    menu: Menu,
    load: Vec<LoadRow>,
    red: Vec<Row>,
    yellow: Vec<Row>,
    all: FigRow,
    departments: Vec<FigRow>,
    items: Vec<FigRow>,
}

/// What the overview shows, gathered once for the page and for its downloads.
async fn gather(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    w: Words,
) -> Result<SupervisePage, ApiError> {
    caller.require(READ_ALL)?;
    let cal = state.calendar();
    let now = Utc::now();
    let db = state.db.conn();
    let names = unit_names(state).await?;
    let name_of = |id: i64| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    let load = cases::load_by_department(db, &cal, &hours(), now)
        .await?
        .into_iter()
        .map(|l| LoadRow {
            department: name_of(l.department_id),
            open: l.open,
            yellow: l.yellow,
            red: l.red,
        })
        .collect();
    let mut lists = Vec::new();
    for colour in [Deadline::Red, Deadline::Yellow] {
        let mut f = staff_filter(state, caller, "all").await?;
        f.deadline = Some(colour);
        f.with_parts = true;
        f.limit = 100;
        let list = cases::list(db, &f, &cal, &hours(), now).await?;
        lists.push(
            list.iter()
                .map(|c| Row {
                    department: name_of(c.department_id),
                    ..row(lang, &w, &cal, c, now)
                })
                .collect::<Vec<_>>(),
        );
    }
    let yellow = lists.pop().unwrap_or_default();
    let red = lists.pop().unwrap_or_default();
    let report = figures::report(db, &cal, &hours()).await?;
    Ok(SupervisePage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, "/console/cases/supervise"),
        load,
        red,
        yellow,
        all: fig_row(lang, &report.all, w.l("cases.console.sup.all")),
        departments: report
            .departments
            .iter()
            .map(|f| {
                let name = if f.name.is_empty() {
                    f.key.clone()
                } else {
                    f.name.clone()
                };
                fig_row(lang, f, name)
            })
            .collect(),
        items: report
            .items
            .iter()
            .take(TOP_ITEMS)
            .map(|f| fig_row(lang, f, f.name.clone()))
            .collect(),
        w,
    })
}

/// The supervisor's overview.
pub(super) async fn supervise_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let page = gather(&state, &caller, lang, Words::new(lang)).await?;
    render(page, None, StatusCode::OK)
}

/// The lists the overview offers as files.
pub(super) const LISTS: [&str; 5] = ["load", "red", "yellow", "departments", "items"];

/// One of the overview's lists as CSV or XLSX (`/console/cases/supervise/red.csv`): the same
/// rows and words as the page.
pub(super) async fn supervise_download(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(file): ApiPath<String>,
) -> Result<Response, ApiError> {
    let Some((list, format)) = FileFormat::split(&file).filter(|(l, _)| LISTS.contains(l)) else {
        return Err(ApiError::not_found());
    };
    if matches!(caller, Caller::Anonymous) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"));
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let p = gather(&state, &caller, lang, Words::new(lang)).await?;
    let l = |k: &str| w.l(k);
    let table = match list {
        "load" => Table {
            headers: vec![
                l("cases.console.department"),
                l("cases.console.sup.open"),
                l("case.deadline.yellow"),
                l("case.deadline.red"),
            ],
            rows: p
                .load
                .iter()
                .map(|r| {
                    vec![
                        r.department.clone(),
                        r.open.to_string(),
                        r.yellow.to_string(),
                        r.red.to_string(),
                    ]
                })
                .collect(),
        },
        "red" | "yellow" => Table {
            headers: vec![
                l("cases.console.number"),
                l("cases.console.deadline"),
                l("cases.console.due"),
                l("cases.console.item"),
                l("cases.console.department"),
                l("cases.console.status"),
            ],
            rows: (if list == "red" { &p.red } else { &p.yellow })
                .iter()
                .map(|r| {
                    vec![
                        r.number.clone(),
                        r.dl.word.clone(),
                        r.due.clone(),
                        r.item.clone(),
                        r.department.clone(),
                        r.status.clone(),
                    ]
                })
                .collect(),
        },
        _ => {
            let rows = if list == "items" {
                &p.items
            } else {
                &p.departments
            };
            Table {
                headers: vec![
                    l(if list == "items" {
                        "cases.console.item"
                    } else {
                        "cases.console.department"
                    }),
                    l("cases.console.sup.cases"),
                    l("cases.console.sup.materials"),
                    l("cases.console.sup.shared_share"),
                    l("cases.console.sup.decided"),
                    l("cases.console.sup.mean_days"),
                    l("cases.console.sup.mean_legal"),
                    l("cases.console.sup.faster"),
                    l("cases.console.sup.on_time"),
                ],
                rows: rows
                    .iter()
                    .map(|f| {
                        vec![
                            f.name.clone(),
                            f.cases.to_string(),
                            f.materials.to_string(),
                            f.shared_share.clone(),
                            f.decided.to_string(),
                            f.mean_days.clone(),
                            f.mean_legal.clone(),
                            f.faster.clone(),
                            f.on_time.to_string(),
                        ]
                    })
                    .collect(),
            }
        }
    };
    respond(&table, &format!("cases-{list}"), format)
}

//! The queue console's list of a site's tickets of one day (`/console/counters/tickets?site=…
//! &day=YYYY-MM-DD`, today in the district by default): every ticket with its group, priority
//! class, state, the times of its steps, the wait (called − joined) and the service (finished −
//! started) in minutes, the counter and the outcome; downloadable as CSV and XLSX
//! (`/console/counters/tickets.csv`, `.xlsx`, same query) with the page's words heading the
//! columns. Staff see the sites whose counters they may work, as `/console/counters` decides.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use zhengwu_core::calendar::district_offset;
use zhengwu_core::ids::UnitId;
use zhengwu_store::queue::{
    self, DayTicket, PRIORITY_APPOINTMENT, PRIORITY_GREEN, PRIORITY_URGENT, PRIORITY_WALK_IN,
};

use super::super::console::render;
use super::super::download::{FileFormat, Table, respond};
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::my_sites;
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};
use crate::http::queue::QUEUE_STAFF;
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

#[derive(Debug, Default, Deserialize)]
pub(super) struct TicketsQuery {
    #[serde(default)]
    site: Option<i64>,
    /// `YYYY-MM-DD` (the date picker's value); today when absent or empty.
    #[serde(default)]
    day: Option<String>,
}

/// The district's date today.
fn today() -> NaiveDate {
    Utc::now().with_timezone(&district_offset()).date_naive()
}

/// The day asked for: today when none; `None` for a value that is not a date.
fn day_of(q: &TicketsQuery) -> Option<NaiveDate> {
    match q.day.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => Some(today()),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").ok(),
    }
}

/// A ticket's priority class in words.
fn priority(w: &Words, p: i32) -> String {
    let class = match p {
        PRIORITY_WALK_IN => "walk_in",
        PRIORITY_APPOINTMENT => "appointment",
        PRIORITY_GREEN => "green",
        PRIORITY_URGENT => "urgent",
        other => return other.to_string(),
    };
    w.l(format!("queue.tickets.priority.{class}"))
}

/// The local clock time of a step, `09:31:05`; empty before the step.
fn clock(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| {
        t.with_timezone(&district_offset())
            .format("%H:%M:%S")
            .to_string()
    })
    .unwrap_or_default()
}

fn minutes(m: Option<i64>) -> String {
    m.map(|m| m.to_string()).unwrap_or_default()
}

/// The columns' words, in the order of [`cells`].
const COLUMNS: [&str; 12] = [
    "number", "group", "priority", "status", "joined", "called", "started", "finished", "wait",
    "service", "counter", "outcome",
];

/// One ticket as the row of the list (the page's and the files').
fn cells(w: &Words, d: &DayTicket) -> Vec<String> {
    let t = &d.ticket;
    vec![
        t.number.clone(),
        format!("{} · {}", d.group_code, d.group_name),
        priority(w, t.priority),
        w.l(format!("queue.tickets.status.{}", t.status.as_str())),
        clock(Some(t.joined_at)),
        clock(t.called_at),
        clock(t.started_at),
        clock(t.finished_at),
        minutes(d.wait_minutes()),
        minutes(d.service_minutes()),
        d.counter.clone().unwrap_or_default(),
        t.outcome
            .as_deref()
            .map(|o| w.l(format!("queue.outcome.{o}")))
            .unwrap_or_default(),
    ]
}

/// What the page and its files show.
struct Listed {
    /// The sites the caller may see, and the one shown.
    sites: Vec<(i64, String)>,
    site: Option<(i64, String)>,
    day: Option<NaiveDate>,
    table: Table,
}

/// The sites the caller may see, the site asked for (the first one when none; 403 for one out
/// of their scope) and its tickets of the day, in the list's words.
async fn list(
    state: &AppState,
    caller: &Caller,
    w: &Words,
    q: &TicketsQuery,
) -> Result<Listed, ApiError> {
    caller.require(QUEUE_STAFF)?;
    let sites: Vec<(i64, String)> = my_sites(state, caller)
        .await?
        .into_iter()
        .map(|(u, _)| (u.id.get(), u.name))
        .collect();
    let site = match q.site {
        Some(id) => Some(
            sites
                .iter()
                .find(|(s, _)| *s == id)
                .cloned()
                .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "forbidden"))?,
        ),
        None => sites.first().cloned(),
    };
    let day = day_of(q);
    let mut table = Table {
        headers: COLUMNS
            .iter()
            .map(|c| w.l(format!("queue.tickets.col.{c}")))
            .collect(),
        rows: Vec::new(),
    };
    if let (Some((id, _)), Some(day)) = (&site, day) {
        table.rows = queue::tickets_of_day(&state.db.read()?, UnitId(*id), day)
            .await?
            .iter()
            .map(|d| cells(w, d))
            .collect();
    }
    Ok(Listed {
        sites,
        site,
        day,
        table,
    })
}

#[derive(Template)]
#[template(path = "console_queue_tickets.html")]
struct TicketsPage {
    frame: Frame,
    w: Words,
    title: String,
    sites: Vec<(i64, String)>,
    site: Option<(i64, String)>,
    /// The day in the date picker (what was typed, when it is not a date).
    day: String,
    today: String,
    count: String,
    table: Table,
    csv_url: String,
    xlsx_url: String,
    error: Option<String>,
}

/// The list of a site's tickets of a day.
pub(super) async fn tickets_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<TicketsQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = crate::pages::console_gate(&caller, QUEUE_STAFF)? {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let l = list(&state, &caller, &w, &q).await?;
    let today = today();
    let title = match l.day {
        Some(d) if d != today => tf(lang, "queue.tickets.title_day", &[("date", w.date(&d))]),
        _ => w.l("queue.tickets.today"),
    };
    let error = l.day.is_none().then(|| w.l("queue.tickets.bad_day"));
    let day = match l.day {
        Some(d) => d.to_string(),
        None => q.day.clone().unwrap_or_default().chars().take(20).collect(),
    };
    let file = |ext: &str| match &l.site {
        Some((id, _)) => format!(
            "/console/counters/tickets.{ext}?site={id}&day={}{}",
            urlencode(&day),
            lang_param(lang)
        ),
        None => String::new(),
    };
    let page = TicketsPage {
        frame: Frame::new(lang, state.district_name()),
        title,
        sites: l.sites,
        count: tf(
            lang,
            "queue.tickets.count",
            &[("n", l.table.rows.len().to_string())],
        ),
        csv_url: file("csv"),
        xlsx_url: file("xlsx"),
        site: l.site,
        day,
        today: today.to_string(),
        table: l.table,
        error: error.clone(),
        w,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(page, None, status)
}

/// The files carry the page's language, so their columns read as the page's.
fn lang_param(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "",
        Lang::En => "&lang=en",
    }
}

async fn download(
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    q: TicketsQuery,
    format: FileFormat,
) -> Result<Response, ApiError> {
    // `list` answers nobody signed in with a 401 and a caller without a queue role with a 403.
    let lang = crate::http::lang_from(&uri, &headers);
    let l = list(&state, &caller, &Words::new(lang), &q).await?;
    let Some(day) = l.day else {
        return Err(ApiError::invalid_field("day", "date"));
    };
    let Some((site, _)) = l.site else {
        return Err(ApiError::not_found());
    };
    respond(&l.table, &format!("tickets-{site}-{day}"), format)
}

/// The list as CSV (UTF-8 with a byte-order mark).
pub(super) async fn tickets_csv(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<TicketsQuery>,
) -> Result<Response, ApiError> {
    download(state, caller, headers, uri, q, FileFormat::Csv).await
}

/// The list as XLSX.
pub(super) async fn tickets_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<TicketsQuery>,
) -> Result<Response, ApiError> {
    download(state, caller, headers, uri, q, FileFormat::Xlsx).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_day_is_today_by_default_and_a_bad_one_is_none() {
        let q = |d: Option<&str>| TicketsQuery {
            site: None,
            day: d.map(str::to_owned),
        };
        assert_eq!(day_of(&q(None)), Some(today()));
        assert_eq!(day_of(&q(Some(" "))), Some(today()));
        assert_eq!(
            day_of(&q(Some("2026-03-02"))),
            NaiveDate::from_ymd_opt(2026, 3, 2)
        );
        assert_eq!(day_of(&q(Some("2026-13-02"))), None);
        assert_eq!(day_of(&q(Some("yesterday"))), None);
    }

    #[test]
    fn priority_classes_and_steps_read_in_words() {
        let w = Words::new(Lang::ZhCn);
        assert_eq!(priority(&w, PRIORITY_GREEN), "绿色通道");
        assert_eq!(priority(&w, 7), "7");
        assert_eq!(clock(None), "");
        let at = DateTime::parse_from_rfc3339("2026-03-02T01:31:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(clock(Some(at)), "09:31:05");
        assert_eq!(
            COLUMNS.len(),
            cells(
                &w,
                &DayTicket {
                    ticket: zhengwu_store::queue::Ticket {
                        id: 1,
                        site_id: 1,
                        group_id: 1,
                        day: at.date_naive(),
                        number: "A001".into(),
                        priority: 0,
                        status: zhengwu_store::queue::TicketStatus::Waiting,
                        counter_id: None,
                        joined_at: at,
                        called_at: None,
                        started_at: None,
                        finished_at: None,
                        outcome: None,
                        appointment_id: None,
                        mobile: None,
                    },
                    group_code: "A".into(),
                    group_name: "综合业务".into(),
                    counter: None,
                }
            )
            .len()
        );
    }
}

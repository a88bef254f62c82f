//! Two more faces of the site on the shared layout: the 24-hour kiosk (`/kiosk`: large type,
//! large targets, at most six choices, always a way home, an idle timeout that forgets what
//! was typed) and the leaders' dashboard (`/dashboard`: a few big numbers with links to the
//! lists behind them). The hall display boards come with the queue.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use zhengwu_core::calendar::district_offset;
use zhengwu_core::roles::Role;
use zhengwu_store::notify::{self, Status};
use zhengwu_store::org::{self, UnitFilter, UnitKind, WindowKind};

use super::Frame;
use super::console::render;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::{t, tf};
use crate::startup::AppState;

/// Roles that read the dashboard.
pub const DASHBOARD_READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Leader];

/// Seconds without a touch before the kiosk starts over.
const KIOSK_IDLE_SECONDS: u32 = 90;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kiosk", get(kiosk))
        .route("/kiosk/hours", get(kiosk_hours))
        .route("/dashboard", get(dashboard))
        .route("/board/{hall}", get(board))
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    frame: Frame,
    hall: String,
    now: String,
    hours_label: String,
    hours: String,
    calls_label: String,
    no_calls: String,
    calls: Vec<zhengwu_store::queue::Call>,
}

/// A hall's display board: its name, the clock, today's hours; the latest calls appear here
/// once the queue issue lands (the frame and its contrast are in place now).
async fn board(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    crate::error::ApiPath(hall): crate::error::ApiPath<i64>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(&uri, &headers);
    let unit = org::get_unit(state.db.conn(), zhengwu_core::ids::UnitId(hall)).await?;
    if unit.kind != UnitKind::Hall && unit.kind != UnitKind::Station {
        return Err(ApiError::not_found());
    }
    let now = Utc::now().with_timezone(&district_offset());
    let periods = org::site_hours(state.db.conn(), unit.id)
        .await?
        .open_on(now.date_naive(), &state.calendar());
    let mut frame = Frame::new(lang, t(lang, "page.title"));
    frame.face = "board";
    let page = BoardPage {
        frame,
        hall: unit.name,
        now: now.format("%H:%M:%S").to_string(),
        hours_label: t(lang, "page.board.hours"),
        hours: if periods.is_empty() {
            t(lang, "page.home.closed")
        } else {
            periods
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("，")
        },
        calls_label: t(lang, "page.board.calls"),
        no_calls: t(lang, "page.board.no_calls"),
        calls: zhengwu_store::queue::recent_calls(state.db.conn(), unit.id, 8).await?,
    };
    render(page, None, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "kiosk.html")]
struct KioskPage {
    frame: Frame,
    title: String,
    home_label: String,
    choices: Vec<(String, String)>,
    halls: Vec<(String, String, bool)>,
    idle_seconds: u32,
    idle_note: String,
}

fn kiosk_page(state: &AppState, headers: &HeaderMap, uri: &Uri, title_key: &str) -> KioskPage {
    let lang = crate::http::lang_from(uri, headers);
    let mut frame = Frame::new(lang, state.district_name());
    frame.face = "kiosk";
    let other = frame.other_lang;
    KioskPage {
        frame,
        title: t(lang, title_key),
        home_label: t(lang, "page.kiosk.home"),
        choices: vec![
            (t(lang, "page.kiosk.guide"), "/kiosk/guide".to_owned()),
            (t(lang, "page.kiosk.ticket"), "/kiosk/ticket".to_owned()),
            (t(lang, "page.kiosk.hours"), "/kiosk/hours".to_owned()),
            // At most six choices: booking takes the place of the portal's sign-in (the kiosk
            // signs residents in where a task needs it, and out again when it is done) and
            // check-in for appointments the portal's.
            (t(lang, "kiosk_book.home_choice"), "/kiosk/book".to_owned()),
            (t(lang, "checkin.title"), "/kiosk/checkin".to_owned()),
            (
                t(lang, "page.kiosk.language"),
                format!("/kiosk?lang={other}"),
            ),
        ],
        halls: Vec::new(),
        idle_seconds: KIOSK_IDLE_SECONDS,
        idle_note: tf(
            lang,
            "page.kiosk.idle",
            &[("seconds", KIOSK_IDLE_SECONDS.to_string())],
        ),
    }
}

async fn kiosk(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    render(
        kiosk_page(&state, &headers, &uri, "page.kiosk.title"),
        None,
        StatusCode::OK,
    )
}

async fn kiosk_hours(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(&uri, &headers);
    let mut page = kiosk_page(&state, &headers, &uri, "page.kiosk.hours");
    let today = Utc::now().with_timezone(&district_offset()).date_naive();
    let cal = state.calendar();
    for (h, hours) in org::site_hours_of_kind(state.db.conn(), UnitKind::Hall).await? {
        let periods = hours.open_on(today, &cal);
        let text = if periods.is_empty() {
            t(lang, "page.home.closed")
        } else {
            periods
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("，")
        };
        page.halls.push((h.name, text, !periods.is_empty()));
    }
    render(page, None, StatusCode::OK)
}

struct Figure {
    value: String,
    label: String,
    link: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    frame: Frame,
    title: String,
    as_of: String,
    figures: Vec<Figure>,
    details_label: String,
    coming: String,
}

async fn dashboard(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if let Some(r) = super::console_gate(&caller, DASHBOARD_READERS)? {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let db = state.db.conn();
    let units = org::list_units(db, &UnitFilter::default()).await?;
    let now = Utc::now().with_timezone(&district_offset());
    let cal = state.calendar();
    let minute = now.time();
    let minutes = (chrono::Timelike::hour(&minute) * 60 + chrono::Timelike::minute(&minute)) as u16;
    let stations: Vec<_> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Station)
        .collect();
    let open_now = org::site_hours_of_kind(db, UnitKind::Station)
        .await?
        .iter()
        .filter(|(_, h)| {
            h.open_on(now.date_naive(), &cal)
                .iter()
                .any(|p| p.start() <= minutes && minutes < p.end())
        })
        .count();
    let count = |k: UnitKind| units.iter().filter(|u| u.kind == k).count();
    let staff = zhengwu_store::identity::list_staff(db).await?.len();
    let waiting = notify::count(db, Status::Pending).await?;
    let fig = |value: String, key: &str, link: &str| Figure {
        value,
        label: t(lang, key),
        link: link.to_owned(),
    };
    let mut frame = Frame::new(lang, t(lang, "page.title"));
    frame.face = "dashboard";
    let page = DashboardPage {
        frame,
        title: t(lang, "page.dashboard.title"),
        as_of: tf(
            lang,
            "page.dashboard.as_of",
            &[("time", now.format("%Y-%m-%d %H:%M").to_string())],
        ),
        figures: vec![
            fig(
                count(UnitKind::Hall).to_string(),
                "page.dashboard.halls",
                "/api/v1/units?kind=hall",
            ),
            fig(
                units
                    .iter()
                    .filter(|u| u.window_kind == Some(WindowKind::Comprehensive))
                    .count()
                    .to_string(),
                "page.dashboard.comprehensive",
                "/api/v1/units?kind=window",
            ),
            fig(
                stations.len().to_string(),
                "page.dashboard.stations",
                "/api/v1/units?kind=station",
            ),
            fig(
                stations.iter().filter(|s| s.is_model).count().to_string(),
                "page.dashboard.model_stations",
                "/api/v1/units?kind=station",
            ),
            fig(open_now.to_string(), "page.dashboard.open_now", "/"),
            fig(staff.to_string(), "page.dashboard.staff", ""),
            fig(waiting.to_string(), "page.dashboard.outbox", ""),
        ],
        details_label: t(lang, "page.dashboard.details"),
        coming: t(lang, "page.dashboard.coming"),
    };
    render(page, None, StatusCode::OK)
}

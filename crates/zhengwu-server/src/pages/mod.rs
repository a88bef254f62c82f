//! Server-rendered pages (askama). The public portal's home page shows the district's center,
//! its halls and its community stations with today's opening; later issues add the kiosk,
//! consoles, dashboard and boards on the same base layout.

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use zhengwu_core::calendar::district_offset;
use zhengwu_store::org::{self, UnitFilter, UnitKind, WindowKind};

use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .merge(console::router())
        .merge(citizens::router())
        .merge(signin::router())
        .merge(faces::router())
        .merge(guide::router())
        .merge(catalog_admin::router())
        .merge(queue::router())
        .merge(booking::router())
        .merge(appeals::router())
        .merge(cases_portal::router())
        .merge(cases_console::router())
        .route("/static/zhengwu.css", get(stylesheet))
        .layer(axum::middleware::from_fn(remember_lang))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/zhengwu.css"),
    )
}

pub mod appeals;
pub mod booking;
pub mod cases_console;
pub mod cases_portal;
pub mod catalog_admin;
pub mod citizens;
pub mod console;
pub mod download;
pub mod faces;
pub mod guide;
pub(crate) mod kiosk_signin;
pub mod queue;
pub mod signin;

/// What every page's frame needs.
pub(crate) struct Frame {
    /// Which face of the site: `portal`, `kiosk`, `console`, `dashboard`, `board`.
    pub(crate) face: &'static str,
    lang_tag: &'static str,
    other_lang: &'static str,
    lang_switch: String,
    site_title: String,
    skip_text: String,
    district_name: String,
}

impl Frame {
    pub(crate) fn new(lang: Lang, district_name: String) -> Self {
        Self {
            face: "portal",
            lang_tag: lang.tag(),
            other_lang: match lang {
                Lang::ZhCn => "en",
                Lang::En => "zh-CN",
            },
            lang_switch: t(lang, "page.lang_switch"),
            site_title: t(lang, "page.title"),
            skip_text: t(lang, "page.skip"),
            district_name,
        }
    }
}

struct HallCard {
    name: String,
    windows: usize,
    comprehensive: usize,
    open: bool,
    hours: String,
}

struct StationRow {
    name: String,
    model: bool,
    open: bool,
    hours: String,
}

struct SubdistrictBlock {
    name: String,
    stations: Vec<StationRow>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    lead: String,
    today_label: String,
    today: String,
    day_kind: String,
    empty: bool,
    empty_text: String,
    center_label: String,
    center_name: String,
    center_address: String,
    halls_label: String,
    halls: Vec<HallCard>,
    windows_label: String,
    comprehensive_label: String,
    open_label: String,
    closed_label: String,
    stations_label: String,
    stations_lead: String,
    subdistricts: Vec<SubdistrictBlock>,
    model_label: String,
    api_label: String,
    guide_label: String,
    appeal_new_label: String,
    appeal_track_label: String,
}

fn join_periods(p: &[zhengwu_core::hours::Period]) -> String {
    p.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("，")
}

async fn home(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let lang = crate::http::request_lang(&req);
    let db = state.db.conn();
    let units = org::list_units(db, &UnitFilter::default()).await?;
    let cal = state.calendar();
    let today = Utc::now().with_timezone(&district_offset()).date_naive();
    let of_kind = |k: UnitKind| units.iter().filter(move |u| u.kind == k);
    let district = of_kind(UnitKind::District).next();
    let center = of_kind(UnitKind::Center).next();

    let hall_hours = org::site_hours_of_kind(db, UnitKind::Hall).await?;
    let station_hours = org::site_hours_of_kind(db, UnitKind::Station).await?;
    let hours_of = |list: &[(org::Unit, org::SiteHours)], id| {
        list.iter()
            .find(|(u, _)| u.id == id)
            .map(|(_, h)| h.open_on(today, &cal))
            .unwrap_or_default()
    };
    let mut halls = Vec::new();
    for h in of_kind(UnitKind::Hall) {
        let windows: Vec<_> = of_kind(UnitKind::Window)
            .filter(|w| w.parent_id == Some(h.id))
            .collect();
        let periods = hours_of(&hall_hours, h.id);
        halls.push(HallCard {
            name: h.name.clone(),
            windows: windows.len(),
            comprehensive: windows
                .iter()
                .filter(|w| w.window_kind == Some(WindowKind::Comprehensive))
                .count(),
            open: !periods.is_empty(),
            hours: join_periods(&periods),
        });
    }
    let mut subdistricts = Vec::new();
    for sd in of_kind(UnitKind::Subdistrict) {
        let prefix_communities: Vec<_> = of_kind(UnitKind::Community)
            .filter(|c| c.parent_id == Some(sd.id))
            .map(|c| c.id)
            .collect();
        let mut stations = Vec::new();
        for s in of_kind(UnitKind::Station).filter(|s| {
            s.parent_id == Some(sd.id)
                || s.parent_id.is_some_and(|p| prefix_communities.contains(&p))
        }) {
            let periods = hours_of(&station_hours, s.id);
            stations.push(StationRow {
                name: s.name.clone(),
                model: s.is_model,
                open: !periods.is_empty(),
                hours: join_periods(&periods),
            });
        }
        subdistricts.push(SubdistrictBlock {
            name: sd.name.clone(),
            stations,
        });
    }
    let count = |k| of_kind(k).count();
    let frame = Frame::new(
        lang,
        district.map_or_else(|| t(lang, "page.title"), |d| d.name.clone()),
    );
    let page = HomePage {
        frame,
        lead: t(lang, "page.home.lead"),
        today_label: t(lang, "page.home.today"),
        today: match lang {
            Lang::ZhCn => today.format("%Y年%m月%d日").to_string(),
            Lang::En => today.format("%Y-%m-%d").to_string(),
        },
        day_kind: match cal.day(today) {
            d if d.working_day => t(lang, "page.home.working_day"),
            d => match d.name {
                Some(n) => format!("{} · {n}", t(lang, "page.home.rest_day")),
                None => t(lang, "page.home.rest_day"),
            },
        },
        empty: center.is_none(),
        empty_text: t(lang, "page.home.empty"),
        center_label: t(lang, "page.home.center"),
        center_name: center.map(|c| c.name.clone()).unwrap_or_default(),
        center_address: center.and_then(|c| c.address.clone()).unwrap_or_default(),
        halls_label: t(lang, "page.home.halls"),
        halls,
        windows_label: t(lang, "page.home.windows"),
        comprehensive_label: t(lang, "page.home.comprehensive"),
        open_label: t(lang, "page.home.open"),
        closed_label: t(lang, "page.home.closed"),
        stations_label: t(lang, "page.home.stations"),
        stations_lead: tf(
            lang,
            "page.home.stations_lead",
            &[
                ("communities", count(UnitKind::Community).to_string()),
                ("stations", count(UnitKind::Station).to_string()),
                (
                    "model",
                    of_kind(UnitKind::Station)
                        .filter(|s| s.is_model)
                        .count()
                        .to_string(),
                ),
            ],
        ),
        subdistricts,
        model_label: t(lang, "page.home.model"),
        api_label: t(lang, "page.home.api"),
        guide_label: t(lang, "page.home.guide"),
        appeal_new_label: t(lang, "appeal.new.title"),
        appeal_track_label: t(lang, "appeal.track.title"),
    };
    let html = page
        .render()
        .map_err(|e| ApiError::internal(anyhow::Error::new(e)))?;
    Ok(Html(html).into_response())
}

/// Middleware for every page: `?lang=` switches the language and a cookie remembers it, so
/// the next page (a form's answer, a link followed) stays in that language.
async fn remember_lang(req: Request, next: axum::middleware::Next) -> Response {
    let asked = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("lang=")));
    let lang = crate::http::request_lang(&req);
    let mut res = next.run(req).await;
    if asked {
        let cookie = format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.tag()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    frame: Frame,
    status: u16,
    title: String,
    detail: String,
    request_id: String,
    request_id_label: String,
    back_label: String,
}

/// The HTML error page, in the user's language, with the request id for support.
pub fn error_page(
    lang: Lang,
    status: StatusCode,
    title: &str,
    detail: &str,
    request_id: &str,
) -> Html<String> {
    let page = ErrorPage {
        frame: Frame::new(lang, t(lang, "page.title")),
        status: status.as_u16(),
        title: title.to_owned(),
        detail: detail.to_owned(),
        request_id: request_id.to_owned(),
        request_id_label: t(lang, "page.error.request_id"),
        back_label: t(lang, "page.error.back"),
    };
    Html(
        page.render()
            .unwrap_or_else(|_| format!("{} {title}", status.as_u16())),
    )
}

/// The gate of a console page: nobody signed in is sent to the login page (`Some`), a caller
/// without one of `roles` gets a 403, anyone else is let in (`None`).
pub(crate) fn console_gate(
    caller: &crate::auth::Caller,
    roles: &[zhengwu_core::roles::Role],
) -> Result<Option<Response>, ApiError> {
    if matches!(caller, crate::auth::Caller::Anonymous) {
        return Ok(Some(
            axum::response::Redirect::to("/console/login").into_response(),
        ));
    }
    caller.require(roles)?;
    Ok(None)
}

/// Percent-encodes a value for a URL's path or query (every byte but the unreserved ones).
pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

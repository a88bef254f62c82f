//! Appointments, check-in, urgent requests and ratings in the browser (issue 6), on the same
//! functions as `/api/v1/booking` and `/api/v1/ratings`: book a slot from an item's page
//! (`/book`), the confirmation and managing page (`/appointments/{code}`), an urgent request
//! (`/urgent`), the kiosk's check-in (`/kiosk/checkin`) and booking at the kiosk (`/kiosk/book`,
//! signed in on the terminal and signed out once booked), the rating of a finished service
//! (`/rate/{ticket}`), and the staff's lists (`/console/appointments`, `/console/urgent`,
//! `/console/rectifications`). Every form works without JavaScript; a successful post
//! redirects (post/redirect/get), a refused one shows the reason next to the form.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, Datelike, Utc};
use zhengwu_core::calendar::district_offset;
use zhengwu_core::catalog::Item;
use zhengwu_store::booking::{self, Day};
use zhengwu_store::org::{self, UnitFilter, UnitKind};

use crate::error::ApiError;
use crate::i18n::{Lang, t};
use crate::startup::AppState;

mod console;
mod kiosk;
mod kiosk_book;
mod mine;
mod portal;

pub(crate) use mine::{MeBooking, me_booking};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/book", get(portal::book_page).post(portal::book_submit))
        .route("/appointments/{code}", get(portal::appointment_page))
        .route(
            "/appointments/{code}/cancel",
            axum::routing::post(portal::cancel_submit),
        )
        .route(
            "/appointments/{code}/reschedule",
            axum::routing::post(portal::reschedule_submit),
        )
        .route(
            "/appointments/{code}/arrive",
            axum::routing::post(portal::arrive_submit),
        )
        .route("/urgent", get(mine::urgent_page).post(mine::urgent_submit))
        .route(
            "/kiosk/checkin",
            get(kiosk::checkin_page).post(kiosk::checkin_submit),
        )
        .route(
            "/kiosk/book",
            get(kiosk_book::book_page).post(kiosk_book::book_submit),
        )
        .route(
            "/kiosk/book/code",
            axum::routing::post(kiosk_book::send_code),
        )
        .route(
            "/kiosk/book/verify",
            axum::routing::post(kiosk_book::verify),
        )
        .route(
            "/kiosk/book/signout",
            axum::routing::post(kiosk_book::signout),
        )
        .route(
            "/rate/{ticket}",
            get(kiosk::rate_page).post(kiosk::rate_submit),
        )
        .route(
            "/console/appointments",
            get(console::appointments_page).post(console::phone_book),
        )
        .route(
            "/console/urgent",
            get(console::urgent_page).post(console::urgent_decide),
        )
        .route(
            "/console/rectifications",
            get(console::rect_page).post(console::rect_close),
        )
}

/// An instant the way the page's language writes it: `2026年12月01日 09:30`, or ISO.
pub(crate) fn when(lang: Lang, at: DateTime<Utc>) -> String {
    match lang {
        Lang::ZhCn => booking::fmt_local(at),
        Lang::En => at
            .with_timezone(&district_offset())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    }
}

/// The local clock time of an instant, `09:30`.
fn clock(at: DateTime<Utc>) -> String {
    at.with_timezone(&district_offset())
        .format("%H:%M")
        .to_string()
}

/// A refusal to show next to the form (a rule broken: 422), or an error for the error page.
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

/// One slot as a button: its start (the value posted), its time and the places left.
pub(crate) struct SlotView {
    pub(crate) value: String,
    pub(crate) time: String,
    pub(crate) left: i32,
}

/// One day of slots.
pub(crate) struct DayView {
    pub(crate) label: String,
    pub(crate) open: bool,
    pub(crate) note: String,
    pub(crate) slots: Vec<SlotView>,
}

fn weekday(lang: Lang, d: chrono::NaiveDate) -> String {
    let n = d.weekday().num_days_from_monday();
    t(lang, &format!("booking.weekday.{n}"))
}

fn day_views(lang: Lang, days: &[Day]) -> Vec<DayView> {
    days.iter()
        .map(|d| DayView {
            label: match lang {
                Lang::ZhCn => format!(
                    "{}月{}日 {}",
                    d.date.month(),
                    d.date.day(),
                    weekday(lang, d.date)
                ),
                Lang::En => format!("{} {}", weekday(lang, d.date), d.date.format("%Y-%m-%d")),
            },
            open: d.open,
            note: d.note.clone().unwrap_or_default(),
            slots: d
                .slots
                .iter()
                .map(|s| SlotView {
                    value: s.starts_at.to_rfc3339(),
                    time: format!("{}–{}", clock(s.starts_at), clock(s.ends_at)),
                    left: s.available,
                })
                .collect(),
        })
        .collect()
}

/// A site where an item can be done.
pub(crate) struct SiteChoice {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) address: String,
    pub(crate) station: bool,
}

/// The halls and stations that handle `item` and have a group for it, halls first.
async fn sites_for_item(state: &AppState, item: &Item) -> Result<Vec<SiteChoice>, ApiError> {
    let db = state.db.conn();
    let mut out = Vec::new();
    for kind in [UnitKind::Hall, UnitKind::Station] {
        let units = org::list_units(
            db,
            &UnitFilter {
                kind: Some(kind),
                ..Default::default()
            },
        )
        .await?;
        for u in units {
            if booking::group_for_item(db, &u, item).await.is_ok() {
                out.push(SiteChoice {
                    id: u.id.get(),
                    name: u.name.clone(),
                    address: u.address.clone().unwrap_or_default(),
                    station: kind == UnitKind::Station,
                });
            }
        }
    }
    Ok(out)
}

/// Every hall and station, halls first.
async fn all_sites(state: &AppState) -> Result<Vec<(i64, String)>, ApiError> {
    let mut out = Vec::new();
    for kind in [UnitKind::Hall, UnitKind::Station] {
        out.extend(
            org::list_units(
                state.db.conn(),
                &UnitFilter {
                    kind: Some(kind),
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .map(|u| (u.id.get(), u.name)),
        );
    }
    Ok(out)
}

/// A unit's name, or its id when it is gone.
async fn unit_name(state: &AppState, id: i64) -> String {
    org::get_unit(state.db.conn(), zhengwu_core::ids::UnitId(id))
        .await
        .map_or_else(|_| id.to_string(), |u| u.name)
}

/// An item's name from the guide's catalog, or its code.
fn item_name(state: &AppState, code: &str) -> String {
    state
        .guide
        .item(code)
        .map_or_else(|| code.to_owned(), |i| i.name)
}

/// A relative URL inside the site (for `next=`): a path, never another host.
pub(crate) fn local_path(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

//! The resident's side: choose a site and a slot (`/book`), the confirmation and managing page
//! (`/appointments/{code}`: cancel, move, the calendar file).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::ids::UnitId;
use zhengwu_store::booking::Day;
use zhengwu_store::{booking, catalog, org};

use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::{DayView, SiteChoice, day_views, inline, sites_for_item, status_of, when};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::booking::{NewBooking, may_act, rule_for, view};
use crate::i18n::Lang;
use crate::startup::AppState;

/// How many days the slot pages show at once.
const DAYS_SHOWN: i64 = 7;

#[derive(Debug, Default, Deserialize)]
pub(super) struct BookQuery {
    #[serde(default)]
    item: Option<String>,
    #[serde(default)]
    site: Option<i64>,
    #[serde(default)]
    from: Option<NaiveDate>,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    frame: Frame,
    w: Words,
    csrf: String,
    item_code: String,
    item_name: String,
    bookable: bool,
    sites: Vec<SiteChoice>,
    site: Option<(i64, String)>,
    days: Vec<DayView>,
    from: String,
    prev: Option<String>,
    next: Option<String>,
    signed_in: bool,
    signin_url: String,
    error: Option<String>,
}

fn book_url(item: &str, site: Option<i64>, from: Option<NaiveDate>) -> String {
    let mut u = format!("/book?item={}", urlencode(item));
    if let Some(s) = site {
        u.push_str(&format!("&site={s}"));
    }
    if let Some(f) = from {
        u.push_str(&format!("&from={f}"));
    }
    u
}

pub(super) fn signin_url(next: &str) -> String {
    format!("/signin?next={}", urlencode(next))
}

/// Some days of a site's slots for an item, by its group's booking rule.
pub(super) struct Span {
    /// The days asked for, with their slots (none past the horizon).
    pub(super) days: Vec<Day>,
    /// The first day shown (today when the day asked for lies outside today … `last`), and the
    /// last day asked for (it may lie past `last`).
    pub(super) from: NaiveDate,
    pub(super) to: NaiveDate,
    pub(super) today: NaiveDate,
    /// The last day the rule lets anyone book.
    pub(super) last: NaiveDate,
}

/// `span` days from `from` (today at the earliest, within the rule's horizon) with their
/// slots: the rule of the group that takes `item` at `site` and the store's availability, as
/// the booking itself checks them. The portal's week and the kiosk's days and slots.
pub(super) async fn span(
    state: &AppState,
    site: &org::Unit,
    item: &str,
    from: Option<NaiveDate>,
    span: i64,
) -> Result<Span, ApiError> {
    let (rule, _) = rule_for(state, site, Some(item), None).await?;
    let now = Utc::now();
    let today = local_date_minute(now).0;
    let last = today + Duration::days(i64::from(rule.settings.horizon_days));
    let from = from.filter(|f| *f >= today && *f <= last).unwrap_or(today);
    let to = from + Duration::days(span - 1);
    let days = booking::availability(
        state.db.conn(),
        &rule,
        &state.calendar(),
        from,
        to.min(last),
        now,
    )
    .await?;
    Ok(Span {
        days,
        from,
        to,
        today,
        last,
    })
}

/// The days from `from` (today at the earliest) with their slots, and the links to the
/// previous and next week within the rule's horizon.
async fn week(
    state: &AppState,
    lang: Lang,
    site: &org::Unit,
    item: &str,
    from: Option<NaiveDate>,
    url: impl Fn(NaiveDate) -> String,
) -> Result<(Vec<DayView>, NaiveDate, Option<String>, Option<String>), ApiError> {
    let s = span(state, site, item, from, DAYS_SHOWN).await?;
    let prev = (s.from > s.today).then(|| url((s.from - Duration::days(DAYS_SHOWN)).max(s.today)));
    let next = (s.to < s.last).then(|| url(s.to + Duration::days(1)));
    Ok((day_views(lang, &s.days), s.from, prev, next))
}

#[allow(clippy::too_many_arguments)]
async fn book_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    code: &str,
    site: Option<i64>,
    from: Option<NaiveDate>,
    mut error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let item = catalog::published_item(state.db.conn(), code)
        .await
        .map_err(|_| ApiError::not_found())?;
    let mut page = BookPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        csrf: csrf.token.clone(),
        item_code: item.code.clone(),
        item_name: item.name.clone(),
        bookable: item.bookable,
        sites: Vec::new(),
        site: None,
        days: Vec::new(),
        from: String::new(),
        prev: None,
        next: None,
        signed_in: matches!(caller, Caller::Applicant(_)),
        signin_url: signin_url(&book_url(&item.code, site, from)),
        error: None,
    };
    if item.bookable {
        match site {
            None => page.sites = sites_for_item(state, &item).await?,
            Some(id) => {
                let unit = org::get_unit(state.db.conn(), UnitId(id))
                    .await
                    .map_err(|_| ApiError::not_found())?;
                page.site = Some((id, unit.name.clone()));
                let url = |d: NaiveDate| book_url(&item.code, Some(id), Some(d));
                match week(state, lang, &unit, &item.code, from, url).await {
                    Ok((days, from, prev, next)) => {
                        page.days = days;
                        page.from = from.to_string();
                        page.prev = prev;
                        page.next = next;
                    }
                    Err(e) => error = error.or(Some(inline(e, lang)?)),
                }
            }
        }
    }
    let status = status_of(&error);
    page.error = error;
    render(page, Some(&csrf), status)
}

/// Choose the site, then a slot of the next days.
pub(super) async fn book_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<BookQuery>,
) -> Result<Response, ApiError> {
    let Some(code) = q.item.filter(|c| !c.trim().is_empty()) else {
        return Ok(Redirect::to("/guide").into_response());
    };
    book_view(
        &state,
        &caller,
        &headers,
        &uri,
        code.trim(),
        q.site,
        q.from,
        None,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct BookForm {
    #[serde(default)]
    csrf: String,
    item: String,
    site: i64,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    starts_at: String,
}

pub(super) fn parse_instant(s: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ApiError::invalid_field("starts_at", "required"))
}

/// Books the chosen slot for the signed-in applicant; the confirmation page follows.
pub(super) async fn book_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<BookForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let from = f.from.as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
    if matches!(caller, Caller::Anonymous) {
        let back = book_url(&f.item, Some(f.site), from);
        return Ok(Redirect::to(&signin_url(&back)).into_response());
    }
    let booked = match parse_instant(&f.starts_at) {
        Ok(starts_at) => {
            crate::http::booking::book(
                &state,
                &caller,
                &ip,
                NewBooking {
                    site: f.site,
                    item: f.item.clone(),
                    starts_at,
                    channel: None,
                    mobile: None,
                    person: None,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match booked {
        Ok(v) => {
            let (_, token) = booking::by_code(state.db.conn(), &v.appointment.code).await?;
            Ok(Redirect::to(&format!(
                "/appointments/{}?t={}",
                v.appointment.code,
                urlencode(&token)
            ))
            .into_response())
        }
        Err(e) => {
            let msg = inline(e, lang)?;
            book_view(
                &state,
                &caller,
                &headers,
                &uri,
                &f.item,
                Some(f.site),
                from,
                Some(msg),
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AppointmentQuery {
    #[serde(default)]
    t: Option<String>,
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    from: Option<NaiveDate>,
}

#[derive(Template)]
#[template(path = "appointment.html")]
struct AppointmentPage {
    frame: Frame,
    w: Words,
    csrf: String,
    code: String,
    token: String,
    status: String,
    status_text: String,
    site_name: String,
    item_name: String,
    time: String,
    channel_text: String,
    ics_url: String,
    manage_url: String,
    can_change: bool,
    ticket_url: Option<String>,
    days: Vec<DayView>,
    prev: Option<String>,
    next: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

pub(super) fn manage_url(code: &str, token: Option<&str>) -> String {
    match token {
        Some(t) => format!("/appointments/{}?t={}", urlencode(code), urlencode(t)),
        None => format!("/appointments/{}", urlencode(code)),
    }
}

#[allow(clippy::too_many_arguments)]
async fn appointment_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    code: &str,
    token: Option<&str>,
    from: Option<NaiveDate>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let db = state.db.conn();
    let (a, _) = booking::by_code(db, code)
        .await
        .map_err(|_| ApiError::not_found())?;
    may_act(state, caller, &a, token).await?;
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let can_change = a.status == booking::BOOKED && !a.urgent;
    let (mut days, mut prev, mut next) = (Vec::new(), None, None);
    if can_change {
        let site = org::get_unit(db, UnitId(a.site_id)).await?;
        let base = manage_url(&a.code, token);
        let sep = if token.is_some() { '&' } else { '?' };
        let url = |d: NaiveDate| format!("{base}{sep}from={d}#move");
        // A site that no longer takes the item: nothing to move to, the rest still shown.
        if let Ok((d, _, p, n)) = week(state, lang, &site, &a.item_code, from, url).await {
            (days, prev, next) = (d, p, n);
        }
    }
    let ticket_url = match a.ticket_id {
        Some(id) => Some(format!(
            "/ticket/{id}?t={}",
            urlencode(&zhengwu_store::queue::ticket_token(db, id).await?)
        )),
        None => None,
    };
    let v = view(state, a, token).await?;
    let a = &v.appointment;
    let page = AppointmentPage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        code: a.code.clone(),
        token: token.unwrap_or_default().to_owned(),
        status: a.status.clone(),
        status_text: w.l(format!("booking.status.{}", a.status)),
        site_name: v.site_name.clone(),
        item_name: v.item_name.clone(),
        time: format!("{}–{}", when(lang, a.starts_at), super::clock(a.ends_at)),
        channel_text: w.l(format!("booking.channel.{}", a.channel)),
        ics_url: v.ics_url.clone(),
        manage_url: manage_url(&a.code, token),
        can_change,
        ticket_url,
        days,
        prev,
        next,
        notice,
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The confirmation and managing page: by its link's secret, or for its holder signed in.
pub(super) async fn appointment_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<AppointmentQuery>,
) -> Result<Response, ApiError> {
    let token = q.t.as_deref().filter(|t| !t.is_empty());
    if token.is_none() && matches!(caller, Caller::Anonymous) {
        return Ok(Redirect::to(&signin_url(&manage_url(&code, None))).into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let notice = match q.done.as_deref() {
        Some("cancelled") => Some(crate::i18n::t(lang, "booking.cancelled")),
        Some("moved") => Some(crate::i18n::t(lang, "booking.moved")),
        _ => None,
    };
    appointment_view(
        &state, &caller, &headers, &uri, &code, token, q.from, notice, None,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    t: Option<String>,
    #[serde(default)]
    starts_at: String,
    /// The phone's position, filled in by the page's script when the holder says they arrived.
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lng: String,
}

/// What the holder does to an appointment from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Cancel,
    Move,
    /// "I am here": checked in by the phone's position.
    Arrive,
}

#[allow(clippy::too_many_arguments)]
async fn change(
    state: AppState,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    code: String,
    f: ChangeForm,
    what: Change,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let token = f.t.as_deref().filter(|t| !t.is_empty());
    let (a, _) = booking::by_code(state.db.conn(), &code)
        .await
        .map_err(|_| ApiError::not_found())?;
    let done = match what {
        Change::Move => match parse_instant(&f.starts_at) {
            Ok(at) => crate::http::booking::reschedule(&state, &caller, &ip, a.id, token, at)
                .await
                .map(|_| "moved"),
            Err(e) => Err(e),
        },
        Change::Cancel => crate::http::booking::cancel(&state, &caller, &ip, a.id, token)
            .await
            .map(|_| "cancelled"),
        Change::Arrive => match (f.lat.trim().parse::<f64>(), f.lng.trim().parse::<f64>()) {
            (Ok(lat), Ok(lng)) => {
                match crate::http::booking::arrive_at(&state, &caller, &ip, a.id, token, lat, lng)
                    .await
                {
                    Ok(c) => {
                        let t = zhengwu_store::queue::ticket_token(state.db.conn(), c.ticket.id)
                            .await?;
                        return Ok(Redirect::to(&format!(
                            "/ticket/{}?t={}",
                            c.ticket.id,
                            urlencode(&t)
                        ))
                        .into_response());
                    }
                    Err(e) => Err(e),
                }
            }
            _ => Err(ApiError::invalid_field("lat", "location_required")),
        },
    };
    match done {
        Ok(what) => {
            let base = manage_url(&code, token);
            let sep = if token.is_some() { '&' } else { '?' };
            Ok(Redirect::to(&format!("{base}{sep}done={what}")).into_response())
        }
        Err(e) => {
            let msg = inline(e, lang)?;
            appointment_view(
                &state,
                &caller,
                &headers,
                &uri,
                &code,
                token,
                None,
                None,
                Some(msg),
            )
            .await
        }
    }
}

/// Cancels (its holder up to the cut-off).
pub(super) async fn cancel_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
    axum::Form(f): axum::Form<ChangeForm>,
) -> Result<Response, ApiError> {
    change(state, caller, ip, headers, uri, code, f, Change::Cancel).await
}

/// Moves to another slot (its holder up to the cut-off).
pub(super) async fn reschedule_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
    axum::Form(f): axum::Form<ChangeForm>,
) -> Result<Response, ApiError> {
    change(state, caller, ip, headers, uri, code, f, Change::Move).await
}

/// "I am here": the phone's position checks the holder in and shows the ticket.
pub(super) async fn arrive_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
    axum::Form(f): axum::Form<ChangeForm>,
) -> Result<Response, ApiError> {
    change(state, caller, ip, headers, uri, code, f, Change::Arrive).await
}

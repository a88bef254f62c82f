//! The staff's side: a site's appointments of a day with a form to book for someone on the
//! phone (`/console/appointments`), urgent requests to accept or decline (`/console/urgent`),
//! and the rectifications that bad ratings opened (`/console/rectifications`). Only the sites in
//! the staff member's scope.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::calendar::district_offset;
use zhengwu_core::ids::UnitId;
use zhengwu_core::roles::Role;
use zhengwu_store::{applicants, booking, org, ratings};

use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::{inline, item_name, status_of, unit_name, when};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::http::booking::{
    DecideBody, NewBooking, Person, URGENT_STAFF, decide, rule_for, visible_sites,
};
use crate::http::queue::QUEUE_STAFF;
use crate::http::ratings::{RECTIFY_STAFF, close};
use crate::i18n::Lang;
use crate::startup::AppState;

/// Staff with one of `roles`, the sites they see (id, name), or the way to the login page.
async fn sites_of(
    state: &AppState,
    caller: &Caller,
    roles: &[Role],
) -> Result<Result<Vec<(i64, String)>, Response>, ApiError> {
    if !matches!(caller, Caller::Staff(_)) {
        return Ok(Err(Redirect::to("/console/login").into_response()));
    }
    let mut out = Vec::new();
    for id in visible_sites(state, caller, roles).await? {
        out.push((id, unit_name(state, id).await));
    }
    Ok(Ok(out))
}

fn notice_of(q: Option<String>) -> Option<String> {
    q.map(|n| n.chars().take(120).collect())
}

/// The person an appointment or a request is for, masked: `张三 210203********1234`.
async fn person(state: &AppState, citizen: i64) -> String {
    applicants::get_citizen(state.db.conn(), citizen)
        .await
        .map_or_else(
            |_| citizen.to_string(),
            |c| format!("{} {}", c.name, c.id_number),
        )
}

struct AppointmentRow {
    time: String,
    code: String,
    person: String,
    mobile: String,
    item: String,
    channel: String,
    status: String,
}

/// What the phone booking form holds, kept when it is refused.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PhoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    site: Option<i64>,
    #[serde(default)]
    date: Option<NaiveDate>,
    #[serde(default)]
    item: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "console_appointments.html")]
struct AppointmentsPage {
    frame: Frame,
    w: Words,
    csrf: String,
    sites: Vec<(i64, String)>,
    site: i64,
    date: String,
    prev_day: String,
    next_day: String,
    rows: Vec<AppointmentRow>,
    form: PhoneForm,
    slots: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

async fn appointments_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    mut form: PhoneForm,
    mut error: Option<String>,
) -> Result<Response, ApiError> {
    let sites = match sites_of(state, caller, QUEUE_STAFF).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let db = state.db.conn();
    let site = form
        .site
        .filter(|s| sites.iter().any(|(id, _)| id == s))
        .or_else(|| sites.first().map(|(id, _)| *id))
        .unwrap_or_default();
    let date = form.date.unwrap_or_else(|| local_date_minute(Utc::now()).0);
    let mut rows = Vec::new();
    if site != 0 {
        for a in booking::of_site_on(db, UnitId(site), date).await? {
            rows.push(AppointmentRow {
                time: format!("{}–{}", super::clock(a.starts_at), super::clock(a.ends_at)),
                person: person(state, a.citizen_id).await,
                mobile: a.mobile.clone(),
                item: item_name(state, &a.item_code),
                channel: w.l(format!("booking.channel.{}", a.channel)),
                status: w.l(format!("booking.status.{}", a.status)),
                code: a.code,
            });
        }
    }
    // With an item named: the slots of that day for the phone booking.
    let mut slots = Vec::new();
    let item = form.item.trim().to_owned();
    if site != 0 && !item.is_empty() {
        let unit = org::get_unit(db, UnitId(site)).await?;
        let found = match rule_for(state, &unit, Some(&item), None).await {
            Ok((rule, _)) => {
                booking::availability(db, &rule, &state.calendar(), date, date, Utc::now())
                    .await
                    .map_err(ApiError::from)
            }
            Err(e) => Err(e),
        };
        match found {
            Ok(days) => {
                for s in days
                    .iter()
                    .flat_map(|d| d.slots.iter())
                    .filter(|s| s.available > 0)
                {
                    slots.push((
                        s.starts_at.to_rfc3339(),
                        format!(
                            "{}–{} · {} {}",
                            super::clock(s.starts_at),
                            super::clock(s.ends_at),
                            w.l("booking.left"),
                            s.available
                        ),
                    ));
                }
                if slots.is_empty() && error.is_none() {
                    error = Some(w.l("booking.no_slots"));
                }
            }
            Err(e) => error = error.or(Some(inline(e, lang)?)),
        }
    }
    let notice = notice_of(form.notice.take());
    form.item = item;
    let page = AppointmentsPage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        sites,
        site,
        date: date.to_string(),
        prev_day: (date - Duration::days(1)).to_string(),
        next_day: (date + Duration::days(1)).to_string(),
        rows,
        form,
        slots,
        notice,
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// A site's appointments of a day; with `item`, the form to book on the phone.
pub(super) async fn appointments_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<PhoneForm>,
) -> Result<Response, ApiError> {
    appointments_view(&state, &caller, &headers, &uri, q, None).await
}

/// Books for the person on the phone (channel `phone`).
pub(super) async fn phone_book(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<PhoneForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if !matches!(caller, Caller::Staff(_)) {
        return Ok(Redirect::to("/console/login").into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let site = f.site.unwrap_or_default();
    let booked = match chrono::DateTime::parse_from_rfc3339(f.starts_at.trim()) {
        Ok(at) => {
            crate::http::booking::book(
                &state,
                &caller,
                &ip,
                NewBooking {
                    site,
                    item: f.item.trim().to_owned(),
                    starts_at: at.with_timezone(&Utc),
                    channel: None,
                    mobile: None,
                    person: Some(Person {
                        name: f.name.clone(),
                        id_number: f.id_number.clone(),
                        mobile: f.mobile.clone(),
                    }),
                },
            )
            .await
        }
        Err(_) => Err(ApiError::invalid_field("starts_at", "required")),
    };
    match booked {
        Ok(v) => {
            let date = local_date_minute(v.appointment.starts_at).0;
            let notice = format!(
                "{} {}",
                crate::i18n::t(lang, "booking.booked"),
                v.appointment.code
            );
            Ok(Redirect::to(&format!(
                "/console/appointments?site={site}&date={date}&notice={}",
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(e) => {
            let msg = inline(e, lang)?;
            appointments_view(&state, &caller, &headers, &uri, f, Some(msg)).await
        }
    }
}

struct UrgentRow {
    id: i64,
    site: String,
    item: String,
    person: String,
    mobile: String,
    reason: String,
    filed: String,
    pending: bool,
    status: String,
    decision: String,
    decided_by: String,
}

/// What a staff member typed into one request's forms, kept when it is refused.
#[derive(Debug, Default, Deserialize)]
pub(super) struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: i64,
    #[serde(default)]
    action: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "console_urgent.html")]
struct UrgentPage {
    frame: Frame,
    w: Words,
    csrf: String,
    rows: Vec<UrgentRow>,
    /// The earliest time to offer (now, local), for the datetime input.
    now: String,
    form: DecideForm,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
}

async fn urgent_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    form: DecideForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let sites = match sites_of(state, caller, URGENT_STAFF).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let ids: Vec<i64> = sites.iter().map(|(id, _)| *id).collect();
    let mut list = booking::urgent_list(state.db.conn(), Some(&ids), None).await?;
    // Pending first; newest first within each.
    list.sort_by_key(|r| r.status != booking::PENDING);
    let mut rows = Vec::new();
    for r in list {
        rows.push(UrgentRow {
            id: r.id,
            site: sites
                .iter()
                .find(|(id, _)| *id == r.site_id)
                .map_or_else(String::new, |(_, n)| n.clone()),
            item: format!("{} {}", r.item_code, item_name(state, &r.item_code)),
            person: person(state, r.citizen_id).await,
            mobile: r.mobile.clone(),
            reason: r.reason.clone(),
            filed: when(lang, r.created_at),
            pending: r.status == booking::PENDING,
            status: w.l(format!("urgent.status.{}", r.status)),
            decision: r.decision.clone().unwrap_or_default(),
            decided_by: r.decided_by.clone().unwrap_or_default(),
        });
    }
    let now = Utc::now()
        .with_timezone(&district_offset())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let page = UrgentPage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        rows,
        now,
        form,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// Urgent requests of the staff member's sites, pending first.
pub(super) async fn urgent_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    urgent_view(
        &state,
        &caller,
        &headers,
        &uri,
        DecideForm::default(),
        q.notice,
        None,
    )
    .await
}

/// `2026-12-01T09:30` in the district's time.
fn local_input(s: &str) -> Option<chrono::DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M").ok()?;
    district_offset()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Accepts (with a time and a note) or declines (with the reason) one request.
pub(super) async fn urgent_decide(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<DecideForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if !matches!(caller, Caller::Staff(_)) {
        return Ok(Redirect::to("/console/login").into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let accept = f.action == "accept";
    let body = if accept {
        match local_input(&f.at) {
            Some(at) => Ok(DecideBody {
                accept,
                at: Some(at),
                note: Some(f.note.clone()),
                reason: None,
            }),
            None => Err(ApiError::invalid_field("at", "required")),
        }
    } else {
        Ok(DecideBody {
            accept,
            at: None,
            note: None,
            reason: Some(f.reason.clone()).filter(|r| !r.trim().is_empty()),
        })
    };
    let done = match body {
        Ok(b) => decide(&state, &caller, &ip, f.id, b).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(r) => {
            let notice = crate::i18n::t(lang, &format!("urgent.did.{}", r.status));
            Ok(
                Redirect::to(&format!("/console/urgent?notice={}", urlencode(&notice)))
                    .into_response(),
            )
        }
        Err(e) => {
            let msg = inline(e, lang)?;
            urgent_view(&state, &caller, &headers, &uri, f, None, Some(msg)).await
        }
    }
}

struct RectRow {
    id: i64,
    unit: String,
    site: String,
    open: bool,
    status: String,
    due: String,
    overdue: bool,
    level: String,
    reasons: String,
    comment: String,
    resolution: String,
    closed: String,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: i64,
    #[serde(default)]
    resolution: String,
}

#[derive(Template)]
#[template(path = "console_rectifications.html")]
struct RectPage {
    frame: Frame,
    w: Words,
    csrf: String,
    rows: Vec<RectRow>,
    form: CloseForm,
    notice: Option<String>,
    error: Option<String>,
}

fn date_text(lang: Lang, w: &Words, d: NaiveDate) -> String {
    match lang {
        Lang::ZhCn => w.date(&d),
        Lang::En => d.to_string(),
    }
}

async fn rect_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    form: CloseForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let sites = match sites_of(state, caller, RECTIFY_STAFF).await? {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let ids: Vec<i64> = sites.iter().map(|(id, _)| *id).collect();
    let today = local_date_minute(Utc::now()).0;
    let mut list = ratings::rectifications(state.db.conn(), Some(&ids), None).await?;
    list.sort_by_key(|r| (r.status != ratings::OPEN, r.due_on));
    let mut rows = Vec::new();
    for r in list {
        let open = r.status == ratings::OPEN;
        rows.push(RectRow {
            id: r.id,
            unit: unit_name(state, r.unit_id).await,
            site: sites
                .iter()
                .find(|(id, _)| *id == r.site_id)
                .map_or_else(String::new, |(_, n)| n.clone()),
            open,
            status: w.l(format!("rect.status.{}", r.status)),
            due: date_text(lang, &w, r.due_on),
            overdue: open && r.due_on < today,
            level: format!("{} {}", r.level, w.l(format!("rating.level.{}", r.level))),
            reasons: r.reasons.join(w.l("punct.list").as_str()),
            comment: r.comment.clone().unwrap_or_default(),
            resolution: r.resolution.clone().unwrap_or_default(),
            closed: match (&r.closed_by, r.closed_at) {
                (Some(by), Some(at)) => format!("{by} {}", when(lang, at)),
                _ => String::new(),
            },
        });
    }
    let page = RectPage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        rows,
        form,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The rectifications of the staff member's sites, open ones first by due date.
pub(super) async fn rect_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    rect_view(
        &state,
        &caller,
        &headers,
        &uri,
        CloseForm::default(),
        q.notice,
        None,
    )
    .await
}

/// Closes one with what was done.
pub(super) async fn rect_close(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<CloseForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if !matches!(caller, Caller::Staff(_)) {
        return Ok(Redirect::to("/console/login").into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    match close(&state, &caller, &ip, f.id, &f.resolution).await {
        Ok(()) => {
            let notice = crate::i18n::t(lang, "rect.closed");
            Ok(Redirect::to(&format!(
                "/console/rectifications?notice={}",
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(e) => {
            let msg = inline(e, lang)?;
            rect_view(&state, &caller, &headers, &uri, f, None, Some(msg)).await
        }
    }
}

//! Booking an appointment at the 24-hour kiosk (`/kiosk/book`), in the kiosk's face: find the
//! item (or come from a kiosk item page, `?item=…`), sign in on the terminal (the kiosk's
//! sign-in of [`crate::pages::kiosk_signin`], shared with the kiosk's application), choose the
//! place, the day and the time, confirm, and see the booking code large with the time and the
//! place — signed out at once (the session closed in the store, the cookie cleared; "back to
//! start", "not me" and the idle timeout sign out too).
//!
//! The days and times are the portal's ([`super::portal::span`]: the group's rule and the
//! store's availability) and the booking is the portal's ([`crate::http::booking::book`], by
//! the `kiosk` channel): the same checks and the same refusals, shown in place in the page's
//! language with what was chosen kept. Every screen has at most six choices: four, and
//! "earlier" and "later" when there are more.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::catalog::Item;
use zhengwu_core::ids::UnitId;
use zhengwu_store::booking::MAX_RANGE_DAYS;
use zhengwu_store::{catalog, org};

use super::super::console::render;
use super::super::guide::Words;
use super::super::kiosk_signin::{self, SigninForm, SigninView, SignoutForm, Step, Verified};
use super::super::{Frame, urlencode};
use super::portal::{parse_instant, span};
use super::{SiteChoice, clock, day_views, inline, sites_for_item, when};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::http::booking::{NewBooking, rule_for};
use crate::http::catalog::{GuideQuery, answer};
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

/// Bookable items offered for a question at the kiosk.
const KIOSK_CHOICES: usize = 5;

/// The page's path; its sign-in step posts to `{BASE}/code` and `{BASE}/verify`.
const BASE: &str = "/kiosk/book";

/// Choices on one screen besides "earlier" and "later": six at most in all.
const PER_SCREEN: usize = 4;

/// What is chosen so far, as the page's address carries it.
#[derive(Debug, Default, Clone)]
struct Chosen {
    item: String,
    site: Option<i64>,
    day: Option<NaiveDate>,
    /// The slot's start as posted (RFC 3339), kept as typed.
    at: Option<String>,
    /// Which screen of the days or the times.
    screen: usize,
}

impl Chosen {
    /// The page's address for this choice.
    fn url(&self) -> String {
        let mut u = BASE.to_owned();
        if self.item.is_empty() {
            return u;
        }
        u.push_str(&format!("?item={}", urlencode(&self.item)));
        if let Some(s) = self.site {
            u.push_str(&format!("&site={s}"));
        }
        if let Some(d) = self.day {
            u.push_str(&format!("&day={d}"));
        }
        if let Some(a) = &self.at {
            u.push_str(&format!("&at={}", urlencode(a)));
        }
        if self.screen > 0 {
            u.push_str(&format!("&screen={}", self.screen));
        }
        u
    }

    fn only_item(&self) -> Self {
        Self {
            item: self.item.clone(),
            ..Self::default()
        }
    }

    fn with_site(&self, site: i64) -> Self {
        Self {
            site: Some(site),
            ..self.only_item()
        }
    }

    fn with_day(&self, site: i64, day: NaiveDate) -> Self {
        Self {
            day: Some(day),
            ..self.with_site(site)
        }
    }

    fn with_screen(&self, screen: usize) -> Self {
        Self {
            screen,
            ..self.clone()
        }
    }
}

/// One big choice of a screen: a link.
pub(crate) struct Choice {
    pub(crate) label: String,
    pub(crate) note: String,
    pub(crate) href: String,
}

/// The screen `screen` of `all` (four a screen), and the links to the screens before and after.
fn screen_of<T>(
    all: Vec<T>,
    screen: usize,
    link: impl Fn(usize) -> String,
) -> (Vec<T>, Option<String>, Option<String>) {
    let screens = all.len().div_ceil(PER_SCREEN).max(1);
    let screen = screen.min(screens - 1);
    let earlier = screen.checked_sub(1).map(&link);
    let later = (screen + 1 < screens).then(|| link(screen + 1));
    let shown = all
        .into_iter()
        .skip(screen * PER_SCREEN)
        .take(PER_SCREEN)
        .collect();
    (shown, earlier, later)
}

/// The confirmation step: the time chosen, to post.
struct Confirm {
    site: i64,
    starts_at: String,
    time: String,
}

/// Which step the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Find the item: a question, and the bookable items it finds.
    Find,
    /// The item takes no appointments.
    NotBookable,
    SignIn,
    Site,
    Day,
    Slot,
    Confirm,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Self::Find => "find",
            Self::NotBookable => "not_bookable",
            Self::SignIn => "signin",
            Self::Site => "site",
            Self::Day => "day",
            Self::Slot => "slot",
            Self::Confirm => "confirm",
        }
    }
}

#[derive(Template)]
#[template(path = "kiosk_book.html")]
struct KioskBookPage {
    frame: Frame,
    w: Words,
    csrf: String,
    /// `find`, `not_bookable`, `signin`, `site`, `day`, `slot` or `confirm`.
    step: &'static str,
    item_code: String,
    item_name: String,
    /// The question typed, the items it found (bookable ones), and whether it was asked.
    q: String,
    found: Vec<Choice>,
    asked: bool,
    signed_in: bool,
    signed_in_as: String,
    signin: SigninView,
    site_name: String,
    site_address: String,
    /// The day chosen, in words.
    day_label: String,
    /// The places, the days or the times of this screen, and the other screens.
    choices: Vec<Choice>,
    earlier: Option<String>,
    later: Option<String>,
    earlier_label: String,
    later_label: String,
    /// The step before, to choose again: its address and its words.
    back: Option<(String, String)>,
    confirm: Option<Confirm>,
    error: Option<String>,
    idle_seconds: u32,
    idle_note: String,
}

/// The page for what is chosen so far: the first step not yet done.
#[allow(clippy::too_many_arguments)]
async fn book_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    c: Chosen,
    question: Option<String>,
    signin: Option<Step>,
    mut error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let signed_in = matches!(caller, Caller::Applicant(_));
    let (mobile, code_sent) = signin
        .as_ref()
        .map_or((String::new(), false), |s| (s.mobile.clone(), s.code_sent));
    let mut status = signin.as_ref().map_or(StatusCode::OK, |s| s.status);
    let mut page = KioskBookPage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        step: Stage::Find.name(),
        item_code: c.item.clone(),
        item_name: String::new(),
        q: question.clone().unwrap_or_default(),
        found: Vec::new(),
        asked: false,
        signed_in,
        signed_in_as: kiosk_signin::signed_in_as(lang, caller),
        signin: SigninView::new(
            lang,
            BASE,
            &c.item,
            w.l("kiosk_book.signin_lead"),
            &mobile,
            code_sent,
        ),
        site_name: String::new(),
        site_address: String::new(),
        day_label: String::new(),
        choices: Vec::new(),
        earlier: None,
        later: None,
        earlier_label: String::new(),
        later_label: String::new(),
        back: None,
        confirm: None,
        error: None,
        idle_seconds: kiosk_signin::IDLE_SECONDS,
        idle_note: kiosk_signin::idle_note(lang, signed_in),
        w,
    };
    page.frame.face = "kiosk";
    let stage = stage(state, lang, &mut page, &c, question, &mut error).await?;
    page.step = stage.name();
    if error.is_some() && status == StatusCode::OK {
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    page.error = error;
    render(page, Some(&csrf), status)
}

/// Fills `page` for the first step not yet done and says which it is; a refusal on the way
/// goes to `error` (and the step before it is shown).
async fn stage(
    state: &AppState,
    lang: Lang,
    page: &mut KioskBookPage,
    c: &Chosen,
    question: Option<String>,
    error: &mut Option<String>,
) -> Result<Stage, ApiError> {
    let w = Words::new(lang);
    if c.item.is_empty() {
        if let Some(q) = question {
            match GuideQuery::from_parts(q, None, None, None).check() {
                Ok(mut question) => {
                    page.asked = true;
                    // The guide's best twenty, of which the first five that can be booked: an
                    // item that cannot be booked does not take the place of one that can.
                    question.limit = 20;
                    page.found = answer(state, &question, lang)
                        .await?
                        .results
                        .into_iter()
                        .filter(|card| card.bookable)
                        .take(KIOSK_CHOICES)
                        .map(|card| Choice {
                            href: Chosen {
                                item: card.code.clone(),
                                ..Chosen::default()
                            }
                            .url(),
                            label: card.name,
                            note: card.department,
                        })
                        .collect();
                }
                Err(e) => *error = error.take().or(Some(e.message(lang))),
            }
        }
        return Ok(Stage::Find);
    }
    let item = item_of(state, &c.item).await?;
    page.item_code = item.code.clone();
    page.item_name = item.name.clone();
    if !item.bookable {
        return Ok(Stage::NotBookable);
    }
    if !page.signed_in {
        return Ok(Stage::SignIn);
    }
    let Some(site_id) = c.site else {
        let sites = sites_for_item(state, &item).await?;
        return Ok(sites_screen(&w, page, c, sites, c.screen));
    };
    let unit = match org::get_unit(state.db.conn(), UnitId(site_id)).await {
        Ok(u) => u,
        Err(_) => {
            *error = error.take().or(Some(
                ApiError::invalid_field("site", format!("unknown:{site_id}")).short_message(lang),
            ));
            return Ok(sites_screen(
                &w,
                page,
                c,
                sites_for_item(state, &item).await?,
                0,
            ));
        }
    };
    page.site_name = unit.name.clone();
    page.site_address = unit.address.clone().unwrap_or_default();
    // The slot chosen: its day is the day to go back to.
    let at = match c.at.as_deref().map(parse_instant) {
        Some(Ok(at)) => Some(at),
        Some(Err(e)) => {
            *error = error.take().or(Some(inline(e, lang)?));
            None
        }
        None => None,
    };
    if let Some(at) = at {
        let day = local_date_minute(at).0;
        // The end of the slot by the group's rule; the booking itself checks the time.
        match rule_for(state, &unit, Some(&item.code), None).await {
            Ok((rule, _)) => {
                let ends = at + Duration::minutes(i64::from(rule.settings.slot_minutes));
                page.confirm = Some(Confirm {
                    site: site_id,
                    starts_at: at.to_rfc3339(),
                    time: format!("{}–{}", when(lang, at), clock(ends)),
                });
                page.back = Some((c.with_day(site_id, day).url(), w.l("kiosk_book.other_time")));
                return Ok(Stage::Confirm);
            }
            Err(e) => {
                *error = error.take().or(Some(inline(e, lang)?));
                return Ok(sites_screen(
                    &w,
                    page,
                    c,
                    sites_for_item(state, &item).await?,
                    0,
                ));
            }
        }
    }
    match c.day {
        Some(day) => match span(state, &unit, &item.code, Some(day), 1).await {
            Ok(s) => {
                let slots: Vec<Choice> = s
                    .days
                    .iter()
                    .filter(|d| d.date == day && s.from == day)
                    .flat_map(|d| d.slots.iter())
                    .filter(|s| s.available > 0)
                    .map(|s| Choice {
                        label: format!("{}–{}", clock(s.starts_at), clock(s.ends_at)),
                        note: tf(
                            lang,
                            "kiosk_book.slot_left",
                            &[("n", s.available.to_string())],
                        ),
                        href: Chosen {
                            at: Some(s.starts_at.to_rfc3339()),
                            ..c.with_day(site_id, day)
                        }
                        .url(),
                    })
                    .collect();
                page.day_label = day_views(lang, &s.days)
                    .into_iter()
                    .next()
                    .map(|d| d.label)
                    .unwrap_or_else(|| day.to_string());
                let here = c.with_day(site_id, day);
                (page.choices, page.earlier, page.later) =
                    screen_of(slots, c.screen, |n| here.with_screen(n).url());
                page.earlier_label = w.l("kiosk_book.earlier_slots");
                page.later_label = w.l("kiosk_book.later_slots");
                page.back = Some((c.with_site(site_id).url(), w.l("kiosk_book.other_day")));
                Ok(Stage::Slot)
            }
            Err(e) => {
                *error = error.take().or(Some(inline(e, lang)?));
                Ok(sites_screen(
                    &w,
                    page,
                    c,
                    sites_for_item(state, &item).await?,
                    0,
                ))
            }
        },
        None => match span(state, &unit, &item.code, None, MAX_RANGE_DAYS).await {
            Ok(s) => {
                let days: Vec<Choice> = day_views(lang, &s.days)
                    .into_iter()
                    .zip(&s.days)
                    .filter_map(|(v, d)| {
                        let left: i32 = d.slots.iter().map(|s| s.available).sum();
                        (left > 0).then(|| Choice {
                            label: v.label,
                            note: tf(lang, "kiosk_book.day_left", &[("n", left.to_string())]),
                            href: c.with_day(site_id, d.date).url(),
                        })
                    })
                    .collect();
                let here = c.with_site(site_id);
                (page.choices, page.earlier, page.later) =
                    screen_of(days, c.screen, |n| here.with_screen(n).url());
                page.earlier_label = w.l("kiosk_book.earlier_days");
                page.later_label = w.l("kiosk_book.later_days");
                page.back = Some((c.only_item().url(), w.l("kiosk_book.other_site")));
                Ok(Stage::Day)
            }
            Err(e) => {
                *error = error.take().or(Some(inline(e, lang)?));
                Ok(sites_screen(
                    &w,
                    page,
                    c,
                    sites_for_item(state, &item).await?,
                    0,
                ))
            }
        },
    }
}

/// The places that take the item (halls first, then stations), a screen of them.
fn sites_screen(
    w: &Words,
    page: &mut KioskBookPage,
    c: &Chosen,
    sites: Vec<SiteChoice>,
    screen: usize,
) -> Stage {
    let all: Vec<Choice> = sites
        .into_iter()
        .map(|s| Choice {
            label: if s.station {
                format!("{} · {}", s.name, w.l("booking.station"))
            } else {
                s.name
            },
            note: s.address,
            href: c.with_site(s.id).url(),
        })
        .collect();
    let base = c.only_item();
    (page.choices, page.earlier, page.later) =
        screen_of(all, screen, |n| base.with_screen(n).url());
    page.earlier_label = w.l("kiosk_book.earlier_sites");
    page.later_label = w.l("kiosk_book.later_sites");
    Stage::Site
}

async fn item_of(state: &AppState, code: &str) -> Result<Item, ApiError> {
    catalog::published_item(state.db.conn(), code.trim())
        .await
        .map_err(|_| ApiError::not_found())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct KioskBookQuery {
    #[serde(default)]
    item: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    day: Option<String>,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    screen: Option<String>,
}

impl KioskBookQuery {
    /// What the address chose; a part that does not parse counts as not chosen.
    fn chosen(&self) -> Chosen {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Chosen {
            item: text(&self.item).unwrap_or_default(),
            site: text(&self.site).and_then(|s| s.parse().ok()),
            day: text(&self.day).and_then(|d| d.parse().ok()),
            at: text(&self.at),
            screen: text(&self.screen).and_then(|s| s.parse().ok()).unwrap_or(0),
        }
    }
}

/// The kiosk's booking, at the step the address says.
pub(super) async fn book_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<KioskBookQuery>,
) -> Result<Response, ApiError> {
    let c = q.chosen();
    book_view(&state, &caller, &headers, &uri, c, q.q.clone(), None, None).await
}

#[derive(Debug, Deserialize)]
pub(super) struct KioskBookForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    starts_at: String,
}

/// Books the time confirmed for the resident signed in at the kiosk; the booking code follows,
/// and the resident is signed out. A refusal shows in place with the choice kept.
pub(super) async fn book_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<KioskBookForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let item = item_of(&state, &f.item).await?;
    let site = f.site.trim().parse::<i64>().ok();
    let chosen = Chosen {
        item: item.code.clone(),
        site,
        at: Some(f.starts_at.trim().to_owned()).filter(|a| !a.is_empty()),
        ..Chosen::default()
    };
    if !matches!(caller, Caller::Applicant(_)) {
        // Signed out meanwhile (the idle timeout, another tab): the sign-in step again.
        return Ok(Redirect::to(&chosen.only_item().url()).into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let booked = match (site, parse_instant(&f.starts_at)) {
        (Some(site), Ok(starts_at)) => {
            crate::http::booking::book(
                &state,
                &caller,
                &ip,
                NewBooking {
                    site,
                    item: item.code.clone(),
                    starts_at,
                    channel: Some("kiosk".to_owned()),
                    mobile: None,
                    person: None,
                },
            )
            .await
        }
        (None, _) => Err(ApiError::invalid_field("site", "required")),
        (_, Err(e)) => Err(e),
    };
    match booked {
        Ok(v) => done(&state, &headers, &uri, &item, v).await,
        Err(e) => {
            // A time that cannot be booked: the times of that day again, to choose another.
            let about_time = e.field.as_deref() == Some("starts_at");
            let msg = inline(e, lang)?;
            let chosen = match (about_time, site, parse_instant(&f.starts_at)) {
                (true, Some(site), Ok(at)) => chosen.with_day(site, local_date_minute(at).0),
                _ => chosen,
            };
            book_view(
                &state,
                &caller,
                &headers,
                &uri,
                chosen,
                None,
                None,
                Some(msg),
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "kiosk_book_done.html")]
struct DonePage {
    frame: Frame,
    w: Words,
    code: String,
    item_name: String,
    site_name: String,
    address: String,
    time: String,
    keep_code: String,
    arrive: String,
    idle_seconds: u32,
    idle_note: String,
}

/// Booked: the code, the time and the place, and the resident signed out of the kiosk at once
/// (no post/redirect/get: signed out, nobody may read the booking again here, and posting again
/// leads to the sign-in step).
async fn done(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    item: &Item,
    v: crate::http::booking::AppointmentView,
) -> Result<Response, ApiError> {
    let clear = kiosk_signin::sign_out(state, headers).await;
    let lang = crate::http::lang_from(uri, headers);
    let w = Words::new(lang);
    let a = &v.appointment;
    let site = org::get_unit(state.db.conn(), UnitId(a.site_id)).await?;
    let early = match rule_for(state, &site, Some(&item.code), None).await {
        Ok((rule, _)) => rule.settings.early_minutes,
        Err(_) => 30,
    };
    let mut frame = Frame::new(lang, state.district_name());
    frame.face = "kiosk";
    let page = DonePage {
        frame,
        code: a.code.clone(),
        item_name: v.item_name.clone(),
        site_name: site.name,
        address: site.address.unwrap_or_default(),
        time: time_text(lang, a.starts_at, a.ends_at),
        keep_code: tf(
            lang,
            "kiosk_book.keep_code",
            &[("mobile", a.mobile.clone())],
        ),
        arrive: tf(lang, "kiosk_book.arrive", &[("early", early.to_string())]),
        idle_seconds: kiosk_signin::IDLE_SECONDS,
        idle_note: w.idle(kiosk_signin::IDLE_SECONDS),
        w,
    };
    let mut res = render(page, None, StatusCode::OK)?;
    res.headers_mut().append(header::SET_COOKIE, clear);
    Ok(res)
}

/// A slot as the page's language writes it: `2026年12月01日 09:30–10:00`.
fn time_text(lang: Lang, starts: DateTime<Utc>, ends: DateTime<Utc>) -> String {
    format!("{}–{}", when(lang, starts), clock(ends))
}

/// Sends the sign-in code to the mobile typed; the code step follows.
pub(super) async fn send_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<SigninForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let item = item_of(&state, &f.item).await?;
    let lang = crate::http::lang_from(&uri, &headers);
    let step = kiosk_signin::send_code(&state, lang, &f.mobile).await?;
    signin_step(&state, &headers, &uri, &item, step).await
}

/// Checks the code and opens the resident's session: on to the choice of the place.
pub(super) async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<SigninForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let item = item_of(&state, &f.item).await?;
    let lang = crate::http::lang_from(&uri, &headers);
    match kiosk_signin::verify(&state, lang, &f.mobile, &f.code).await? {
        Verified::SignedIn(cookie) => {
            let next = Chosen {
                item: item.code.clone(),
                ..Chosen::default()
            };
            Ok(kiosk_signin::redirect_with(&next.url(), cookie))
        }
        Verified::Again(step) => signin_step(&state, &headers, &uri, &item, step).await,
    }
}

/// The sign-in step again, as `step` left it.
async fn signin_step(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    item: &Item,
    step: Step,
) -> Result<Response, ApiError> {
    let c = Chosen {
        item: item.code.clone(),
        ..Chosen::default()
    };
    let error = step.error.clone();
    book_view(
        state,
        &Caller::Anonymous,
        headers,
        uri,
        c,
        None,
        Some(step),
        error,
    )
    .await
}

/// Signs the resident out: "back to start", "not me", or nobody touched the kiosk for a while.
pub(super) async fn signout(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<SignoutForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let to = match f.item.trim() {
        "" => "/kiosk".to_owned(),
        code => Chosen {
            item: code.to_owned(),
            ..Chosen::default()
        }
        .url(),
    };
    Ok(kiosk_signin::sign_out_to(&state, &headers, &to).await)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_screen_holds_four_choices_and_links_to_the_others() {
        let link = |n: usize| format!("s{n}");
        let (shown, earlier, later) = screen_of((0..10).collect::<Vec<_>>(), 0, link);
        assert_eq!(
            (shown, earlier, later),
            (vec![0, 1, 2, 3], None, Some("s1".into()))
        );
        let (shown, earlier, later) = screen_of((0..10).collect::<Vec<_>>(), 2, link);
        assert_eq!(
            (shown, earlier, later),
            (vec![8, 9], Some("s1".into()), None)
        );
        // Past the last screen: the last one.
        let (shown, _, later) = screen_of((0..10).collect::<Vec<_>>(), 9, link);
        assert_eq!((shown, later), (vec![8, 9], None));
        let (shown, earlier, later) = screen_of(Vec::<u8>::new(), 0, link);
        assert_eq!((shown.len(), earlier, later), (0, None, None));
    }

    #[test]
    fn the_address_carries_what_is_chosen() {
        let q = KioskBookQuery {
            item: Some("210231-RSJ-GG-5001".into()),
            site: Some("12".into()),
            day: Some("2026-03-02".into()),
            at: Some("2026-03-02T09:00:00+08:00".into()),
            screen: Some("x".into()),
            q: None,
        };
        let c = q.chosen();
        assert_eq!(c.screen, 0, "a screen that is not a number is the first");
        assert_eq!(
            c.url(),
            "/kiosk/book?item=210231-RSJ-GG-5001&site=12&day=2026-03-02&at=2026-03-02T09%3A00%3A00%2B08%3A00"
        );
        assert_eq!(
            c.with_site(3).url(),
            "/kiosk/book?item=210231-RSJ-GG-5001&site=3"
        );
        let bad = KioskBookQuery {
            item: Some("X".into()),
            site: Some("twelve".into()),
            day: Some("tomorrow".into()),
            ..KioskBookQuery::default()
        };
        assert_eq!(bad.chosen().url(), "/kiosk/book?item=X");
        assert_eq!(Chosen::default().url(), "/kiosk/book");
    }
}

//! The queue in the browser: take a ticket at the kiosk (`/kiosk/ticket`), follow it on a
//! phone (`/ticket/{id}`: the number, how many are ahead, an estimated wait), work a counter
//! (`/console/counter/{id}`: open, call next, finish), and the hall's display board's live
//! calls (`/board/{hall}/events`, server-sent events); the list of a site's tickets of a day
//! with its downloads (`/console/counters/tickets`, see [`tickets`]).

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::ids::UnitId;
use zhengwu_store::StoreError;
use zhengwu_store::org::{self, UnitFilter, UnitKind};
use zhengwu_store::queue::{self, Counter, Group, PRIORITY_GREEN, PRIORITY_WALK_IN, Ticket};

use super::console::render;
use super::guide::Words;
use super::{Frame, urlencode};
use crate::auth::Caller;
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::queue::QUEUE_STAFF;
use crate::startup::AppState;

mod tickets;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kiosk/ticket", get(kiosk_ticket).post(kiosk_issue))
        .route("/ticket/{id}", get(my_ticket))
        .route("/console/counters", get(counters_page))
        .route("/console/counters/tickets", get(tickets::tickets_page))
        .route("/console/counters/tickets.csv", get(tickets::tickets_csv))
        .route("/console/counters/tickets.xlsx", get(tickets::tickets_xlsx))
        .route(
            "/console/counter/{id}",
            get(counter_page).post(counter_action),
        )
        .route("/board/{hall}/events", get(board_events))
}

#[derive(Debug, Default, Deserialize)]
struct SiteForm {
    #[serde(default)]
    site: Option<i64>,
    /// Which screen of the site's groups (the kiosk shows a few at a time).
    #[serde(default)]
    screen: Option<usize>,
}

/// Group buttons on one kiosk screen: with "previous" and "more" at most six choices.
const GROUPS_PER_SCREEN: usize = 4;

#[derive(Template)]
#[template(path = "kiosk_ticket.html")]
struct KioskTicketPage {
    frame: Frame,
    w: Words,
    csrf: String,
    site: Option<(i64, String)>,
    sites: Vec<(i64, String)>,
    groups: Vec<(Group, u64)>,
    /// The previous and the next screen of groups, when there are more than fit on one.
    prev_screen: Option<usize>,
    next_screen: Option<usize>,
    error: Option<String>,
    idle_seconds: u32,
    idle_note: String,
}

async fn kiosk_page(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    site: Option<i64>,
    screen: usize,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let mut frame = Frame::new(lang, state.district_name());
    frame.face = "kiosk";
    let db = state.db.conn();
    let mut sites = Vec::new();
    for kind in [UnitKind::Hall, UnitKind::Station] {
        sites.extend(
            org::list_units(
                db,
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
    let chosen = site.and_then(|s| sites.iter().find(|(id, _)| *id == s).cloned());
    let mut groups = Vec::new();
    if let Some((id, _)) = &chosen {
        let (waiting, _) = queue::site_load(db, UnitId(*id)).await?;
        for g in queue::groups(db, UnitId(*id)).await? {
            let n = waiting
                .iter()
                .find(|(c, _)| *c == g.code)
                .map_or(0, |(_, n)| *n);
            groups.push((g, n));
        }
    }
    let screens = groups.len().div_ceil(GROUPS_PER_SCREEN).max(1);
    let screen = screen.min(screens - 1);
    let groups: Vec<(Group, u64)> = groups
        .into_iter()
        .skip(screen * GROUPS_PER_SCREEN)
        .take(GROUPS_PER_SCREEN)
        .collect();
    let prev_screen = screen.checked_sub(1);
    let next_screen = (screen + 1 < screens).then_some(screen + 1);
    let w = Words::new(lang);
    let page = KioskTicketPage {
        frame,
        idle_note: w.idle(90u32),
        w,
        csrf: csrf.token.clone(),
        site: chosen,
        sites,
        groups,
        prev_screen,
        next_screen,
        error: error.clone(),
        idle_seconds: 90,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(page, Some(&csrf), status)
}

async fn kiosk_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(f): ApiQuery<SiteForm>,
) -> Result<Response, ApiError> {
    kiosk_page(&state, &headers, &uri, f.site, f.screen.unwrap_or(0), None).await
}

#[derive(Debug, Deserialize)]
struct IssueForm {
    csrf: String,
    site: i64,
    group: String,
    #[serde(default)]
    green: Option<String>,
    #[serde(default)]
    mobile: Option<String>,
}

/// A walk-in takes a ticket at the hall's kiosk (no sign-in: the kiosk stands in the hall).
async fn kiosk_issue(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<IssueForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let priority = if f.green.is_some() {
        PRIORITY_GREEN
    } else {
        PRIORITY_WALK_IN
    };
    let mobile = match f.mobile.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => match zhengwu_core::ident::Mobile::parse(m) {
            Ok(m) => Some(m),
            Err(_) => {
                let msg = crate::i18n::t(lang, "queue.bad_mobile");
                return kiosk_page(&state, &headers, &uri, Some(f.site), 0, Some(msg)).await;
            }
        },
        None => None,
    };
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    match queue::issue(&tx, UnitId(f.site), &f.group, priority, Utc::now(), "kiosk").await {
        Ok(t) => {
            if let Some(m) = &mobile {
                queue::set_mobile(&tx, t.id, m).await?;
            }
            tx.commit().await.map_err(StoreError::from)?;
            // The ticket's secret in the link: the holder's phone can rate the service later.
            let token = queue::ticket_token(state.db.conn(), t.id).await?;
            Ok(Redirect::to(&format!("/ticket/{}?t={}", t.id, urlencode(&token))).into_response())
        }
        Err(StoreError::Invalid { message, .. }) => {
            drop(tx);
            let msg = crate::i18n::reason(lang, &message);
            kiosk_page(&state, &headers, &uri, Some(f.site), 0, Some(msg)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    frame: Frame,
    w: Words,
    ticket: Ticket,
    site: String,
    ahead: u64,
    wait_minutes: u64,
    counter: Option<String>,
    refresh: bool,
    status_text: String,
    /// The rating link of a finished service, for the holder of the ticket's link.
    rate_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct TicketQuery {
    #[serde(default)]
    t: Option<String>,
}

/// The holder's page: the number, the state, how many are ahead and the estimated wait.
async fn my_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(&uri, &headers);
    let db = state.db.conn();
    let ticket = queue::ticket(db, id).await?;
    let rate_url = match q.t.as_deref() {
        Some(t)
            if ticket.status == queue::TicketStatus::Done
                && queue::ticket_token(db, id).await.is_ok_and(|s| s == t)
                && zhengwu_store::ratings::of_ticket(db, id).await?.is_none() =>
        {
            Some(format!("/rate/{id}?t={}", urlencode(t)))
        }
        _ => None,
    };
    let (ahead, wait) = queue::estimate_wait(db, &ticket).await?;
    let site = org::get_unit(db, UnitId(ticket.site_id)).await?;
    let counters = queue::counters(db, Some(UnitId(ticket.site_id))).await?;
    let counter = ticket
        .counter_id
        .and_then(|c| counters.iter().find(|x| x.id == c))
        .map(|c| c.name.clone());
    let page = TicketPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        site: site.name,
        ahead,
        wait_minutes: wait.ceil() as u64,
        counter,
        status_text: crate::i18n::t(lang, &format!("queue.status.{}", ticket.status.as_str())),
        refresh: matches!(
            ticket.status,
            queue::TicketStatus::Waiting | queue::TicketStatus::Called
        ),
        ticket,
        rate_url,
    };
    render(page, None, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "counter.html")]
struct CounterPage {
    frame: Frame,
    w: Words,
    csrf: String,
    counter: Counter,
    site: String,
    current: Option<Ticket>,
    parked: Vec<Ticket>,
    groups: Vec<Group>,
    waiting: Vec<(String, u64)>,
    notice: Option<String>,
    error: Option<String>,
    /// The ticket just finished here, for the "please rate" link.
    rate: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
async fn counter_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
    rate: Option<i64>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let db = state.db.conn();
    let counter = queue::counter(db, id).await?;
    crate::http::queue::at_counter(state, caller, &counter).await?;
    let site = org::get_unit(db, UnitId(counter.site_id)).await?;
    let current = queue::current_at(db, id).await?;
    let parked = queue::parked_at(db, id).await?;
    let groups = queue::groups(db, UnitId(counter.site_id)).await?;
    let (waiting, _) = queue::site_load(db, UnitId(counter.site_id)).await?;
    let csrf = Csrf::for_request(headers)?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = CounterPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        csrf: csrf.token.clone(),
        counter,
        site: site.name,
        current,
        parked,
        groups,
        waiting,
        notice,
        error,
        rate,
    };
    render(page, Some(&csrf), status)
}

#[derive(Debug, Default, Deserialize)]
struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
    #[serde(default)]
    rate: Option<i64>,
}

async fn counter_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = super::console_gate(&caller, QUEUE_STAFF)? {
        return Ok(r);
    }
    let notice = q.notice.map(|n| n.chars().take(100).collect());
    counter_view(&state, &caller, &headers, &uri, id, notice, None, q.rate).await
}

#[derive(Debug, Deserialize)]
struct CounterForm {
    csrf: String,
    action: String,
    #[serde(default)]
    ticket: Option<i64>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    first: Option<String>,
}

async fn counter_action(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(f): axum::Form<CounterForm>,
) -> Result<Response, ApiError> {
    if let Some(r) = super::console_gate(&caller, QUEUE_STAFF)? {
        return Ok(r);
    }
    csrf::verify(&headers, &f.csrf)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let db = state.db.conn();
    let counter = queue::counter(db, id).await?;
    crate::http::queue::at_counter(&state, &caller, &counter).await?;
    let who = caller.label();
    let words = Words::new(lang);
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let outcome: Result<Option<String>, StoreError> = match f.action.as_str() {
        "open" => queue::set_open(&tx, id, true, &who)
            .await
            .map(|_| Some(words.l("queue.opened"))),
        "close" => queue::set_open(&tx, id, false, &who)
            .await
            .map(|_| Some(words.l("queue.closed"))),
        "call" => {
            match queue::call_next_with(&tx, id, Utc::now(), &who, state.config.queue_order).await {
                Ok(Some(t)) => {
                    let sink = crate::notify::default_sink(&state.config);
                    queue::notify_after_call(&tx, &t, &counter.name, sink)
                        .await
                        .map(|_| Some(format!("{} {}", words.l("queue.called"), t.number)))
                }
                Ok(None) => Ok(Some(words.l("queue.nobody"))),
                Err(e) => Err(e),
            }
        }
        "recall" | "start" | "no_show" | "park" | "resume" => {
            let step = queue::Step::parse(&f.action).unwrap_or(queue::Step::Recall);
            queue::step(&tx, f.ticket.unwrap_or_default(), step, Utc::now(), &who)
                .await
                .map(|t| {
                    Some(format!(
                        "{} {}",
                        t.number,
                        words.l(format!("queue.did.{}", f.action))
                    ))
                })
        }
        "transfer" => queue::transfer(
            &tx,
            f.ticket.unwrap_or_default(),
            f.group.as_deref().unwrap_or(""),
            f.first.is_some(),
            Utc::now(),
            &who,
        )
        .await
        .map(|t| Some(format!("{} {}", t.number, words.l("queue.did.transfer")))),
        "finish" => queue::finish(
            &tx,
            f.ticket.unwrap_or_default(),
            f.outcome.as_deref().unwrap_or("done"),
            Utc::now(),
            &who,
        )
        .await
        .map(|t| Some(format!("{} {}", t.number, words.l("queue.finished")))),
        _ => Err(StoreError::invalid(
            "action",
            format!("unknown:{}", f.action),
        )),
    };
    match outcome {
        Ok(notice) => {
            tx.commit().await.map_err(StoreError::from)?;
            state.outbox_wake.notify_one();
            // Post/redirect/get: reloading the page never repeats the action.
            let mut q = notice
                .map(|n| format!("?notice={}", urlencode(&n)))
                .unwrap_or_default();
            // After a finish: the link that asks the applicant to rate the service.
            if f.action == "finish"
                && let Some(t) = f.ticket
            {
                q.push_str(&format!("{}rate={t}", if q.is_empty() { '?' } else { '&' }));
            }
            Ok(Redirect::to(&format!("/console/counter/{id}{q}")).into_response())
        }
        Err(StoreError::Invalid { message, .. }) => {
            drop(tx);
            let msg = crate::i18n::reason(lang, &message);
            counter_view(&state, &caller, &headers, &uri, id, None, Some(msg), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The board's live calls: an event with the latest calls (JSON) whenever they change,
/// checked every half second.
async fn board_events(
    State(state): State<AppState>,
    ApiPath(hall): ApiPath<i64>,
) -> Result<Sse<impl futures_core_stream::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let unit = org::get_unit(state.db.conn(), UnitId(hall)).await?;
    if unit.kind != UnitKind::Hall && unit.kind != UnitKind::Station {
        return Err(ApiError::not_found());
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(4);
    let mut shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        let mut last = String::new();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let calls = queue::recent_calls(state.db.conn(), UnitId(hall), 8)
                .await
                .unwrap_or_default();
            let json = serde_json::to_string(&calls).unwrap_or_default();
            if json != last {
                if tx
                    .send(Ok(Event::default().event("calls").data(&json)))
                    .await
                    .is_err()
                {
                    return;
                }
                last = json;
            }
            if tx.is_closed() {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.changed() => return,
            }
        }
    });
    Ok(Sse::new(futures_core_stream::ReceiverStream(rx)).keep_alive(KeepAlive::default()))
}

/// A tokio receiver as a stream (without a stream crate of its own).
mod futures_core_stream {
    pub use futures_core::Stream;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub struct ReceiverStream<T>(pub tokio::sync::mpsc::Receiver<T>);

    impl<T> Stream for ReceiverStream<T> {
        type Item = T;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
            self.0.poll_recv(cx)
        }
    }
}

#[derive(Template)]
#[template(path = "counters.html")]
struct CountersPage {
    frame: Frame,
    w: Words,
    sites: Vec<(i64, String, Vec<Counter>)>,
}

/// The sites whose counters the caller may work, halls then stations in the organisation's
/// order, each with those counters: a counter is the caller's when its window (or, without
/// one, its site) is in scope. The counters' page and the list of a day's tickets show these.
async fn my_sites(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<(org::Unit, Vec<Counter>)>, ApiError> {
    let db = state.db.conn();
    let units = org::list_units(db, &UnitFilter::default()).await?;
    let paths = org::paths(db).await?;
    let all = queue::counters(db, None).await?;
    let mine = |c: &Counter| {
        paths
            .get(&c.window_id.unwrap_or(c.site_id))
            .is_some_and(|p| caller.can_see(QUEUE_STAFF, p))
    };
    let mut sites = Vec::new();
    for u in units
        .into_iter()
        .filter(|u| u.kind == UnitKind::Hall || u.kind == UnitKind::Station)
    {
        let here: Vec<Counter> = all
            .iter()
            .filter(|c| c.site_id == u.id.get() && mine(c))
            .cloned()
            .collect();
        if !here.is_empty() {
            sites.push((u, here));
        }
    }
    Ok(sites)
}

/// The counters the signed-in clerk may work, by site, each site with the link to its list
/// of the day's tickets.
async fn counters_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if let Some(r) = super::console_gate(&caller, QUEUE_STAFF)? {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let sites = my_sites(&state, &caller)
        .await?
        .into_iter()
        .map(|(u, counters)| (u.id.get(), u.name, counters))
        .collect();
    let page = CountersPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        sites,
    };
    render(page, None, StatusCode::OK)
}

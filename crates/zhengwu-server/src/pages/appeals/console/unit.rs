//! A unit handler's side: their open appeals (`/console/appeals/mine`), the dispose-first
//! orders given to their units with the record of what was done and what it cost
//! (`/console/appeals/orders`), and a unit's record of stars (`/console/appeals/record`).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::appeal::Part;
use zhengwu_core::ids::UnitId;
use zhengwu_store::appeals::{self, Filter, disposal, lookback, supervision};
use zhengwu_store::org;

use super::super::super::booking::when;
use super::super::super::console::render;
use super::super::super::guide::Words;
use super::super::super::{Frame, urlencode};
use super::super::{HandlingUnits, Topics, status_of};
use super::{
    ListQuery, Menu, NoticeQuery, Refusal, Row, acts_for, menu, money, notice_of, row,
    staff_or_login, stars_text,
};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::appeals::{HANDLERS, READ_ALL, handled_units};
use crate::i18n::tf;
use crate::startup::AppState;

const MINE_TABS: [&str; 5] = ["all", "to_sign", "in_hand", "due_soon", "overdue"];

#[derive(Template)]
#[template(path = "console_appeals_mine.html")]
struct MinePage {
    frame: Frame,
    w: Words,
    tabs: Vec<(&'static str, String, usize)>,
    tab: String,
    rows: Vec<Row>,
    menu: Menu,
    /// Dispose-first orders not settled and look-back checks not done, of the handler's units.
    orders_open: usize,
    checks_open: usize,
}

/// A unit handler's open appeals: to sign, in hand, due soon, overdue.
pub(in super::super) async fn mine_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(HANDLERS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let tab = if MINE_TABS.contains(&q.tab.as_str()) {
        q.tab.clone()
    } else {
        "all".to_owned()
    };
    let units = handled_units(&state, &caller).await?;
    let list = appeals::list(
        state.db.conn(),
        &Filter {
            units: Some(units.clone()),
            open_parts: true,
            limit: 200,
            ..Default::default()
        },
    )
    .await?;
    let topics = Topics::load(&state).await?;
    let names = HandlingUnits::load(&state).await?;
    let cal = state.calendar();
    let mut all: Vec<(Row, bool)> = Vec::new();
    for a in &list {
        let d = appeals::detail(state.db.conn(), a.id).await?;
        let mine: Vec<_> = d
            .assignments
            .iter()
            .filter(|p| {
                units.contains(&p.unit_id) && Part::parse(&p.part).is_some_and(Part::is_working)
            })
            .collect();
        let to_sign = mine.iter().any(|p| p.part == Part::Pending.as_str());
        let mut r = row(lang, &w, &topics, &cal, a);
        r.part = mine
            .iter()
            .map(|p| {
                format!(
                    "{} · {} · {}",
                    names.name(p.unit_id),
                    w.l(format!("appeal.role.{}", p.role)),
                    w.l(format!("appeal.part.{}", p.part))
                )
            })
            .collect::<Vec<_>>()
            .join("；");
        all.push((r, to_sign));
    }
    let count = |t: &str| {
        all.iter()
            .filter(|(r, to_sign)| match t {
                "to_sign" => *to_sign,
                "in_hand" => !*to_sign,
                "due_soon" => r.deadline.state == "due_soon",
                "overdue" => r.deadline.state == "overdue",
                _ => true,
            })
            .count()
    };
    let tabs = MINE_TABS
        .iter()
        .map(|t| (*t, w.l(format!("appeal.mine.{t}")), count(t)))
        .collect();
    let rows = all
        .into_iter()
        .filter(|(r, to_sign)| match tab.as_str() {
            "to_sign" => *to_sign,
            "in_hand" => !*to_sign,
            "due_soon" => r.deadline.state == "due_soon",
            "overdue" => r.deadline.state == "overdue",
            _ => true,
        })
        .map(|(r, _)| r)
        .collect();
    let orders_open = disposal::open_for(state.db.conn(), &units)
        .await?
        .iter()
        .filter(|d| d.state == "ordered")
        .count();
    let checks_open = lookback::list(state.db.conn(), Some(&units), true, 1000)
        .await?
        .len();
    let page = MinePage {
        frame: Frame::new(lang, state.district_name()),
        tabs,
        tab,
        rows,
        menu: menu(&caller, &w, "/console/appeals/mine"),
        orders_open,
        checks_open,
        w,
    };
    render(page, None, StatusCode::OK)
}

// ---------------------------------------------------------------- dispose-first orders

/// A dispose-first order given to one of the handler's units, with its record form.
struct OrderCard {
    id: i64,
    appeal_id: i64,
    number: String,
    topic: String,
    content: String,
    address: String,
    unit: String,
    instruction: String,
    ordered: String,
    ordered_by: String,
    state: String,
    state_word: String,
    action: String,
    cost: String,
    done: String,
}

/// What the record form posts, kept when refused.
#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct RecordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    /// Yuan as typed: `12345.67`.
    #[serde(default)]
    cost: String,
    #[serde(skip)]
    id: i64,
}

#[derive(Template)]
#[template(path = "console_appeal_orders.html")]
struct OrdersPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    csrf: String,
    orders: Vec<OrderCard>,
    form: RecordForm,
    notice: Option<String>,
    error: Option<String>,
}

async fn orders_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    form: RecordForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let topics = Topics::load(state).await?;
    let units = handled_units(state, caller).await?;
    let mut orders = Vec::new();
    for d in disposal::open_for(state.db.conn(), &units).await? {
        let a = appeals::detail(state.db.conn(), d.appeal_id).await?.appeal;
        orders.push(OrderCard {
            id: d.id,
            appeal_id: d.appeal_id,
            number: d.number,
            topic: topics.path(&d.topic),
            content: a.content,
            address: a.address.unwrap_or_default(),
            unit: d.unit_name,
            instruction: d.instruction,
            ordered: when(lang, d.ordered_at),
            ordered_by: d.ordered_by,
            state_word: w.l(format!("appeal.dispose.state.{}", d.state)),
            state: d.state,
            action: d.action.unwrap_or_default(),
            cost: d.cost_fen.map(money::typed).unwrap_or_default(),
            done: d.done_at.map(|t| when(lang, t)).unwrap_or_default(),
        });
    }
    let page = OrdersPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, "/console/appeals/orders"),
        csrf: csrf.token.clone(),
        orders,
        form,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The dispose-first orders given to the handler's units and not settled yet.
pub(in super::super) async fn orders_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(HANDLERS)?;
    orders_view(
        &state,
        &caller,
        &headers,
        &uri,
        RecordForm::default(),
        q.notice,
        None,
    )
    .await
}

/// The ordered unit records what it did and what it cost (yuan typed, fen stored).
pub(in super::super) async fn record_order(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(mut f): axum::Form<RecordForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(HANDLERS)?;
    f.id = id;
    let order = disposal::one(state.db.conn(), id).await?;
    let unit = acts_for(&state, &caller, order.unit_id).await?;
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let done: Result<(), Refusal> = match money::parse_yuan(&f.cost) {
        Err(e) => Err(Refusal::Say(w.l(e.key()))),
        Ok(fen) => {
            let actor = caller.actor(&ip);
            crate::http::write(&state, async |tx| {
                disposal::record(tx, id, unit, &f.action, fen, Utc::now(), &actor).await
            })
            .await
            .map(|_| ())
            .map_err(Refusal::from)
        }
    };
    match done {
        Ok(()) => {
            let notice = tf(
                lang,
                "appeal.dispose.done.recorded",
                &[("number", order.number)],
            );
            Ok(Redirect::to(&format!(
                "/console/appeals/orders?notice={}",
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(r) => {
            let msg = r.said(lang, &[("action", "appeal.dispose.action")])?;
            orders_view(&state, &caller, &headers, &uri, f, None, Some(msg)).await
        }
    }
}

// ---------------------------------------------------------------- a unit's record

#[derive(Debug, Default, Deserialize)]
pub(in super::super) struct RecordQuery {
    #[serde(default)]
    unit: Option<String>,
}

struct HighStar {
    id: i64,
    number: String,
    topic: String,
    stars: String,
    note: String,
    closed: String,
}

#[derive(Template)]
#[template(path = "console_appeal_record.html")]
struct UnitRecordPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    /// (label, units (id, name)).
    unit_groups: Vec<(String, Vec<(i64, String)>)>,
    unit: i64,
    unit_name: String,
    closed: u64,
    starred: u64,
    average: String,
    high: Vec<HighStar>,
}

/// A unit's record of closed appeals it led: how many, how many starred, the average stars and
/// its high-star cases (创先争星). Supervisors and dispatchers choose any unit; a handler sees
/// their own units'.
pub(in super::super) async fn record_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<RecordQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let read_all = caller.require(READ_ALL).is_ok();
    if !read_all {
        caller.require(HANDLERS)?;
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let w = Words::new(lang);
    let units = HandlingUnits::load(&state).await?;
    let mine = if read_all {
        None
    } else {
        Some(handled_units(&state, &caller).await?)
    };
    let unit_groups: Vec<(String, Vec<(i64, String)>)> = units
        .groups
        .iter()
        .map(|(label, us)| {
            (
                w.l(label),
                us.iter()
                    .filter(|(id, _, _)| mine.as_ref().is_none_or(|m| m.contains(id)))
                    .map(|(id, _, n)| (*id, n.clone()))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, us)| !us.is_empty())
        .collect();
    let asked = q
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>())
        .transpose()
        .map_err(|_| ApiError::invalid("invalid_query", "unit"))?;
    // A handler's own unit by default: the first handling unit of their scope.
    let unit = match (asked, &mine) {
        (Some(u), _) => Some(u),
        (None, Some(_)) => unit_groups
            .first()
            .and_then(|(_, us)| us.first())
            .map(|(id, _)| *id),
        (None, None) => None,
    };
    let mut page = UnitRecordPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(&caller, &w, "/console/appeals/record"),
        unit_groups,
        unit: unit.unwrap_or_default(),
        unit_name: String::new(),
        closed: 0,
        starred: 0,
        average: String::new(),
        high: Vec::new(),
        w,
    };
    if let Some(u) = unit {
        let id = if read_all {
            org::get_unit(state.db.conn(), UnitId(u)).await?.id
        } else {
            acts_for(&state, &caller, u).await?
        };
        let topics = Topics::load(&state).await?;
        let r = supervision::unit_record(state.db.conn(), id).await?;
        page.unit_name = units.name(u);
        page.closed = r.closed;
        page.starred = r.starred;
        page.average = r
            .average_stars
            .map(|a| format!("{a:.2}"))
            .unwrap_or_default();
        page.high = r
            .high_star
            .iter()
            .map(|a| HighStar {
                id: a.id,
                number: a.number.clone(),
                topic: topics.name(&a.topic),
                stars: a.stars.map(|s| stars_text(lang, s)).unwrap_or_default(),
                note: a.star_note.clone().unwrap_or_default(),
                closed: a.closed_at.map(|t| when(lang, t)).unwrap_or_default(),
            })
            .collect();
    }
    render(page, None, StatusCode::OK)
}

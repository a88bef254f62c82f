//! Routing rules by topic and area (`/console/appeals/settings/routes`): for a topic or a
//! whole branch of the tree, in one sub-district or the whole district, the lead unit and
//! co-units, and whether a matching appeal is dispatched at intake. Administrators and
//! dispatchers add, change and delete rules; supervisors read them.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use zhengwu_store::appeals::routing::{self, Route, RouteInput};

use super::super::super::super::Frame;
use super::super::super::super::booking::when;
use super::super::super::super::console::render;
use super::super::super::super::guide::Words;
use super::super::super::{HandlingUnits, Topics, status_of};
use super::super::{Menu, Refusal, menu, notice_of, staff_or_login};
use super::{
    HOME, Tabs, UnitGroup, names_of, pair, pairs_of, redirect_with, tabs, unit_groups, unit_names,
};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::appeals::READ_ALL;
use crate::http::supervision::ROUTE_EDITORS;
use crate::i18n::{t, tf};
use crate::startup::AppState;

const PAGE: &str = "/console/appeals/settings/routes";

#[derive(Debug, Default, Deserialize)]
pub(in crate::pages::appeals) struct RoutesQuery {
    /// A rule to change.
    #[serde(default)]
    edit: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

/// What the rule form posts, kept when refused.
#[derive(Debug, Default)]
pub(in crate::pages::appeals) struct RouteForm {
    csrf: String,
    /// `save` or `delete` (a rule's forms); empty for the add form.
    action: String,
    topic_prefix: String,
    /// A sub-district's code; empty: the whole district.
    area: String,
    lead: String,
    co: Vec<String>,
    auto_dispatch: bool,
    note: String,
}

impl RouteForm {
    fn from_pairs(p: &[(String, String)]) -> Self {
        Self {
            csrf: pair(p, "csrf"),
            action: pair(p, "action"),
            topic_prefix: pair(p, "topic_prefix"),
            area: pair(p, "area"),
            lead: pair(p, "lead"),
            co: pairs_of(p, "co"),
            auto_dispatch: !pair(p, "auto_dispatch").is_empty(),
            note: pair(p, "note"),
        }
    }

    fn of(r: &Route) -> Self {
        Self {
            topic_prefix: r.topic_prefix.clone(),
            area: r.area.clone().unwrap_or_default(),
            lead: r.lead.clone(),
            co: r.co.clone(),
            auto_dispatch: r.auto_dispatch,
            note: r.note.clone().unwrap_or_default(),
            ..Default::default()
        }
    }

    fn input(&self) -> RouteInput {
        RouteInput {
            topic_prefix: self.topic_prefix.trim().to_owned(),
            area: Some(self.area.trim().to_owned()).filter(|a| !a.is_empty()),
            lead: self.lead.trim().to_owned(),
            co: self
                .co
                .iter()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
            auto_dispatch: self.auto_dispatch,
            note: Some(self.note.trim().to_owned()).filter(|n| !n.is_empty()),
        }
    }
}

/// A rule as the list shows it.
struct RouteRow {
    id: i64,
    topic: String,
    topic_code: String,
    area: String,
    lead: String,
    co: String,
    auto_dispatch: bool,
    note: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "console_appeal_settings_routes.html")]
struct RoutesPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    tabs: Tabs,
    csrf: String,
    can_edit: bool,
    rows: Vec<RouteRow>,
    editing: Option<i64>,
    /// Every topic at every level: (code, path).
    topic_options: Vec<(String, String)>,
    /// The sub-districts: (code, name).
    areas: Vec<(String, String)>,
    unit_groups: Vec<UnitGroup>,
    form: RouteForm,
    notice: Option<String>,
    error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn routes_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    editing: Option<i64>,
    form: RouteForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let topics = Topics::load(state).await?;
    let units = HandlingUnits::load(state).await?;
    let names = unit_names(&units);
    let everywhere = w.l("appeal.settings.routes.everywhere");
    let rows = routing::list(state.db.conn())
        .await?
        .into_iter()
        .map(|r| RouteRow {
            id: r.id,
            topic: topics.path(&r.topic_prefix),
            area: r
                .area
                .as_ref()
                .map(|a| names_of(&names, std::slice::from_ref(a)))
                .unwrap_or_else(|| everywhere.clone()),
            lead: names_of(&names, std::slice::from_ref(&r.lead)),
            co: names_of(&names, &r.co),
            auto_dispatch: r.auto_dispatch,
            note: r.note.unwrap_or_default(),
            updated: when(lang, r.updated_at),
            topic_code: r.topic_prefix,
        })
        .collect();
    let areas = units
        .groups
        .iter()
        .filter(|(label, _)| *label == "appeal.units.subdistrict")
        .flat_map(|(_, us)| us.iter())
        .map(|(_, code, name)| (code.clone(), name.clone()))
        .collect();
    let can_edit = caller.require(ROUTE_EDITORS).is_ok();
    let page = RoutesPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, HOME),
        tabs: tabs(&w, PAGE),
        csrf: csrf.token.clone(),
        can_edit,
        rows,
        editing: editing.filter(|_| can_edit),
        topic_options: super::topic_options(&topics, 3),
        areas,
        unit_groups: unit_groups(&w, &units, &form.co),
        form,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The routing rules, with the form to add one or change one (`?edit=`).
pub(in crate::pages::appeals) async fn routes_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<RoutesQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(READ_ALL)?;
    let wanted = q.edit.as_deref().and_then(|e| e.trim().parse::<i64>().ok());
    let editing = match wanted {
        Some(id) => routing::list(state.db.conn())
            .await?
            .into_iter()
            .find(|r| r.id == id),
        None => None,
    };
    let form = editing.as_ref().map(RouteForm::of).unwrap_or_default();
    routes_view(
        &state,
        &caller,
        &headers,
        &uri,
        editing.map(|r| r.id),
        form,
        q.notice,
        None,
    )
    .await
}

/// What the form lacks before the store is asked: a topic and a lead unit.
fn missing(lang: crate::i18n::Lang, f: &RouteForm) -> Option<Refusal> {
    if f.topic_prefix.trim().is_empty() {
        Some(Refusal::Say(t(
            lang,
            "appeal.settings.routes.topic_required",
        )))
    } else if f.lead.trim().is_empty() {
        Some(Refusal::Say(t(
            lang,
            "appeal.settings.routes.lead_required",
        )))
    } else {
        None
    }
}

/// The store's fields as this form labels them.
const LABELS: &[(&str, &str)] = &[
    ("topic_prefix", "appeal.settings.routes.topic"),
    ("note", "appeal.settings.routes.note"),
];

fn done_notice(lang: crate::i18n::Lang, key: &str, r: &Route, topics: &Topics) -> String {
    tf(
        lang,
        key,
        &[
            ("topic", topics.path(&r.topic_prefix)),
            ("code", r.topic_prefix.clone()),
        ],
    )
}

/// An administrator or a dispatcher adds a rule.
pub(in crate::pages::appeals) async fn add_route(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let f = RouteForm::from_pairs(&pairs);
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(ROUTE_EDITORS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let done: Result<Route, Refusal> = match missing(lang, &f) {
        Some(r) => Err(r),
        None => {
            let actor = caller.actor(&ip);
            let input = f.input();
            crate::http::write(&state, async |tx| {
                routing::save(tx, None, &input, Utc::now(), &actor).await
            })
            .await
            .map_err(Refusal::from)
        }
    };
    match done {
        Ok(r) => {
            let topics = Topics::load(&state).await?;
            Ok(redirect_with(
                PAGE,
                &done_notice(lang, "appeal.settings.routes.done.added", &r, &topics),
            ))
        }
        Err(r) => {
            let msg = r.said(lang, LABELS)?;
            routes_view(&state, &caller, &headers, &uri, None, f, None, Some(msg)).await
        }
    }
}

/// An administrator or a dispatcher changes a rule, or deletes it.
pub(in crate::pages::appeals) async fn route_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let mut f = RouteForm::from_pairs(&pairs);
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(ROUTE_EDITORS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let actor = caller.actor(&ip);
    let stored = routing::list(state.db.conn())
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(ApiError::not_found)?;
    let done: Result<(&str, Route), Refusal> = match f.action.as_str() {
        "save" => match missing(lang, &f) {
            Some(r) => Err(r),
            None => {
                let input = f.input();
                crate::http::write(&state, async |tx| {
                    routing::save(tx, Some(id), &input, Utc::now(), &actor).await
                })
                .await
                .map(|r| ("appeal.settings.routes.done.saved", r))
                .map_err(Refusal::from)
            }
        },
        "delete" => {
            f = RouteForm {
                action: f.action,
                ..RouteForm::of(&stored)
            };
            crate::http::write(&state, async |tx| routing::delete(tx, id, &actor).await)
                .await
                .map(|()| ("appeal.settings.routes.done.deleted", stored.clone()))
                .map_err(Refusal::from)
        }
        other => Err(ApiError::invalid_field("action", format!("unknown:{other}")).into()),
    };
    match done {
        Ok((key, r)) => {
            let topics = Topics::load(&state).await?;
            Ok(redirect_with(PAGE, &done_notice(lang, key, &r, &topics)))
        }
        Err(r) => {
            let msg = r.said(lang, LABELS)?;
            routes_view(
                &state,
                &caller,
                &headers,
                &uri,
                Some(id),
                f,
                None,
                Some(msg),
            )
            .await
        }
    }
}

//! Citizen appeals (12345, issue 9) in the browser, on the same store functions as
//! `/api/v1/appeals`: the resident's form and tracking page on the portal (`/appeal/new`,
//! `/appeal/track`), the hotline operator's fast intake with instant answers
//! (`/console/appeals/intake`), the dispatcher's lists and an appeal's page with its actions
//! (`/console/appeals`, `/console/appeals/{id}`), and a unit handler's open appeals
//! (`/console/appeals/mine`); and the further tools of the dispatcher and the supervisor:
//! extension requests (`/console/appeals/extensions`), listed supervision
//! (`/console/appeals/supervision`), the dispose-first ledger (`/console/appeals/ledger`) and a
//! unit's orders (`/console/appeals/orders`), look-back checks (`/console/appeals/checks`) and a
//! unit's record of stars (`/console/appeals/record`); and the hotline's settings — the topic
//! tree, the knowledge base, routing rules and time limits (`/console/appeals/settings/…`).
//! Every form works without JavaScript; a successful post redirects (post/redirect/get), a
//! refused one shows the reason next to the form with what was typed.

use std::collections::HashMap;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::NaiveDate;
use zhengwu_core::Calendar;
use zhengwu_core::booking::local_date_minute;
use zhengwu_store::appeals::{self, Appeal, Topic};
use zhengwu_store::org::{self, UnitFilter, UnitKind};

use crate::error::ApiError;
use crate::i18n::{Lang, t};
use crate::startup::AppState;

mod console;
mod portal;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/appeal/new",
            get(portal::new_page).post(portal::new_submit),
        )
        .route("/appeal/track", get(portal::track_page))
        .route(
            "/console/appeals/intake",
            get(console::intake_page).post(console::intake_submit),
        )
        .route("/console/appeals", get(console::list_page))
        .route("/console/appeals/mine", get(console::mine_page))
        .route("/console/appeals/extensions", get(console::extensions_page))
        .route(
            "/console/appeals/extensions/{id}",
            post(console::decide_extension),
        )
        .route(
            "/console/appeals/supervision",
            get(console::supervision_page).post(console::list_topic),
        )
        .route(
            "/console/appeals/supervision/{id}",
            post(console::supervision_submit),
        )
        .route("/console/appeals/ledger", get(console::ledger_page))
        .route("/console/appeals/ledger.csv", get(console::ledger_csv))
        .route("/console/appeals/orders", get(console::orders_page))
        .route("/console/appeals/orders/{id}", post(console::record_order))
        .route("/console/appeals/checks", get(console::checks_page))
        .route("/console/appeals/checks/run", post(console::run_checks))
        .route(
            "/console/appeals/checks/{id}",
            post(console::complete_check),
        )
        .route("/console/appeals/record", get(console::record_page))
        .route(
            "/console/appeals/settings/topics",
            get(console::topics_page).post(console::add_topic),
        )
        .route(
            "/console/appeals/settings/topics/{code}",
            post(console::topic_submit),
        )
        .route(
            "/console/appeals/settings/knowledge",
            get(console::knowledge_page).post(console::add_knowledge),
        )
        .route(
            "/console/appeals/settings/knowledge/{id}",
            post(console::knowledge_submit),
        )
        .route(
            "/console/appeals/settings/routes",
            get(console::routes_page).post(console::add_route),
        )
        .route(
            "/console/appeals/settings/routes/{id}",
            post(console::route_submit),
        )
        .route(
            "/console/appeals/settings/limits",
            get(console::limits_page).post(console::save_limits),
        )
        .route(
            "/console/appeals/{id}",
            get(console::detail_page).post(console::detail_submit),
        )
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

/// The leaves of the topic tree grouped under their level-2 topics, for a `<select>`.
pub(crate) struct TopicGroup {
    pub(crate) label: String,
    pub(crate) leaves: Vec<(String, String)>,
}

/// The topic tree and names by code.
struct Topics {
    all: Vec<Topic>,
    names: HashMap<String, String>,
}

impl Topics {
    async fn load(state: &AppState) -> Result<Self, ApiError> {
        let all = appeals::topics(state.db.conn()).await?;
        let names = all
            .iter()
            .map(|t| (t.code.clone(), t.name.clone()))
            .collect();
        Ok(Self { all, names })
    }

    fn name(&self, code: &str) -> String {
        self.names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    /// `城市管理 › 市容环境 › 占道经营`.
    fn path(&self, code: &str) -> String {
        let mut parts = vec![self.name(code)];
        let mut at = self.all.iter().find(|t| t.code == code);
        while let Some(p) = at.and_then(|t| t.parent_code.as_deref()) {
            parts.push(self.name(p));
            at = self.all.iter().find(|t| t.code == p);
        }
        parts.reverse();
        parts.join(" › ")
    }

    fn groups(&self) -> Vec<TopicGroup> {
        self.all
            .iter()
            .filter(|t| t.level == 2)
            .map(|g| TopicGroup {
                label: match g.parent_code.as_deref() {
                    Some(p) => format!("{} › {}", self.name(p), g.name),
                    None => g.name.clone(),
                },
                leaves: self
                    .all
                    .iter()
                    .filter(|l| l.level == 3 && l.parent_code.as_deref() == Some(g.code.as_str()))
                    .map(|l| (l.code.clone(), l.name.clone()))
                    .collect(),
            })
            .filter(|g| !g.leaves.is_empty())
            .collect()
    }

    fn get(&self, code: &str) -> Option<&Topic> {
        self.all.iter().find(|t| t.code == code)
    }
}

/// A handling unit: id, code, name.
type UnitEntry = (i64, String, String);

/// The units that handle appeals (departments, sub-districts, communities), by kind.
struct HandlingUnits {
    /// (kind label key, units (id, code, name)).
    groups: Vec<(&'static str, Vec<UnitEntry>)>,
    names: HashMap<i64, String>,
}

impl HandlingUnits {
    async fn load(state: &AppState) -> Result<Self, ApiError> {
        let units = org::list_units(state.db.conn(), &UnitFilter::default()).await?;
        let names = units.iter().map(|u| (u.id.get(), u.name.clone())).collect();
        let groups = [
            (UnitKind::Department, "appeal.units.department"),
            (UnitKind::Subdistrict, "appeal.units.subdistrict"),
            (UnitKind::Community, "appeal.units.community"),
        ]
        .into_iter()
        .map(|(k, label)| {
            (
                label,
                units
                    .iter()
                    .filter(|u| u.kind == k)
                    .map(|u| (u.id.get(), u.code.clone(), u.name.clone()))
                    .collect(),
            )
        })
        .collect();
        Ok(Self { groups, names })
    }

    fn name(&self, id: i64) -> String {
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn id_of(&self, code: &str) -> Option<i64> {
        self.groups
            .iter()
            .flat_map(|(_, us)| us.iter())
            .find(|(_, c, _)| c == code)
            .map(|(id, _, _)| *id)
    }
}

/// An appeal's deadline in words: the date, and a warning when 75% of the time is used (amber)
/// or when it is past (red); never by colour alone.
pub(crate) struct Deadline {
    pub(crate) date: String,
    /// `""`, `due_soon` or `overdue`.
    pub(crate) state: &'static str,
    pub(crate) word: String,
}

fn deadline(lang: Lang, cal: &Calendar, a: &Appeal, today: NaiveDate) -> Deadline {
    let date = fmt_date(lang, a.due_on);
    let open = zhengwu_core::appeal::Status::parse(&a.status).is_some_and(|s| s.is_open());
    let state = if open {
        let start = local_date_minute(a.created_at).0;
        zhengwu_core::appeal::deadline_state(cal, start, a.due_on, today).as_str()
    } else {
        ""
    };
    Deadline {
        date,
        state,
        word: if state.is_empty() {
            String::new()
        } else {
            t(lang, &format!("appeal.deadline.{state}"))
        },
    }
}

fn fmt_date(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::ZhCn => d.format("%Y年%m月%d日").to_string(),
        Lang::En => d.format("%Y-%m-%d").to_string(),
    }
}

fn today() -> NaiveDate {
    local_date_minute(chrono::Utc::now()).0
}

/// The first characters of a text, for a list.
fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

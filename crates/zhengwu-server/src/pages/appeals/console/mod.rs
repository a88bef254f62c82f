//! The staff's side, one module per role: the hotline operator's intake with instant answers
//! (`intake`); the dispatcher's lists and extension requests (`dispatcher`); a unit handler's
//! open appeals, dispose-first orders and record (`unit`); the supervisor's listed supervision
//! and dispose-first ledger (`supervisor`); look-back checks for both (`checks`); one appeal
//! with its actions by state and role (`detail`); and the hotline's settings kept by
//! administrators and dispatchers (`settings`).

use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhengwu_store::appeals::Appeal;

use super::super::guide::Words;
use super::{Deadline, Topics, deadline, excerpt, inline, today};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::appeals::acts_for;
use crate::i18n::{self, Lang, t};

mod checks;
mod detail;
mod dispatcher;
mod intake;
mod money;
mod settings;
mod supervisor;
mod unit;

pub(super) use checks::{checks_page, complete_check, run_checks};
pub(super) use detail::{detail_page, detail_submit};
pub(super) use dispatcher::{decide_extension, extensions_page, list_page};
pub(super) use intake::{intake_page, intake_submit};
pub(super) use settings::{
    add_knowledge, add_route, add_topic, knowledge_page, knowledge_submit, limits_page,
    route_submit, routes_page, save_limits, topic_submit, topics_page,
};
pub(super) use supervisor::{
    ledger_csv, ledger_page, list_topic, supervision_page, supervision_submit,
};
pub(super) use unit::{mine_page, orders_page, record_order, record_page};

/// Staff only: anyone else goes to the login page.
fn staff_or_login(caller: &Caller) -> Option<Response> {
    (!matches!(caller, Caller::Staff(_) | Caller::Token(_)))
        .then(|| Redirect::to("/console/login").into_response())
}

fn notice_of(q: Option<String>) -> Option<String> {
    q.map(|n| n.chars().take(160).collect())
}

/// One appeal in a list.
pub(super) struct Row {
    id: i64,
    number: String,
    kind: String,
    topic: String,
    content: String,
    deadline: Deadline,
    status: String,
    urgent: bool,
    /// The handler's part (their own list).
    part: String,
}

fn row(lang: Lang, w: &Words, topics: &Topics, cal: &zhengwu_core::Calendar, a: &Appeal) -> Row {
    Row {
        id: a.id,
        number: a.number.clone(),
        kind: w.l(format!("appeal.kind.{}", a.kind)),
        topic: topics.name(&a.topic),
        content: excerpt(&a.content, 40),
        deadline: deadline(lang, cal, a, today()),
        status: w.l(format!("appeal.status.{}", a.status)),
        urgent: a.urgent,
        part: String::new(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
}

/// A list's tab.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    tab: String,
}

/// Why a form was not taken: a rule broken, said beside the form in the user's language, or an
/// error for the error page (403, 404, 5xx).
pub(super) enum Refusal {
    Say(String),
    Error(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Self::Error(e)
    }
}

impl From<zhengwu_store::StoreError> for Refusal {
    fn from(e: zhengwu_store::StoreError) -> Self {
        Self::Error(e.into())
    }
}

impl Refusal {
    /// The words to show beside the form, or the error for the error page. `labels` names the
    /// store's fields as this form labels them (`note` → "审批意见").
    fn said(self, lang: Lang, labels: &[(&str, &str)]) -> Result<String, ApiError> {
        match self {
            Self::Say(s) => Ok(s),
            Self::Error(e) => {
                let label = e
                    .field
                    .as_deref()
                    .and_then(|f| labels.iter().find(|(name, _)| *name == f));
                let reason = e.args.iter().find(|(k, _)| *k == "reason");
                match (label, reason) {
                    (Some((_, key)), Some((_, r)))
                        if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY =>
                    {
                        Ok(format!(
                            "{}{}{}",
                            t(lang, key),
                            t(lang, "punct.colon"),
                            i18n::reason(lang, r)
                        ))
                    }
                    _ => inline(e, lang),
                }
            }
        }
    }
}

/// An event of an appeal's history in words. The first slice's steps are `appeal.event.*`;
/// the supervisor's and dispatcher's tools name theirs in their own blocks of the catalogue.
fn event_label(w: &Words, kind: &str) -> String {
    let first = format!("appeal.event.{kind}");
    if i18n::has(&first) {
        return w.l(first);
    }
    let key = if let Some(rest) = kind.strip_prefix("extension_") {
        format!("appeal.ext.event.{rest}")
    } else if let Some(rest) = kind.strip_prefix("dispose_") {
        format!("appeal.dispose.event.{rest}")
    } else if let Some(rest) = kind.strip_prefix("check_") {
        format!("appeal.check.event.{rest}")
    } else {
        match kind {
            "merged" | "merged_in" => format!("appeal.merge.event.{kind}"),
            "split" | "split_from" => format!("appeal.split.event.{kind}"),
            "starred" => "appeal.star.event".to_owned(),
            _ => return kind.to_owned(),
        }
    };
    if i18n::has(&key) {
        w.l(key)
    } else {
        kind.to_owned()
    }
}

/// `★★★★☆ 4 星`: the stars drawn and said in words (never by the glyphs alone).
fn stars_text(lang: Lang, n: i16) -> String {
    let n = n.clamp(0, 5);
    let drawn: String = (0..5).map(|i| if i < n { '★' } else { '☆' }).collect();
    format!(
        "{drawn} {}",
        i18n::tf(lang, "appeal.star.of", &[("n", n.to_string())])
    )
}

/// A working-day date that is past: the word beside it (red by its class, and said).
struct Due {
    date: String,
    overdue: bool,
}

fn due(lang: Lang, d: chrono::NaiveDate, open: bool) -> Due {
    Due {
        date: super::fmt_date(lang, d),
        overdue: open && d < today(),
    }
}

/// The appeal pages a caller may open, for the menu at the top of each (by role).
pub(super) struct Menu {
    /// (address, label, the page shown now).
    items: Vec<(&'static str, String, bool)>,
}

fn menu(caller: &Caller, w: &Words, current: &str) -> Menu {
    use crate::http::appeals::{DISPATCH, HANDLERS, READ_ALL};
    let read_all = caller.require(READ_ALL).is_ok();
    let handler = caller.require(HANDLERS).is_ok();
    let pages: [(&'static str, &str, bool); 10] = [
        (
            "/console/appeals/intake",
            "appeal.intake.title",
            caller.require(DISPATCH).is_ok(),
        ),
        ("/console/appeals", "appeal.list.title", read_all),
        (
            "/console/appeals/extensions",
            "appeal.ext.list.title",
            read_all,
        ),
        ("/console/appeals/supervision", "appeal.sup.title", read_all),
        (
            "/console/appeals/ledger",
            "appeal.dispose.ledger.title",
            read_all,
        ),
        ("/console/appeals/mine", "appeal.mine.title", handler),
        (
            "/console/appeals/orders",
            "appeal.dispose.mine.title",
            handler,
        ),
        (
            "/console/appeals/checks",
            "appeal.check.title",
            read_all || handler,
        ),
        (
            "/console/appeals/record",
            "appeal.star.record.title",
            read_all || handler,
        ),
        (settings::HOME, "appeal.settings.title", read_all),
    ];
    Menu {
        items: pages
            .into_iter()
            .filter(|(_, _, may)| *may)
            .map(|(href, key, _)| (href, w.l(key), href == current))
            .collect(),
    }
}

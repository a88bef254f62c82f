//! The time limits (`/console/appeals/settings/limits`): working days to sign for an appeal and
//! to handle each kind; the administrator changes them, dispatchers and supervisors read them.
//! They apply to appeals taken in or dispatched from then on.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;
use zhengwu_core::appeal::Limits;
use zhengwu_store::appeals::admin;

use super::super::super::super::Frame;
use super::super::super::super::console::render;
use super::super::super::super::guide::Words;
use super::super::super::status_of;
use super::super::{Menu, NoticeQuery, Refusal, menu, notice_of, staff_or_login};
use super::{ADMINS, HOME, Tabs, redirect_with, tabs};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::http::appeals::READ_ALL;
use crate::i18n::{Lang, t, tf};
use crate::startup::AppState;

const PAGE: &str = "/console/appeals/settings/limits";

/// What the limits form posts, kept as typed when refused.
#[derive(Debug, Default, Deserialize)]
pub(in crate::pages::appeals) struct LimitsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sign: String,
    #[serde(default)]
    consult: String,
    #[serde(default)]
    help: String,
    #[serde(default)]
    complaint: String,
    #[serde(default)]
    report: String,
    #[serde(default)]
    suggestion: String,
}

impl LimitsForm {
    fn of(l: &Limits) -> Self {
        let mut f = Self::default();
        for (name, days) in l.named() {
            if let Some(slot) = f.slot(name) {
                *slot = days.to_string();
            }
        }
        f
    }

    fn slot(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "sign" => &mut self.sign,
            "consult" => &mut self.consult,
            "help" => &mut self.help,
            "complaint" => &mut self.complaint,
            "report" => &mut self.report,
            "suggestion" => &mut self.suggestion,
            _ => return None,
        })
    }

    fn typed(&mut self, name: &str) -> String {
        self.slot(name).map(|s| s.clone()).unwrap_or_default()
    }

    /// The limits as typed; the first that is not a whole number is named.
    fn limits(&mut self) -> Result<Limits, &'static str> {
        let mut l = Limits::default();
        for (name, _) in Limits::default().named() {
            let days = self.typed(name).trim().parse::<u32>().map_err(|_| name)?;
            l.set(name, days);
        }
        Ok(l)
    }
}

/// One limit on the page.
struct LimitRow {
    name: &'static str,
    label: String,
    value: String,
    /// `默认 5 个工作日`.
    default: String,
    /// `5 个工作日` (the page for those who only read).
    days: String,
}

#[derive(Template)]
#[template(path = "console_appeal_settings_limits.html")]
struct LimitsPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    tabs: Tabs,
    csrf: String,
    can_edit: bool,
    rows: Vec<LimitRow>,
    /// The limit the refusal is about.
    error_field: String,
    notice: Option<String>,
    error: Option<String>,
}

fn days(lang: Lang, n: impl ToString) -> String {
    tf(
        lang,
        "appeal.settings.limits.days",
        &[("days", n.to_string())],
    )
}

async fn limits_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    mut form: LimitsForm,
    notice: Option<String>,
    error: Option<(String, String)>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let defaults = Limits::default().named();
    let rows = defaults
        .iter()
        .map(|(name, default)| {
            let value = form.typed(name);
            LimitRow {
                name,
                label: t(lang, &format!("field.{name}")),
                days: days(lang, &value),
                default: tf(
                    lang,
                    "appeal.settings.limits.default",
                    &[("days", default.to_string())],
                ),
                value,
            }
        })
        .collect();
    let (error_field, error) = match error {
        Some((field, msg)) => (field, Some(msg)),
        None => (String::new(), None),
    };
    let page = LimitsPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, HOME),
        tabs: tabs(&w, PAGE),
        csrf: csrf.token.clone(),
        can_edit: caller.require(ADMINS).is_ok(),
        rows,
        error_field,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The time limits in working days.
pub(in crate::pages::appeals) async fn limits_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(READ_ALL)?;
    let form = LimitsForm::of(&admin::limits(state.db.conn()).await?);
    limits_view(&state, &caller, &headers, &uri, form, q.notice, None).await
}

/// The administrator sets the limits (each 1–60 working days).
pub(in crate::pages::appeals) async fn save_limits(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(mut f): axum::Form<LimitsForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(ADMINS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let done: Result<Limits, (String, Refusal)> = match f.limits() {
        Err(name) => Err((
            name.to_owned(),
            Refusal::Say(tf(
                lang,
                "appeal.settings.limits.number",
                &[
                    ("field", t(lang, &format!("field.{name}"))),
                    ("max", Limits::MAX_DAYS.to_string()),
                ],
            )),
        )),
        Ok(l) => {
            let actor = caller.actor(&ip);
            crate::http::write(&state, async |tx| admin::set_limits(tx, &l, &actor).await)
                .await
                .map_err(|e| (e.field.clone().unwrap_or_default(), Refusal::from(e)))
        }
    };
    match done {
        Ok(_) => Ok(redirect_with(PAGE, &t(lang, "appeal.settings.limits.done"))),
        Err((field, r)) => {
            let msg = r.said(lang, &[])?;
            limits_view(&state, &caller, &headers, &uri, f, None, Some((field, msg))).await
        }
    }
}

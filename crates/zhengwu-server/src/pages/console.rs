//! The staff console: the login page, the console home (what the signed-in roles can do),
//! logout, and the audit trail for administrators and supervisors (search, CSV export).
//! Every form carries a CSRF token.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use zhengwu_core::roles::Role;
use zhengwu_store::audit::{self, EntryFilter};

use super::Frame;
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::i18n::{Lang, t, tf};
use crate::startup::AppState;

/// Roles that may read the audit trail.
pub const AUDIT_READERS: &[Role] = &[Role::Admin, Role::Supervisor];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(login_page).post(login_submit))
        .route("/console/logout", axum::routing::post(logout))
        .route("/console", get(console_home))
        .route("/console/audit", get(audit_page))
        .route("/console/audit.csv", get(audit_csv))
}

fn lang_of(headers: &HeaderMap, uri: &axum::http::Uri) -> Lang {
    crate::http::lang_from(uri, headers)
}

pub(crate) fn render(
    t: impl Template,
    csrf: Option<&Csrf>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let html = t
        .render()
        .map_err(|e| ApiError::internal(anyhow::Error::new(e)))?;
    let mut res = (status, Html(html)).into_response();
    if let Some(c) = csrf {
        c.apply(&mut res);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    frame: Frame,
    title: String,
    csrf: String,
    username: String,
    username_label: String,
    password_label: String,
    submit_label: String,
    error_title: String,
    error: String,
}

fn login_page_for(lang: Lang, csrf: &Csrf, username: &str, error: Option<&str>) -> LoginPage {
    LoginPage {
        frame: Frame::new(lang, t(lang, "page.title")),
        title: t(lang, "page.login.title"),
        csrf: csrf.token.clone(),
        username: username.to_owned(),
        username_label: t(lang, "page.login.username"),
        password_label: t(lang, "page.login.password"),
        submit_label: t(lang, "page.login.submit"),
        error_title: error
            .map(|c| t(lang, &format!("error.{c}.title")))
            .unwrap_or_default(),
        error: error
            .map(|c| t(lang, &format!("error.{c}.detail")))
            .unwrap_or_default(),
    }
}

async fn login_page(
    caller: Caller,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    if matches!(caller, Caller::Staff(_)) {
        return Ok(Redirect::to("/console").into_response());
    }
    let lang = lang_of(&headers, &uri);
    let csrf = Csrf::for_request(&headers)?;
    render(
        login_page_for(lang, &csrf, "", None),
        Some(&csrf),
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &form.csrf)?;
    let lang = lang_of(&headers, &uri);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match crate::auth::log_in(&state, &ip, user_agent, &form.username, form.password).await {
        Ok((_, cookie)) => {
            let mut res = Redirect::to("/console").into_response();
            res.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(res)
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            let csrf = Csrf::for_request(&headers)?;
            let username: String = form.username.chars().take(64).collect();
            render(
                login_page_for(lang, &csrf, &username, Some(e.code)),
                Some(&csrf),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &form.csrf)?;
    let cleared = crate::auth::log_out(&state, &caller, &ip, &headers).await?;
    let mut res = Redirect::to("/console/login").into_response();
    res.headers_mut().append(header::SET_COOKIE, cleared);
    Ok(res)
}

struct GrantRow {
    role: String,
    scope: String,
    can: String,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage {
    frame: Frame,
    title: String,
    welcome: String,
    csrf: String,
    logout_label: String,
    roles_label: String,
    can_label: String,
    grants: Vec<GrantRow>,
    show_audit: bool,
    show_catalog: bool,
    show_counters: bool,
    counters_label: String,
    catalog_label: String,
    audit_label: String,
    show_citizens: bool,
    citizens_label: String,
    /// Appointments, urgent requests and rectifications (issue 6).
    show_booking: bool,
    show_urgent: bool,
    show_rect: bool,
    booking_labels: [String; 3],
    /// Citizen appeals (issue 9): intake, the lists, a handler's own.
    show_appeal_intake: bool,
    show_appeals: bool,
    show_appeals_mine: bool,
    appeal_labels: [String; 3],
    /// The supervisor's tools on appeals: listed supervision, the dispose-first ledger,
    /// look-back checks.
    show_appeal_supervision: bool,
    supervision_labels: [String; 3],
    /// Cases (issue 7): the pages the caller's roles open, (address, label).
    case_links: Vec<(&'static str, String)>,
}

async fn console_home(
    caller: Caller,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let show_audit = caller.require(AUDIT_READERS).is_ok();
    let show_counters = caller.require(crate::http::queue::QUEUE_STAFF).is_ok();
    let show_catalog = caller.require(crate::http::catalog::CATALOG_ADMINS).is_ok();
    let show_citizens = caller
        .require(crate::http::applicants::CITIZEN_READERS)
        .is_ok();
    let show_booking = caller.require(crate::http::queue::QUEUE_STAFF).is_ok();
    let show_urgent = caller.require(crate::http::booking::URGENT_STAFF).is_ok();
    let show_rect = caller.require(crate::http::ratings::RECTIFY_STAFF).is_ok();
    let show_appeal_intake = caller.require(crate::http::appeals::DISPATCH).is_ok();
    let show_appeals = caller.require(crate::http::appeals::READ_ALL).is_ok();
    let show_appeals_mine = caller.require(crate::http::appeals::HANDLERS).is_ok();
    let show_appeal_supervision = caller.require(crate::http::supervision::SUPERVISE).is_ok();
    let case_links = super::cases_console::console_links(&caller, lang_of(&headers, &uri));
    let Caller::Staff(staff) = caller else {
        return Ok(Redirect::to("/console/login").into_response());
    };
    let lang = lang_of(&headers, &uri);
    let csrf = Csrf::for_request(&headers)?;
    let page = ConsolePage {
        frame: Frame::new(lang, t(lang, "page.title")),
        title: t(lang, "page.console.title"),
        welcome: tf(
            lang,
            "page.console.welcome",
            &[("name", staff.display_name.clone())],
        ),
        csrf: csrf.token.clone(),
        logout_label: t(lang, "page.console.logout"),
        roles_label: t(lang, "page.console.roles"),
        can_label: t(lang, "page.console.can"),
        grants: staff
            .grants
            .iter()
            .map(|g| GrantRow {
                role: t(lang, &format!("role.{}", g.role.as_str())),
                scope: g.scope_name.clone(),
                can: t(lang, &format!("can.{}", g.role.as_str())),
            })
            .collect(),
        show_audit,
        show_catalog,
        show_counters,
        counters_label: t(lang, "queue.counters"),
        catalog_label: t(lang, "page.console.catalog"),
        audit_label: t(lang, "page.console.audit"),
        show_citizens,
        citizens_label: t(lang, "page.citizens.title"),
        show_booking,
        show_urgent,
        show_rect,
        booking_labels: [
            t(lang, "booking.console"),
            t(lang, "urgent.console"),
            t(lang, "rect.title"),
        ],
        show_appeal_intake,
        show_appeals,
        show_appeals_mine,
        appeal_labels: [
            t(lang, "appeal.intake.title"),
            t(lang, "appeal.list.title"),
            t(lang, "appeal.mine.title"),
        ],
        show_appeal_supervision,
        supervision_labels: [
            t(lang, "appeal.sup.title"),
            t(lang, "appeal.dispose.ledger.title"),
            t(lang, "appeal.check.title"),
        ],
        case_links,
    };
    render(page, Some(&csrf), StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    record_type: String,
    #[serde(default)]
    record_id: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl AuditQuery {
    fn filter(&self) -> Result<EntryFilter, ApiError> {
        let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let date = |field: &str, s: &str| -> Result<Option<NaiveDate>, ApiError> {
            match non_empty(s) {
                None => Ok(None),
                Some(v) => crate::http::calendar::parse_date(field, &v).map(Some),
            }
        };
        let tz = zhengwu_core::calendar::district_offset();
        let start = |d: NaiveDate| {
            tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
                .single()
                .map(|t| t.with_timezone(&Utc))
        };
        Ok(EntryFilter {
            record_type: non_empty(&self.record_type),
            record_id: non_empty(&self.record_id),
            actor_label: non_empty(&self.actor),
            from: date("from", &self.from)?.and_then(start),
            to: date("to", &self.to)?
                .and_then(|d| d.succ_opt())
                .and_then(start),
            ..Default::default()
        })
    }

    fn query_string(&self) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        char::from(b).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        format!(
            "record_type={}&record_id={}&actor={}&from={}&to={}",
            enc(&self.record_type),
            enc(&self.record_id),
            enc(&self.actor),
            enc(&self.from),
            enc(&self.to)
        )
    }
}

struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    ip: String,
    action: String,
    record: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    frame: Frame,
    title: String,
    console_label: String,
    l_record_type: String,
    l_record_id: String,
    l_actor: String,
    l_from: String,
    l_to: String,
    l_search: String,
    l_csv: String,
    l_empty: String,
    q_record_type: String,
    q_record_id: String,
    q_actor: String,
    q_from: String,
    q_to: String,
    query: String,
    headers: Vec<String>,
    rows: Vec<AuditRow>,
}

const AUDIT_PAGE_ROWS: u64 = 500;
const AUDIT_CSV_ROWS: u64 = 100_000;

fn audit_headers(lang: Lang) -> Vec<String> {
    ["seq", "at", "actor", "ip", "action", "record", "summary"]
        .iter()
        .map(|c| t(lang, &format!("page.audit.col.{c}")))
        .collect()
}

async fn audit_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    if matches!(caller, Caller::Anonymous) {
        return Ok(Redirect::to("/console/login").into_response());
    }
    caller.require(AUDIT_READERS)?;
    let lang = lang_of(&headers, &uri);
    let entries = audit::search(state.db.conn(), &q.filter()?, AUDIT_PAGE_ROWS).await?;
    let page = AuditPage {
        frame: Frame::new(lang, t(lang, "page.title")),
        title: t(lang, "page.console.audit"),
        console_label: t(lang, "page.console.title"),
        l_record_type: t(lang, "page.audit.record_type"),
        l_record_id: t(lang, "page.audit.record_id"),
        l_actor: t(lang, "page.audit.actor"),
        l_from: t(lang, "page.audit.from"),
        l_to: t(lang, "page.audit.to"),
        l_search: t(lang, "page.audit.search"),
        l_csv: t(lang, "page.audit.csv"),
        l_empty: t(lang, "page.audit.empty"),
        query: q.query_string(),
        q_record_type: q.record_type,
        q_record_id: q.record_id,
        q_actor: q.actor,
        q_from: q.from,
        q_to: q.to,
        headers: audit_headers(lang),
        rows: entries
            .into_iter()
            .map(|e| AuditRow {
                seq: e.seq,
                at: e.at,
                actor: format!("{} {}", e.actor_kind, e.actor_label),
                ip: e.ip.unwrap_or_default(),
                action: e.action,
                record: format!("{} {}", e.record_type, e.record_id.unwrap_or_default()),
                summary: e.summary.to_string(),
            })
            .collect(),
    };
    render(page, None, StatusCode::OK)
}

async fn audit_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    caller.require(AUDIT_READERS)?;
    let entries = audit::search(state.db.conn(), &q.filter()?, AUDIT_CSV_ROWS).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ApiError::internal(anyhow::Error::new(e));
    w.write_record([
        "seq",
        "at",
        "actor_kind",
        "actor_id",
        "actor",
        "ip",
        "action",
        "record_type",
        "record_id",
        "summary",
        "hash",
    ])
    .map_err(io)?;
    for e in entries {
        w.write_record([
            e.seq.to_string(),
            e.at,
            e.actor_kind,
            e.actor_id.map(|i| i.to_string()).unwrap_or_default(),
            e.actor_label,
            e.ip.unwrap_or_default(),
            e.action,
            e.record_type,
            e.record_id.unwrap_or_default(),
            e.summary.to_string(),
            e.hash,
        ])
        .map_err(io)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    // A byte-order mark so that spreadsheet programs read the Chinese text as UTF-8.
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(body);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"zhengwu-audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

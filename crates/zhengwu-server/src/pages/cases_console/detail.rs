//! One case (`/console/cases/{id}`): its facts, the form as filled in with the labels of the
//! item's version, the materials (a file to download, shared data, or missing), the machine
//! checks, the time line, the parts of a bundle and the gift pack; and the moves the caller may
//! make in the case's state — the window's (accept, refuse, ask for completion, hand out,
//! close) and the department's (take up, ask for supplements, approve, reject, make the
//! result). Every move posts to `/console/cases/{id}/act` with the revision the page showed; a
//! case that moved meanwhile is refused in place ("已被他人处理，请刷新").

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::case::{Event, HAND_OUT_WAYS, Status, transition};
use zhengwu_store::cases::{self, CaseDetail};

use super::super::booking::when;
use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::{
    Badge, NoticeQuery, badge, checks_summary, days_text, notice_of, refusal, staff_or_login,
    unit_names,
};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::cases::{ActBody, act_on, hours, may_act, may_read};
use crate::i18n::{self, Lang, t, tf};
use crate::startup::AppState;

/// The moves of staff, in the order the page offers them.
const ACTIONS: [(&str, Event); 9] = [
    ("accept", Event::Accept),
    ("review", Event::Review),
    ("request_supplement", Event::RequestSupplement),
    ("approve", Event::Approve),
    ("reject", Event::Reject),
    ("refuse", Event::Refuse),
    ("result_ready", Event::ResultReady),
    ("hand_out", Event::HandOut),
    ("close", Event::Close),
];

/// The store's fields as this page's forms label them.
const LABELS: &[(&str, &str)] = &[
    ("reasons", "cases.console.act.reasons"),
    ("note", "cases.console.act.approve_note"),
    ("legal_basis", "field.legal_basis"),
    ("missing", "cases.console.act.missing"),
];

/// What the forms of the case's page post, kept when refused.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    revision: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    note: String,
    /// Everything missing, one a line.
    #[serde(default)]
    missing: String,
    #[serde(default)]
    way: String,
    /// The gift pack, one a line.
    #[serde(default)]
    gift_pack: String,
}

struct FieldRow {
    label: String,
    value: String,
}

struct FileLink {
    id: i64,
    name: String,
    size: String,
}

struct MaterialRow {
    name: String,
    required: bool,
    /// `file`, `shared` or `missing`.
    provided: String,
    reference: String,
    files: Vec<FileLink>,
}

struct CheckRow {
    target: String,
    check: String,
    /// `pass`, `fail` or `manual`.
    outcome: String,
    outcome_word: String,
    detail: String,
}

struct EventRow {
    at: String,
    what: String,
    actor: String,
    note: String,
}

struct PartRow {
    id: i64,
    number: String,
    item: String,
    department: String,
    status: String,
    dl: Badge,
}

#[derive(Template)]
#[template(path = "console_cases_detail.html")]
struct DetailPage {
    frame: Frame,
    w: Words,
    csrf: String,
    d: CaseDetail,
    status: String,
    channel: String,
    applicant_kind: String,
    department: String,
    hall: String,
    submitted: String,
    accepted: String,
    due: String,
    dl: Badge,
    paused: String,
    decided: String,
    result_ready: String,
    handed_out: String,
    way: String,
    checks_summary: String,
    fields: Vec<FieldRow>,
    materials: Vec<MaterialRow>,
    checks: Vec<CheckRow>,
    events: Vec<EventRow>,
    parts: Vec<PartRow>,
    /// The moves the caller may make now.
    actions: Vec<&'static str>,
    /// Why nothing can be done now, when that is the applicant's turn.
    waiting_note: String,
    ways: Vec<(&'static str, String)>,
    form: ActForm,
    /// The item's legal basis, the default of a decision's.
    item_basis: String,
    gift_default: String,
    /// The applicant's rating in words, once given.
    rating: String,
    notice: Option<String>,
    error: Option<String>,
}

impl DetailPage {
    fn can(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }

    /// What was typed into `field` of the form of `action` (after a refusal), else `default`.
    fn typed(&self, action: &str, field: &str, default: &str) -> String {
        if self.form.action != action {
            return default.to_owned();
        }
        match field {
            "reasons" => self.form.reasons.clone(),
            "legal_basis" => self.form.legal_basis.clone(),
            "note" => self.form.note.clone(),
            "missing" => self.form.missing.clone(),
            "way" => self.form.way.clone(),
            "gift_pack" => self.form.gift_pack.clone(),
            _ => default.to_owned(),
        }
    }
}

/// The detail of a check in words: `case.detail.*` when the catalogue has it (with what
/// follows the colon), else as recorded (a file type, an identifier's fault).
fn detail_words(lang: Lang, detail: &str) -> String {
    if detail.is_empty() {
        return String::new();
    }
    let (head, tail) = detail.split_once(':').unwrap_or((detail, ""));
    let key = format!("case.detail.{head}");
    if !i18n::has(&key) {
        return detail.to_owned();
    }
    if tail.is_empty() {
        t(lang, &key)
    } else {
        format!("{}（{tail}）", t(lang, &key))
    }
}

/// An event's note in words where the store records a code: the channel of a submission, the
/// way of a hand-out, the number of files a supplement brought.
fn event_note(lang: Lang, kind: &str, note: &str) -> String {
    let word = |prefix: &str, code: &str| {
        let key = format!("{prefix}.{}", code.trim());
        i18n::has(&key).then(|| t(lang, &key))
    };
    match kind {
        "submit" => word("case.channel", note),
        "hand_out" => {
            let (way, pack) = note.split_once(':').unwrap_or((note, ""));
            word("case.way", way).map(|w| {
                if pack.trim().is_empty() {
                    w
                } else {
                    format!("{w}{}{}", t(lang, "punct.colon"), pack.trim())
                }
            })
        }
        "supplement" => note
            .strip_suffix(" file(s)")
            .and_then(|n| n.parse::<u32>().ok())
            .map(|n| tf(lang, "cases.console.detail.files", &[("n", n.to_string())])),
        _ => None,
    }
    .unwrap_or_else(|| note.to_owned())
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// The moves the caller may make on the case now: the state allows them and the caller is a
/// clerk of its hall or a reviewer of its department. A bundle is decided by its parts; a part
/// is accepted, handed out and closed with its bundle.
async fn actions_for(
    state: &AppState,
    caller: &Caller,
    d: &CaseDetail,
) -> Result<Vec<&'static str>, ApiError> {
    let row = cases::row(state.db.conn(), d.case.id).await?;
    let status = Status::parse(&d.case.status).unwrap_or(Status::Submitted);
    let bundle = !d.parts.is_empty();
    let part = d.case.parent_id.is_some();
    let mut out = Vec::new();
    for (action, event) in ACTIONS {
        if transition(status, event).is_err() {
            continue;
        }
        let window_move = matches!(action, "accept" | "refuse" | "hand_out" | "close")
            || (action == "request_supplement" && status == Status::Submitted);
        let decision = matches!(action, "review" | "approve" | "reject" | "result_ready");
        if (bundle && decision) || (part && window_move) {
            continue;
        }
        if may_act(state, caller, &row, action).await.is_ok() {
            out.push(action);
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn detail_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    id: i64,
    form: ActForm,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let cal = state.calendar();
    let now = Utc::now();
    let db = state.db.conn();
    let d = cases::detail(db, id, &cal, &hours(), now).await?;
    let item =
        zhengwu_store::catalog::version_item(db, &d.case.item_code, d.case.item_version).await?;
    let names = unit_names(state).await?;
    let actions = actions_for(state, caller, &d).await?;
    let fields_of = item.form_fields();
    let label_of = |key: &str| {
        fields_of
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.label.clone())
            .unwrap_or_else(|| key.to_owned())
    };
    let fields = fields_of
        .iter()
        .map(|f| FieldRow {
            label: f.label.clone(),
            value: d.case.form.get(&f.key).cloned().unwrap_or_default(),
        })
        .collect();
    let materials = d
        .materials
        .iter()
        .map(|m| MaterialRow {
            name: m.name.clone(),
            required: usize::try_from(m.idx)
                .ok()
                .and_then(|i| item.materials.get(i))
                .is_some_and(|x| x.required),
            provided: m.provided.clone(),
            reference: m.reference.clone().unwrap_or_default(),
            files: d
                .files
                .iter()
                .filter(|f| f.material_idx == m.idx)
                .map(|f| FileLink {
                    id: f.id,
                    name: f.file_name.clone(),
                    size: size_text(f.size),
                })
                .collect(),
        })
        .collect();
    let checks = d
        .checks
        .iter()
        .map(|c| CheckRow {
            target: label_of(&c.target),
            check: {
                let key = format!("case.check.{}", c.check);
                if i18n::has(&key) {
                    t(lang, &key)
                } else {
                    c.check.clone()
                }
            },
            outcome: c.outcome.clone(),
            outcome_word: w.l(format!("case.outcome.{}", c.outcome)),
            detail: detail_words(lang, &c.detail),
        })
        .collect();
    let events = d
        .events
        .iter()
        .map(|e| EventRow {
            at: when(lang, e.at),
            what: {
                let key = format!("case.event.{}", e.kind);
                if i18n::has(&key) {
                    t(lang, &key)
                } else {
                    e.kind.clone()
                }
            },
            actor: e.actor.clone(),
            note: event_note(lang, &e.kind, e.note.as_deref().unwrap_or("")),
        })
        .collect();
    let parts = d
        .parts
        .iter()
        .map(|p| PartRow {
            id: p.id,
            number: p.number.clone(),
            item: p.item_name.clone(),
            department: names.get(&p.department_id).cloned().unwrap_or_default(),
            status: w.l(format!("case.status.{}", p.status)),
            dl: badge(lang, &cal, p, now),
        })
        .collect();
    let status = Status::parse(&d.case.status).unwrap_or(Status::Submitted);
    let waiting_note = if status.awaits_applicant() {
        w.l("cases.console.detail.waiting_applicant")
    } else {
        String::new()
    };
    let per_hour = 3600.0;
    let c = &d.case;
    let page = DetailPage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        status: w.l(format!("case.status.{}", c.status)),
        channel: w.l(format!("case.channel.{}", c.channel)),
        applicant_kind: w.l(format!("cases.console.kind.{}", c.applicant_kind)),
        department: names.get(&c.department_id).cloned().unwrap_or_default(),
        hall: c
            .hall_id
            .and_then(|h| names.get(&h).cloned())
            .unwrap_or_default(),
        submitted: when(lang, c.submitted_at),
        accepted: c.accepted_at.map(|x| when(lang, x)).unwrap_or_default(),
        due: c.due_at.map(|x| when(lang, x)).unwrap_or_default(),
        dl: badge(lang, &cal, c, now),
        paused: if c.paused_seconds > 0 {
            tf(
                lang,
                "cases.console.detail.paused_hours",
                &[("hours", days_text(c.paused_seconds as f64 / per_hour))],
            )
        } else {
            String::new()
        },
        decided: c.decided_at.map(|x| when(lang, x)).unwrap_or_default(),
        result_ready: c.result_ready_at.map(|x| when(lang, x)).unwrap_or_default(),
        handed_out: c.handed_out_at.map(|x| when(lang, x)).unwrap_or_default(),
        way: c
            .hand_out_way
            .as_deref()
            .map(|x| w.l(format!("case.way.{x}")))
            .unwrap_or_default(),
        checks_summary: checks_summary(
            lang,
            (
                d.checks.iter().filter(|c| c.outcome == "fail").count() as u32,
                d.checks.iter().filter(|c| c.outcome == "manual").count() as u32,
                d.checks.len() as u32,
            ),
        ),
        fields,
        materials,
        checks,
        events,
        parts,
        actions,
        waiting_note,
        ways: HAND_OUT_WAYS
            .iter()
            .map(|x| (*x, w.l(format!("case.way.{x}"))))
            .collect(),
        form,
        item_basis: item.legal_basis.join("；"),
        gift_default: w.l("cases.console.gift_default"),
        rating: d
            .rating
            .map(|r| w.l(format!("rating.level.{r}")))
            .unwrap_or_default(),
        notice: notice_of(notice),
        error: error.as_ref().map(|(_, m)| m.clone()),
        d,
        w,
    };
    let status = error.map(|(s, _)| s).unwrap_or(StatusCode::OK);
    render(page, Some(&csrf), status)
}

/// The case's page, for those who may read it.
pub(super) async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let row = cases::row(state.db.conn(), id).await?;
    may_read(&state, &caller, &row).await?;
    detail_view(
        &state,
        &caller,
        &headers,
        &uri,
        id,
        ActForm::default(),
        q.notice,
        None,
    )
    .await
}

/// Lines of a text area, trimmed, without the empty ones; `、` also separates a gift pack.
fn lines(s: &str, also: Option<char>) -> Vec<String> {
    s.split(|c| c == '\n' || Some(c) == also)
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// One move on the case, by the revision the page showed.
pub(super) async fn act_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(f): axum::Form<ActForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let body = ActBody {
        action: f.action.trim().to_owned(),
        revision: f.revision.trim().parse().ok(),
        reasons: opt(&f.reasons),
        legal_basis: opt(&f.legal_basis),
        note: opt(&f.note),
        missing: lines(&f.missing, None),
        way: opt(&f.way),
        gift_pack: lines(&f.gift_pack, Some('、')),
    };
    match act_on(&state, &caller, &ip, id, &body).await {
        Ok(d) => {
            let key = format!("cases.console.done.{}", body.action);
            let notice = tf(
                lang,
                &key,
                &[
                    ("number", d.case.number.clone()),
                    ("status", t(lang, &format!("case.status.{}", d.case.status))),
                ],
            );
            Ok(Redirect::to(&format!(
                "/console/cases/{id}?notice={}",
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(e) => {
            let status = if e.status == StatusCode::CONFLICT {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let msg = refusal(e, lang, LABELS)?;
            detail_view(
                &state,
                &caller,
                &headers,
                &uri,
                id,
                f,
                None,
                Some((status, msg)),
            )
            .await
        }
    }
}

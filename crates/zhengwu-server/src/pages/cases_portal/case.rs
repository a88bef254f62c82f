//! One case for its applicant (`/my/cases/{id}`): where it stands, the time line, the deadline,
//! what is missing with the form to hand it in (补正), the machine checks in plain words, where
//! to collect the result, withdrawal while undecided, the rating once handed out, the parts of
//! a bundle and the gift pack.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use zhengwu_core::case::{Event, Form, Status, transition};
use zhengwu_core::catalog::Item;
use zhengwu_core::ids::UnitId;
use zhengwu_store::cases::{self, CaseCheck, CaseDetail};
use zhengwu_store::{catalog, org, ratings};

use super::super::console::render;
use super::super::guide::Words;
use super::apply::{FieldView, field_views};
use super::{days_left, form_parts, inline, number, posted, signin_url, status_class, word_or};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::cases::{
    RateCaseBody, hours, may_read, owns, rate, supplement_case, withdraw_case,
};
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

use super::super::booking::when;

struct EventRow {
    what: String,
    at: String,
    note: String,
}

/// A machine check in words (the case's page, the kiosk's confirmation).
pub(super) struct CheckRow {
    pub(super) target: String,
    pub(super) check: String,
    /// `pass`, `fail` or `manual`.
    pub(super) outcome_code: String,
    pub(super) outcome: String,
    pub(super) outcome_class: &'static str,
    pub(super) detail: String,
}

/// The checks in words, what failed first, then what a person checks, then what passed; a
/// check of a form field is named by the field's label.
pub(super) fn check_rows(
    lang: Lang,
    w: &Words,
    item: Option<&Item>,
    checks: &[CaseCheck],
) -> Vec<CheckRow> {
    let labels = item.map(Item::form_fields).unwrap_or_default();
    let mut ordered: Vec<&CaseCheck> = checks.iter().collect();
    ordered.sort_by_key(|k| match k.outcome.as_str() {
        "fail" => 0,
        "manual" => 1,
        _ => 2,
    });
    ordered
        .into_iter()
        .map(|k| CheckRow {
            target: labels
                .iter()
                .find(|f| f.key == k.target)
                .map_or_else(|| k.target.clone(), |f| f.label.clone()),
            check: word_or(lang, &format!("case.check.{}", k.check), &k.check),
            outcome_code: k.outcome.clone(),
            outcome: w.l(format!("case.outcome.{}", k.outcome)),
            outcome_class: match k.outcome.as_str() {
                "pass" => "done",
                "fail" => "rejected",
                _ => "needs-material",
            },
            detail: detail_words(lang, k),
        })
        .collect()
}

struct MaterialRow {
    name: String,
    provided: String,
    file: Option<(String, String)>,
}

struct PartRow {
    url: String,
    number: String,
    item: String,
    status: String,
    status_class: &'static str,
}

/// A file input of the supplement form.
struct SupplementInput {
    input: String,
    name: String,
    asked: bool,
}

#[derive(Template)]
#[template(path = "portal_cases_case.html")]
struct CasePage {
    frame: super::super::Frame,
    w: Words,
    csrf: String,
    id: i64,
    number: String,
    item_code: String,
    item_name: String,
    status: String,
    status_class: &'static str,
    channel: String,
    applicant: String,
    submitted: String,
    instant: Option<String>,
    limit: String,
    accepted: String,
    due: String,
    deadline: String,
    deadline_class: &'static str,
    left: String,
    paused: String,
    paused_now: bool,
    missing: Vec<String>,
    may_supplement: bool,
    supplement_inputs: Vec<SupplementInput>,
    fields: Vec<FieldView>,
    checks: Vec<CheckRow>,
    /// How many checks failed, in words (empty when none did).
    failed: String,
    materials: Vec<MaterialRow>,
    events: Vec<EventRow>,
    decision: Option<String>,
    legal_basis: Option<String>,
    rejected: bool,
    result_name: String,
    collect: Option<String>,
    handed_out: Option<String>,
    gift_pack: Vec<String>,
    can_withdraw: bool,
    withdraw_confirm: String,
    can_rate: bool,
    rated: Option<String>,
    levels: Vec<(i64, String)>,
    reasons: Vec<(String, bool)>,
    comment: String,
    parts: Vec<PartRow>,
    parent: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
    /// Which form the refusal belongs to: `supplement`, `withdraw` or `rating`.
    error_at: &'static str,
}

/// What a refused form had in it, to show it again.
#[derive(Default)]
struct Kept {
    form: Option<Form>,
    reasons: Vec<String>,
    comment: String,
    files_lost: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

fn case_url(id: i64) -> String {
    format!("/my/cases/{id}")
}

/// A check's detail in words: the shared words of cases, an identifier's reason, the count of
/// empty required fields, the type of a file.
fn detail_words(lang: Lang, c: &CaseCheck) -> String {
    let d = c.detail.as_str();
    if d.is_empty() {
        return String::new();
    }
    if let Some(n) = d.strip_prefix("missing:") {
        return tf(
            lang,
            "cases.portal.detail.missing_fields",
            &[("n", n.into())],
        );
    }
    if let Some((_, sub)) = d.split_once('/') {
        return sub.to_uppercase();
    }
    let id_key = format!("reason.id_{d}");
    if c.check == "id_number_valid" && crate::i18n::has(&id_key) {
        return crate::i18n::t(lang, &id_key);
    }
    for key in [
        format!("case.detail.{d}"),
        format!("cases.portal.detail.{d}"),
        format!("reason.{d}"),
    ] {
        if crate::i18n::has(&key) {
            return tf(lang, &key, &[("detail", String::new())]);
        }
    }
    d.to_owned()
}

/// An event's note in words where the store writes a code: the channel of a submission, the
/// files of a supplement, the way a result was handed out.
fn note_words(lang: Lang, kind: &str, note: &str) -> String {
    match kind {
        "submit" => word_or(lang, &format!("case.channel.{note}"), note),
        "supplement" => match note.split_once(' ') {
            Some((n, _)) if n.parse::<u32>().is_ok() => {
                tf(lang, "cases.portal.files_handed_in", &[("n", n.into())])
            }
            _ => note.to_owned(),
        },
        "hand_out" => {
            let (way, pack) = note.split_once(": ").unwrap_or((note, ""));
            let way = word_or(lang, &format!("case.way.{way}"), way);
            if pack.is_empty() {
                way
            } else {
                format!("{way}{}{pack}", crate::i18n::t(lang, "punct.colon"))
            }
        }
        _ => note.to_owned(),
    }
}

/// A span of working time in hours and minutes.
fn span(lang: Lang, seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    tf(
        lang,
        "cases.portal.span",
        &[
            ("h", (minutes / 60).to_string()),
            ("m", (minutes % 60).to_string()),
        ],
    )
}

#[allow(clippy::too_many_arguments)]
async fn case_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    id: i64,
    done: Option<&str>,
    error: Option<(&'static str, String)>,
    kept: Kept,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let db = state.db.conn();
    let row = cases::row(db, id).await?;
    may_read(state, caller, &row).await?;
    let mine = owns(caller, &row);
    let cal = state.calendar();
    let d: CaseDetail = cases::detail(db, id, &cal, &hours(), Utc::now()).await?;
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let c = &d.case;
    let status = Status::parse(&c.status).unwrap_or(Status::Submitted);
    let item = catalog::version_item(db, &c.item_code, c.item_version)
        .await
        .ok();

    let error_at = error.as_ref().map_or("", |(at, _)| *at);
    let error_text = error.map(|(_, e)| e);
    let may_supplement = mine && status.awaits_applicant();
    let fields = match (&item, may_supplement) {
        (Some(i), true) => field_views(
            &w,
            lang,
            &i.form_fields(),
            |f| match &kept.form {
                Some(form) => form.get(&f.key).cloned().unwrap_or_default(),
                None => c.form.get(&f.key).cloned().unwrap_or_default(),
            },
            error_text.as_deref().filter(|_| error_at == "supplement"),
        ),
        _ => Vec::new(),
    };
    let supplement_inputs = d
        .materials
        .iter()
        .filter(|m| m.provided != "shared")
        .map(|m| SupplementInput {
            input: format!("m{}", m.idx),
            asked: c
                .missing
                .iter()
                .any(|x| x.contains(&m.name) || m.name.contains(x)),
            name: m.name.clone(),
        })
        .collect();
    let checks = check_rows(lang, &w, item.as_ref(), &d.checks);
    let failed = match d.checks.iter().filter(|k| k.outcome == "fail").count() {
        0 => String::new(),
        n => tf(lang, "cases.portal.checks_failed", &[("n", n.to_string())]),
    };
    let materials = d
        .materials
        .iter()
        .map(|m| {
            let file = m.file_id.and_then(|f| {
                d.files
                    .iter()
                    .find(|x| x.id == f)
                    .map(|x| (format!("/api/v1/cases/{id}/files/{f}"), x.file_name.clone()))
            });
            MaterialRow {
                name: m.name.clone(),
                provided: match m.provided.as_str() {
                    "shared" => format!(
                        "{}{}",
                        w.l("cases.portal.no_upload"),
                        m.reference
                            .as_deref()
                            .map(|r| format!("{}{r}{}", w.l("punct.lparen"), w.l("punct.rparen")))
                            .unwrap_or_default()
                    ),
                    "file" => w.l("case.detail.uploaded"),
                    _ => w.l("case.detail.missing"),
                },
                file,
            }
        })
        .collect();
    let events = d
        .events
        .iter()
        .map(|e| EventRow {
            what: word_or(lang, &format!("case.event.{}", e.kind), &e.kind),
            at: when(lang, e.at),
            note: e
                .note
                .as_deref()
                .map(|n| note_words(lang, &e.kind, n))
                .unwrap_or_default(),
        })
        .collect();
    let collect = match (c.result_ready_at, status) {
        (Some(_), Status::ResultReady) => {
            let hall = match c.hall_id {
                Some(h) => org::get_unit(db, UnitId(h)).await.map(|u| u.name).ok(),
                None => None,
            };
            Some(tf(
                lang,
                "cases.portal.collect_at",
                &[("hall", hall.unwrap_or_else(|| w.l("cases.portal.hall")))],
            ))
        }
        _ => None,
    };
    let rated = d.rating.map(|l| w.l(format!("rating.level.{l}")));
    let handed = c.handed_out_at.is_some();
    let parts = d
        .parts
        .iter()
        .map(|p| PartRow {
            url: case_url(p.id),
            number: p.number.clone(),
            item: p.item_name.clone(),
            status: w.l(format!("case.status.{}", p.status)),
            status_class: status_class(&p.status),
        })
        .collect();
    let parent = match c.parent_id {
        Some(p) => Some((
            case_url(p),
            cases::row(db, p)
                .await
                .map_or_else(|_| p.to_string(), |r| r.number),
        )),
        None => None,
    };
    let notice = done.and_then(|k| match k {
        "supplemented" | "withdrawn" | "rated" => Some(w.l(format!("cases.portal.done.{k}"))),
        _ => None,
    });
    let page = CasePage {
        frame: super::super::Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        id,
        number: c.number.clone(),
        item_code: c.item_code.clone(),
        item_name: c.item_name.clone(),
        status: w.l(format!("case.status.{}", c.status)),
        status_class: status_class(&c.status),
        channel: word_or(lang, &format!("case.channel.{}", c.channel), &c.channel),
        applicant: c.applicant_name.clone(),
        submitted: when(lang, c.submitted_at),
        instant: c.instant_rule.clone(),
        limit: item
            .as_ref()
            .map(|i| w.limit(i.instant, i.promised_limit_days))
            .unwrap_or_default(),
        accepted: c.accepted_at.map(|a| when(lang, a)).unwrap_or_default(),
        due: c.due_at.map(|a| when(lang, a)).unwrap_or_default(),
        deadline: if c.deadline.is_empty() {
            String::new()
        } else {
            w.l(format!("case.deadline.{}", c.deadline))
        },
        deadline_class: match c.deadline.as_str() {
            "yellow" => "deadline due-soon",
            "red" => "deadline overdue",
            _ => "deadline",
        },
        left: match c.due_at {
            Some(due) if status.clock_runs() => {
                let left = days_left(state, due);
                if left >= 0.0 {
                    tf(lang, "cases.portal.days_left", &[("n", number(left))])
                } else {
                    tf(lang, "cases.portal.days_over", &[("n", number(-left))])
                }
            }
            _ => String::new(),
        },
        paused: if c.paused_seconds > 0 {
            span(lang, c.paused_seconds)
        } else {
            String::new()
        },
        paused_now: status == Status::Supplementing,
        missing: c.missing.clone(),
        may_supplement,
        supplement_inputs,
        fields,
        checks,
        failed,
        materials,
        events,
        decision: c.decision_note.clone().filter(|_| c.instant_rule.is_none()),
        legal_basis: c.legal_basis.clone(),
        rejected: matches!(status, Status::Rejected | Status::NotAccepted)
            || (status == Status::Closed && c.handed_out_at.is_none() && c.decided_at.is_some()),
        result_name: item.as_ref().map(|i| i.result.clone()).unwrap_or_default(),
        collect,
        handed_out: c.handed_out_at.map(|at| {
            let way = c
                .hand_out_way
                .as_deref()
                .map(|x| word_or(lang, &format!("case.way.{x}"), x))
                .unwrap_or_default();
            format!("{} · {way}", when(lang, at))
        }),
        gift_pack: c.gift_pack.clone(),
        can_withdraw: mine && transition(status, Event::Withdraw).is_ok(),
        withdraw_confirm: w.l("cases.portal.withdraw_confirm"),
        can_rate: mine && handed && d.rating.is_none(),
        rated,
        levels: (1..=5)
            .rev()
            .map(|l| (l, w.l(format!("rating.level.{l}"))))
            .collect(),
        reasons: ratings::REASONS
            .iter()
            .map(|r| ((*r).to_owned(), kept.reasons.iter().any(|c| c == r)))
            .collect(),
        comment: kept.comment.clone(),
        parts,
        parent,
        notice,
        error: error_text.map(|e| {
            if kept.files_lost {
                format!("{e} {}", w.l("cases.portal.files_again"))
            } else {
                e
            }
        }),
        error_at,
        w,
    };
    let status_code = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(page, Some(&csrf), status_code)
}

/// One case of the signed-in applicant.
pub(super) async fn case_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DoneQuery>,
) -> Result<Response, ApiError> {
    if matches!(caller, Caller::Anonymous) {
        return Ok(Redirect::to(&signin_url(&case_url(id))).into_response());
    }
    case_view(
        &state,
        &caller,
        &headers,
        &uri,
        id,
        q.done.as_deref(),
        None,
        Kept::default(),
    )
    .await
}

/// Hands in what was asked for: the files and the form's changed fields.
pub(super) async fn supplement_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let (fields, files) = form_parts(multipart).await?;
    csrf::verify(&headers, posted(&fields, "csrf"))?;
    if matches!(caller, Caller::Anonymous) {
        return Ok(Redirect::to(&signin_url(&case_url(id))).into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let current = cases::row(state.db.conn(), id).await?;
    let before: Form = serde_json::from_str(&current.form).unwrap_or_default();
    // Only the fields the applicant changed go with the supplement.
    let typed: Form = fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("f.")
                .map(|k| (k.to_owned(), v.trim().to_owned()))
        })
        .collect();
    let changed: Form = typed
        .iter()
        .filter(|(k, v)| before.get(*k).map_or(!v.is_empty(), |b| b != *v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let had_files = !files.is_empty();
    let form = (!changed.is_empty()).then_some(changed);
    match supplement_case(&state, &caller, &ip, id, form, files).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?done=supplemented", case_url(id))).into_response()),
        Err(e) => {
            let msg = inline(e, lang)?;
            let kept = Kept {
                form: Some(typed),
                files_lost: had_files,
                ..Default::default()
            };
            case_view(
                &state,
                &caller,
                &headers,
                &uri,
                id,
                None,
                Some(("supplement", msg)),
                kept,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Withdraws the case (the page asks to confirm first when scripts run).
pub(super) async fn withdraw_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if matches!(caller, Caller::Anonymous) {
        return Ok(Redirect::to(&signin_url(&case_url(id))).into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    match withdraw_case(&state, &caller, &ip, id).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?done=withdrawn", case_url(id))).into_response()),
        Err(e) => {
            let msg = inline(e, lang)?;
            case_view(
                &state,
                &caller,
                &headers,
                &uri,
                id,
                None,
                Some(("withdraw", msg)),
                Kept::default(),
            )
            .await
        }
    }
}

/// Rates the handed-out case (a bad rating opens a rectification for the department).
pub(super) async fn rate_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, posted(&pairs, "csrf"))?;
    if matches!(caller, Caller::Anonymous) {
        return Ok(Redirect::to(&signin_url(&case_url(id))).into_response());
    }
    let lang = crate::http::lang_from(&uri, &headers);
    let reasons: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "reasons")
        .map(|(_, v)| v.clone())
        .collect();
    let comment = posted(&pairs, "comment").trim().to_owned();
    let body = RateCaseBody {
        level: posted(&pairs, "level").trim().parse().unwrap_or(0),
        reasons: reasons.clone(),
        comment: (!comment.is_empty()).then(|| comment.clone()),
    };
    match rate(&state, &caller, &ip, id, body).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?done=rated", case_url(id))).into_response()),
        Err(e) => {
            let msg = inline(e, lang)?;
            let kept = Kept {
                reasons,
                comment,
                ..Default::default()
            };
            case_view(
                &state,
                &caller,
                &headers,
                &uri,
                id,
                None,
                Some(("rating", msg)),
                kept,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(check: &str, detail: &str) -> CaseCheck {
        CaseCheck {
            run: 1,
            target: "x".into(),
            check: check.into(),
            outcome: "fail".into(),
            detail: detail.into(),
            at: Utc::now(),
        }
    }

    #[test]
    fn check_details_are_said_in_words() {
        let zh = Lang::ZhCn;
        assert_eq!(detail_words(zh, &check("present", "")), "");
        assert_eq!(
            detail_words(zh, &check("required_fields", "missing:2")),
            "申请表有 2 项必填内容未填写"
        );
        assert_eq!(
            detail_words(zh, &check("readable", "application/pdf")),
            "PDF"
        );
        assert_eq!(
            detail_words(zh, &check("id_number_valid", "check_digit")),
            "身份证号码最后一位校验码不对，请核对"
        );
        assert_eq!(
            detail_words(zh, &check("credit_code_valid", "check_digit")),
            "校验位不正确"
        );
        assert_eq!(
            detail_words(zh, &check("consistent_names", "name_differs")),
            "与申请人名称不一致"
        );
        assert_eq!(
            detail_words(zh, &check("mobile_valid", "mobile")),
            "请填写 11 位手机号码"
        );
        assert_eq!(
            detail_words(zh, &check("x", "something_new")),
            "something_new"
        );
    }

    #[test]
    fn event_notes_that_are_codes_are_said_in_words() {
        let zh = Lang::ZhCn;
        assert_eq!(note_words(zh, "submit", "web"), "网上申请");
        assert_eq!(
            note_words(zh, "submit", "BJ20261128-00001"),
            "BJ20261128-00001"
        );
        assert_eq!(note_words(zh, "supplement", "2 file(s)"), "补交 2 份文件");
        assert_eq!(note_words(zh, "hand_out", "window"), "窗口领取");
        assert_eq!(
            note_words(zh, "hand_out", "window: 营业执照、公章"),
            "窗口领取：营业执照、公章"
        );
        assert_eq!(note_words(zh, "reject", "材料不实"), "材料不实");
    }

    #[test]
    fn spans_of_working_time_are_hours_and_minutes() {
        assert_eq!(
            span(Lang::ZhCn, 3 * 3600 + 25 * 60),
            "3 小时 25 分钟（工作时间）"
        );
        assert_eq!(span(Lang::En, 59), "0 h 0 min of working time");
    }
}

//! The application at the 24-hour kiosk (`/kiosk/apply?item=…`, the portal's form in the
//! kiosk's face): the terminal is shared, so the applicant signs in on the page itself (the
//! mobile, then the code from the SMS: the kiosk's sign-in of [`super::super::kiosk_signin`],
//! shared with the kiosk's booking) and comes back to the form; once the case is in, the kiosk
//! shows its number, the machine checks in short and where to collect the result, and signs
//! the applicant out at once (the session closed in the store, the cookie cleared). "Back to
//! start", "not me" and the idle timeout sign out too.

use askama::Template;
use axum::Form;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use zhengwu_core::case::Status;
use zhengwu_core::catalog::Item;
use zhengwu_core::ids::UnitId;
use zhengwu_store::cases::CaseDetail;
use zhengwu_store::org;

use super::super::console::render;
use super::super::guide::Words;
use super::super::kiosk_signin::{self, SigninForm, SignoutForm, Step, Verified};
use super::apply::{Face, Shown, apply_view, item_of};
use super::case::{CheckRow, check_rows};
use super::{KIOSK_IDLE_SECONDS, status_class};
use crate::auth::Caller;
use crate::csrf;
use crate::error::ApiError;
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

/// The form again at the sign-in step, as `step` left it.
async fn signin_step(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    item: &Item,
    step: Step,
) -> Result<Response, ApiError> {
    let shown = Shown {
        error: step.error,
        mobile: step.mobile,
        code_sent: step.code_sent,
        ..Shown::default()
    };
    let mut res = apply_view(
        state,
        &Caller::Anonymous,
        headers,
        uri,
        Face::Kiosk,
        item,
        shown,
    )
    .await?;
    *res.status_mut() = step.status;
    Ok(res)
}

/// Sends the sign-in code to the mobile typed; the code step follows.
pub(super) async fn send_code(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Form(f): Form<SigninForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let item = item_of(&state, &f.item).await?;
    let lang = crate::http::lang_from(&uri, &headers);
    let step = kiosk_signin::send_code(&state, lang, &f.mobile).await?;
    signin_step(&state, &headers, &uri, &item, step).await
}

/// Checks the code and opens the applicant's session: back to the form.
pub(super) async fn verify(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Form(f): Form<SigninForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let item = item_of(&state, &f.item).await?;
    let lang = crate::http::lang_from(&uri, &headers);
    match kiosk_signin::verify(&state, lang, &f.mobile, &f.code).await? {
        Verified::SignedIn(cookie) => Ok(kiosk_signin::redirect_with(
            &Face::Kiosk.apply_url(&item.code),
            cookie,
        )),
        Verified::Again(step) => signin_step(&state, &headers, &uri, &item, step).await,
    }
}

/// Signs the applicant out: "back to start", "not me", or nobody touched the kiosk for a while.
pub(super) async fn signout(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SignoutForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    let to = match f.item.trim() {
        "" => "/kiosk".to_owned(),
        code => Face::Kiosk.apply_url(code),
    };
    Ok(kiosk_signin::sign_out_to(&state, &headers, &to).await)
}

#[derive(Template)]
#[template(path = "portal_cases_kiosk_done.html")]
struct DonePage {
    frame: super::super::Frame,
    w: Words,
    number: String,
    item_name: String,
    status: String,
    status_class: &'static str,
    limit: String,
    instant: bool,
    /// The checks in one sentence, and those that did not pass.
    checks_summary: String,
    problems: Vec<CheckRow>,
    /// Where the result is collected: the hall and its address.
    collect_title: String,
    collect: String,
    address: String,
    parts: usize,
    idle_seconds: u32,
    idle_note: String,
}

/// The checks in one sentence: how many, how many passed, failed, are left to a person.
fn checks_summary(lang: Lang, rows: &[CheckRow]) -> String {
    if rows.is_empty() {
        return crate::i18n::t(lang, "cases.portal.no_checks");
    }
    let count = |o: &str| rows.iter().filter(|r| r.outcome_code == o).count();
    let fail = count("fail");
    let mut s = tf(
        lang,
        "cases.portal.kiosk_checks_summary",
        &[
            ("n", rows.len().to_string()),
            ("pass", count("pass").to_string()),
            ("fail", fail.to_string()),
            ("manual", count("manual").to_string()),
        ],
    );
    if fail > 0 {
        s.push_str(&crate::i18n::t(lang, "cases.portal.kiosk_checks_fail_note"));
    }
    s
}

/// The case is in: its number, the checks in short and where to collect the result, and the
/// applicant signed out of the kiosk at once (no post/redirect/get: signed out, nobody may
/// read the case again here, and posting again leads to the sign-in step).
pub(super) async fn submitted(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    item: &Item,
    d: &CaseDetail,
) -> Result<Response, ApiError> {
    let clear = kiosk_signin::sign_out(state, headers).await;
    let lang = crate::http::lang_from(uri, headers);
    let w = Words::new(lang);
    let c = &d.case;
    let rows = check_rows(lang, &w, Some(item), &d.checks);
    let hall = match c.hall_id {
        Some(h) => org::get_unit(state.db.conn(), UnitId(h)).await.ok(),
        None => None,
    };
    let hall_name = hall
        .as_ref()
        .map_or_else(|| w.l("cases.portal.hall"), |u| u.name.clone());
    let ready = Status::parse(&c.status) == Some(Status::ResultReady);
    let (collect_title, collect) = if ready {
        (
            w.l("cases.portal.collect_title"),
            tf(lang, "cases.portal.collect_at", &[("hall", hall_name)]),
        )
    } else {
        (
            w.l("cases.portal.kiosk_collect_title"),
            tf(
                lang,
                "cases.portal.kiosk_collect_later",
                &[("hall", hall_name)],
            ),
        )
    };
    let page = DonePage {
        frame: Face::Kiosk.frame(state, lang),
        number: c.number.clone(),
        item_name: c.item_name.clone(),
        status: w.l(format!("case.status.{}", c.status)),
        status_class: status_class(&c.status),
        limit: w.limit(item.instant, item.promised_limit_days),
        instant: c.instant_rule.is_some(),
        checks_summary: checks_summary(lang, &rows),
        problems: rows
            .into_iter()
            .filter(|r| r.outcome_code != "pass")
            .collect(),
        collect_title,
        collect,
        address: hall.and_then(|u| u.address).unwrap_or_default(),
        parts: d.parts.len(),
        idle_seconds: KIOSK_IDLE_SECONDS,
        idle_note: w.idle(KIOSK_IDLE_SECONDS),
        w,
    };
    let mut res = render(page, None, StatusCode::OK)?;
    res.headers_mut().append(header::SET_COOKIE, clear);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(outcome: &str) -> CheckRow {
        CheckRow {
            target: "x".into(),
            check: "y".into(),
            outcome_code: outcome.into(),
            outcome: String::new(),
            outcome_class: "done",
            detail: String::new(),
        }
    }

    #[test]
    fn the_checks_are_summed_up_in_one_sentence() {
        let zh = Lang::ZhCn;
        assert_eq!(checks_summary(zh, &[]), "暂无核验结果。");
        assert_eq!(
            checks_summary(zh, &[row("pass"), row("pass"), row("manual")]),
            "系统已核验 3 项：2 项通过，0 项未通过，1 项由工作人员核对。"
        );
        let failed = checks_summary(zh, &[row("pass"), row("fail")]);
        assert!(failed.starts_with("系统已核验 2 项：1 项通过，1 项未通过，0 项由工作人员核对。"));
        assert!(failed.ends_with("工作人员审查时会一并告知需要补正的内容。"));
    }
}

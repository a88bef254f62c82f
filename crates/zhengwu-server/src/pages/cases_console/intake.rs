//! A walk-in's submission at a comprehensive window (`/console/cases/new`): first the item
//! (its code, found among the published items), then its form — one input per field of the
//! item's application form, the applicant's name and mobile, 帮办代办 with the applicant's
//! authorisation, and one file per material the applicant brings (the ones shared data or an
//! e-licence replace are shown as not needed). The submission runs the machine checks at once
//! and opens the case; a refusal shows the form again with what was typed.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhengwu_core::case::Form;
use zhengwu_core::catalog::Item;
use zhengwu_store::cases::Upload;

use super::super::console::render;
use super::super::guide::Words;
use super::super::{Frame, urlencode};
use super::{Menu, menu, refusal, staff_or_login, status_of};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::http::cases::{CLERKS, NewCaseBody, submit_case};
use crate::i18n::{t, tf};
use crate::startup::AppState;

/// The files a page accepts (the store reads the type from the content).
const ACCEPT: &str = ".pdf,.jpg,.jpeg,.png,.webp";

/// The store's fields as this form labels them.
const LABELS: &[(&str, &str)] = &[
    ("applicant_name", "cases.console.new.applicant_name"),
    ("applicant_mobile", "cases.console.new.applicant_mobile"),
    ("authorisation", "cases.console.new.authorisation"),
    ("file", "cases.console.new.file"),
    ("file_name", "cases.console.new.file"),
];

#[derive(Debug, Default, Deserialize)]
pub(super) struct NewQuery {
    #[serde(default)]
    item: String,
}

/// One input of the item's form, with what was typed.
struct FieldInput {
    key: String,
    label: String,
    /// `text`, `number`, `date` or `select`.
    input: &'static str,
    /// `tel`, `text` … for the on-screen keyboard; empty for none.
    inputmode: &'static str,
    required: bool,
    min: String,
    max: String,
    options: Vec<String>,
    value: String,
    hint: String,
}

/// One material of the item: a file input, or shared data that replaces it.
struct MaterialInput {
    idx: usize,
    name: String,
    required: bool,
    condition: String,
    /// Shared data or an e-licence replaces it (免提交), and where from.
    shared: bool,
    shared_from: String,
}

/// What the form posts, kept when refused.
#[derive(Debug, Default)]
struct Typed {
    csrf: String,
    item: String,
    form: Form,
    applicant_name: String,
    applicant_mobile: String,
    agent: bool,
    authorisation: String,
}

#[derive(Template)]
#[template(path = "console_cases_new.html")]
struct NewPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    csrf: String,
    /// The published items for the search: (code, name).
    items: Vec<(String, String)>,
    /// The chosen item (step 2), else step 1.
    item: Option<ItemView>,
    /// Several items fit the words typed: (code, name).
    matches: Vec<(String, String)>,
    typed: Typed,
    accept: &'static str,
    error: Option<String>,
}

struct ItemView {
    code: String,
    name: String,
    version: u32,
    limit: String,
    fields: Vec<FieldInput>,
    materials: Vec<MaterialInput>,
    bundle: bool,
}

fn item_view(w: &Words, item: &Item, typed: &Typed) -> ItemView {
    let fields = item
        .form_fields()
        .into_iter()
        .map(|f| {
            let (input, inputmode, hint) = match f.kind.as_str() {
                "number" => ("number", "decimal", String::new()),
                "date" => ("date", "", w.l("cases.console.new.hint.date")),
                "choice" => ("select", "", String::new()),
                "mobile" => ("text", "tel", w.l("cases.console.new.hint.mobile")),
                "id_number" => ("text", "text", w.l("cases.console.new.hint.id_number")),
                "credit_code" => ("text", "text", w.l("cases.console.new.hint.credit_code")),
                _ => ("text", "", String::new()),
            };
            let bound = |b: Option<f64>| b.map(|x| x.to_string()).unwrap_or_default();
            FieldInput {
                value: typed.form.get(&f.key).cloned().unwrap_or_default(),
                key: f.key,
                label: f.label,
                input,
                inputmode,
                required: f.required,
                min: bound(f.min),
                max: bound(f.max),
                options: f.options,
                hint,
            }
        })
        .collect();
    ItemView {
        code: item.code.clone(),
        name: item.name.clone(),
        version: item.version,
        limit: w.limit(item.instant, item.promised_limit_days),
        fields,
        materials: item
            .materials
            .iter()
            .enumerate()
            .map(|(idx, m)| MaterialInput {
                idx,
                name: m.name.clone(),
                required: m.required,
                condition: m.condition.clone(),
                shared: m.is_shared(),
                shared_from: if m.shared_from.is_empty() {
                    w.l("cases.console.new.e_licence")
                } else {
                    m.shared_from.clone()
                },
            })
            .collect(),
        bundle: !item.bundle.is_empty(),
    }
}

async fn new_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    typed: Typed,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let items = zhengwu_store::catalog::published_items(state.db.conn()).await?;
    let code = typed.item.trim().to_owned();
    let mut error = error;
    let mut matches = Vec::new();
    let item = if code.is_empty() {
        None
    } else {
        // The code, else the one item whose name or colloquial names hold the words typed.
        let found: Vec<&Item> = match items.iter().find(|i| i.code == code) {
            Some(i) => vec![i],
            None => items
                .iter()
                .filter(|i| i.name.contains(&code) || i.aliases.iter().any(|a| a.contains(&code)))
                .collect(),
        };
        match found.as_slice() {
            [i] => Some(item_view(&w, i, &typed)),
            [] => {
                error.get_or_insert_with(|| {
                    tf(
                        lang,
                        "cases.console.new.unknown_item",
                        &[("code", code.chars().take(40).collect())],
                    )
                });
                None
            }
            many => {
                matches = many
                    .iter()
                    .take(30)
                    .map(|i| (i.code.clone(), i.name.clone()))
                    .collect();
                None
            }
        }
    };
    let page = NewPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, "/console/cases/new"),
        csrf: csrf.token.clone(),
        items: items.into_iter().map(|i| (i.code, i.name)).collect(),
        item,
        matches,
        typed,
        accept: ACCEPT,
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// Step 1 (choose the item) or, with `?item=CODE`, step 2 (its form).
pub(super) async fn new_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(CLERKS)?;
    let typed = Typed {
        item: q.item,
        ..Default::default()
    };
    new_view(&state, &caller, &headers, &uri, typed, None).await
}

/// Reads the page's multipart form: the text fields (the item's own as `f_{key}`) and the
/// files of the materials (`m{index}`).
async fn read_form(multipart: axum::extract::Multipart) -> Result<(Typed, Vec<Upload>), ApiError> {
    let (fields, files) = crate::http::cases::material_parts(multipart).await?;
    let mut typed = Typed::default();
    for (name, value) in fields {
        match name.as_str() {
            "csrf" => typed.csrf = value,
            "item" => typed.item = value,
            "applicant_name" => typed.applicant_name = value,
            "applicant_mobile" => typed.applicant_mobile = value,
            "agent" => typed.agent = !value.is_empty(),
            "authorisation" => typed.authorisation = value,
            other => {
                if let Some(key) = other.strip_prefix("f_") {
                    typed.form.insert(key.to_owned(), value);
                }
            }
        }
    }
    Ok((typed, files))
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Takes the walk-in's application in and opens the case's page.
pub(super) async fn new_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    multipart: axum::extract::Multipart,
) -> Result<Response, ApiError> {
    let (typed, files) = read_form(multipart).await?;
    csrf::verify(&headers, &typed.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(CLERKS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    // The walk-in's name: as typed, else the form's applicant (the same person at the window).
    let name = opt(&typed.applicant_name)
        .or_else(|| typed.form.get("applicant_name").and_then(|v| opt(v)));
    let body = NewCaseBody {
        item: typed.item.trim().to_owned(),
        channel: Some(if typed.agent { "agent" } else { "window" }.to_owned()),
        form: typed
            .form
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        enterprise: None,
        applicant_name: name,
        applicant_mobile: opt(&typed.applicant_mobile),
        citizen: None,
        authorisation: if typed.agent {
            opt(&typed.authorisation)
        } else {
            None
        },
    };
    match submit_case(&state, &caller, &ip, body, files).await {
        Ok(d) => {
            let notice = tf(
                lang,
                "cases.console.new.done",
                &[
                    ("number", d.case.number.clone()),
                    ("status", t(lang, &format!("case.status.{}", d.case.status))),
                ],
            );
            Ok(Redirect::to(&format!(
                "/console/cases/{}?notice={}",
                d.case.id,
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(e) => {
            let msg = refusal(e, lang, LABELS)?;
            new_view(&state, &caller, &headers, &uri, typed, Some(msg)).await
        }
    }
}

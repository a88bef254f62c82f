//! The application, on the portal (`/apply?item=…`) and at the 24-hour kiosk
//! (`/kiosk/apply?item=…`): the item's name and promised limit, its form (one input per
//! field, prefilled from the signed-in applicant) and its materials (one file input per
//! material the applicant provides; shared data and e-licences need none), posted with the
//! files in one multipart body to `submit_case`. One page and one handler for both faces: the
//! [`Face`] says where the links lead, which channel the case comes by and what follows a
//! submission (the case's page on the portal; on the kiosk its number, with the applicant
//! signed out at once, see [`super::kiosk`]).

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhengwu_core::case::Form;
use zhengwu_core::catalog::{FormField, Item};
use zhengwu_store::applicants::Applicant;
use zhengwu_store::catalog;

use super::super::console::render;
use super::super::guide::Words;
use super::super::kiosk_signin::{self, SigninView};
use super::super::{Frame, urlencode};
use super::{KIOSK_IDLE_SECONDS, form_parts, inline, kiosk, number, posted, signin_url, status_of};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiQuery};
use crate::http::cases::{NewCaseBody, submit_case};
use crate::i18n::{Lang, tf};
use crate::startup::AppState;

/// Where the application is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Face {
    /// The portal, on the applicant's own phone or computer: the case comes `web`.
    Portal,
    /// The 24-hour kiosk in the hall, shared by everyone: the case comes `kiosk`, the
    /// applicant signs in on the page and is signed out once the case is in.
    Kiosk,
}

impl Face {
    /// The prefix of the face's pages (the kiosk's are under `/kiosk`).
    pub(super) fn base(self) -> &'static str {
        match self {
            Face::Portal => "",
            Face::Kiosk => "/kiosk",
        }
    }

    /// The channel a case submitted on this face comes by.
    fn channel(self) -> &'static str {
        match self {
            Face::Portal => "web",
            Face::Kiosk => "kiosk",
        }
    }

    /// The frame of the face's pages.
    pub(super) fn frame(self, state: &AppState, lang: Lang) -> Frame {
        let mut frame = Frame::new(lang, state.district_name());
        if self == Face::Kiosk {
            frame.face = "kiosk";
        }
        frame
    }

    /// The application form of the item `code` on this face.
    pub(super) fn apply_url(self, code: &str) -> String {
        format!("{}/apply?item={}", self.base(), urlencode(code))
    }
}

/// One input of the form.
pub(super) struct FieldView {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) label: String,
    /// `input` or `select`.
    pub(super) control: &'static str,
    pub(super) input_type: &'static str,
    pub(super) inputmode: &'static str,
    pub(super) autocomplete: &'static str,
    pub(super) min: String,
    pub(super) max: String,
    pub(super) required: bool,
    pub(super) options: Vec<String>,
    pub(super) value: String,
    pub(super) hint: String,
    pub(super) error: Option<String>,
}

/// The inputs of `fields` with the values given.
pub(super) fn field_views(
    w: &Words,
    lang: Lang,
    fields: &[FormField],
    value: impl Fn(&FormField) -> String,
    error: Option<&str>,
) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| {
            let (control, input_type, inputmode, autocomplete) = match f.kind.as_str() {
                "number" => ("input", "number", "decimal", "off"),
                "date" => ("input", "date", "", "off"),
                "id_number" | "credit_code" => ("input", "text", "text", "off"),
                "mobile" => ("input", "tel", "numeric", "tel"),
                "choice" => ("select", "", "", ""),
                _ if f.applicant_name => ("input", "text", "", "name"),
                _ => ("input", "text", "", "off"),
            };
            let hint = match f.kind.as_str() {
                "number" => match (f.min, f.max) {
                    (Some(a), Some(b)) => tf(
                        lang,
                        "cases.portal.hint_range",
                        &[("min", number(a)), ("max", number(b))],
                    ),
                    _ => String::new(),
                },
                "date" => w.l("cases.portal.hint_date"),
                "id_number" => w.l("cases.portal.hint_id_number"),
                "credit_code" => w.l("cases.portal.hint_credit_code"),
                _ => String::new(),
            };
            // The store names the field by its label in a form's refusal.
            let error = error
                .filter(|e| {
                    e.contains(&format!("“{}”", f.label)) || e.contains(&format!("“{}（", f.label))
                })
                .map(str::to_owned);
            FieldView {
                id: format!("f-{}", f.key),
                name: format!("f.{}", f.key),
                label: f.label.clone(),
                control,
                input_type,
                inputmode,
                autocomplete,
                min: f.min.map(number).unwrap_or_default(),
                max: f.max.map(number).unwrap_or_default(),
                required: f.required,
                options: f.options.clone(),
                value: value(f),
                hint,
                error,
            }
        })
        .collect()
}

/// One material of the item.
struct MaterialView {
    input: String,
    name: String,
    required: bool,
    condition: String,
    shared: bool,
    shared_from: String,
    blank_form: String,
    sample: String,
}

/// Who the application is for: the citizen, or an enterprise they act for.
struct ApplicantChoice {
    value: String,
    label: String,
    selected: bool,
    /// What the form is prefilled with for this choice (the name, credit code, legal
    /// representative), for the script that refills it when the choice changes.
    name: String,
    credit_code: String,
    legal_rep: String,
}

#[derive(Template)]
#[template(path = "portal_cases_apply.html")]
struct ApplyPage {
    frame: Frame,
    w: Words,
    csrf: String,
    /// The prefix of the face's links (`/kiosk` on the kiosk).
    base: &'static str,
    item_code: String,
    item_name: String,
    limit: String,
    legal_limit: String,
    online: bool,
    instant_approval: bool,
    signed_in: bool,
    signin_url: String,
    /// The kiosk's sign-in step (the mobile typed, whether a code was sent to it).
    signin: SigninView,
    /// On the kiosk, who is signed in (the name and the masked mobile).
    signed_in_as: String,
    idle_seconds: u32,
    /// The kiosk's notice that it starts over (and signs out) after a spell without a touch.
    idle_note: String,
    applicants: Vec<ApplicantChoice>,
    fields: Vec<FieldView>,
    materials: Vec<MaterialView>,
    bundle: Vec<String>,
    bundle_note: String,
    error: Option<String>,
    files_lost: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ApplyQuery {
    #[serde(default)]
    item: Option<String>,
}

/// What the page shows besides the form as it starts.
#[derive(Debug, Default)]
pub(super) struct Shown {
    /// The form and the enterprise as posted, shown again with a refusal.
    pub(super) posted: Option<(Form, String)>,
    /// A refusal in words (of the application, or of the kiosk's sign-in).
    pub(super) error: Option<String>,
    /// Files were chosen with a refused application: they are not kept.
    pub(super) files_lost: bool,
    /// The kiosk's sign-in: the mobile typed, and whether the code was sent to it.
    pub(super) mobile: String,
    pub(super) code_sent: bool,
}

/// The choices of applicant: the enterprises the citizen acts for when enterprises may apply,
/// and the citizen themself (first unless only enterprises may apply). `chosen` is the
/// enterprise posted; none posted, the first enterprise of an item only enterprises apply for.
fn applicants(
    lang: Lang,
    a: &Applicant,
    item: &Item,
    chosen: Option<&str>,
) -> Vec<ApplicantChoice> {
    if a.enterprises.is_empty() || !item.for_enterprises() {
        return Vec::new();
    }
    let only_enterprises = !item.for_citizens() && item.bundle.is_empty();
    let chosen = match chosen {
        Some(c) => c.to_owned(),
        None if only_enterprises => a.enterprises[0].id.to_string(),
        None => String::new(),
    };
    let mut out = vec![ApplicantChoice {
        value: String::new(),
        label: tf(
            lang,
            "cases.portal.as_myself",
            &[("name", a.citizen.name.clone())],
        ),
        selected: chosen.is_empty(),
        name: a.citizen.name.clone(),
        credit_code: String::new(),
        legal_rep: String::new(),
    }];
    out.extend(a.enterprises.iter().map(|e| ApplicantChoice {
        value: e.id.to_string(),
        label: e.name.clone(),
        selected: chosen == e.id.to_string(),
        name: e.name.clone(),
        credit_code: e.credit_code.clone(),
        legal_rep: e.legal_representative.clone(),
    }));
    out
}

/// The value a field starts with: the chosen applicant's name, credit code and legal
/// representative where the form asks for them.
fn prefill(f: &FormField, choice: Option<&ApplicantChoice>, citizen_name: &str) -> String {
    match (f.key.as_str(), choice) {
        _ if f.applicant_name => choice.map_or(citizen_name, |c| c.name.as_str()).to_owned(),
        ("credit_code", Some(c)) => c.credit_code.clone(),
        ("legal_rep", Some(c)) => c.legal_rep.clone(),
        _ => String::new(),
    }
}

/// The application page of `item` on `face` (the kiosk's sign-in step when signed out there).
pub(super) async fn apply_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    face: Face,
    item: &Item,
    shown: Shown,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let fields = item.form_fields();
    let posted_form = shown.posted.as_ref();
    let (choices, citizen_name) = match caller {
        Caller::Applicant(a) => (
            applicants(lang, a, item, posted_form.map(|(_, e)| e.as_str())),
            a.citizen.name.clone(),
        ),
        _ => (Vec::new(), String::new()),
    };
    let chosen = choices.iter().find(|c| c.selected);
    let fields = field_views(
        &w,
        lang,
        &fields,
        |f| match posted_form {
            Some((form, _)) => form.get(&f.key).cloned().unwrap_or_default(),
            None => prefill(f, chosen, &citizen_name),
        },
        shown.error.as_deref(),
    );
    let mut bundle = Vec::new();
    for code in &item.bundle {
        bundle.push(match catalog::published_item(state.db.conn(), code).await {
            Ok(i) => i.name,
            Err(_) => code.clone(),
        });
    }
    let page = ApplyPage {
        frame: face.frame(state, lang),
        csrf: csrf.token.clone(),
        base: face.base(),
        item_code: item.code.clone(),
        item_name: item.name.clone(),
        limit: w.limit(item.instant, item.promised_limit_days),
        legal_limit: if item.legal_limit_days > 0.0 {
            w.limit(false, item.legal_limit_days)
        } else {
            String::new()
        },
        online: item.online != "none",
        instant_approval: item.instant_approval,
        signed_in: matches!(caller, Caller::Applicant(_)),
        signin_url: signin_url(&face.apply_url(&item.code)),
        signin: SigninView::new(
            lang,
            "/kiosk/apply",
            &item.code,
            w.l("cases.portal.kiosk_signin_lead"),
            &shown.mobile,
            shown.code_sent,
        ),
        signed_in_as: kiosk_signin::signed_in_as(lang, caller),
        idle_seconds: KIOSK_IDLE_SECONDS,
        idle_note: kiosk_signin::idle_note(lang, matches!(caller, Caller::Applicant(_))),
        applicants: choices,
        fields,
        materials: item
            .materials
            .iter()
            .enumerate()
            .map(|(i, m)| MaterialView {
                input: format!("m{i}"),
                name: m.name.clone(),
                required: m.required,
                condition: m.condition.clone(),
                shared: m.is_shared(),
                shared_from: m.shared_from.clone(),
                blank_form: m.blank_form.clone(),
                sample: m.sample.clone(),
            })
            .collect(),
        bundle_note: tf(
            lang,
            "cases.portal.bundle_lead",
            &[
                ("n", item.bundle.len().to_string()),
                ("limit", w.limit(false, item.promised_limit_days)),
            ],
        ),
        bundle,
        error: shown.error.clone(),
        files_lost: shown.files_lost,
        w,
    };
    render(page, Some(&csrf), status_of(&shown.error))
}

pub(super) async fn item_of(state: &AppState, code: &str) -> Result<Item, ApiError> {
    catalog::published_item(state.db.conn(), code.trim())
        .await
        .map_err(|_| ApiError::not_found())
}

/// The application form of an item on the portal (the sign-in link when signed out).
pub(super) async fn apply_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ApplyQuery>,
) -> Result<Response, ApiError> {
    apply_get(Face::Portal, &state, &caller, &headers, &uri, q).await
}

/// The application form of an item at the kiosk (its sign-in step when signed out).
pub(super) async fn kiosk_apply_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ApplyQuery>,
) -> Result<Response, ApiError> {
    apply_get(Face::Kiosk, &state, &caller, &headers, &uri, q).await
}

async fn apply_get(
    face: Face,
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    q: ApplyQuery,
) -> Result<Response, ApiError> {
    let Some(code) = q.item.filter(|c| !c.trim().is_empty()) else {
        return Ok(Redirect::to(&format!("{}/guide", face.base())).into_response());
    };
    let item = item_of(state, &code).await?;
    apply_view(state, caller, headers, uri, face, &item, Shown::default()).await
}

/// Submits an application on the portal: the case's page follows.
pub(super) async fn apply_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    apply_post(
        Face::Portal,
        &state,
        &caller,
        &ip,
        &headers,
        &uri,
        multipart,
    )
    .await
}

/// Submits an application at the kiosk: the case's number follows, the applicant signed out.
pub(super) async fn kiosk_apply_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    apply_post(Face::Kiosk, &state, &caller, &ip, &headers, &uri, multipart).await
}

/// Submits the application with its files; what follows a submission on the face, or the form
/// again with the refusal and what was typed.
async fn apply_post(
    face: Face,
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    headers: &HeaderMap,
    uri: &Uri,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let (fields, files) = form_parts(multipart).await?;
    csrf::verify(headers, posted(&fields, "csrf"))?;
    let item = item_of(state, posted(&fields, "item")).await?;
    if !matches!(caller, Caller::Applicant(_)) {
        let to = match face {
            Face::Portal => signin_url(&face.apply_url(&item.code)),
            // The kiosk's sign-in is a step of its application page.
            Face::Kiosk => face.apply_url(&item.code),
        };
        return Ok(Redirect::to(&to).into_response());
    }
    let lang = crate::http::lang_from(uri, headers);
    let form: Form = item
        .form_fields()
        .iter()
        .map(|f| {
            (
                f.key.clone(),
                posted(&fields, &format!("f.{}", f.key)).to_owned(),
            )
        })
        .collect();
    let enterprise_text = posted(&fields, "enterprise").trim().to_owned();
    let had_files = !files.is_empty();
    let submitted = async {
        let enterprise = match enterprise_text.as_str() {
            "" => None,
            e => Some(
                e.parse::<i64>()
                    .map_err(|_| ApiError::invalid_field("enterprise", format!("unknown:{e}")))?,
            ),
        };
        let body = NewCaseBody {
            item: item.code.clone(),
            channel: Some(face.channel().into()),
            form: form.clone(),
            enterprise,
            applicant_name: None,
            applicant_mobile: None,
            citizen: None,
            authorisation: None,
        };
        submit_case(state, caller, ip, body, files).await
    }
    .await;
    match submitted {
        Ok(d) => match face {
            Face::Portal => Ok(Redirect::to(&format!("/my/cases/{}", d.case.id)).into_response()),
            Face::Kiosk => kiosk::submitted(state, headers, uri, &item, &d).await,
        },
        Err(e) => {
            let shown = Shown {
                posted: Some((form, enterprise_text)),
                error: Some(inline(e, lang)?),
                files_lost: had_files,
                ..Shown::default()
            };
            apply_view(state, caller, headers, uri, face, &item, shown).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, label: &str, kind: &str) -> FormField {
        FormField {
            key: key.into(),
            label: label.into(),
            kind: kind.into(),
            required: true,
            min: None,
            max: None,
            options: Vec::new(),
            expires: false,
            applicant_name: false,
        }
    }

    #[test]
    fn a_refusal_marks_the_field_it_names_and_no_other() {
        let lang = Lang::ZhCn;
        let w = Words::new(lang);
        let fields = [
            field("legal_rep", "法定代表人", "text"),
            field("id_number", "法定代表人身份号码", "id_number"),
            FormField {
                min: Some(0.01),
                max: Some(1_000_000.0),
                ..field("capital", "注册资本（万元）", "number")
            },
        ];
        let marked = |e: &str| -> Vec<String> {
            field_views(&w, lang, &fields, |_| String::new(), Some(e))
                .into_iter()
                .filter(|f| f.error.is_some())
                .map(|f| f.id)
                .collect()
        };
        assert_eq!(
            marked("表单：“法定代表人身份号码”必须填写"),
            ["f-id_number"]
        );
        assert_eq!(marked("表单：“法定代表人”必须填写"), ["f-legal_rep"]);
        assert_eq!(
            marked("表单：“注册资本（万元）（0.01–1000000）”超出允许范围"),
            ["f-capital"]
        );
        let views = field_views(&w, lang, &fields, |_| String::new(), None);
        assert_eq!(views[2].input_type, "number");
        assert_eq!(
            (views[2].min.as_str(), views[2].max.as_str()),
            ("0.01", "1000000")
        );
        assert_eq!(views[2].hint, "填写 0.01 至 1000000 之间的数字");
        assert_eq!(views[1].name, "f.id_number");
    }
}

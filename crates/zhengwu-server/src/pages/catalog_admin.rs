//! The catalog in the console (administrators): list and filter items, create and edit an
//! item's guide, publish and withdraw, see its versions, edit the synonym table, import and
//! export the catalog. An edit made on a stale revision is refused and the form comes back
//! with everything the editor typed, and which fields someone else changed.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use zhengwu_core::catalog::{Faq, Fee, ITEM_TYPES, Item, MATERIAL_CHECKS, Material};
use zhengwu_store::StoreError;
use zhengwu_store::catalog::{self, ItemFilter, References, Status, VersionState, VersionSummary};
use zhengwu_store::org;

use super::console::render;
use super::guide::Words;
use super::{Frame, urlencode};
use crate::auth::{Caller, ClientIp};
use crate::catalog_io::{Kind, RowError};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::catalog::{CATALOG_ADMINS, change_synonym, export, import, publish, withdraw};
use crate::i18n::{Lang, t, tf};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/catalog", get(list_page))
        .route("/console/catalog/new", get(new_page).post(new_submit))
        .route(
            "/console/catalog/synonyms",
            get(synonyms_page).post(synonyms_submit),
        )
        .route(
            "/console/catalog/transfer",
            get(transfer_page).post(import_submit),
        )
        .route("/console/catalog/export", get(export_file))
        .route("/console/catalog/files", get(files_page).post(files_submit))
        .route("/catalog/files/{id}/{name}", get(serve_file))
        .route(
            "/console/catalog/items/{code}",
            get(edit_page).post(edit_submit),
        )
}

/// Rows of materials, fees and FAQs the form offers beyond those the item has.
const BLANK_ROWS: usize = 2;

/// Signed-in catalog administrators only; others to the login page or a 403.
fn admit(caller: &Caller) -> Result<Option<Response>, ApiError> {
    super::console_gate(caller, CATALOG_ADMINS)
}

fn lang_of(headers: &HeaderMap, uri: &Uri) -> Lang {
    crate::http::lang_from(uri, headers)
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: u64,
}

#[derive(Template)]
#[template(path = "console_catalog.html")]
struct ListPage {
    frame: Frame,
    w: Words,
    status: String,
    department: String,
    q: String,
    departments: Vec<(String, String)>,
    rows: Vec<catalog::ItemSummary>,
    total: u64,
    page: u64,
    pages: u64,
    counts: Vec<(String, u64)>,
    query: String,
}

const PAGE_ROWS: u64 = 50;

impl ListPage {
    fn department(&self, code: &str) -> String {
        self.departments
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_owned(), |(_, n)| n.clone())
    }
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let lang = lang_of(&headers, &uri);
    let db = state.db.conn();
    let status = match q.status.as_str() {
        "" => None,
        s => Some(Status::parse(s).ok_or_else(|| ApiError::invalid_field("status", s))?),
    };
    let (rows, total) = catalog::list(
        db,
        &ItemFilter {
            status,
            department: Some(q.department.clone()).filter(|d| !d.is_empty()),
            text: Some(q.q.clone()),
            offset: q.page * PAGE_ROWS,
            limit: PAGE_ROWS,
        },
    )
    .await?;
    let refs = References::load(db).await?;
    let counts = catalog::count_by_status(db)
        .await?
        .into_iter()
        .map(|(s, n)| (t(lang, &format!("catalog.status.{}", s.as_str())), n))
        .collect();
    let query = format!(
        "status={}&department={}&q={}",
        urlencode(&q.status),
        urlencode(&q.department),
        urlencode(&q.q)
    );
    let page = ListPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        status: q.status,
        department: q.department,
        q: q.q,
        departments: refs.departments.into_iter().collect(),
        rows,
        total,
        page: q.page,
        pages: total.div_ceil(PAGE_ROWS),
        counts,
        query,
    };
    render(page, None, StatusCode::OK)
}

/// The edit form: the item as typed, with the choices the selects offer.
#[derive(Template)]
#[template(path = "console_item.html")]
struct EditPage {
    frame: Frame,
    w: Words,
    csrf: String,
    /// `None` for a new item.
    code: Option<String>,
    item: Item,
    revision: i64,
    status: String,
    latest_state: String,
    published_version: Option<i32>,
    versions: Vec<VersionSummary>,
    /// The newest version's number, and whether it can be published (a draft, or withdrawn).
    latest_version: i32,
    can_publish: bool,
    /// What was typed into number fields that could not be read, kept to show it again.
    raw: HashMap<String, String>,
    /// Hall codes with their names.
    hall_names: Vec<(String, String)>,
    errors: Vec<String>,
    notice: Option<String>,
    conflict: Vec<String>,
    departments: Vec<(String, String)>,
    item_types: Vec<&'static str>,
    checks: Vec<&'static str>,
    blank_materials: usize,
    blank_fees: usize,
    blank_faqs: usize,
}

impl EditPage {
    fn lines(&self, v: &[String]) -> String {
        v.join("\n")
    }

    fn has<T: PartialEq<str>>(&self, v: &[T], x: &str) -> bool {
        v.iter().any(|y| y == x)
    }

    /// A number field's value: what was typed when it could not be read, else the item's.
    fn v(&self, key: impl AsRef<str>, value: impl std::fmt::Display) -> String {
        self.raw
            .get(key.as_ref())
            .cloned()
            .unwrap_or_else(|| value.to_string())
    }
}

fn blank_item() -> Item {
    Item {
        code: String::new(),
        basic_code: String::new(),
        name: String::new(),
        aliases: Vec::new(),
        item_type: "公共服务".into(),
        department: String::new(),
        service_object: vec!["自然人".into()],
        legal_limit_days: 0.0,
        promised_limit_days: 0.0,
        instant: true,
        conditions: String::new(),
        steps: Vec::new(),
        visits: 1,
        online: "none".into(),
        online_depth: 0,
        bookable: true,
        halls: Vec::new(),
        windows: Vec::new(),
        stations: "none".into(),
        legal_basis: Vec::new(),
        result: String::new(),
        version: 1,
        effective_from: chrono::Utc::now().date_naive(),
        fees: Vec::new(),
        faqs: Vec::new(),
        materials: Vec::new(),
        form: Vec::new(),
        instant_approval: false,
        bundle: Vec::new(),
    }
}

/// What the edit form shows besides the item.
#[derive(Default)]
struct FormState {
    errors: Vec<String>,
    notice: Option<String>,
    conflict: Vec<String>,
    raw: HashMap<String, String>,
}

async fn edit_page_for(
    state: &AppState,
    lang: Lang,
    csrf: &Csrf,
    code: Option<&str>,
    item: Item,
    revision: i64,
    f: FormState,
) -> Result<EditPage, ApiError> {
    let db = state.db.conn();
    let refs = References::load(db).await?;
    let (status, latest_state, published_version, versions, latest_version, can_publish) =
        match code {
            Some(c) => {
                let r = catalog::get(db, c).await?;
                (
                    t(
                        lang,
                        &format!("catalog.status.{}", r.summary.status.as_str()),
                    ),
                    t(
                        lang,
                        &format!("catalog.version.{}", r.latest_state.as_str()),
                    ),
                    r.summary.published_version,
                    catalog::versions(db, c).await?,
                    r.summary.latest_version,
                    r.latest_state != VersionState::Published,
                )
            }
            None => (String::new(), String::new(), None, Vec::new(), 1, false),
        };
    let hall_names = org::list_units(
        db,
        &org::UnitFilter {
            kind: Some(org::UnitKind::Hall),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|u| (u.code, u.name))
    .collect();
    Ok(EditPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        csrf: csrf.token.clone(),
        code: code.map(str::to_owned),
        blank_materials: BLANK_ROWS,
        blank_fees: BLANK_ROWS,
        blank_faqs: BLANK_ROWS,
        item,
        revision,
        status,
        latest_state,
        published_version,
        versions,
        latest_version,
        can_publish,
        raw: f.raw,
        hall_names,
        errors: f.errors,
        notice: f.notice,
        conflict: f.conflict,
        departments: refs.departments.into_iter().collect(),
        item_types: ITEM_TYPES.to_vec(),
        checks: MATERIAL_CHECKS.to_vec(),
    })
}

async fn new_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let lang = lang_of(&headers, &uri);
    let csrf = Csrf::for_request(&headers)?;
    let page = edit_page_for(
        &state,
        lang,
        &csrf,
        None,
        blank_item(),
        0,
        FormState::default(),
    )
    .await?;
    render(page, Some(&csrf), StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
struct EditQuery {
    #[serde(default)]
    saved: String,
}

async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<EditQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let lang = lang_of(&headers, &uri);
    let csrf = Csrf::for_request(&headers)?;
    let r = catalog::get(state.db.conn(), &code).await?;
    let notice = match q.saved.as_str() {
        "save" | "publish" | "withdraw" | "create" => {
            Some(t(lang, &format!("catalog.done.{}", q.saved)))
        }
        _ => None,
    };
    let page = edit_page_for(
        &state,
        lang,
        &csrf,
        Some(&code),
        r.latest,
        r.summary.revision,
        FormState {
            notice,
            ..Default::default()
        },
    )
    .await?;
    render(page, Some(&csrf), StatusCode::OK)
}

/// The form's fields by name (a repeated name, such as a checkbox group, keeps every value).
struct FormData(HashMap<String, Vec<String>>);

impl FormData {
    fn new(pairs: Vec<(String, String)>) -> Self {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            m.entry(k).or_default().push(v);
        }
        Self(m)
    }

    fn get(&self, k: &str) -> String {
        self.0
            .get(k)
            .and_then(|v| v.first())
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    }

    fn all(&self, k: &str) -> Vec<String> {
        self.0.get(k).cloned().unwrap_or_default()
    }

    fn on(&self, k: &str) -> bool {
        !self.get(k).is_empty()
    }

    fn lines(&self, k: &str) -> Vec<String> {
        self.get(k)
            .split(['\n', '；', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn words(&self, k: &str) -> Vec<String> {
        self.get(k)
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn number<T: std::str::FromStr + Default>(
        &self,
        lang: Lang,
        k: &str,
        label: &str,
        bad: &mut Bad,
    ) -> T {
        let v = self.get(k);
        if v.is_empty() {
            return T::default();
        }
        v.parse().unwrap_or_else(|_| {
            bad.errors.push(tf(
                lang,
                "catalog.form.not_a_number",
                &[("field", t(lang, label)), ("value", v.clone())],
            ));
            bad.raw.insert(k.to_owned(), v.clone());
            T::default()
        })
    }

    /// The item the form describes, what could not be read, and what was typed there.
    fn item(&self, lang: Lang) -> (Item, Vec<String>, HashMap<String, String>) {
        let mut bad = Bad::default();
        let errors = &mut bad;
        let mut item = blank_item();
        item.code = self.get("code");
        item.basic_code = self.get("basic_code");
        item.name = self.get("name");
        item.aliases = self.lines("aliases");
        item.item_type = self.get("item_type");
        item.department = self.get("department");
        item.service_object = self.all("service_object");
        item.legal_limit_days = self.number(
            lang,
            "legal_limit_days",
            "catalog.f.legal_limit_days",
            errors,
        );
        item.promised_limit_days = self.number(
            lang,
            "promised_limit_days",
            "catalog.f.promised_limit_days",
            errors,
        );
        item.instant = self.on("instant");
        item.conditions = self.get("conditions");
        item.steps = self.lines("steps");
        item.visits = self.number(lang, "visits", "catalog.f.visits", errors);
        item.online = self.get("online");
        item.online_depth = self.number(lang, "online_depth", "catalog.f.online_depth", errors);
        item.bookable = self.on("bookable");
        item.halls = self.all("halls");
        item.windows = self.words("windows");
        item.stations = self.get("stations");
        item.legal_basis = self.lines("legal_basis");
        item.result = self.get("result");
        item.effective_from =
            match chrono::NaiveDate::parse_from_str(&self.get("effective_from"), "%Y-%m-%d") {
                Ok(d) => d,
                Err(_) => {
                    errors.errors.push(tf(
                        lang,
                        "catalog.form.not_a_date",
                        &[("value", self.get("effective_from"))],
                    ));
                    item.effective_from
                }
            };
        for i in 0..200 {
            let p = |f: &str| format!("m{i}_{f}");
            if !self.0.contains_key(&p("name")) {
                break;
            }
            let name = self.get(&p("name"));
            if name.is_empty() {
                continue;
            }
            item.materials.push(Material {
                name,
                required: self.on(&p("required")),
                condition: self.get(&p("condition")),
                form: self.get(&p("form")),
                copies: self.number(lang, &p("copies"), "catalog.f.copies", errors),
                source: self.get(&p("source")),
                shared_from: self.get(&p("shared_from")),
                checks: self.all(&p("checks")),
                blank_form: self.get(&p("blank_form")),
                sample: self.get(&p("sample")),
            });
        }
        for i in 0..100 {
            let p = |f: &str| format!("f{i}_{f}");
            if !self.0.contains_key(&p("name")) {
                break;
            }
            let name = self.get(&p("name"));
            if name.is_empty() {
                continue;
            }
            item.fees.push(Fee {
                name,
                standard: self.get(&p("standard")),
                basis: self.get(&p("basis")),
                waivable: self.on(&p("waivable")),
            });
        }
        for i in 0..100 {
            let p = |f: &str| format!("q{i}_{f}");
            if !self.0.contains_key(&p("q")) {
                break;
            }
            let q = self.get(&p("q"));
            if q.is_empty() {
                continue;
            }
            item.faqs.push(Faq {
                q,
                a: self.get(&p("a")),
            });
        }
        (item, bad.errors, bad.raw)
    }
}

/// What a form's number and date fields could not read.
#[derive(Default)]
struct Bad {
    errors: Vec<String>,
    raw: HashMap<String, String>,
}

/// A store error as a line for the form.
fn form_error(lang: Lang, e: &StoreError) -> String {
    match e {
        StoreError::Invalid { field, message } => tf(
            lang,
            "catalog.form.invalid",
            &[
                ("field", crate::i18n::field(lang, field)),
                ("message", crate::i18n::reason(lang, message)),
            ],
        ),
        StoreError::Conflict { constraint } => {
            tf(lang, "catalog.form.taken", &[("what", constraint.clone())])
        }
        other => other.to_string(),
    }
}

async fn new_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let form = FormData::new(pairs);
    csrf::verify(&headers, &form.get("csrf"))?;
    let lang = lang_of(&headers, &uri);
    let (item, mut errors, raw) = form.item(lang);
    if errors.is_empty() {
        let tx = state.db.begin_write().await.map_err(StoreError::from)?;
        let refs = References::load(&tx).await?;
        match catalog::create(&tx, &refs, item.clone(), &caller.actor(&ip)).await {
            Ok(s) => {
                tx.commit().await.map_err(StoreError::from)?;
                return Ok(Redirect::to(&format!(
                    "/console/catalog/items/{}?saved=create",
                    urlencode(&s.code)
                ))
                .into_response());
            }
            Err(e @ (StoreError::Invalid { .. } | StoreError::Conflict { .. })) => {
                errors.push(form_error(lang, &e));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let csrf = Csrf::for_request(&headers)?;
    let page = edit_page_for(
        &state,
        lang,
        &csrf,
        None,
        item,
        0,
        FormState {
            errors,
            raw,
            ..Default::default()
        },
    )
    .await?;
    render(page, Some(&csrf), StatusCode::UNPROCESSABLE_ENTITY)
}

/// The fields in which two guides differ, as labels.
fn differing(lang: Lang, a: &Item, b: &Item) -> Vec<String> {
    catalog::changed_fields(a, b)
        .iter()
        .map(|k| t(lang, &format!("catalog.f.{k}")))
        .collect()
}

async fn edit_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let form = FormData::new(pairs);
    csrf::verify(&headers, &form.get("csrf"))?;
    let lang = lang_of(&headers, &uri);
    let actor = caller.actor(&ip);
    let revision: i64 = form.get("revision").parse().unwrap_or(-1);
    let action = form.get("action");
    let done = |what: &str| -> Result<Response, ApiError> {
        Ok(Redirect::to(&format!(
            "/console/catalog/items/{}?saved={what}",
            urlencode(&code)
        ))
        .into_response())
    };
    // Publishing and withdrawing carry no guide: on failure, show the item as it is now.
    if action == "publish" || action == "withdraw" {
        let outcome = if action == "publish" {
            publish(&state, &actor, &code, revision).await.map(|_| ())
        } else {
            withdraw(&state, &actor, &code, revision, &form.get("reason"))
                .await
                .map(|_| ())
        };
        let e = match outcome {
            Ok(()) => return done(&action),
            Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => e,
            Err(e) => return Err(e),
        };
        let message = if e.code == "stale" {
            t(lang, "catalog.form.stale_action")
        } else {
            e.message(lang)
        };
        let now = catalog::get(state.db.conn(), &code).await?;
        let csrf = Csrf::for_request(&headers)?;
        let page = edit_page_for(
            &state,
            lang,
            &csrf,
            Some(&code),
            now.latest,
            now.summary.revision,
            FormState {
                errors: vec![message],
                ..Default::default()
            },
        )
        .await?;
        return render(page, Some(&csrf), e.status);
    }
    let (mut item, mut errors, raw) = form.item(lang);
    item.code = code.clone();
    let mut conflict = Vec::new();
    let mut current_revision = revision;
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        let tx = state.db.begin_write().await.map_err(StoreError::from)?;
        let refs = References::load(&tx).await?;
        match catalog::save(&tx, &refs, &code, item.clone(), revision, &actor).await {
            Ok(_) => {
                tx.commit().await.map_err(StoreError::from)?;
                return done("save");
            }
            Err(StoreError::Stale { current, .. }) => {
                drop(tx);
                // Someone else saved first: keep what this editor typed, say what differs.
                let now = catalog::get(state.db.conn(), &code).await?;
                conflict = differing(lang, &item, &now.latest);
                current_revision = current;
                status = StatusCode::CONFLICT;
                errors.push(t(lang, "catalog.form.stale"));
            }
            Err(e @ (StoreError::Invalid { .. } | StoreError::Conflict { .. })) => {
                errors.push(form_error(lang, &e));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let csrf = Csrf::for_request(&headers)?;
    let page = edit_page_for(
        &state,
        lang,
        &csrf,
        Some(&code),
        item,
        current_revision,
        FormState {
            errors,
            conflict,
            raw,
            ..Default::default()
        },
    )
    .await?;
    render(page, Some(&csrf), status)
}

#[derive(Template)]
#[template(path = "console_synonyms.html")]
struct SynonymsPage {
    frame: Frame,
    w: Words,
    csrf: String,
    rows: Vec<catalog::SynonymRow>,
    error: Option<String>,
    phrase: String,
    expansion: String,
}

async fn synonyms_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let lang = lang_of(&headers, &uri);
    let csrf = Csrf::for_request(&headers)?;
    let page = SynonymsPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        csrf: csrf.token.clone(),
        rows: catalog::synonyms(state.db.conn()).await?,
        error: None,
        phrase: String::new(),
        expansion: String::new(),
    };
    render(page, Some(&csrf), StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct SynonymForm {
    csrf: String,
    phrase: String,
    #[serde(default)]
    expansion: String,
    #[serde(default)]
    action: String,
}

async fn synonyms_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<SynonymForm>,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    csrf::verify(&headers, &f.csrf)?;
    let lang = lang_of(&headers, &uri);
    let expansion = (f.action != "delete").then_some(f.expansion.as_str());
    match change_synonym(&state, &caller.actor(&ip), &f.phrase, expansion).await {
        Ok(()) => Ok(Redirect::to("/console/catalog/synonyms").into_response()),
        Err(e) if e.status.is_client_error() => {
            let csrf = Csrf::for_request(&headers)?;
            let page = SynonymsPage {
                frame: Frame::new(lang, state.district_name()),
                w: Words::new(lang),
                csrf: csrf.token.clone(),
                rows: catalog::synonyms(state.db.conn()).await?,
                error: Some(e.message(lang)),
                phrase: f.phrase,
                expansion: f.expansion,
            };
            render(page, Some(&csrf), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "console_transfer.html")]
struct TransferPage {
    frame: Frame,
    w: Words,
    csrf: String,
    result: Option<(bool, catalog::ImportSummary)>,
    errors: Vec<RowError>,
    problem: Option<String>,
}

async fn transfer_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let lang = lang_of(&headers, &uri);
    let csrf = Csrf::for_request(&headers)?;
    let page = TransferPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        csrf: csrf.token.clone(),
        result: None,
        errors: Vec::new(),
        problem: None,
    };
    render(page, Some(&csrf), StatusCode::OK)
}

async fn import_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let lang = lang_of(&headers, &uri);
    let (fields, file) = read_upload(multipart).await?;
    csrf::verify(&headers, fields.get("csrf").map_or("", String::as_str))?;
    let mode = fields.get("mode").cloned().unwrap_or_default();
    let csrf = Csrf::for_request(&headers)?;
    let mut page = TransferPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        csrf: csrf.token.clone(),
        result: None,
        errors: Vec::new(),
        problem: None,
    };
    let kind = file
        .as_ref()
        .filter(|(_, b)| !b.is_empty())
        .and_then(|(n, _)| Kind::from_file_name(n));
    let status = match (kind, file) {
        (Some(kind), Some((_, body))) => {
            let (report, ok) =
                import(&state, &caller.actor(&ip), kind, &body, mode != "valid").await?;
            page.result = Some((ok, report.imported));
            page.errors = report.errors;
            if ok {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
        _ => {
            page.problem = Some(t(lang, "catalog.transfer.no_file"));
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    render(page, Some(&csrf), status)
}

#[derive(Debug, Default, Deserialize)]
struct ExportQuery {
    #[serde(default)]
    format: String,
}

async fn export_file(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let items = catalog::published_items(state.db.conn()).await?;
    export(
        &items,
        if q.format.is_empty() {
            "json"
        } else {
            &q.format
        },
    )
}

#[derive(Template)]
#[template(path = "console_files.html")]
struct FilesPage {
    frame: Frame,
    w: Words,
    csrf: String,
    files: Vec<catalog::FileInfo>,
    uploaded: Option<catalog::FileInfo>,
    error: Option<String>,
}

async fn files_page_for(
    state: &AppState,
    lang: Lang,
    csrf: &Csrf,
    uploaded: Option<catalog::FileInfo>,
    error: Option<String>,
) -> Result<FilesPage, ApiError> {
    Ok(FilesPage {
        frame: Frame::new(lang, state.district_name()),
        w: Words::new(lang),
        csrf: csrf.token.clone(),
        files: catalog::list_files(state.db.conn()).await?,
        uploaded,
        error,
    })
}

async fn files_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let lang = lang_of(&headers, &uri);
    let csrf = Csrf::for_request(&headers)?;
    let page = files_page_for(&state, lang, &csrf, None, None).await?;
    render(page, Some(&csrf), StatusCode::OK)
}

async fn files_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    if let Some(r) = admit(&caller)? {
        return Ok(r);
    }
    let lang = lang_of(&headers, &uri);
    let (fields, file) = read_upload(multipart).await?;
    csrf::verify(&headers, fields.get("csrf").map_or("", String::as_str))?;
    let csrf = Csrf::for_request(&headers)?;
    let (name, bytes) = file.unwrap_or_default();
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let (uploaded, error, status) =
        match catalog::put_file(&tx, &name, &bytes, &caller.actor(&ip)).await {
            Ok(f) => {
                tx.commit().await.map_err(StoreError::from)?;
                (Some(f), None, StatusCode::OK)
            }
            Err(e @ StoreError::Invalid { .. }) => (
                None,
                Some(form_error(lang, &e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(e) => return Err(e.into()),
        };
    let page = files_page_for(&state, lang, &csrf, uploaded, error).await?;
    render(page, Some(&csrf), status)
}

/// A stored form, for anyone (forms are public documents).
async fn serve_file(
    State(state): State<AppState>,
    ApiPath((id, _name)): ApiPath<(i64, String)>,
) -> Result<Response, ApiError> {
    let (info, bytes) = catalog::get_file(state.db.conn(), id).await?;
    let disposition = format!(
        "attachment; filename=\"file.{}\"; filename*=UTF-8''{}",
        info.file_name.rsplit('.').next().unwrap_or("bin"),
        urlencode(&info.file_name)
    );
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, info.content_type),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::CACHE_CONTROL,
                "public, max-age=86400".to_owned(),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// An upload form's text fields, and its `file` field's name and bytes.
async fn read_upload(
    mut multipart: Multipart,
) -> Result<(HashMap<String, String>, Option<(String, axum::body::Bytes)>), ApiError> {
    let bad = |_| ApiError::new(StatusCode::BAD_REQUEST, "bad_request");
    let (mut fields, mut file) = (HashMap::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_owned();
            file = Some((file_name, field.bytes().await.map_err(bad)?));
        } else {
            fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    Ok((fields, file))
}

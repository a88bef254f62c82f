//! `/api/v1/catalog` and `/api/v1/guide`: the service catalog and guidance over it.
//!
//! Reading the published catalog and asking the guide are public. Administrators create,
//! edit, version, publish and withdraw items, edit the synonym table, and import and export
//! the whole catalog as JSON or XLSX; every change names the revision it read (a stale one is
//! a 409 and nothing is lost) and is audited.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhengwu_core::catalog::Item;
use zhengwu_core::roles::Role;
use zhengwu_search::Audience;
use zhengwu_store::StoreError;
use zhengwu_store::catalog::{
    self, FileInfo, ImportSummary, ItemFilter, ItemSummary, References, Status, SynonymRow,
    VersionState, VersionSummary,
};
use zhengwu_store::org::Location;

use crate::auth::{Caller, ClientIp};
use crate::catalog_io::{self, RowError};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::guide::{AnswerCard, Sites};
use crate::startup::AppState;

/// Roles that administer the catalog.
pub const CATALOG_ADMINS: &[Role] = &[Role::Admin];

/// The longest question the guide takes, in characters.
pub const MAX_QUESTION_CHARS: usize = zhengwu_search::MAX_QUERY_CHARS;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(guide))
        .routes(routes!(list_items, create_item))
        .routes(routes!(get_item, save_item))
        .routes(routes!(get_latest))
        .routes(routes!(publish_item))
        .routes(routes!(withdraw_item))
        .routes(routes!(item_versions))
        .routes(routes!(list_synonyms, set_synonym))
        .routes(routes!(delete_synonym))
        .routes(routes!(export_catalog))
        .routes(routes!(import_catalog))
        .routes(routes!(list_files, upload_file))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GuideQuery {
    /// The question, in plain language (1–200 characters).
    q: String,
    /// The asker's latitude (WGS84), to find the nearest open station; with `lng`.
    lat: Option<f64>,
    /// The asker's longitude (WGS84); with `lat`.
    lng: Option<f64>,
    /// `citizen` or `enterprise`: only items for natural persons, or for legal persons.
    audience: Option<String>,
    /// How many answers (1–20, default 5).
    limit: Option<usize>,
}

/// What to do when nothing fits.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Fallback {
    pub message: String,
    /// The service center's consultation phone.
    pub consultation_phone: Option<String>,
    /// The citizens' hotline, which also takes appeals.
    pub hotline: String,
}

/// The guide's answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GuideAnswer {
    pub query: String,
    /// Best first; empty when nothing fits.
    pub results: Vec<AnswerCard>,
    /// Present when nothing fits.
    pub fallback: Option<Fallback>,
}

/// The checked parameters of a guide question.
pub struct Question {
    pub q: String,
    pub from: Option<Location>,
    pub audience: Audience,
    pub limit: usize,
}

impl GuideQuery {
    pub fn from_parts(
        q: String,
        lat: Option<f64>,
        lng: Option<f64>,
        audience: Option<String>,
    ) -> Self {
        Self {
            q,
            lat,
            lng,
            audience,
            limit: None,
        }
    }

    pub fn check(self) -> Result<Question, ApiError> {
        let q = self.q.trim().to_owned();
        if q.is_empty() {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "question_empty").with_field("q"),
            );
        }
        if q.chars().count() > MAX_QUESTION_CHARS {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "question_too_long")
                    .with_field("q")
                    .arg("max", MAX_QUESTION_CHARS),
            );
        }
        let from = match (self.lat, self.lng) {
            (None, None) => None,
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Some(Location { lat, lon })
            }
            _ => {
                return Err(
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "location_invalid")
                        .with_field("lat"),
                );
            }
        };
        let audience = match self.audience.as_deref() {
            None | Some("") | Some("any") => Audience::Anyone,
            Some("citizen") => Audience::Citizens,
            Some("enterprise") => Audience::Enterprises,
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "audience",
                    "citizen, enterprise or any",
                ));
            }
        };
        let limit = self.limit.unwrap_or(5);
        if !(1..=20).contains(&limit) {
            return Err(ApiError::invalid_field("limit", "1 to 20"));
        }
        Ok(Question {
            q,
            from,
            audience,
            limit,
        })
    }
}

/// Answers a checked question.
pub async fn answer(
    state: &AppState,
    q: &Question,
    lang: crate::i18n::Lang,
) -> Result<GuideAnswer, ApiError> {
    let hits = state
        .guide
        .answer(&q.q, q.audience, q.limit)
        .map_err(ApiError::internal)?;
    let sites = Sites::load(state.db.conn(), state.calendar())
        .await
        .map_err(ApiError::internal)?;
    let results: Vec<AnswerCard> = hits
        .iter()
        .map(|(item, score)| {
            sites.card(
                item,
                *score,
                state.guide.department(&item.department),
                q.from,
            )
        })
        .collect();
    let fallback = results.is_empty().then(|| Fallback {
        message: crate::i18n::t(lang, "guide.nothing_fits"),
        consultation_phone: sites.center_phone(),
        hotline: "12345".into(),
    });
    Ok(GuideAnswer {
        query: q.q.clone(),
        results,
        fallback,
    })
}

/// Asks the guide a question in plain language: the items that answer it, best first, each
/// as an answer card (materials, time limit, fee, online, visits, where to go). When nothing
/// fits, `results` is empty and `fallback` gives the consultation phone and the hotline.
#[utoipa::path(
    get, path = "/api/v1/guide", tag = "catalog",
    params(GuideQuery),
    responses(
        (status = 200, description = "The answers", body = GuideAnswer),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty or too long question, or a bad location", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn guide(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<GuideQuery>,
) -> Result<Json<GuideAnswer>, ApiError> {
    let lang = crate::http::lang_from(&uri, &headers);
    let q = q.check()?;
    Ok(Json(answer(&state, &q, lang).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// Only this department's items (its code).
    department: Option<String>,
    /// Part of the name or code.
    q: Option<String>,
    /// `published` (the default), or — for administrators — `draft` or `withdrawn`.
    status: Option<String>,
    /// How many items to skip (0–1,000,000).
    #[param(maximum = 1_000_000)]
    offset: Option<u64>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u64>,
}

/// A page of items.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    pub total: u64,
    pub items: Vec<ItemSummary>,
}

/// Lists the catalog's items in code order. Everyone sees the published ones; administrators
/// may ask for drafts and withdrawn items.
#[utoipa::path(
    get, path = "/api/v1/catalog/items", tag = "catalog",
    params(ItemsQuery),
    responses(
        (status = 200, description = "The items", body = ItemPage),
        (status = 400, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Drafts asked for without signing in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Drafts asked for by someone who is not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status or a limit out of range", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_items(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> Result<Json<ItemPage>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") => Some(Status::Published),
        Some("all") => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::invalid_field("status", "published, draft, withdrawn or all")
        })?),
    };
    if status != Some(Status::Published) {
        caller.require(CATALOG_ADMINS)?;
    }
    let offset = q.offset.unwrap_or(0);
    if offset > 1_000_000 {
        return Err(ApiError::invalid_field("offset", "0 to 1000000"));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "1 to 500"));
    }
    let (items, total) = catalog::list(
        state.db.conn(),
        &ItemFilter {
            status,
            department: q.department.filter(|d| !d.is_empty()),
            text: q.q,
            offset,
            limit,
        },
    )
    .await?;
    Ok(Json(ItemPage { total, items }))
}

/// A published item and its whole guide.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    #[schema(value_type = Object)]
    pub item: Item,
    pub department_name: String,
}

/// One published item's guide.
#[utoipa::path(
    get, path = "/api/v1/catalog/items/{code}", tag = "catalog",
    params(("code" = String, Path, description = "The item's implementation code")),
    responses(
        (status = 200, description = "The item", body = ItemView),
        (status = 404, description = "No such item in service", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_item(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<ItemView>, ApiError> {
    let item = state.guide.item(&code).ok_or_else(ApiError::not_found)?;
    Ok(Json(ItemView {
        department_name: state.guide.department(&item.department),
        item,
    }))
}

/// An item as its editors see it: the newest version, draft or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDraft {
    pub summary: ItemSummary,
    pub latest_state: VersionState,
    #[schema(value_type = Object)]
    pub item: Item,
}

/// The newest version of an item (administrators).
#[utoipa::path(
    get, path = "/api/v1/catalog/items/{code}/latest", tag = "catalog",
    params(("code" = String, Path, description = "The item's implementation code")),
    responses(
        (status = 200, description = "The newest version", body = ItemDraft),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_latest(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<ItemDraft>, ApiError> {
    caller.require(CATALOG_ADMINS)?;
    let r = catalog::get(state.db.conn(), &code).await?;
    Ok(Json(ItemDraft {
        summary: r.summary,
        latest_state: r.latest_state,
        item: r.latest,
    }))
}

/// Parses an item from JSON, naming the field that is wrong.
fn parse_item(v: serde_json::Value) -> Result<Item, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::invalid_field("item", e))
}

/// Creates an item as a draft (version 1); it is not public until published.
#[utoipa::path(
    post, path = "/api/v1/catalog/items", tag = "catalog",
    request_body(content = Object, description = "The item's whole guide (the fields of `zhengwu_core::catalog::Item`)"),
    responses(
        (status = 201, description = "Created as a draft", body = ItemSummary),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn create_item(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<ItemSummary>), ApiError> {
    caller.require(CATALOG_ADMINS)?;
    let item = parse_item(body)?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let refs = References::load(&tx).await?;
    let s = catalog::create(&tx, &refs, item, &caller.actor(&ip)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(s)))
}

/// An edit: the revision it was made on, and the whole guide.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveBody {
    /// The item's revision when the editor opened it.
    pub revision: i64,
    #[schema(value_type = Object)]
    pub item: serde_json::Value,
}

/// Saves an edit: replaces the draft, or opens a new draft version of a published item (the
/// published version stays in service until the draft is published).
#[utoipa::path(
    put, path = "/api/v1/catalog/items/{code}", tag = "catalog",
    params(("code" = String, Path, description = "The item's implementation code")),
    request_body = SaveBody,
    responses(
        (status = 200, description = "Saved", body = ItemSummary),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Someone else changed the item meanwhile; nothing was saved", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn save_item(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<SaveBody>,
) -> Result<Json<ItemSummary>, ApiError> {
    caller.require(CATALOG_ADMINS)?;
    let item = parse_item(body.item)?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let refs = References::load(&tx).await?;
    let s = catalog::save(&tx, &refs, &code, item, body.revision, &caller.actor(&ip)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Json(s))
}

/// The revision a state change was asked on.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RevisionBody {
    pub revision: i64,
}

/// Publishes the newest version; it replaces the version in service and is searchable at once.
#[utoipa::path(
    post, path = "/api/v1/catalog/items/{code}/publish", tag = "catalog",
    params(("code" = String, Path, description = "The item's implementation code")),
    request_body = RevisionBody,
    responses(
        (status = 200, description = "Published", body = ItemSummary),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Someone else changed the item meanwhile", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Already published", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn publish_item(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<RevisionBody>,
) -> Result<Json<ItemSummary>, ApiError> {
    caller.require(CATALOG_ADMINS)?;
    Ok(Json(
        publish(&state, &caller.actor(&ip), &code, body.revision).await?,
    ))
}

/// Publishes and updates the guide's index (the API and the console share it).
pub async fn publish(
    state: &AppState,
    actor: &zhengwu_store::audit::Actor,
    code: &str,
    revision: i64,
) -> Result<ItemSummary, ApiError> {
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let (s, item) = catalog::publish(&tx, code, revision, actor).await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.guide.published(&item).map_err(ApiError::internal)?;
    Ok(s)
}

/// Withdraws an item from service, with the reason.
pub async fn withdraw(
    state: &AppState,
    actor: &zhengwu_store::audit::Actor,
    code: &str,
    revision: i64,
    reason: &str,
) -> Result<ItemSummary, ApiError> {
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let s = catalog::withdraw(&tx, code, revision, reason, actor).await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.guide.withdrawn(code).map_err(ApiError::internal)?;
    Ok(s)
}

/// Why an item is withdrawn.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WithdrawBody {
    pub revision: i64,
    /// 1–500 characters.
    pub reason: String,
}

/// Withdraws the item from service (it leaves the guide at once); a draft in progress stays.
#[utoipa::path(
    post, path = "/api/v1/catalog/items/{code}/withdraw", tag = "catalog",
    params(("code" = String, Path, description = "The item's implementation code")),
    request_body = WithdrawBody,
    responses(
        (status = 200, description = "Withdrawn", body = ItemSummary),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Someone else changed the item meanwhile", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not published, or no reason", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn withdraw_item(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<WithdrawBody>,
) -> Result<Json<ItemSummary>, ApiError> {
    caller.require(CATALOG_ADMINS)?;
    Ok(Json(
        withdraw(
            &state,
            &caller.actor(&ip),
            &code,
            body.revision,
            &body.reason,
        )
        .await?,
    ))
}

/// An item's versions, newest first.
#[utoipa::path(
    get, path = "/api/v1/catalog/items/{code}/versions", tag = "catalog",
    params(("code" = String, Path, description = "The item's implementation code")),
    responses(
        (status = 200, description = "The versions", body = Vec<VersionSummary>),
        (status = 404, description = "No such item", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn item_versions(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<Vec<VersionSummary>>, ApiError> {
    Ok(Json(catalog::versions(state.db.conn(), &code).await?))
}

/// The synonym table of the guide.
#[utoipa::path(
    get, path = "/api/v1/catalog/synonyms", tag = "catalog",
    responses((status = 200, description = "The table", body = Vec<SynonymRow>))
)]
async fn list_synonyms(State(state): State<AppState>) -> Result<Json<Vec<SynonymRow>>, ApiError> {
    Ok(Json(catalog::synonyms(state.db.conn()).await?))
}

/// A synonym to set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SynonymBody {
    /// What people say (1–50 characters).
    pub phrase: String,
    /// What the items are called (1–200 characters).
    pub expansion: String,
}

/// Adds a synonym or changes its expansion; the guide uses it at once.
#[utoipa::path(
    put, path = "/api/v1/catalog/synonyms", tag = "catalog",
    request_body = SynonymBody,
    responses(
        (status = 204, description = "Set"),
        (status = 400, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn set_synonym(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiJson(body): ApiJson<SynonymBody>,
) -> Result<StatusCode, ApiError> {
    caller.require(CATALOG_ADMINS)?;
    change_synonym(
        &state,
        &caller.actor(&ip),
        &body.phrase,
        Some(&body.expansion),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets (`Some`) or deletes (`None`) a synonym and refreshes the guide (API and console).
pub async fn change_synonym(
    state: &AppState,
    actor: &zhengwu_store::audit::Actor,
    phrase: &str,
    expansion: Option<&str>,
) -> Result<(), ApiError> {
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    match expansion {
        Some(e) => catalog::set_synonym(&tx, phrase, e, actor).await?,
        None => catalog::delete_synonym(&tx, phrase, actor).await?,
    }
    tx.commit().await.map_err(StoreError::from)?;
    state
        .guide
        .reload_synonyms(state.db.conn())
        .await
        .map_err(ApiError::internal)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhraseQuery {
    phrase: String,
}

/// Deletes a synonym.
#[utoipa::path(
    delete, path = "/api/v1/catalog/synonyms", tag = "catalog",
    params(PhraseQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "No phrase given", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such phrase", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_synonym(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    ApiQuery(q): ApiQuery<PhraseQuery>,
) -> Result<StatusCode, ApiError> {
    caller.require(CATALOG_ADMINS)?;
    change_synonym(&state, &caller.actor(&ip), &q.phrase, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (the default) or `xlsx`.
    format: Option<String>,
}

/// Exports the published catalog, as JSON or as an XLSX workbook (items, materials, fees and
/// FAQs on four sheets); either can be imported back.
#[utoipa::path(
    get, path = "/api/v1/catalog/export", tag = "catalog",
    params(ExportQuery),
    responses(
        (status = 200, description = "The catalog", content_type = "application/json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown format", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn export_catalog(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    caller.require(CATALOG_ADMINS)?;
    let items = catalog::published_items(state.db.conn()).await?;
    export(&items, q.format.as_deref().unwrap_or("json"))
}

/// The export response of `items` in `format` (API and console).
pub fn export(items: &[Item], format: &str) -> Result<Response, ApiError> {
    let date = chrono::Utc::now().format("%Y%m%d");
    match format {
        "json" => {
            let body = catalog_io::to_json(items).map_err(ApiError::internal)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"catalog-{date}.json\""),
                    ),
                ],
                body,
            )
                .into_response())
        }
        "xlsx" => {
            let body = catalog_io::to_xlsx(items).map_err(ApiError::internal)?;
            Ok((
                [
                    (header::CONTENT_TYPE, catalog_io::XLSX_TYPE.to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"catalog-{date}.xlsx\""),
                    ),
                ],
                body,
            )
                .into_response())
        }
        _ => Err(ApiError::invalid_field("format", "json or xlsx")),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `all` (the default): any broken row and nothing is imported; `valid`: import the rows
    /// that are fine and report the others.
    mode: Option<String>,
}

/// What an import did, and the rows it could not take.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub imported: ImportSummary,
    pub errors: Vec<RowError>,
}

/// Imports a catalog exported as JSON (`Content-Type: application/json`) or XLSX. Every item
/// is checked first and every broken row reported (sheet, row, field, reason). Imported items
/// are published: new codes are created, changed guides become a new version.
#[utoipa::path(
    post, path = "/api/v1/catalog/import", tag = "catalog",
    params(ImportQuery),
    request_body(content = Object, description = "A JSON export, or an XLSX workbook", content_type = "application/json"),
    responses(
        (status = 200, description = "Imported (in `valid` mode, possibly with rows left out)", body = ImportReport),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor XLSX", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Broken rows in `all` mode: nothing imported", body = ImportReport),
    )
)]
async fn import_catalog(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(CATALOG_ADMINS)?;
    let all_or_nothing = match q.mode.as_deref() {
        None | Some("") | Some("all") => true,
        Some("valid") => false,
        Some(_) => return Err(ApiError::invalid_field("mode", "all or valid")),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let kind = catalog_io::Kind::from_content_type(content_type).ok_or_else(|| {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    })?;
    let (report, ok) = import(&state, &caller.actor(&ip), kind, &body, all_or_nothing).await?;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report)).into_response())
}

/// Checks and imports a file (API and console): the report, and whether it was taken.
pub async fn import(
    state: &AppState,
    actor: &zhengwu_store::audit::Actor,
    kind: catalog_io::Kind,
    body: &[u8],
    all_or_nothing: bool,
) -> Result<(ImportReport, bool), ApiError> {
    let (rows, mut errors) = catalog_io::parse(kind, body);
    let refs = References::load(state.db.conn()).await?;
    let mut good = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (at, item) in rows {
        if !seen.insert(item.code.clone()) {
            errors.push(at.error(&item.code, "code", "code used twice in the file"));
            continue;
        }
        match refs.check(&item) {
            Ok(()) => good.push(item),
            Err(StoreError::Invalid { field, message }) => {
                errors.push(at.error(&item.code, &field, &message));
            }
            Err(e) => return Err(e.into()),
        }
    }
    errors.sort_by(|a, b| (&a.sheet, a.row).cmp(&(&b.sheet, b.row)));
    if (all_or_nothing && !errors.is_empty()) || (good.is_empty() && !errors.is_empty()) {
        return Ok((
            ImportReport {
                imported: ImportSummary::default(),
                errors,
            },
            false,
        ));
    }
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let imported = catalog::import(&tx, &refs, good, actor).await?;
    tx.commit().await.map_err(StoreError::from)?;
    state
        .guide
        .reload(state.db.conn())
        .await
        .map_err(ApiError::internal)?;
    Ok((ImportReport { imported, errors }, true))
}

/// The stored form files, newest first.
#[utoipa::path(
    get, path = "/api/v1/catalog/files", tag = "catalog",
    responses(
        (status = 200, description = "The files", body = Vec<FileInfo>),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_files(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<FileInfo>>, ApiError> {
    caller.require(CATALOG_ADMINS)?;
    Ok(Json(catalog::list_files(state.db.conn()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The file's name; its extension decides its type (pdf, docx, doc, xlsx, png, jpg).
    name: String,
}

/// Stores a blank form or a filled sample (the raw bytes as the body, up to 1 MB); link it
/// from a material with the `url` returned.
#[utoipa::path(
    post, path = "/api/v1/catalog/files", tag = "catalog",
    params(FileQuery),
    request_body(content = Vec<u8>, description = "The file's bytes", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored", body = FileInfo),
        (status = 400, description = "No name given", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a catalog administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as application/octet-stream", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unaccepted type, or empty, or too large", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn upload_file(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<FileQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<FileInfo>), ApiError> {
    caller.require(CATALOG_ADMINS)?;
    // Not a form's content type: a cross-site form cannot post it without a preflight.
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.split(';').next().unwrap_or("").trim() != "application/octet-stream" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ));
    }
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let f = catalog::put_file(&tx, &q.name, &body, &caller.actor(&ip)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(f)))
}

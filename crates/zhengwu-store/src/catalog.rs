//! The service catalog (M1.3, M2.1): items, their versions, and the guidance synonym table.
//!
//! An item has numbered versions. At most one is published (what residents see and search);
//! the newest may be a draft being edited. Editing a published item opens a new draft version;
//! publishing a draft supersedes the version before it (its `effective_to` is set); withdrawing
//! takes the published version out of service. Every change bumps the item's `revision`: a
//! writer names the revision it read, and a stale one is refused with
//! [`StoreError::Stale`] — two administrators editing at once never overwrite each other.
//! Every change is written to the audit trail in the same transaction.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use zhengwu_core::catalog::Item;

use crate::audit::{self, Actor};
use crate::entity::{catalog_file, catalog_item, catalog_synonym, catalog_version, org_unit};
use crate::{Result, StoreError};

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Never published yet.
    Draft,
    Published,
    Withdrawn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Published, Self::Withdrawn]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    Draft,
    Published,
    Superseded,
    Withdrawn,
}

impl VersionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Superseded => "superseded",
            Self::Withdrawn => "withdrawn",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "published" => Self::Published,
            "superseded" => Self::Superseded,
            "withdrawn" => Self::Withdrawn,
            _ => Self::Draft,
        }
    }
}

/// An item as the lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ItemSummary {
    pub code: String,
    pub name: String,
    /// The implementing department's code.
    pub department: String,
    pub status: Status,
    pub published_version: Option<i32>,
    pub latest_version: i32,
    /// Name it when changing the item; a stale one is refused.
    pub revision: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl From<catalog_item::Model> for ItemSummary {
    fn from(m: catalog_item::Model) -> Self {
        Self {
            code: m.code,
            name: m.name,
            department: m.department,
            status: Status::parse(&m.status).unwrap_or(Status::Draft),
            published_version: m.published_version,
            latest_version: m.latest_version,
            revision: m.revision,
            updated_at: m.updated_at,
            updated_by: m.updated_by,
        }
    }
}

/// One version of an item.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    pub state: VersionState,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// An item with its newest version's guide (what an editor works on).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRecord {
    pub summary: ItemSummary,
    pub latest_state: VersionState,
    pub latest: Item,
}

/// The organisation's codes an item may name.
#[derive(Debug, Clone, Default)]
pub struct References {
    pub departments: BTreeMap<String, String>,
    pub halls: HashSet<String>,
    pub windows: HashSet<String>,
}

impl References {
    /// Reads the departments, halls and windows of the organisation.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self> {
        let units = org_unit::Entity::find()
            .filter(org_unit::Column::Kind.is_in(["department", "hall", "window"]))
            .all(db)
            .await?;
        let mut r = Self::default();
        for u in units {
            match u.kind.as_str() {
                "department" => {
                    r.departments.insert(u.code, u.name);
                }
                "hall" => {
                    r.halls.insert(u.code);
                }
                _ => {
                    r.windows.insert(u.code);
                }
            }
        }
        Ok(r)
    }

    /// Checks an item on its own and against the organisation.
    pub fn check(&self, item: &Item) -> Result<()> {
        item.check()
            .map_err(|e| StoreError::invalid(e.field, e.message))?;
        if !self.departments.contains_key(&item.department) {
            return Err(StoreError::invalid(
                "department",
                format!("no_department:{}", item.department),
            ));
        }
        if let Some(h) = item.halls.iter().find(|h| !self.halls.contains(*h)) {
            return Err(StoreError::invalid("halls", format!("no_hall:{h}")));
        }
        if let Some(w) = item.windows.iter().find(|w| !self.windows.contains(*w)) {
            return Err(StoreError::invalid("windows", format!("no_window:{w}")));
        }
        Ok(())
    }
}

fn body_json(item: &Item) -> Result<String> {
    serde_json::to_string(item).map_err(|e| StoreError::invalid("item", e.to_string()))
}

fn parse_body(body: &str) -> Result<Item> {
    serde_json::from_str(body)
        .map_err(|e| StoreError::invalid("item", format!("stored guide unreadable: {e}")))
}

/// The top-level fields in which two guides differ, the version aside (for the audit trail
/// and for an editor told what changed meanwhile).
pub fn changed_fields(before: &Item, after: &Item) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    a.iter()
        .filter(|(k, v)| k.as_str() != "version" && b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

async fn find_item(db: &impl ConnectionTrait, code: &str) -> Result<catalog_item::Model> {
    catalog_item::Entity::find()
        .filter(catalog_item::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("item", code))
}

async fn find_version(
    db: &impl ConnectionTrait,
    item_id: i64,
    version: i32,
) -> Result<catalog_version::Model> {
    catalog_version::Entity::find()
        .filter(catalog_version::Column::ItemId.eq(item_id))
        .filter(catalog_version::Column::Version.eq(version))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("version", version))
}

fn fresh(m: &catalog_item::Model, expected: i64) -> Result<()> {
    if m.revision == expected {
        Ok(())
    } else {
        Err(StoreError::Stale {
            entity: "item",
            id: m.code.clone(),
            current: m.revision,
        })
    }
}

async fn record(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    code: &str,
    summary: serde_json::Value,
) -> Result<()> {
    audit::append(
        tx,
        audit::NewEntry {
            actor,
            action,
            record_type: "catalog_item",
            record_id: Some(code.to_owned()),
            summary,
        },
    )
    .await?;
    Ok(())
}

/// Creates an item as a draft (version 1). Not searchable until published.
pub async fn create(
    tx: &impl ConnectionTrait,
    refs: &References,
    mut item: Item,
    actor: &Actor,
) -> Result<ItemSummary> {
    item.version = 1;
    refs.check(&item)?;
    if catalog_item::Entity::find()
        .filter(catalog_item::Column::Code.eq(&item.code))
        .count(tx)
        .await?
        > 0
    {
        return Err(StoreError::Conflict {
            constraint: format!("item {} exists", item.code),
        });
    }
    let now = Utc::now();
    let m = catalog_item::ActiveModel {
        code: Set(item.code.clone()),
        name: Set(item.name.clone()),
        department: Set(item.department.clone()),
        status: Set(Status::Draft.as_str().into()),
        published_version: Set(None),
        latest_version: Set(1),
        revision: Set(1),
        updated_at: Set(now),
        updated_by: Set(actor.label.clone()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    catalog_version::ActiveModel {
        item_id: Set(m.id),
        version: Set(1),
        state: Set(VersionState::Draft.as_str().into()),
        effective_from: Set(item.effective_from),
        effective_to: Set(None),
        body: Set(body_json(&item)?),
        created_at: Set(now),
        created_by: Set(actor.label.clone()),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    record(
        tx,
        actor,
        "catalog.create",
        &item.code,
        serde_json::json!({"name": item.name, "version": 1}),
    )
    .await?;
    Ok(m.into())
}

async fn touch(
    tx: &impl ConnectionTrait,
    m: catalog_item::Model,
    actor: &Actor,
    change: impl FnOnce(&mut catalog_item::ActiveModel),
) -> Result<ItemSummary> {
    let revision = m.revision + 1;
    let mut am: catalog_item::ActiveModel = m.into();
    am.revision = Set(revision);
    am.updated_at = Set(Utc::now());
    am.updated_by = Set(actor.label.clone());
    change(&mut am);
    Ok(am.update(tx).await?.into())
}

/// Saves an edit. When the newest version is a draft it is replaced; otherwise a new draft
/// version is opened, and the published version stays in service until that draft is published.
pub async fn save(
    tx: &impl ConnectionTrait,
    refs: &References,
    code: &str,
    mut item: Item,
    expected_revision: i64,
    actor: &Actor,
) -> Result<ItemSummary> {
    if item.code != code {
        return Err(StoreError::invalid("code", "code_fixed"));
    }
    let m = find_item(tx, code).await?;
    fresh(&m, expected_revision)?;
    let latest = find_version(tx, m.id, m.latest_version).await?;
    let before = parse_body(&latest.body)?;
    let is_draft = VersionState::parse(&latest.state) == VersionState::Draft;
    let version = if is_draft {
        m.latest_version
    } else {
        m.latest_version + 1
    };
    item.version = u32::try_from(version).unwrap_or(1);
    refs.check(&item)?;
    let changed = changed_fields(&before, &item);
    if is_draft {
        let mut am: catalog_version::ActiveModel = latest.into();
        am.body = Set(body_json(&item)?);
        am.effective_from = Set(item.effective_from);
        am.update(tx).await?;
    } else {
        catalog_version::ActiveModel {
            item_id: Set(m.id),
            version: Set(version),
            state: Set(VersionState::Draft.as_str().into()),
            effective_from: Set(item.effective_from),
            effective_to: Set(None),
            body: Set(body_json(&item)?),
            created_at: Set(Utc::now()),
            created_by: Set(actor.label.clone()),
            published_at: Set(None),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    record(
        tx,
        actor,
        "catalog.edit",
        code,
        serde_json::json!({"version": version, "changed": changed}),
    )
    .await?;
    let name = (m.status == Status::Draft.as_str()).then(|| item.name.clone());
    touch(tx, m, actor, |am| {
        am.latest_version = Set(version);
        if let Some(n) = name {
            am.name = Set(n);
        }
    })
    .await
}

/// Publishes the newest version (a draft, or a withdrawn version put back in service). The
/// version it replaces is superseded from the new version's effective date.
pub async fn publish(
    tx: &impl ConnectionTrait,
    code: &str,
    expected_revision: i64,
    actor: &Actor,
) -> Result<(ItemSummary, Item)> {
    let m = find_item(tx, code).await?;
    fresh(&m, expected_revision)?;
    let latest = find_version(tx, m.id, m.latest_version).await?;
    let state = VersionState::parse(&latest.state);
    if state == VersionState::Published {
        return Err(StoreError::invalid("status", "already_published"));
    }
    let item = parse_body(&latest.body)?;
    if let Some(prev) = m.published_version.filter(|v| *v != m.latest_version) {
        let p = find_version(tx, m.id, prev).await?;
        let mut am: catalog_version::ActiveModel = p.into();
        am.state = Set(VersionState::Superseded.as_str().into());
        am.effective_to = Set(Some(item.effective_from));
        am.update(tx).await?;
    }
    let version = latest.version;
    let mut am: catalog_version::ActiveModel = latest.into();
    am.state = Set(VersionState::Published.as_str().into());
    am.effective_to = Set(None);
    am.published_at = Set(Some(Utc::now()));
    am.update(tx).await?;
    record(
        tx,
        actor,
        "catalog.publish",
        code,
        serde_json::json!({"version": version, "previous": m.published_version}),
    )
    .await?;
    let name = item.name.clone();
    let dept = item.department.clone();
    let s = touch(tx, m, actor, |am| {
        am.status = Set(Status::Published.as_str().into());
        am.published_version = Set(Some(version));
        am.name = Set(name);
        am.department = Set(dept);
    })
    .await?;
    Ok((s, item))
}

/// Takes the published version out of service; a draft in progress is kept.
pub async fn withdraw(
    tx: &impl ConnectionTrait,
    code: &str,
    expected_revision: i64,
    reason: &str,
    actor: &Actor,
) -> Result<ItemSummary> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(StoreError::invalid("reason", "length:1-500"));
    }
    let m = find_item(tx, code).await?;
    fresh(&m, expected_revision)?;
    let Some(v) = m.published_version else {
        return Err(StoreError::invalid("status", "not_published"));
    };
    let p = find_version(tx, m.id, v).await?;
    let mut am: catalog_version::ActiveModel = p.into();
    am.state = Set(VersionState::Withdrawn.as_str().into());
    am.effective_to = Set(Some(Utc::now().date_naive()));
    am.update(tx).await?;
    record(
        tx,
        actor,
        "catalog.withdraw",
        code,
        serde_json::json!({"version": v, "reason": reason}),
    )
    .await?;
    touch(tx, m, actor, |am| {
        am.status = Set(Status::Withdrawn.as_str().into());
        am.published_version = Set(None);
    })
    .await
}

/// An item and its newest version's guide.
pub async fn get(db: &impl ConnectionTrait, code: &str) -> Result<ItemRecord> {
    let m = find_item(db, code).await?;
    let latest = find_version(db, m.id, m.latest_version).await?;
    Ok(ItemRecord {
        latest_state: VersionState::parse(&latest.state),
        latest: parse_body(&latest.body)?,
        summary: m.into(),
    })
}

/// The published guide of an item; not found when it is not in service.
pub async fn published_item(db: &impl ConnectionTrait, code: &str) -> Result<Item> {
    let m = find_item(db, code).await?;
    let v = m
        .published_version
        .ok_or_else(|| StoreError::not_found("item", code))?;
    parse_body(&find_version(db, m.id, v).await?.body)
}

/// One version's guide.
pub async fn version_item(db: &impl ConnectionTrait, code: &str, version: i32) -> Result<Item> {
    let m = find_item(db, code).await?;
    parse_body(&find_version(db, m.id, version).await?.body)
}

/// Every published item's guide, in code order.
pub async fn published_items(db: &impl ConnectionTrait) -> Result<Vec<Item>> {
    let rows = catalog_version::Entity::find()
        .filter(catalog_version::Column::State.eq(VersionState::Published.as_str()))
        .all(db)
        .await?;
    let mut items = rows
        .iter()
        .map(|r| parse_body(&r.body))
        .collect::<Result<Vec<_>>>()?;
    items.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(items)
}

/// Which items to list.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub status: Option<Status>,
    pub department: Option<String>,
    /// Part of the name or code.
    pub text: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

/// Items matching `filter` in code order, and how many match in all.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &ItemFilter,
) -> Result<(Vec<ItemSummary>, u64)> {
    let mut q = catalog_item::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(catalog_item::Column::Status.eq(s.as_str()));
    }
    if let Some(d) = &filter.department {
        q = q.filter(catalog_item::Column::Department.eq(d.as_str()));
    }
    if let Some(t) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        q = q.filter(
            sea_orm::Condition::any()
                .add(catalog_item::Column::Name.contains(t))
                .add(catalog_item::Column::Code.contains(t)),
        );
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_asc(catalog_item::Column::Code)
        .offset(filter.offset)
        .limit(filter.limit.clamp(1, 1000))
        .all(db)
        .await?;
    Ok((rows.into_iter().map(Into::into).collect(), total))
}

/// An item's versions, newest first.
pub async fn versions(db: &impl ConnectionTrait, code: &str) -> Result<Vec<VersionSummary>> {
    let m = find_item(db, code).await?;
    Ok(catalog_version::Entity::find()
        .filter(catalog_version::Column::ItemId.eq(m.id))
        .order_by_desc(catalog_version::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(|v| VersionSummary {
            version: v.version,
            state: VersionState::parse(&v.state),
            effective_from: v.effective_from,
            effective_to: v.effective_to,
            created_at: v.created_at,
            created_by: v.created_by,
            published_at: v.published_at,
        })
        .collect())
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Imports items and publishes them: new codes are created, changed guides become a new
/// published version, identical ones are left alone. The caller checks the rows first
/// ([`References::check`]) so it can report every broken row; this checks them again.
pub async fn import(
    tx: &impl ConnectionTrait,
    refs: &References,
    items: Vec<Item>,
    actor: &Actor,
) -> Result<ImportSummary> {
    let mut s = ImportSummary::default();
    for item in items {
        let code = item.code.clone();
        let existing = catalog_item::Entity::find()
            .filter(catalog_item::Column::Code.eq(&code))
            .one(tx)
            .await?;
        match existing {
            None => {
                let created = create(tx, refs, item, actor).await?;
                publish(tx, &code, created.revision, actor).await?;
                s.created += 1;
            }
            Some(m) => {
                let current = match m.published_version {
                    Some(v) => Some(parse_body(&find_version(tx, m.id, v).await?.body)?),
                    None => None,
                };
                if current
                    .as_ref()
                    .is_some_and(|c| changed_fields(c, &item).is_empty())
                {
                    s.unchanged += 1;
                    continue;
                }
                let saved = save(tx, refs, &code, item, m.revision, actor).await?;
                publish(tx, &code, saved.revision, actor).await?;
                s.updated += 1;
            }
        }
    }
    Ok(s)
}

/// A row of the synonym table.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SynonymRow {
    pub phrase: String,
    pub expansion: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// The synonym table, by phrase.
pub async fn synonyms(db: &impl ConnectionTrait) -> Result<Vec<SynonymRow>> {
    Ok(catalog_synonym::Entity::find()
        .order_by_asc(catalog_synonym::Column::Phrase)
        .all(db)
        .await?
        .into_iter()
        .map(|m| SynonymRow {
            phrase: m.phrase,
            expansion: m.expansion,
            updated_at: m.updated_at,
            updated_by: m.updated_by,
        })
        .collect())
}

/// Adds a synonym, or changes what an existing phrase expands to.
pub async fn set_synonym(
    tx: &impl ConnectionTrait,
    phrase: &str,
    expansion: &str,
    actor: &Actor,
) -> Result<()> {
    let phrase = phrase.trim();
    let expansion = expansion.trim();
    if phrase.is_empty() || phrase.chars().count() > 50 {
        return Err(StoreError::invalid("phrase", "length:1-50"));
    }
    if expansion.is_empty() || expansion.chars().count() > 200 {
        return Err(StoreError::invalid("expansion", "length:1-200"));
    }
    let existing = catalog_synonym::Entity::find()
        .filter(catalog_synonym::Column::Phrase.eq(phrase))
        .one(tx)
        .await?;
    let before = existing.as_ref().map(|m| m.expansion.clone());
    match existing {
        Some(m) => {
            let mut am: catalog_synonym::ActiveModel = m.into();
            am.expansion = Set(expansion.to_owned());
            am.updated_at = Set(Utc::now());
            am.updated_by = Set(actor.label.clone());
            am.update(tx).await?;
        }
        None => {
            catalog_synonym::ActiveModel {
                phrase: Set(phrase.to_owned()),
                expansion: Set(expansion.to_owned()),
                updated_at: Set(Utc::now()),
                updated_by: Set(actor.label.clone()),
                ..Default::default()
            }
            .insert(tx)
            .await?;
        }
    }
    audit::append(
        tx,
        audit::NewEntry {
            actor,
            action: "catalog.synonym_set",
            record_type: "catalog_synonym",
            record_id: Some(phrase.to_owned()),
            summary: serde_json::json!({"before": before, "after": expansion}),
        },
    )
    .await?;
    Ok(())
}

/// Deletes a synonym.
pub async fn delete_synonym(tx: &impl ConnectionTrait, phrase: &str, actor: &Actor) -> Result<()> {
    let m = catalog_synonym::Entity::find()
        .filter(catalog_synonym::Column::Phrase.eq(phrase))
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("synonym", phrase))?;
    let before = m.expansion.clone();
    catalog_synonym::Entity::delete_by_id(m.id).exec(tx).await?;
    audit::append(
        tx,
        audit::NewEntry {
            actor,
            action: "catalog.synonym_delete",
            record_type: "catalog_synonym",
            record_id: Some(phrase.to_owned()),
            summary: serde_json::json!({"before": before}),
        },
    )
    .await?;
    Ok(())
}

/// How many items there are in each status.
pub async fn count_by_status(db: &impl ConnectionTrait) -> Result<Vec<(Status, u64)>> {
    let mut out = Vec::new();
    for s in [Status::Draft, Status::Published, Status::Withdrawn] {
        let n = catalog_item::Entity::find()
            .filter(catalog_item::Column::Status.eq(s.as_str()))
            .count(db)
            .await?;
        out.push((s, n));
    }
    Ok(out)
}

/// Loads a whole catalog into an empty one, published, with one audit entry for the lot (the
/// demo's seed; an administrator's import goes through [`import`], item by item).
pub async fn seed(
    tx: &impl ConnectionTrait,
    refs: &References,
    items: &[Item],
    synonyms: &[(String, String)],
    actor: &Actor,
) -> Result<usize> {
    if catalog_item::Entity::find().count(tx).await? > 0 {
        return Err(StoreError::Conflict {
            constraint: "the catalog is not empty".into(),
        });
    }
    let now = Utc::now();
    for chunk in items.chunks(100) {
        let mut rows = Vec::with_capacity(chunk.len());
        for item in chunk {
            refs.check(item)?;
            rows.push(catalog_item::ActiveModel {
                code: Set(item.code.clone()),
                name: Set(item.name.clone()),
                department: Set(item.department.clone()),
                status: Set(Status::Published.as_str().into()),
                published_version: Set(Some(1)),
                latest_version: Set(1),
                revision: Set(1),
                updated_at: Set(now),
                updated_by: Set(actor.label.clone()),
                ..Default::default()
            });
        }
        catalog_item::Entity::insert_many(rows).exec(tx).await?;
    }
    let ids: BTreeMap<String, i64> = catalog_item::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|m| (m.code, m.id))
        .collect();
    for chunk in items.chunks(100) {
        let mut rows = Vec::with_capacity(chunk.len());
        for item in chunk {
            let mut item = item.clone();
            item.version = 1;
            rows.push(catalog_version::ActiveModel {
                item_id: Set(ids.get(&item.code).copied().unwrap_or_default()),
                version: Set(1),
                state: Set(VersionState::Published.as_str().into()),
                effective_from: Set(item.effective_from),
                effective_to: Set(None),
                body: Set(body_json(&item)?),
                created_at: Set(now),
                created_by: Set(actor.label.clone()),
                published_at: Set(Some(now)),
                ..Default::default()
            });
        }
        catalog_version::Entity::insert_many(rows).exec(tx).await?;
    }
    for (phrase, expansion) in synonyms {
        catalog_synonym::ActiveModel {
            phrase: Set(phrase.clone()),
            expansion: Set(expansion.clone()),
            updated_at: Set(now),
            updated_by: Set(actor.label.clone()),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    audit::append(
        tx,
        audit::NewEntry {
            actor,
            action: "catalog.seed",
            record_type: "catalog",
            record_id: None,
            summary: serde_json::json!({"items": items.len(), "synonyms": synonyms.len()}),
        },
    )
    .await?;
    Ok(items.len())
}

/// Empties the catalog (the demo's reset).
pub async fn clear(tx: &impl ConnectionTrait) -> Result<()> {
    catalog_file::Entity::delete_many().exec(tx).await?;
    catalog_version::Entity::delete_many().exec(tx).await?;
    catalog_item::Entity::delete_many().exec(tx).await?;
    catalog_synonym::Entity::delete_many().exec(tx).await?;
    Ok(())
}

/// The kinds of file a form may be.
pub const FILE_TYPES: [(&str, &str); 6] = [
    ("pdf", "application/pdf"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("doc", "application/msword"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
];

/// The largest form file, in bytes.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// A stored file, without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FileInfo {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Where it is served: put this in a material's `blank_form` or `sample`.
    pub url: String,
    pub uploaded_at: DateTime<Utc>,
    pub uploaded_by: String,
}

/// A file's row without its bytes.
type FileRow = (i64, String, String, i64, String, DateTime<Utc>, String);

impl From<FileRow> for FileInfo {
    fn from(r: FileRow) -> Self {
        let (id, file_name, content_type, size, sha256, uploaded_at, uploaded_by) = r;
        Self {
            url: format!("/catalog/files/{id}/{file_name}"),
            id,
            file_name,
            content_type,
            size,
            sha256,
            uploaded_at,
            uploaded_by,
        }
    }
}

impl From<&catalog_file::Model> for FileInfo {
    fn from(m: &catalog_file::Model) -> Self {
        (
            m.id,
            m.file_name.clone(),
            m.content_type.clone(),
            m.size,
            m.sha256.clone(),
            m.uploaded_at,
            m.uploaded_by.clone(),
        )
            .into()
    }
}

/// Stores a form file. The name's extension decides its type (PDF, Word, Excel, PNG, JPEG);
/// the same bytes stored twice are kept once.
pub async fn put_file(
    tx: &impl ConnectionTrait,
    file_name: &str,
    bytes: &[u8],
    actor: &Actor,
) -> Result<FileInfo> {
    let name = zhengwu_core::files::clean_name(file_name)
        .ok_or_else(|| StoreError::invalid("file_name", "length:1-120"))?;
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, content_type)) = FILE_TYPES.iter().find(|(e, _)| *e == ext) else {
        return Err(StoreError::invalid("file_name", format!("file_type:{ext}")));
    };
    if bytes.is_empty() || bytes.len() > MAX_FILE_BYTES {
        return Err(StoreError::invalid("file", "file_size"));
    }
    let sha256 = zhengwu_core::secret::sha256_hex(bytes);
    if let Some(m) = catalog_file::Entity::find()
        .filter(catalog_file::Column::Sha256.eq(&sha256))
        .filter(catalog_file::Column::FileName.eq(&name))
        .one(tx)
        .await?
    {
        return Ok((&m).into());
    }
    let m = catalog_file::ActiveModel {
        file_name: Set(name),
        content_type: Set((*content_type).to_owned()),
        size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        sha256: Set(sha256),
        bytes: Set(bytes.to_vec()),
        uploaded_at: Set(Utc::now()),
        uploaded_by: Set(actor.label.clone()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let info = FileInfo::from(&m);
    audit::append(
        tx,
        audit::NewEntry {
            actor,
            action: "catalog.file_upload",
            record_type: "catalog_file",
            record_id: Some(m.id.to_string()),
            summary: serde_json::json!({"file_name": info.file_name, "size": info.size, "sha256": info.sha256}),
        },
    )
    .await?;
    Ok(info)
}

/// A stored file and its bytes.
pub async fn get_file(db: &impl ConnectionTrait, id: i64) -> Result<(FileInfo, Vec<u8>)> {
    let m = catalog_file::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("file", id))?;
    Ok(((&m).into(), m.bytes))
}

/// The stored files, newest first (without their bytes).
pub async fn list_files(db: &impl ConnectionTrait) -> Result<Vec<FileInfo>> {
    Ok(catalog_file::Entity::find()
        .select_only()
        .columns([
            catalog_file::Column::Id,
            catalog_file::Column::FileName,
            catalog_file::Column::ContentType,
            catalog_file::Column::Size,
            catalog_file::Column::Sha256,
            catalog_file::Column::UploadedAt,
            catalog_file::Column::UploadedBy,
        ])
        .order_by_desc(catalog_file::Column::Id)
        .into_tuple::<FileRow>()
        .all(db)
        .await?
        .into_iter()
        .map(FileInfo::from)
        .collect())
}

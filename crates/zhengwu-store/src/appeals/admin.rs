//! What administrators maintain for the hotline: the topic tree (three levels; a leaf carries
//! its default lead and co-units, its usual kind and the words callers use), the knowledge base
//! of questions and answers for instant responses, and the time limits (to sign, per kind).
//! Every change is audited. A topic's code and place in the tree never change once made
//! (appeals, rules and answers refer to it); a topic in use is never deleted.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::appeal::{Kind, Limits};

use super::{KnowledgeEntry, Topic, check_text, topic, topic_view};
use crate::audit::{self, Actor, NewEntry};
use crate::entity::{appeal, appeal_knowledge, appeal_limit, appeal_route, appeal_topic};
use crate::org;
use crate::{Result, StoreError};

/// A topic to save.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TopicInput {
    /// New topics: two capital letters (level 1), or the parent's code and two digits.
    pub code: String,
    pub name: String,
    /// `None` for a first-level topic.
    #[serde(default)]
    pub parent_code: Option<String>,
    /// Leaves only: the default lead unit's code.
    #[serde(default)]
    pub lead: Option<String>,
    /// Leaves only: the default co-units' codes.
    #[serde(default)]
    pub co: Vec<String>,
    /// Leaves only: the usual kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// Leaves only: words callers use (at most 30, each 1–20 characters).
    #[serde(default)]
    pub words: Vec<String>,
}

fn code_fits(code: &str, parent: Option<&Topic>) -> bool {
    let upper = |s: &str| s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase());
    let digits = |s: &str| s.len() == 2 && s.chars().all(|c| c.is_ascii_digit());
    match parent {
        None => upper(code),
        Some(p) => code.strip_prefix(p.code.as_str()).is_some_and(digits),
    }
}

async fn unit_code(tx: &impl ConnectionTrait, code: &str, field: &str) -> Result<String> {
    let u = org::find_by_code(tx, code.trim())
        .await?
        .ok_or_else(|| StoreError::invalid(field, format!("unknown_unit:{}", code.trim())))?;
    super::handling_unit(tx, u.id, field).await?;
    Ok(u.code)
}

/// Creates a topic (`existing` = `None`) or changes topic `existing`'s name and, for a leaf,
/// its routing defaults and words.
pub async fn save_topic(
    tx: &impl ConnectionTrait,
    existing: Option<&str>,
    t: &TopicInput,
    actor: &Actor,
) -> Result<Topic> {
    let name = check_text("topic_name", &t.name, 1, 50)?;
    let (code, parent, level) = match existing {
        Some(code) => {
            let old = topic(tx, code)
                .await?
                .ok_or_else(|| StoreError::not_found("topic", code))?;
            if t.code.trim() != old.code
                || t.parent_code.as_deref().map(str::trim) != old.parent_code.as_deref()
            {
                return Err(StoreError::invalid("topic_code", "topic_code_fixed"));
            }
            (old.code, old.parent_code, old.level)
        }
        None => {
            let code = t.code.trim().to_owned();
            let parent = match t
                .parent_code
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                Some(p) => {
                    Some(topic(tx, p).await?.filter(|x| x.level < 3).ok_or_else(|| {
                        StoreError::invalid("parent_code", format!("unknown:{p}"))
                    })?)
                }
                None => None,
            };
            if !code_fits(&code, parent.as_ref()) {
                return Err(StoreError::invalid("topic_code", "topic_code_format"));
            }
            if topic(tx, &code).await?.is_some() {
                return Err(StoreError::invalid("topic_code", format!("exists:{code}")));
            }
            let level = parent.as_ref().map_or(1, |p| p.level + 1);
            (code, parent.map(|p| p.code), level)
        }
    };
    let leaf = level == 3;
    let lead = match t.lead.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(_) if !leaf => return Err(StoreError::invalid("lead", "leaf_only")),
        Some(l) => Some(unit_code(tx, l, "lead").await?),
        None => None,
    };
    let mut co = Vec::new();
    for c in t.co.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if !leaf {
            return Err(StoreError::invalid("co", "leaf_only"));
        }
        let c = unit_code(tx, c, "co").await?;
        if Some(&c) == lead.as_ref() {
            return Err(StoreError::invalid("co", "lead_also_co"));
        }
        if !co.contains(&c) {
            co.push(c);
        }
    }
    let kind = match t.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(_) if !leaf => return Err(StoreError::invalid("kind", "leaf_only")),
        Some(k) => Some(
            Kind::parse(k)
                .ok_or_else(|| StoreError::invalid("kind", format!("unknown:{k}")))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let words: Vec<String> = t
        .words
        .iter()
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 30 || words.iter().any(|w| w.chars().count() > 20) {
        return Err(StoreError::invalid("words", "words"));
    }
    let row = appeal_topic::Entity::find()
        .filter(appeal_topic::Column::Code.eq(&code))
        .one(tx)
        .await?;
    let mut am: appeal_topic::ActiveModel = match row {
        Some(m) => m.into(),
        None => appeal_topic::ActiveModel {
            code: Set(code.clone()),
            parent_code: Set(parent),
            level: Set(level),
            ..Default::default()
        },
    };
    am.name = Set(name);
    am.lead_code = Set(lead);
    am.co_codes = Set(serde_json::to_string(&co).unwrap_or_else(|_| "[]".into()));
    am.kind = Set(kind);
    am.words = Set(serde_json::to_string(&words).unwrap_or_else(|_| "[]".into()));
    let m = if existing.is_some() {
        am.update(tx).await?
    } else {
        am.insert(tx).await?
    };
    audit::append(
        tx,
        NewEntry {
            actor,
            action: if existing.is_some() {
                "appeal_topic.update"
            } else {
                "appeal_topic.create"
            },
            record_type: "appeal_topic",
            record_id: Some(m.code.clone()),
            summary: json!({"name": m.name, "lead": m.lead_code, "kind": m.kind}),
        },
    )
    .await?;
    Ok(topic_view(m))
}

/// Deletes a topic nothing refers to: no sub-topics, no appeals, answers or routing rules.
pub async fn delete_topic(tx: &impl ConnectionTrait, code: &str, actor: &Actor) -> Result<()> {
    let t = topic(tx, code)
        .await?
        .ok_or_else(|| StoreError::not_found("topic", code))?;
    let children = appeal_topic::Entity::find()
        .filter(appeal_topic::Column::ParentCode.eq(&t.code))
        .count(tx)
        .await?;
    let appeals = appeal::Entity::find()
        .filter(appeal::Column::TopicCode.eq(&t.code))
        .count(tx)
        .await?;
    let answers = appeal_knowledge::Entity::find()
        .filter(appeal_knowledge::Column::TopicCode.eq(&t.code))
        .count(tx)
        .await?;
    let rules = appeal_route::Entity::find()
        .filter(appeal_route::Column::TopicPrefix.eq(&t.code))
        .count(tx)
        .await?;
    if children + appeals + answers + rules > 0 {
        return Err(StoreError::invalid(
            "topic",
            format!("in_use:{children}/{appeals}/{answers}/{rules}"),
        ));
    }
    appeal_topic::Entity::delete_many()
        .filter(appeal_topic::Column::Code.eq(&t.code))
        .exec(tx)
        .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal_topic.delete",
            record_type: "appeal_topic",
            record_id: Some(t.code.clone()),
            summary: json!({"name": t.name}),
        },
    )
    .await?;
    Ok(())
}

/// Every knowledge-base entry, by topic.
pub async fn knowledge(db: &impl ConnectionTrait) -> Result<Vec<KnowledgeEntry>> {
    Ok(appeal_knowledge::Entity::find()
        .order_by_asc(appeal_knowledge::Column::TopicCode)
        .order_by_asc(appeal_knowledge::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(super::knowledge_view)
        .collect())
}

/// Adds an entry (`id` = `None`) or replaces entry `id`.
pub async fn save_knowledge(
    tx: &impl ConnectionTrait,
    id: Option<i64>,
    k: &KnowledgeEntry,
    actor: &Actor,
) -> Result<KnowledgeEntry> {
    let question = check_text("question", &k.question, 2, 200)?;
    let answer = check_text("answer", &k.answer, 2, 2000)?;
    topic(tx, k.topic.trim())
        .await?
        .filter(|t| t.level == 3)
        .ok_or_else(|| StoreError::invalid("topic", format!("unknown:{}", k.topic.trim())))?;
    let words: Vec<String> = k
        .words
        .iter()
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 30 || words.iter().any(|w| w.chars().count() > 20) {
        return Err(StoreError::invalid("words", "words"));
    }
    let mut am: appeal_knowledge::ActiveModel = match id {
        Some(id) => appeal_knowledge::Entity::find_by_id(id)
            .one(tx)
            .await?
            .ok_or_else(|| StoreError::not_found("knowledge", id))?
            .into(),
        None => <appeal_knowledge::ActiveModel as Default>::default(),
    };
    am.question = Set(question);
    am.answer = Set(answer);
    am.topic_code = Set(k.topic.trim().to_owned());
    am.words = Set(serde_json::to_string(&words).unwrap_or_else(|_| "[]".into()));
    let m = if id.is_some() {
        am.update(tx).await?
    } else {
        am.insert(tx).await?
    };
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal_knowledge.save",
            record_type: "appeal_knowledge",
            record_id: Some(m.id.to_string()),
            summary: json!({"topic": m.topic_code, "question": m.question}),
        },
    )
    .await?;
    Ok(super::knowledge_view(m))
}

/// Deletes an entry.
pub async fn delete_knowledge(tx: &impl ConnectionTrait, id: i64, actor: &Actor) -> Result<()> {
    let r = appeal_knowledge::Entity::delete_by_id(id).exec(tx).await?;
    if r.rows_affected == 0 {
        return Err(StoreError::not_found("knowledge", id));
    }
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal_knowledge.delete",
            record_type: "appeal_knowledge",
            record_id: Some(id.to_string()),
            summary: json!({}),
        },
    )
    .await?;
    Ok(())
}

/// The district's time limits: the defaults, with what the district changed.
pub async fn limits(db: &impl ConnectionTrait) -> Result<Limits> {
    let mut l = Limits::default();
    for row in appeal_limit::Entity::find().all(db).await? {
        l.set(&row.name, u32::try_from(row.days).unwrap_or(1));
    }
    Ok(l)
}

/// Sets the time limits (each 1–60 working days); they apply to appeals taken in or
/// dispatched from now on.
pub async fn set_limits(tx: &impl ConnectionTrait, l: &Limits, actor: &Actor) -> Result<Limits> {
    for (name, days) in l.named() {
        if !(1..=Limits::MAX_DAYS).contains(&days) {
            return Err(StoreError::invalid(
                name,
                format!("range:1-{}", Limits::MAX_DAYS),
            ));
        }
    }
    let before = limits(tx).await?;
    for (name, days) in l.named() {
        appeal_limit::Entity::delete_by_id(name.to_owned())
            .exec(tx)
            .await?;
        appeal_limit::ActiveModel {
            name: Set(name.to_owned()),
            days: Set(days as i32),
        }
        .insert(tx)
        .await?;
    }
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal_limits.set",
            record_type: "appeal_limits",
            record_id: None,
            summary: json!({"before": before, "after": l}),
        },
    )
    .await?;
    Ok(*l)
}

//! The audit trail: every state change and every read of a person's record appends an entry,
//! in the same transaction as the change. Entries are hash-chained
//! (`zhengwu_core::audit::entry_hash`); [`verify`] reports the first entry that was changed,
//! inserted or deleted.
//!
//! Appends are serialised on the single `audit_head` row (`FOR UPDATE` on PostgreSQL; SQLite's
//! write transactions are exclusive already), so the chain never forks and `seq` has no gaps
//! even when transactions roll back.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use zhengwu_core::audit::{EntryFields, GENESIS, entry_hash};

use crate::entity::{audit_head, audit_log};
use crate::{Result, StoreError};

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Actor {
    /// `staff`, `applicant`, `token` or `system`.
    pub kind: &'static str,
    pub id: Option<i64>,
    /// A name for people reading the trail: a username, a token's name, `zhengwu cli`.
    pub label: String,
    /// The client's address, when the act came over the network.
    pub ip: Option<String>,
}

impl Actor {
    /// The system itself or an operator at the command line.
    pub fn system(label: &str) -> Self {
        Self {
            kind: "system",
            id: None,
            label: label.to_owned(),
            ip: None,
        }
    }
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub actor: &'a Actor,
    /// What was done, `domain.verb`: `staff.create`, `session.login`, `citizen.read`.
    pub action: &'a str,
    pub record_type: &'a str,
    pub record_id: Option<String>,
    /// Before/after or other facts, never unmasked personal data.
    pub summary: serde_json::Value,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub ip: Option<String>,
    pub action: String,
    pub record_type: String,
    pub record_id: Option<String>,
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    pub hash: String,
}

fn fields(m: &audit_log::Model) -> EntryFields<'_> {
    EntryFields {
        seq: m.seq,
        at: &m.at,
        actor_kind: &m.actor_kind,
        actor_id: m.actor_id,
        actor_label: &m.actor_label,
        ip: m.ip.as_deref(),
        action: &m.action,
        record_type: &m.record_type,
        record_id: m.record_id.as_deref(),
        summary: &m.summary,
    }
}

/// The time format of the trail: fixed, so the hash can be recomputed exactly.
pub fn format_at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Appends an entry inside the caller's transaction; returns its position.
pub async fn append(tx: &impl ConnectionTrait, e: NewEntry<'_>) -> Result<i64> {
    let mut q = audit_head::Entity::find_by_id(1);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let head = q
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::invalid("audit", "the audit head is missing"))?;
    let summary = e.summary.to_string();
    let row = audit_log::Model {
        seq: head.last_seq + 1,
        at: format_at(Utc::now()),
        actor_kind: e.actor.kind.to_owned(),
        actor_id: e.actor.id,
        actor_label: e.actor.label.chars().take(100).collect(),
        ip: e.actor.ip.clone(),
        action: e.action.to_owned(),
        record_type: e.record_type.to_owned(),
        record_id: e.record_id,
        summary,
        prev_hash: head.last_hash.clone(),
        hash: String::new(),
    };
    let hash = entry_hash(&head.last_hash, &fields(&row));
    let seq = row.seq;
    audit_log::ActiveModel {
        hash: Set(hash.clone()),
        ..audit_log::ActiveModel::from(row)
    }
    .insert(tx)
    .await?;
    audit_head::ActiveModel {
        id: Set(1),
        last_seq: Set(seq),
        last_hash: Set(hash),
    }
    .update(tx)
    .await?;
    Ok(seq)
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries read.
    pub entries: i64,
    /// The first entry that is not as it was written, and why; `None` when the chain is intact.
    pub first_bad: Option<(i64, String)>,
}

/// Walks the chain from the first entry and reports the first one that was changed, inserted
/// or deleted.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Verification> {
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_owned();
    let mut read = 0;
    loop {
        let page = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_log::Column::Seq)
            .limit(1000)
            .all(db)
            .await?;
        if page.is_empty() {
            break;
        }
        for m in &page {
            read += 1;
            let bad = |why: String| Verification {
                entries: read,
                first_bad: Some((m.seq, why)),
            };
            if m.seq != expected_seq {
                return Ok(Verification {
                    entries: read,
                    first_bad: Some((
                        expected_seq,
                        format!("entry {expected_seq} is missing: it was deleted"),
                    )),
                });
            }
            if m.prev_hash != prev {
                return Ok(bad(format!(
                    "entry {} does not follow the entry before it: an entry was inserted or deleted before it, or it was changed",
                    m.seq
                )));
            }
            if entry_hash(&prev, &fields(m)) != m.hash {
                return Ok(bad(format!(
                    "entry {} was changed after it was written",
                    m.seq
                )));
            }
            prev = m.hash.clone();
            expected_seq += 1;
        }
    }
    let head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::invalid("audit", "the audit head is missing"))?;
    let last = expected_seq - 1;
    if head.last_seq != last || head.last_hash != prev {
        let first = (last + 1).min(head.last_seq.max(1));
        return Ok(Verification {
            entries: read,
            first_bad: Some((
                first,
                format!(
                    "the chain ends at entry {last} but {} entries were written: entries at the end were deleted, or an entry was appended outside zhengwu",
                    head.last_seq
                ),
            )),
        });
    }
    Ok(Verification {
        entries: read,
        first_bad: None,
    })
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub actor_kind: Option<String>,
    pub actor_id: Option<i64>,
    pub actor_label: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Entries matching `filter`, newest first.
pub async fn search(db: &impl ConnectionTrait, f: &EntryFilter, limit: u64) -> Result<Vec<Entry>> {
    let mut q = audit_log::Entity::find();
    if let Some(v) = &f.record_type {
        q = q.filter(audit_log::Column::RecordType.eq(v.as_str()));
    }
    if let Some(v) = &f.record_id {
        q = q.filter(audit_log::Column::RecordId.eq(v.as_str()));
    }
    if let Some(v) = &f.actor_kind {
        q = q.filter(audit_log::Column::ActorKind.eq(v.as_str()));
    }
    if let Some(v) = f.actor_id {
        q = q.filter(audit_log::Column::ActorId.eq(v));
    }
    if let Some(v) = &f.actor_label {
        q = q.filter(audit_log::Column::ActorLabel.eq(v.as_str()));
    }
    if let Some(v) = f.from {
        q = q.filter(audit_log::Column::At.gte(format_at(v)));
    }
    if let Some(v) = f.to {
        q = q.filter(audit_log::Column::At.lte(format_at(v)));
    }
    Ok(q.order_by_desc(audit_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Entry {
            summary: serde_json::from_str(&m.summary).unwrap_or(serde_json::Value::Null),
            seq: m.seq,
            at: m.at,
            actor_kind: m.actor_kind,
            actor_id: m.actor_id,
            actor_label: m.actor_label,
            ip: m.ip,
            action: m.action,
            record_type: m.record_type,
            record_id: m.record_id,
            hash: m.hash,
        })
        .collect())
}

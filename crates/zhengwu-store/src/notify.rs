//! The outbox: notifications written in the same transaction as the change that causes them,
//! delivered later by a worker, retried with exponential back-off, and never lost — a message
//! that keeps failing is marked dead, kept, and can be put back in the queue.
//!
//! Delivery is at least once: a worker leases a batch (`locked_until`), delivers, and marks
//! each message. A worker that dies mid-batch leaves leases that expire, and the messages are
//! delivered again; receivers de-duplicate on the `Idempotency-Key`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use zhengwu_core::ids::MessageId;

use crate::entity::outbox;
use crate::{Backend, Db, Result, StoreError};

/// Where a message is to go.
pub const SINK_LOG: &str = "log";
pub const SINK_WEBHOOK: &str = "webhook";

/// The state of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Delivered,
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "delivered" => Self::Delivered,
            "dead" => Self::Dead,
            _ => Self::Pending,
        }
    }
}

/// A message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub sink: String,
    pub topic: String,
    pub payload: serde_json::Value,
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Message {
    #[schema(value_type = i64)]
    pub id: MessageId,
    pub sink: String,
    pub topic: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub idempotency_key: String,
    pub status: Status,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<outbox::Model> for Message {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: MessageId(m.id),
            sink: m.sink,
            topic: m.topic,
            payload: serde_json::from_str(&m.payload).unwrap_or(serde_json::Value::Null),
            idempotency_key: m.idempotency_key,
            status: Status::parse(&m.status),
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            created_at: m.created_at,
            delivered_at: m.delivered_at,
        }
    }
}

/// How failed deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// After this many failed attempts the message is dead.
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles with each further failure.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt after `failures` failed attempts (≥ 1).
    pub fn delay(&self, failures: i32) -> Duration {
        let exp = failures.clamp(1, 31) as u32 - 1;
        let d = self.base_delay.saturating_mul(2u32.saturating_pow(exp));
        d.min(self.max_delay)
    }
}

/// Adds a message to the outbox, inside the caller's transaction.
#[tracing::instrument(skip_all, fields(topic = %msg.topic, sink = %msg.sink))]
pub async fn enqueue(tx: &impl crate::sql::Exec, msg: NewMessage) -> Result<MessageId> {
    if msg.topic.trim().is_empty() || msg.topic.len() > 100 {
        return Err(StoreError::invalid("topic", "1–100 characters"));
    }
    if msg.sink.trim().is_empty() || msg.sink.len() > 40 {
        return Err(StoreError::invalid("sink", "1–40 characters"));
    }
    let now = Utc::now();
    let payload = msg.payload.to_string();
    let key = uuid::Uuid::new_v4().to_string();
    let id = tx
        .row(
            "INSERT INTO outbox (sink, topic, payload, idempotency_key, status, attempts, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                (&msg.sink).into(),
                (&msg.topic).into(),
                (&payload).into(),
                (&key).into(),
                Status::Pending.as_str().into(),
                0i32.into(),
                now.into(),
                now.into(),
            ],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("outbox", "new"))?
        .i64(0)?;
    Ok(MessageId(id))
}

/// Leases up to `limit` messages that are due, for `lease`. On PostgreSQL the rows are
/// taken with `FOR UPDATE SKIP LOCKED`, so several processes share the work without taking
/// the same message; on SQLite the write transaction itself is exclusive.
pub async fn claim_due(
    db: &Db,
    now: DateTime<Utc>,
    limit: u64,
    lease: Duration,
) -> Result<Vec<Message>> {
    let tx = db.begin_write().await?;
    let mut q = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(Status::Pending.as_str()))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(outbox::Column::LockedUntil.is_null())
                .add(outbox::Column::LockedUntil.lt(now)),
        )
        .order_by_asc(outbox::Column::Id)
        .limit(limit);
    if db.backend() == Backend::Postgres {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = q.all(&tx).await?;
    if !rows.is_empty() {
        let until =
            now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        outbox::Entity::update_many()
            .col_expr(outbox::Column::LockedUntil, Expr::value(until))
            .filter(outbox::Column::Id.is_in(rows.iter().map(|r| r.id)))
            .exec(&tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows.into_iter().map(Message::from).collect())
}

/// Marks a message delivered.
pub async fn mark_delivered(db: &Db, id: MessageId, now: DateTime<Utc>) -> Result<()> {
    let tx = db.begin_write().await?;
    let m = find(&tx, id).await?;
    let mut a: outbox::ActiveModel = m.into();
    a.status = Set(Status::Delivered.as_str().to_owned());
    a.attempts = Set(a.attempts.take().unwrap_or(0) + 1);
    a.delivered_at = Set(Some(now));
    a.locked_until = Set(None);
    a.last_error = Set(None);
    a.update(&tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a failed attempt: the message waits for its next attempt, or is dead when it has
/// had `policy.max_attempts`. Returns its new status.
pub async fn mark_failed(
    db: &Db,
    id: MessageId,
    error: &str,
    now: DateTime<Utc>,
    policy: &RetryPolicy,
) -> Result<Status> {
    let tx = db.begin_write().await?;
    let m = find(&tx, id).await?;
    let attempts = m.attempts + 1;
    let status = if attempts >= policy.max_attempts {
        Status::Dead
    } else {
        Status::Pending
    };
    let delay =
        chrono::Duration::from_std(policy.delay(attempts)).unwrap_or(chrono::Duration::hours(1));
    let mut a: outbox::ActiveModel = m.into();
    a.status = Set(status.as_str().to_owned());
    a.attempts = Set(attempts);
    a.next_attempt_at = Set(now + delay);
    a.locked_until = Set(None);
    a.last_error = Set(Some(error.chars().take(2000).collect()));
    a.update(&tx).await?;
    tx.commit().await?;
    Ok(status)
}

/// Puts a dead message back in the queue, due now, with its attempts reset.
pub async fn requeue(tx: &impl ConnectionTrait, id: MessageId) -> Result<()> {
    let m = find(tx, id).await?;
    if m.status != Status::Dead.as_str() {
        return Err(StoreError::invalid(
            "status",
            "only a dead message can be requeued",
        ));
    }
    let mut a: outbox::ActiveModel = m.into();
    a.status = Set(Status::Pending.as_str().to_owned());
    a.attempts = Set(0);
    a.next_attempt_at = Set(Utc::now());
    a.locked_until = Set(None);
    a.update(tx).await?;
    Ok(())
}

async fn find(db: &impl ConnectionTrait, id: MessageId) -> Result<outbox::Model> {
    outbox::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("message", id))
}

/// One message.
pub async fn get(db: &impl ConnectionTrait, id: MessageId) -> Result<Message> {
    find(db, id).await.map(Message::from)
}

/// Messages in a state, oldest first.
pub async fn list(db: &impl ConnectionTrait, status: Status, limit: u64) -> Result<Vec<Message>> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Status.eq(status.as_str()))
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Message::from)
        .collect())
}

/// How many messages are in a state.
pub async fn count(db: &impl ConnectionTrait, status: Status) -> Result<u64> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Status.eq(status.as_str()))
        .count(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1), Duration::from_secs(5));
        assert_eq!(p.delay(2), Duration::from_secs(10));
        assert_eq!(p.delay(4), Duration::from_secs(40));
        assert_eq!(p.delay(30), Duration::from_secs(3600));
        assert_eq!(p.delay(i32::MAX), Duration::from_secs(3600));
    }
}

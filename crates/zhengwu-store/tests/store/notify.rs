use std::collections::HashSet;
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use serde_json::json;
use zhengwu_store::Db;
use zhengwu_store::notify::{self, NewMessage, RetryPolicy, Status};
use zhengwu_store::testing::fresh;

fn msg(i: usize) -> NewMessage {
    NewMessage {
        sink: "log".into(),
        topic: "test.message".into(),
        payload: json!({ "n": i, "text": "您好" }),
    }
}

#[tokio::test]
async fn a_message_is_only_kept_if_its_transaction_commits() {
    let t = fresh().await;
    let tx = t.db.begin_write().await.unwrap();
    notify::enqueue(&tx, msg(1)).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        notify::count(t.db.conn(), Status::Pending).await.unwrap(),
        0
    );
    let tx = t.db.begin_write().await.unwrap();
    let id = notify::enqueue(&tx, msg(2)).await.unwrap();
    tx.commit().await.unwrap();
    let m = notify::get(t.db.conn(), id).await.unwrap();
    assert_eq!(m.payload, json!({ "n": 2, "text": "您好" }));
    assert_eq!(m.status, Status::Pending);
    assert_eq!(m.idempotency_key.len(), 36);
}

#[tokio::test]
async fn a_leased_message_is_not_claimed_again_until_its_lease_expires() {
    let t = fresh().await;
    let tx = t.db.begin_write().await.unwrap();
    for i in 0..3 {
        notify::enqueue(&tx, msg(i)).await.unwrap();
    }
    tx.commit().await.unwrap();
    let now = Utc::now();
    let lease = Duration::from_secs(60);
    let first = notify::claim_due(&t.db, now, 10, lease).await.unwrap();
    assert_eq!(first.len(), 3);
    assert!(
        notify::claim_due(&t.db, now, 10, lease)
            .await
            .unwrap()
            .is_empty()
    );
    // A worker that died: after the lease, the messages are due again.
    let later = now + chrono::Duration::seconds(61);
    assert_eq!(
        notify::claim_due(&t.db, later, 10, lease)
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn failures_back_off_then_the_message_is_dead_and_can_be_requeued() {
    let t = fresh().await;
    let tx = t.db.begin_write().await.unwrap();
    let id = notify::enqueue(&tx, msg(1)).await.unwrap();
    tx.commit().await.unwrap();
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_secs(10),
        max_delay: Duration::from_secs(60),
    };
    // PostgreSQL keeps microseconds: compare on whole milliseconds.
    let now = Utc::now().trunc_subsecs(3);
    assert_eq!(
        notify::mark_failed(&t.db, id, "refused", now, &policy)
            .await
            .unwrap(),
        Status::Pending
    );
    let m = notify::get(t.db.conn(), id).await.unwrap();
    assert_eq!(m.attempts, 1);
    assert_eq!((m.next_attempt_at - now).num_seconds(), 10);
    assert_eq!(m.last_error.as_deref(), Some("refused"));
    // Not due before its time.
    assert!(
        notify::claim_due(&t.db, now, 10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        notify::mark_failed(&t.db, id, "refused", now, &policy)
            .await
            .unwrap(),
        Status::Pending
    );
    let m = notify::get(t.db.conn(), id).await.unwrap();
    assert_eq!((m.next_attempt_at - now).num_seconds(), 20);
    assert_eq!(
        notify::mark_failed(&t.db, id, "refused", now, &policy)
            .await
            .unwrap(),
        Status::Dead
    );
    assert_eq!(notify::count(t.db.conn(), Status::Dead).await.unwrap(), 1);
    let tx = t.db.begin_write().await.unwrap();
    notify::requeue(&tx, id).await.unwrap();
    tx.commit().await.unwrap();
    let m = notify::get(t.db.conn(), id).await.unwrap();
    assert_eq!((m.status, m.attempts), (Status::Pending, 0));
    notify::mark_delivered(&t.db, id, Utc::now()).await.unwrap();
    assert_eq!(
        notify::get(t.db.conn(), id).await.unwrap().status,
        Status::Delivered
    );
}

#[tokio::test]
async fn two_workers_never_take_the_same_message() {
    let t = fresh().await;
    let tx = t.db.begin_write().await.unwrap();
    for i in 0..200 {
        notify::enqueue(&tx, msg(i)).await.unwrap();
    }
    tx.commit().await.unwrap();
    // Two separate connection pools, as two server processes would have.
    let other = Db::connect(&t.url).await.unwrap();
    let a = tokio::spawn(claim_all(t.db.clone()));
    let b = tokio::spawn(claim_all(other));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(a.len() + b.len(), 200);
    assert!(a.is_disjoint(&b), "a message was taken twice");
}

async fn claim_all(db: Db) -> HashSet<i64> {
    let mut got = HashSet::new();
    loop {
        let batch = notify::claim_due(&db, Utc::now(), 7, Duration::from_secs(600))
            .await
            .unwrap();
        if batch.is_empty() {
            return got;
        }
        got.extend(batch.iter().map(|m| m.id.get()));
        tokio::task::yield_now().await;
    }
}

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use zhengwu_server::config::Secret;
use zhengwu_store::notify::{self, NewMessage, Status};

use crate::helpers::{spawn_with, test_config};

/// A webhook receiver on port 0 that records what it gets and answers `status`.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(String, Value)>>>,
    answer: Arc<Mutex<StatusCode>>,
}

async fn receiver(answer: StatusCode) -> Receiver {
    let got = Arc::new(Mutex::new(Vec::new()));
    let answer = Arc::new(Mutex::new(answer));
    let (g, a) = (got.clone(), answer.clone());
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::Json<Value>| {
            let (g, a) = (g.clone(), a.clone());
            async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                g.lock().unwrap().push((key, body.0));
                *a.lock().unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, got, answer }
}

async fn enqueue(db: &zhengwu_store::Db, n: usize) {
    let tx = db.begin_write().await.unwrap();
    for i in 0..n {
        notify::enqueue(
            &tx,
            NewMessage {
                sink: "webhook".into(),
                topic: "appointment.reminder".into(),
                payload: json!({ "n": i, "text": "您预约的业务明天上午办理" }),
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn wait_for(mut cond: impl FnMut() -> bool) {
    for _ in 0..400 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached in 10 s");
}

#[tokio::test]
async fn messages_are_posted_to_the_webhook_with_an_idempotency_key() {
    let hook = receiver(StatusCode::OK).await;
    let db = zhengwu_store::testing::fresh_unmigrated().await;
    let mut config = test_config(&db.url);
    config.notify.webhook_url = Some(Secret::new(&hook.url));
    let app = spawn_with(db, config).await;
    enqueue(&app.db.db, 3).await;
    let got = hook.got.clone();
    wait_for(|| got.lock().unwrap().len() == 3).await;
    let got = hook.got.lock().unwrap().clone();
    let keys: std::collections::HashSet<_> = got.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(keys.len(), 3, "one distinct key per message");
    assert_eq!(got[0].1["topic"], "appointment.reminder");
    assert_eq!(got[0].1["payload"]["text"], "您预约的业务明天上午办理");
    assert_eq!(got[0].1["attempt"], 1);
    let conn = app.db.db.conn().clone();
    for _ in 0..100 {
        if notify::count(&conn, Status::Delivered).await.unwrap() == 3 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("messages not marked delivered");
}

#[tokio::test]
async fn a_failing_webhook_is_retried_then_the_message_is_dead_but_kept() {
    let hook = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let db = zhengwu_store::testing::fresh_unmigrated().await;
    let mut config = test_config(&db.url);
    config.notify.webhook_url = Some(Secret::new(&hook.url));
    config.notify.max_attempts = 3;
    let app = spawn_with(db, config).await;
    enqueue(&app.db.db, 1).await;
    let got = hook.got.clone();
    wait_for(|| got.lock().unwrap().len() == 3).await;
    let conn = app.db.db.conn().clone();
    for _ in 0..100 {
        if notify::count(&conn, Status::Dead).await.unwrap() == 1 {
            let dead = notify::list(&conn, Status::Dead, 10).await.unwrap();
            assert_eq!(dead[0].attempts, 3);
            assert!(dead[0].last_error.as_deref().unwrap().contains("500"));
            let got = hook.got.lock().unwrap().clone();
            // The same key on every attempt: the receiver can de-duplicate.
            assert!(got.iter().all(|(k, _)| *k == got[0].0));
            assert_eq!(got[2].1["attempt"], 3);
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("message not marked dead");
}

#[tokio::test]
async fn pending_messages_survive_a_restart_and_are_delivered_after_it() {
    let hook = receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let db = zhengwu_store::testing::fresh_unmigrated().await;
    let mut config = test_config(&db.url);
    config.notify.webhook_url = Some(Secret::new(&hook.url));
    config.notify.max_attempts = 1000;
    let app = spawn_with(db, config.clone()).await;
    enqueue(&app.db.db, 5).await;
    let got = hook.got.clone();
    wait_for(|| got.lock().unwrap().len() >= 5).await;
    let db = app.stop().await;
    assert_eq!(
        notify::count(db.db.conn(), Status::Pending).await.unwrap(),
        5
    );
    // The receiver recovers; a new application on the same database delivers everything.
    *hook.answer.lock().unwrap() = StatusCode::OK;
    let app = spawn_with(db, config).await;
    let conn = app.db.db.conn().clone();
    for _ in 0..400 {
        if notify::count(&conn, Status::Delivered).await.unwrap() == 5 {
            assert_eq!(notify::count(&conn, Status::Pending).await.unwrap(), 0);
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("messages not delivered after the restart");
}

#[tokio::test]
async fn without_a_webhook_messages_go_to_the_log_sink() {
    let db = zhengwu_store::testing::fresh_unmigrated().await;
    let config = test_config(&db.url);
    assert_eq!(zhengwu_server::notify::default_sink(&config), "log");
    let app = spawn_with(db, config).await;
    let tx = app.db.db.begin_write().await.unwrap();
    notify::enqueue(
        &tx,
        NewMessage {
            sink: "log".into(),
            topic: "sms.otp".into(),
            payload: json!({ "to": "138****8000", "text": "验证码 123456" }),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let conn = app.db.db.conn().clone();
    for _ in 0..200 {
        if notify::count(&conn, Status::Delivered).await.unwrap() == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the log sink did not take the message");
}

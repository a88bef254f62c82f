use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::sync::watch;
use zhengwu_server::Application;
use zhengwu_server::config::{Config, Secret};
use zhengwu_store::testing::{self, TestDb};

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub stop: watch::Sender<bool>,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// The configuration tests start from: fast outbox retries.
pub fn test_config(db_url: &str) -> Config {
    let mut c = Config::for_data_dir(std::env::temp_dir());
    c.database_url = Some(Secret::new(db_url));
    c.notify.base_delay = Duration::from_millis(50);
    c.notify.max_delay = Duration::from_millis(200);
    c.notify.poll_interval = Duration::from_millis(25);
    c.notify.request_timeout = Duration::from_secs(2);
    c.demo_password = Some(Secret::new(DEMO_PASSWORD));
    c.demo_forms = false;
    c.demo_appeals = 0;
    c.demo_cases = 0;
    c
}

/// The demo accounts' password in tests.
pub const DEMO_PASSWORD: &str = "test-password-2026";

/// The application with the demo district, on a fresh database.
pub async fn spawn_app() -> TestApp {
    let db = testing::fresh_unmigrated().await;
    let config = test_config(&db.url);
    spawn_with(db, config).await
}

/// The application on `db` with `config`.
pub async fn spawn_with(db: TestDb, config: Config) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = Application::build(config, listener).await.unwrap();
    let base = format!("http://{}", app.local_addr().unwrap());
    let stop = app.shutdown_handle();
    let task = tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        base,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        db,
        stop,
        task,
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_en(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("Accept-Language", "en-US,en;q=0.9")
            .send()
            .await
            .unwrap()
    }

    /// Logs a demo account in; returns the session cookie (`zw_session=…`).
    pub async fn login(&self, username: &str) -> String {
        let res = self
            .client
            .post(format!("{}/api/v1/session", self.base))
            .json(&serde_json::json!({ "username": username, "password": DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "login {username}");
        let cookie = res.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.unwrap()
    }

    /// `GET path` as the signed-in caller whose session cookie is `cookie`; the body as JSON.
    pub async fn get_json_as(&self, path: &str, cookie: &str) -> Value {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.unwrap()
    }

    /// Stops the application and waits until it has.
    pub async fn stop(self) -> TestDb {
        let _ = self.stop.send(true);
        self.task.await.unwrap().unwrap();
        self.db
    }
}

/// Asserts a problem-details response and returns its body.
pub async fn assert_problem(res: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(res.status(), status);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
    let header_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["request_id"], header_id.as_str());
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

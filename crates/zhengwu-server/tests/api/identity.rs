use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{DEMO_PASSWORD, assert_problem, spawn_app};

#[tokio::test]
async fn staff_log_in_see_themselves_and_log_out() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({ "username": "reviewer.spj", "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let me: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["kind"], "staff");
    assert_eq!(me["username"], "reviewer.spj");
    assert_eq!(me["grants"][0]["role"], "dept_reviewer");
    assert!(me.get("password_hash").is_none());
    let res = app
        .client
        .delete(format!("{}/api/v1/session", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn wrong_and_malformed_credentials_are_refused_alike() {
    let app = spawn_app().await;
    let url = format!("{}/api/v1/session", app.base);
    for body in [
        json!({ "username": "admin", "password": "wrong-password" }),
        json!({ "username": "nobody", "password": DEMO_PASSWORD }),
        json!({ "username": "admin' OR '1'='1", "password": "x' OR '1'='1" }),
        json!({ "username": "x".repeat(1000), "password": "y" }),
    ] {
        let res = app.client.post(&url).json(&body).send().await.unwrap();
        assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let res = app
        .client
        .post(&url)
        .json(&json!({ "username": "admin" }))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_json").await;
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_json").await;
}

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    let url = format!("{}/api/v1/session", app.base);
    for i in 1..=5 {
        let res = app
            .client
            .post(&url)
            .json(&json!({ "username": "clerk.a01", "password": "not-the-password" }))
            .send()
            .await
            .unwrap();
        let code = if i == 5 {
            "account_locked"
        } else {
            "invalid_credentials"
        };
        assert_problem(res, StatusCode::UNAUTHORIZED, code).await;
    }
    let res = app
        .client
        .post(&url)
        .header("accept-language", "en")
        .json(&json!({ "username": "clerk.a01", "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    let p = assert_problem(res, StatusCode::UNAUTHORIZED, "account_locked").await;
    assert!(p["detail"].as_str().unwrap().contains("15 minutes"));
}

#[tokio::test]
async fn tampered_and_disabled_sessions_are_anonymous() {
    let app = spawn_app().await;
    let cookie = app.login("leader").await;
    let me = |c: String| {
        let app = &app;
        async move {
            app.client
                .get(format!("{}/api/v1/me", app.base))
                .header("cookie", c)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me(cookie.clone()).await, StatusCode::OK);
    let mut tampered = cookie.clone();
    tampered.pop();
    tampered.push('x');
    assert_eq!(me(tampered).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me("zw_session=".into()).await, StatusCode::UNAUTHORIZED);
    // Disable the account: its session stops working at once.
    let id = zhengwu_store::identity::find_for_login(app.db.db.conn(), "leader")
        .await
        .unwrap()
        .unwrap()
        .id;
    let tx = app.db.db.begin_write().await.unwrap();
    zhengwu_store::identity::set_active(
        &tx,
        &zhengwu_store::audit::Actor::system("test"),
        id,
        false,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(me(cookie).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_tokens_identify_integrations_and_bad_ones_are_refused() {
    let app = spawn_app().await;
    let token = "zwt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let scope = zhengwu_store::org::find_by_code(app.db.db.conn(), "SPJ")
        .await
        .unwrap()
        .unwrap()
        .id;
    let tx = app.db.db.begin_write().await.unwrap();
    zhengwu_store::identity::create_token(
        &tx,
        &zhengwu_store::audit::Actor::system("test"),
        "审批系统对接",
        &zhengwu_core::secret::token_digest(token),
        zhengwu_core::roles::Role::DeptReviewer,
        scope,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let me: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["kind"], "token");
    assert_eq!(me["grant"]["role"], "dept_reviewer");
    for bad in ["zwt_nope", ""] {
        let res = app
            .client
            .get(format!("{}/api/v1/me", app.base))
            .bearer_auth(bad)
            .send()
            .await
            .unwrap();
        assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_token").await;
    }
}

#[tokio::test]
async fn logins_and_failures_are_in_the_audit_trail_and_it_verifies() {
    let app = spawn_app().await;
    let _ = app.login("admin").await;
    let _ = app
        .client
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({ "username": "admin", "password": "nope-nope-nope" }))
        .send()
        .await
        .unwrap();
    let entries = zhengwu_store::audit::search(app.db.db.conn(), &Default::default(), 100)
        .await
        .unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"session.login"));
    assert!(actions.contains(&"session.login_failed"));
    assert!(actions.contains(&"staff.create"));
    let login = entries
        .iter()
        .find(|e| e.action == "session.login")
        .unwrap();
    assert_eq!(login.ip.as_deref(), Some("127.0.0.1"));
    let v = zhengwu_store::audit::verify(app.db.db.conn())
        .await
        .unwrap();
    assert!(v.first_bad.is_none(), "{v:?}");
}

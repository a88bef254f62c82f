use reqwest::StatusCode;
use serde_json::{Value, json};
use zhengwu_store::notify::{self, Status};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn request_code(app: &TestApp, mobile: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/applicant/code", app.base))
        .json(&json!({ "mobile": mobile }))
        .send()
        .await
        .unwrap()
}

/// The code in the newest SMS of the outbox (the log sink shows the same in the demo).
async fn last_code(app: &TestApp) -> String {
    let mut all = notify::list(app.db.db.conn(), Status::Pending, 100)
        .await
        .unwrap();
    all.extend(
        notify::list(app.db.db.conn(), Status::Delivered, 100)
            .await
            .unwrap(),
    );
    all.sort_by_key(|m| m.id);
    let m = all
        .iter()
        .rev()
        .find(|m| m.topic == "sms.sign_in_code")
        .expect("an SMS");
    m.payload["code"].as_str().unwrap().to_owned()
}

async fn sms_count(app: &TestApp) -> usize {
    let mut n = 0;
    for s in [Status::Pending, Status::Delivered, Status::Dead] {
        n += notify::list(app.db.db.conn(), s, 1000)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.topic == "sms.sign_in_code")
            .count();
    }
    n
}

#[tokio::test]
async fn an_applicant_signs_in_with_the_code_from_the_sms() {
    let app = spawn_app().await;
    let res = request_code(&app, "+86 139-0411-0001").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let code = last_code(&app).await;
    assert_eq!(code.len(), 6);
    let res = app
        .client
        .post(format!("{}/api/v1/applicant/session", app.base))
        .json(&json!({ "mobile": "13904110001", "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("zw_applicant="));
    let me: Value = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["kind"], "applicant");
    assert_eq!(me["citizen"]["name"], "王建国");
    assert_eq!(me["citizen"]["mobile"], "139****0001");
    assert_eq!(me["citizen"]["elderly_alone"], true);
    // A code is good once.
    let res = app
        .client
        .post(format!("{}/api/v1/applicant/session", app.base))
        .json(&json!({ "mobile": "13904110001", "code": code }))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_code").await;
}

#[tokio::test]
async fn an_enterprise_clerk_acts_for_the_enterprise() {
    let app = spawn_app().await;
    request_code(&app, "13804110003").await;
    let code = last_code(&app).await;
    let me: Value = app
        .client
        .post(format!("{}/api/v1/applicant/session", app.base))
        .json(&json!({ "mobile": "13804110003", "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = &me["enterprises"][0];
    assert_eq!(e["name"], "大连星海智能科技有限公司");
    zhengwu_core::ident::CreditCode::parse(e["credit_code"].as_str().unwrap()).unwrap();
}

#[tokio::test]
async fn codes_are_rate_limited_and_wrong_codes_fail() {
    let app = spawn_app().await;
    assert_eq!(
        request_code(&app, "13704110006").await.status(),
        StatusCode::ACCEPTED
    );
    let res = request_code(&app, "13704110006").await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    for _ in 0..3 {
        let res = app
            .client
            .post(format!("{}/api/v1/applicant/session", app.base))
            .json(&json!({ "mobile": "13704110006", "code": "000000x" }))
            .send()
            .await
            .unwrap();
        assert_problem(res, StatusCode::UNAUTHORIZED, "invalid_code").await;
    }
    let res = request_code(&app, "12345").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
}

#[tokio::test]
async fn an_unknown_number_gets_the_same_answer_and_no_sms() {
    let app = spawn_app().await;
    let before = sms_count(&app).await;
    assert_eq!(
        request_code(&app, "13512345678").await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(sms_count(&app).await, before);
}

#[tokio::test]
async fn citizens_are_masked_in_lists_and_a_reveal_is_audited() {
    let app = spawn_app().await;
    let clerk = app.login("clerk.a01").await;
    let list: Value = app
        .client
        .get(format!("{}/api/v1/citizens", app.base))
        .header("cookie", &clerk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &list[0];
    assert!(first["id_number"].as_str().unwrap().contains("********"));
    assert!(first["mobile"].as_str().unwrap().contains("****"));
    let id = first["id"].as_i64().unwrap();
    let full: Value = app
        .client
        .post(format!("{}/api/v1/citizens/{id}/reveal", app.base))
        .header("cookie", &clerk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let idn = full["id_number"].as_str().unwrap();
    assert_eq!(idn.len(), 18);
    zhengwu_core::ident::IdNumber::parse(idn, chrono::Utc::now().date_naive()).unwrap();
    let entries = zhengwu_store::audit::search(
        app.db.db.conn(),
        &zhengwu_store::audit::EntryFilter {
            record_type: Some("citizen".into()),
            record_id: Some(id.to_string()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    let read = entries
        .iter()
        .find(|e| e.action == "citizen.read")
        .expect("the read is audited");
    assert_eq!(read.actor_label, "clerk.a01");
    // No unmasked personal data in any summary of the trail.
    let all = zhengwu_store::audit::search(app.db.db.conn(), &Default::default(), 10_000)
        .await
        .unwrap();
    assert!(all.iter().all(|e| !e.summary.to_string().contains(idn)));
}

#[tokio::test]
async fn a_window_links_a_citizen_to_an_enterprise_found_by_its_credit_code() {
    let app = spawn_app().await;
    let clerk = app.login("clerk.a01").await;
    let all: Value = app
        .client
        .get(format!("{}/api/v1/enterprises", app.base))
        .header("cookie", &clerk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = all[1]["credit_code"].as_str().unwrap().to_owned();
    let found: Value = app
        .client
        .get(format!(
            "{}/api/v1/enterprises?credit_code={}",
            app.base,
            code.to_lowercase()
        ))
        .header("cookie", &clerk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);
    let id = found[0]["id"].as_i64().unwrap();
    let res = app
        .client
        .get(format!(
            "{}/api/v1/enterprises?credit_code=91110000600037341M",
            app.base
        ))
        .header("cookie", &clerk)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_credit_code").await;
    let link = |body: Value, who: String| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/api/v1/enterprises/{id}/agents", app.base))
                .header("cookie", who)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        link(json!({"citizen_id": 1}), clerk.clone()).await.status(),
        StatusCode::CREATED
    );
    assert_problem(
        link(json!({"citizen_id": 1}), clerk.clone()).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_problem(
        link(json!({"citizen_id": 999999}), clerk.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    let leader = app.login("leader").await;
    assert_problem(
        link(json!({"citizen_id": 2}), leader).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

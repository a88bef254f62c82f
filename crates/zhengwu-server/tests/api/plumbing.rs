use reqwest::StatusCode;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    assert_eq!(app.get_json("/healthz").await["status"], "ok");
    assert_eq!(app.get_json("/readyz").await["status"], "ready");
    // One request to count, then the metrics show it by route and status.
    let _ = app.get("/api/v1/units/999999").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            r#"zhengwu_http_requests_total{method="GET",route="/api/v1/units/{id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("zhengwu_http_request_duration_seconds_bucket"));
    assert!(
        text.contains(r#"zhengwu_outbox_messages{status="pending"} 0"#),
        "{text}"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_given_one_is_kept() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36);
    let res = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_describes_the_routes() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/calendar/days",
        "/api/v1/calendar/deadline",
        "/api/v1/units",
        "/api/v1/units/{id}",
        "/api/v1/units/{id}/hours",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let res = app.get("/api/docs/").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_oversized_bodies_are_problems() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/api/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let res = app
        .client
        .delete(format!("{}/api/v1/units", app.base))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let res = app
        .client
        .post(format!("{}/api/v1/units", app.base))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn the_server_stops_gracefully_and_a_restart_keeps_the_data() {
    let app = spawn_app().await;
    let before = app.get_json("/api/v1/units?kind=station").await;
    let db = app.stop().await;
    // Same database, new process-like application: no second demo load, same units.
    let config = crate::helpers::test_config(&db.url);
    let app = crate::helpers::spawn_with(db, config).await;
    let after = app.get_json("/api/v1/units?kind=station").await;
    assert_eq!(before, after);
}

#[tokio::test]
async fn with_no_demo_a_new_database_stays_empty() {
    let db = zhengwu_store::testing::fresh_unmigrated().await;
    let mut config = crate::helpers::test_config(&db.url);
    config.demo = false;
    let app = crate::helpers::spawn_with(db, config).await;
    let units = app.get_json("/api/v1/units").await;
    assert_eq!(units.as_array().unwrap().len(), 0);
    let html = app.get("/").await.text().await.unwrap();
    assert!(
        html.contains("zhengwu demo"),
        "the empty home page says what to do"
    );
}

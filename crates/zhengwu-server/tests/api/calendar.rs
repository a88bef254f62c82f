use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn days_list_holidays_and_adjusted_working_days() {
    let app = spawn_app().await;
    let days = app
        .get_json("/api/v1/calendar/days?from=2025-09-27&to=2025-10-02")
        .await;
    assert_eq!(
        days,
        json!([
            {"date": "2025-09-27", "working_day": false},
            {"date": "2025-09-28", "working_day": true, "name": "中秋节、国庆节"},
            {"date": "2025-09-29", "working_day": true},
            {"date": "2025-09-30", "working_day": true},
            {"date": "2025-10-01", "working_day": false, "name": "中秋节、国庆节"},
            {"date": "2025-10-02", "working_day": false, "name": "中秋节、国庆节"},
        ])
    );
    // Exactly three years and a day is allowed.
    let long = app
        .get_json("/api/v1/calendar/days?from=2024-01-01&to=2026-12-31")
        .await;
    assert_eq!(long.as_array().unwrap().len(), 1096);
}

#[tokio::test]
async fn half_a_working_day_for_company_setup() {
    let app = spawn_app().await;
    let d = app
        .get_json("/api/v1/calendar/deadline?start=2026-11-23T09:00:00%2B08:00&working_days=0.5")
        .await;
    assert_eq!(d["deadline"], "2026-11-23T14:00:00+08:00");
    assert_eq!(d["working_hours"], json!(["09:00-12:00", "13:30-17:30"]));
    // UTC input, across National Day 2025.
    let d = app
        .get_json("/api/v1/calendar/deadline?start=2025-09-30T02:00:00Z&working_days=5")
        .await;
    assert_eq!(d["deadline"], "2025-10-14T10:00:00+08:00");
    let e = app
        .get_json("/api/v1/calendar/elapsed?from=2026-11-23T09:00:00%2B08:00&to=2026-11-23T14:00:00%2B08:00")
        .await;
    assert_eq!(e["working_seconds"], 3 * 3600 + 1800);
    assert_eq!(e["working_days"], 0.5);
}

#[tokio::test]
async fn a_deadline_counts_on_a_sites_own_hours() {
    let app = spawn_app().await;
    let stations = app.get_json("/api/v1/units?kind=station").await;
    let model = stations
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["is_model"] == true)
        .unwrap();
    let d = app
        .get_json(&format!(
            "/api/v1/calendar/deadline?start=2026-11-23T09:00:00%2B08:00&working_days=1&unit={}",
            model["id"]
        ))
        .await;
    assert_ne!(d["working_hours"], json!(["09:00-12:00", "13:30-17:30"]));
}

#[tokio::test]
async fn bad_calendar_queries_get_problem_details_never_a_500() {
    let app = spawn_app().await;
    let cases = [
        ("/api/v1/calendar/days", "invalid_query", None),
        (
            "/api/v1/calendar/days?from=2026-01-01",
            "invalid_query",
            None,
        ),
        (
            "/api/v1/calendar/days?from=2026-13-01&to=2026-12-31",
            "invalid_date",
            Some("from"),
        ),
        (
            "/api/v1/calendar/days?from=2026-01-01&to=tomorrow",
            "invalid_date",
            Some("to"),
        ),
        (
            "/api/v1/calendar/days?from=2026-02-30&to=2026-03-01",
            "invalid_date",
            Some("from"),
        ),
        (
            "/api/v1/calendar/days?from=2026-12-31&to=2026-01-01",
            "range_reversed",
            Some("to"),
        ),
        (
            "/api/v1/calendar/days?from=2020-01-01&to=2026-12-31",
            "range_too_long",
            Some("to"),
        ),
        (
            "/api/v1/calendar/deadline?start=2026-11-23T09:00:00%2B08:00&working_days=-1",
            "invalid_working_days",
            Some("working_days"),
        ),
        (
            "/api/v1/calendar/deadline?start=2026-11-23T09:00:00%2B08:00&working_days=abc",
            "invalid_working_days",
            Some("working_days"),
        ),
        (
            "/api/v1/calendar/deadline?start=2026-11-23T09:00:00%2B08:00&working_days=NaN",
            "invalid_working_days",
            Some("working_days"),
        ),
        (
            "/api/v1/calendar/deadline?start=2026-11-23T09:00:00%2B08:00&working_days=1e9",
            "invalid_working_days",
            Some("working_days"),
        ),
        (
            "/api/v1/calendar/deadline?start=2026-11-23&working_days=1",
            "invalid_datetime",
            Some("start"),
        ),
        (
            "/api/v1/calendar/deadline?start=2026-11-23T09:00:00&working_days=1",
            "invalid_datetime",
            Some("start"),
        ),
        (
            "/api/v1/calendar/deadline?working_days=1",
            "invalid_query",
            None,
        ),
        (
            "/api/v1/calendar/deadline?start=2026-11-23T09:00:00Z&working_days=1&unit=x",
            "invalid_query",
            None,
        ),
        (
            "/api/v1/calendar/elapsed?from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "range_too_long",
            Some("to"),
        ),
    ];
    for (path, code, field) in cases {
        let body = assert_problem(app.get(path).await, StatusCode::BAD_REQUEST, code).await;
        if let Some(f) = field {
            assert_eq!(body["field"], f, "{path}: {body}");
        }
        assert_eq!(body["instance"], path.split('?').next().unwrap());
    }
    let missing = assert_problem(
        app.get("/api/v1/calendar/deadline?start=2026-11-23T09:00:00Z&working_days=1&unit=999999")
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(missing["title"], "未找到");
}

#[tokio::test]
async fn problems_speak_the_callers_language() {
    let app = spawn_app().await;
    let path = "/api/v1/calendar/days?from=2026-12-31&to=2026-01-01";
    let zh = assert_problem(
        app.get(path).await,
        StatusCode::BAD_REQUEST,
        "range_reversed",
    )
    .await;
    assert_eq!(zh["title"], "日期范围有误");
    let res = app.get_en(path).await;
    assert_eq!(res.headers()["content-language"], "en");
    let en = assert_problem(res, StatusCode::BAD_REQUEST, "range_reversed").await;
    assert_eq!(en["title"], "Reversed date range");
    assert!(en["detail"].as_str().unwrap().contains("cannot be before"));
}

#[tokio::test]
async fn deadlines_in_a_batch_and_bad_json_bodies() {
    let app = spawn_app().await;
    let url = format!("{}/api/v1/calendar/deadlines", app.base);
    let post = |body: &'static str, ct: &'static str| {
        app.client
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let res = post(
        r#"{"items":[{"start":"2026-11-23T09:00:00+08:00","working_days":0.5},{"start":"2025-09-30T10:00:00+08:00","working_days":5}]}"#,
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["items"][0]["deadline"], "2026-11-23T14:00:00+08:00");
    assert_eq!(body["items"][1]["deadline"], "2025-10-14T10:00:00+08:00");

    let cases: [(&str, &str, StatusCode, &str); 8] = [
        (
            "{",
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "not json",
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            r#"{"items":"many"}"#,
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            r#"{"items":[{"start":"2026-11-23T09:00:00Z","working_days":"one"}]}"#,
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            r#"{"items":[{"start":"2026-11-23T09:00:00Z","working_days":1,"extra":1}]}"#,
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            r#"{"items":[{"start":"2026-11-23T09:00:00Z","working_days":-2}]}"#,
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_working_days",
        ),
        (
            r#"{"items":[{"start":"yesterday","working_days":1}]}"#,
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_datetime",
        ),
        (
            r#"{"items":[]}"#,
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (body, ct, status, code) in cases {
        let res = post(body, ct).await.unwrap();
        let problem = assert_problem(res, status, code).await;
        if code == "invalid_datetime" {
            assert_eq!(problem["field"], "items[0].start");
        }
    }
    let many = format!(
        r#"{{"items":[{}]}}"#,
        vec![r#"{"start":"2026-11-23T09:00:00Z","working_days":1}"#; 1001].join(",")
    );
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(many)
        .send()
        .await
        .unwrap();
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["field"], "items");
}

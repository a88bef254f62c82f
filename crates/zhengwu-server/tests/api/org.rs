use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};

fn by_code<'a>(units: &'a Value, code: &str) -> &'a Value {
    units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .unwrap_or_else(|| panic!("no unit {code}"))
}

#[tokio::test]
async fn the_demo_district_is_served_as_the_report_describes_it() {
    let app = spawn_app().await;
    let count = |v: &Value| v.as_array().unwrap().len();
    let halls = app.get_json("/api/v1/units?kind=hall").await;
    assert_eq!(count(&halls), 4);
    let kinds: Vec<_> = halls
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hall_kind"].as_str().unwrap())
        .collect();
    for k in ["public_service", "traffic_police", "public_security", "tax"] {
        assert!(kinds.contains(&k), "{k}");
    }
    let windows = app.get_json("/api/v1/units?kind=window").await;
    let comprehensive = windows
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["window_kind"] == "comprehensive")
        .count();
    assert_eq!(comprehensive, 10);
    assert!(count(&app.get_json("/api/v1/units?kind=department").await) >= 15);
    assert_eq!(
        count(&app.get_json("/api/v1/units?kind=community").await),
        52
    );
    let stations = app.get_json("/api/v1/units?kind=station").await;
    assert_eq!(count(&stations), 46);
    assert_eq!(
        stations
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["is_model"] == true)
            .count(),
        6
    );
    for s in stations.as_array().unwrap() {
        assert!(
            s["location"]["lat"].is_number() && s["address"].is_string(),
            "{s}"
        );
    }
    // Everything within the public service hall: the hall and its windows.
    let hall = by_code(&halls, "H-PUB");
    let within = app
        .get_json(&format!("/api/v1/units?within={}", hall["id"]))
        .await;
    assert!(
        within
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["kind"] == "hall" || u["kind"] == "window")
    );
    assert!(count(&within) >= 11);
    let one = app.get_json(&format!("/api/v1/units/{}", hall["id"])).await;
    assert_eq!(one["name"], hall["name"]);
}

#[tokio::test]
async fn a_hall_follows_the_calendar_and_a_station_serves_all_year() {
    let app = spawn_app().await;
    let halls = app.get_json("/api/v1/units?kind=hall").await;
    let hall = by_code(&halls, "H-PUB");
    let h = app
        .get_json(&format!(
            "/api/v1/units/{}/hours?from=2025-09-28&to=2025-10-01",
            hall["id"]
        ))
        .await;
    assert_eq!(h["mode"], "working_days");
    let days = h["days"].as_array().unwrap();
    assert_eq!(days[0]["date"], "2025-09-28");
    assert_eq!(days[0]["open"], true, "adjusted working Sunday");
    assert_eq!(days[0]["periods"][0], "09:00-12:00");
    assert_eq!(days[3]["open"], false, "National Day");
    assert_eq!(days[3]["holiday"], "中秋节、国庆节");

    let stations = app.get_json("/api/v1/units?kind=station").await;
    let model = stations
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["is_model"] == true)
        .unwrap();
    let h = app
        .get_json(&format!(
            "/api/v1/units/{}/hours?from=2025-10-01&to=2025-10-01",
            model["id"]
        ))
        .await;
    assert_eq!(h["mode"], "all_year");
    assert_eq!(
        h["days"][0]["open"], true,
        "a model station is open on National Day"
    );
    // The demo's exception: ST-LS-02 is closed on New Year's Day 2026, with a note.
    let st = by_code(&stations, "ST-LS-02");
    let h = app
        .get_json(&format!(
            "/api/v1/units/{}/hours?from=2026-01-01&to=2026-01-01",
            st["id"]
        ))
        .await;
    assert_eq!(h["days"][0]["open"], false);
    assert!(h["days"][0]["note"].is_string());
    // Default range: seven days from today.
    let h = app
        .get_json(&format!("/api/v1/units/{}/hours", st["id"]))
        .await;
    assert_eq!(h["days"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn bad_unit_requests_get_problem_details() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/api/v1/units/999999").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/units/abc").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/units/999999/hours").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/units?kind=castle").await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    assert_problem(
        app.get("/api/v1/units?within=12abc").await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    assert_problem(
        app.get("/api/v1/units?within=999999").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let halls = app.get_json("/api/v1/units?kind=hall").await;
    let id = &halls[0]["id"];
    assert_problem(
        app.get(&format!(
            "/api/v1/units/{id}/hours?from=2026-01-01&to=2026-06-01"
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "range_too_long",
    )
    .await;
    assert_problem(
        app.get(&format!(
            "/api/v1/units/{id}/hours?from=2026-01-02&to=2026-01-01"
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "range_reversed",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/units/{id}/hours?from=01/02/2026"))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_date",
    )
    .await;
}

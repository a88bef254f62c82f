use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn post(app: &TestApp, cookie: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn site(app: &TestApp, code: &str) -> i64 {
    let sites = app.get_json("/api/v1/org/sites").await;
    sites
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == code)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_walk_in_is_issued_called_and_finished() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let sites = app.get_json("/api/v1/org/sites").await;
    assert_eq!(
        sites
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == "hall")
            .count(),
        4
    );
    let hall = site(&app, "H-PUB").await;
    let groups = app
        .get_json(&format!("/api/v1/queue/groups?site={hall}"))
        .await;
    assert_eq!(groups[0]["code"], "A");
    let res = post(
        &app,
        &admin,
        "/api/v1/queue/tickets",
        Some(json!({"site": hall, "item_group": "A"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ticket: Value = res.json().await.unwrap();
    assert_eq!(ticket["number"], "A001");
    let counters = app
        .get_json(&format!("/api/v1/queue/counters?site={hall}"))
        .await;
    let counter = counters[0]["id"].as_i64().unwrap();
    // Closed: calling is refused in words.
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/queue/counters/{counter}/call-next"),
        None,
    )
    .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p["detail"].as_str().unwrap().contains("窗口未开启"), "{p}");
    // Finishing a ticket never called is refused.
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/queue/tickets/{}/finish", ticket["id"]),
        None,
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(
        post(
            &app,
            &admin,
            &format!("/api/v1/queue/counters/{counter}/open"),
            None
        )
        .await
        .status(),
        StatusCode::OK
    );
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/queue/counters/{counter}/call-next"),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let called: Value = res.json().await.unwrap();
    assert_eq!(called["id"], ticket["id"]);
    assert_eq!(called["status"], "called");
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/queue/counters/{counter}/call-next"),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/queue/tickets/{}/finish", ticket["id"]),
        Some(json!({"outcome": "done"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["status"], "done");
    // Bad input: an unknown group, an unknown outcome.
    let res = post(
        &app,
        &admin,
        "/api/v1/queue/tickets",
        Some(json!({"site": hall, "item_group": "ZZ"})),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    app.stop().await;
}

#[tokio::test]
async fn only_staff_of_the_site_work_its_queue() {
    let app = spawn_app().await;
    let hall = site(&app, "H-PUB").await;
    let res = app
        .client
        .post(format!("{}/api/v1/queue/tickets", app.base))
        .json(&json!({"site": hall, "item_group": "A"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // A station's staff may not issue tickets in the public service hall.
    let station = app.login("station.ls01").await;
    let res = post(
        &app,
        &station,
        "/api/v1/queue/tickets",
        Some(json!({"site": hall, "item_group": "A"})),
    )
    .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    app.stop().await;
}

#[tokio::test]
async fn a_walk_in_takes_a_number_at_the_kiosk_and_the_board_hears_the_call() {
    let app = spawn_app().await;
    let hall = site(&app, "H-PUB").await;
    let page = app.get(&format!("/kiosk/ticket?site={hall}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let token = html.split("name=\"csrf\" value=\"").nth(1).unwrap()[..64].to_owned();
    let res = app
        .client
        .post(format!("{}/kiosk/ticket", app.base))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("site", &hall.to_string()),
            ("group", "A"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let ticket_page = app.get(&location).await.text().await.unwrap();
    assert!(ticket_page.contains("A001"), "{ticket_page}");
    assert!(ticket_page.contains("等候中"));
    // Without the form's token nothing is issued.
    let res = app
        .client
        .post(format!("{}/kiosk/ticket", app.base))
        .form(&[("csrf", "x"), ("site", &hall.to_string()), ("group", "A")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The board's event stream sends the calls as they change.
    let mut events = app.get(&format!("/board/{hall}/events")).await;
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let first = events.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: calls"));
    let admin = app.login("admin").await;
    let counters = app
        .get_json(&format!("/api/v1/queue/counters?site={hall}"))
        .await;
    let counter = counters[0]["id"].as_i64().unwrap();
    post(
        &app,
        &admin,
        &format!("/api/v1/queue/counters/{counter}/open"),
        None,
    )
    .await;
    let called = post(
        &app,
        &admin,
        &format!("/api/v1/queue/counters/{counter}/call-next"),
        None,
    )
    .await;
    assert_eq!(called.status(), StatusCode::OK);
    let next = tokio::time::timeout(std::time::Duration::from_secs(3), events.chunk())
        .await
        .expect("the board hears the call within 3 s")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&next).contains("A001"));
    // A board still listening does not hold the server up when it stops.
    tokio::time::timeout(std::time::Duration::from_secs(5), app.stop())
        .await
        .expect("the server stops with a board listening");
    drop(events);
}

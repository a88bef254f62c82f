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

async fn get_as(app: &TestApp, cookie: &str, path: &str, lang: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_days_tickets_list_shows_and_downloads_as_csv_and_xlsx_within_the_callers_scope() {
    use chrono::{Duration, Utc};
    use zhengwu_core::ids::UnitId;
    use zhengwu_store::queue::{self as q, PRIORITY_GREEN, PRIORITY_WALK_IN};

    let app = spawn_app().await;
    let hall = site(&app, "H-PUB").await;
    let station = app
        .get_json("/api/v1/org/sites")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "station")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    // Two tickets today: a walk-in still waiting, and a green-channel one called 3 minutes after
    // it joined at the comprehensive window and served for 5.
    let db = &app.db.db;
    let counter = q::counters(db.conn(), Some(UnitId(hall)))
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.groups.is_empty())
        .unwrap();
    let now = Utc::now();
    let tx = db.begin_write().await.unwrap();
    q::set_open(&tx, counter.id, true, "clerk").await.unwrap();
    let walk_in = q::issue(&tx, UnitId(hall), "A", PRIORITY_WALK_IN, now, "kiosk")
        .await
        .unwrap();
    let green = q::issue(&tx, UnitId(hall), "A", PRIORITY_GREEN, now, "kiosk")
        .await
        .unwrap();
    let called = q::call_next(&tx, counter.id, now + Duration::minutes(3), "clerk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(called.id, green.id);
    q::finish(&tx, green.id, "done", now + Duration::minutes(8), "clerk")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let today = walk_in.day;

    let admin = app.login("admin").await;
    let page = get_as(
        &app,
        &admin,
        &format!("/console/counters/tickets?site={hall}"),
        "zh-CN",
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>今日票号</h1>"), "{html}");
    assert!(
        html.contains("公共服务综合业务大厅 · 共 2 张票号"),
        "{html}"
    );
    assert!(html.contains(&format!("<th scope=\"row\">{}</th>", walk_in.number)));
    assert!(html.contains("绿色通道"));
    assert!(html.replace("&#38;", "&").contains(&format!(
        "href=\"/console/counters/tickets.csv?site={hall}&day={today}\""
    )));
    // The counters' page links to it.
    let counters = get_as(&app, &admin, "/console/counters", "zh-CN").await;
    assert!(
        counters
            .text()
            .await
            .unwrap()
            .contains(&format!("href=\"/console/counters/tickets?site={hall}\""))
    );

    // CSV: the page's words head the columns; a row per ticket, in the order they were taken.
    let csv = get_as(
        &app,
        &admin,
        &format!("/console/counters/tickets.csv?site={hall}&day={today}"),
        "zh-CN",
    )
    .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("zhengwu-tickets-{hall}-{today}.csv"))
    );
    let body = csv.text().await.unwrap();
    let lines: Vec<&str> = body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "票号,业务组,优先类别,状态,取号时间,叫号时间,开始办理,结束时间,等候（分钟）,办理（分钟）,窗口,办理结果"
    );
    assert_eq!(lines.len(), 3, "{body}");
    assert!(
        lines[1].starts_with(&format!("{},A · 综合业务,普通,等候中,", walk_in.number)),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(&format!("{},A · 综合业务,绿色通道,已办结,", green.number)),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].ends_with(&format!(",3,5,{},办结", counter.name)),
        "{}",
        lines[2]
    );
    // XLSX: a zip.
    let xlsx = get_as(
        &app,
        &admin,
        &format!("/console/counters/tickets.xlsx?site={hall}"),
        "zh-CN",
    )
    .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = xlsx.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip");
    // In English, English headings.
    let en = get_as(
        &app,
        &admin,
        &format!("/console/counters/tickets.csv?site={hall}"),
        "en",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(en.trim_start_matches('\u{feff}').starts_with(
        "Number,Group,Priority class,Status,Joined,Called,Started,Finished,Wait (minutes),Service (minutes),Counter,Outcome"
    ));
    // An earlier day: no tickets; a day that is not one: said in place, and 422 for a file.
    let yesterday = today - Duration::days(1);
    let html = get_as(
        &app,
        &admin,
        &format!("/console/counters/tickets?site={hall}&day={yesterday}"),
        "zh-CN",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("这一天没有票号"), "{html}");
    let bad = get_as(
        &app,
        &admin,
        &format!("/console/counters/tickets?site={hall}&day=2026-02-30"),
        "zh-CN",
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("日期格式不正确"));
    let bad = get_as(
        &app,
        &admin,
        &format!("/console/counters/tickets.csv?site={hall}&day=x"),
        "zh-CN",
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The hall's clerk sees the hall (the first of their sites by default), not a station.
    let clerk = app.login("clerk.hall").await;
    let html = get_as(&app, &clerk, "/console/counters/tickets", "zh-CN")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("公共服务综合业务大厅 · 共 2 张票号"),
        "{html}"
    );
    assert!(!html.contains(&format!("<option value=\"{station}\"")));
    for path in [
        format!("/console/counters/tickets?site={station}"),
        format!("/console/counters/tickets.csv?site={station}"),
        format!("/console/counters/tickets.xlsx?site={station}"),
    ] {
        assert_eq!(
            get_as(&app, &clerk, &path, "zh-CN").await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // Nobody signed in: the login, or 401 for a file; a leader has no queue role: 403.
    let res = get_as(&app, "", "/console/counters/tickets", "zh-CN").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/console/login");
    let res = get_as(
        &app,
        "",
        &format!("/console/counters/tickets.csv?site={hall}"),
        "zh-CN",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let leader = app.login("leader").await;
    let res = get_as(
        &app,
        &leader,
        &format!("/console/counters/tickets.csv?site={hall}"),
        "zh-CN",
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_home_page_shows_the_center_and_the_stations_in_chinese() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    assert!(html.contains("大连高新区公共服务中心"));
    assert!(html.contains("公共服务综合业务大厅"));
    assert!(html.contains("52 个社区（村），46 个驿站，其中 6 个样板驿站"));
    assert!(html.contains(r##"href="#main""##), "skip link");
}

#[tokio::test]
async fn the_language_switch_is_remembered() {
    let app = spawn_app().await;
    let res = app.get("/?lang=en").await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=en"));
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains("Community service stations"));
    let res = app
        .client
        .get(format!("{}/", app.base))
        .header("cookie", "lang=en")
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("46 stations"));
}

#[tokio::test]
async fn scripts_in_input_are_never_executed_on_error_pages() {
    let app = spawn_app().await;
    let res = app.get("/no-such-page?<script>alert(1)</script>").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("返回首页"));
    assert!(!html.contains("<script>"));
}

#[tokio::test]
async fn a_board_exists_for_each_hall_and_station_and_for_nothing_else() {
    let app = spawn_app().await;
    let halls = app.get_json("/api/v1/units?kind=hall").await;
    for h in halls.as_array().unwrap() {
        let res = app.get(&format!("/board/{}", h["id"])).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("face-board"));
        assert!(html.contains(h["name"].as_str().unwrap()));
    }
    // A station keeps a queue too, so it has a board.
    let stations = app.get_json("/api/v1/units?kind=station").await;
    let res = app.get(&format!("/board/{}", stations[0]["id"])).await;
    assert_eq!(res.status(), StatusCode::OK);
    let windows = app.get_json("/api/v1/units?kind=window").await;
    let res = app.get(&format!("/board/{}", windows[0]["id"])).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/board/999999").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/board/abc").await.status(), StatusCode::NOT_FOUND);
}

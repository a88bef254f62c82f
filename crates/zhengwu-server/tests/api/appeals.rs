use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn post(app: &TestApp, cookie: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    zhengwu_store::org::find_by_code(app.db.db.conn(), code)
        .await
        .unwrap()
        .unwrap()
        .id
        .get()
}

/// A topic leaf led by `lead` (a department code), or any leaf.
async fn leaf(app: &TestApp) -> String {
    let topics = app.get_json("/api/v1/appeals/topics").await;
    topics
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["level"] == 3)
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_hotline_takes_an_appeal_in_and_bad_ones_are_refused_in_words() {
    let app = spawn_app().await;
    let topic = leaf(&app).await;
    let dispatcher = app.login("dispatcher").await;
    let good = json!({"kind": "complaint", "topic": topic, "content": "楼下饭店油烟直排，影响居民生活。",
                      "address": "高新区软件园路 1 号", "lat": 38.86, "lng": 121.53,
                      "caller_name": "李先生", "caller_mobile": "13904110005"});
    let res = post(&app, &dispatcher, "/api/v1/appeals", good.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["channel"], "hotline");
    assert_eq!(a["caller_mobile"], "139****0005");
    assert!(a["number"].as_str().unwrap().ends_with("-000001"));
    for (change, field) in [
        (json!({"content": ""}), "content"),
        (json!({"content": "长".repeat(50_000)}), "content"),
        (json!({"topic": "NOPE01"}), "topic"),
        (json!({"kind": "chat"}), "kind"),
        (json!({"lat": 39.9, "lng": 116.4}), "lat"),
        (json!({"caller_mobile": "123"}), "caller_mobile"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = post(&app, &dispatcher, "/api/v1/appeals", body).await;
        let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert_eq!(p["field"], field, "{change}: {p}");
    }
    // The portal: anonymous, always the web channel, followed by its number.
    let res = post(
        &app,
        "",
        "/api/v1/appeals",
        json!({"channel": "hotline", "kind": "suggestion", "topic": topic, "content": "建议在地铁站口增设共享单车停放点。"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let web: Value = res.json().await.unwrap();
    assert_eq!(web["channel"], "web");
    let t = app
        .get_json(&format!(
            "/api/v1/appeals/track/{}",
            web["number"].as_str().unwrap()
        ))
        .await;
    assert_eq!(t["status"], "registered");
    assert!(
        t.get("caller_mobile").is_none(),
        "no personal data in tracking"
    );
    assert_eq!(
        app.get("/api/v1/appeals/track/20990101-000001")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Nobody signed in reads no appeal.
    assert_eq!(
        app.get(&format!("/api/v1/appeals/{}", a["id"]))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn joint_handling_over_the_api_with_the_units_own_handlers() {
    let app = spawn_app().await;
    let topic = leaf(&app).await;
    let dispatcher = app.login("dispatcher").await;
    let handler = app.login("handler.spj").await;
    let a: Value = post(
        &app,
        &dispatcher,
        "/api/v1/appeals",
        json!({"kind": "help", "topic": topic, "content": "营业执照变更后税务信息没有同步，开不了发票。", "caller_mobile": "13904110006"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = a["id"].as_i64().unwrap();
    let spj = unit_id(&app, "SPJ").await;
    let swj = unit_id(&app, "SWJ").await;
    // A handler cannot dispatch.
    let res = post(
        &app,
        &handler,
        &format!("/api/v1/appeals/{id}/dispatch"),
        json!({"lead": spj}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post(
        &app,
        &dispatcher,
        &format!("/api/v1/appeals/{id}/dispatch"),
        json!({"lead": spj, "co": [swj]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The SPJ handler sees it in their list and reads it.
    let mine: Value = get(&app, &handler, "/api/v1/appeals")
        .await
        .json()
        .await
        .unwrap();
    assert!(mine.as_array().unwrap().iter().any(|x| x["id"] == id));
    assert_eq!(
        get(&app, &handler, &format!("/api/v1/appeals/{id}"))
            .await
            .status(),
        StatusCode::OK
    );
    // Acting for another unit (SWJ, not in the handler's scope) is forbidden.
    let res = post(
        &app,
        &handler,
        &format!("/api/v1/appeals/{id}/unit"),
        json!({"unit": swj, "action": "sign"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Reply before signing: refused in words.
    let res = post(
        &app,
        &handler,
        &format!("/api/v1/appeals/{id}/unit"),
        json!({"unit": spj, "action": "reply", "text": "已办结"}),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let res = post(
        &app,
        &handler,
        &format!("/api/v1/appeals/{id}/unit"),
        json!({"unit": spj, "action": "sign"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let signed: Value = res.json().await.unwrap();
    assert_eq!(signed["status"], "in_hand");
    // The co-unit (SWJ) has not contributed: replying is refused.
    let res = post(
        &app,
        &handler,
        &format!("/api/v1/appeals/{id}/unit"),
        json!({"unit": spj, "action": "reply", "text": "已协调税务部门同步信息"}),
    )
    .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p["detail"].as_str().unwrap().contains('1'), "{p}");
    // The admin acts for SWJ (the whole district is in scope).
    let admin = app.login("admin").await;
    for action in ["sign", "contribute"] {
        let res = post(
            &app,
            &admin,
            &format!("/api/v1/appeals/{id}/unit"),
            json!({"unit": swj, "action": action, "text": "税务信息已同步"}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{action}");
    }
    let res = post(
        &app,
        &handler,
        &format!("/api/v1/appeals/{id}/unit"),
        json!({"unit": spj, "action": "reply", "text": "已协调税务部门同步信息，可以正常开票"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The return visit closes it; a level of 9 is refused.
    let res = post(
        &app,
        &dispatcher,
        &format!("/api/v1/appeals/{id}/visit"),
        json!({"resolved": true, "satisfaction": 9}),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let res = post(
        &app,
        &dispatcher,
        &format!("/api/v1/appeals/{id}/visit"),
        json!({"resolved": true, "satisfaction": 5}),
    )
    .await;
    let closed: Value = res.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    let d: Value = get(&app, &dispatcher, &format!("/api/v1/appeals/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["events"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn a_consultation_is_answered_on_the_spot_from_the_knowledge_base() {
    let app = spawn_app().await;
    let topics = app.get_json("/api/v1/appeals/topics").await;
    let dispatcher = app.login("dispatcher").await;
    let k = app
        .get_json(&format!("/api/v1/appeals/knowledge?q={}", "居住证怎么办理"))
        .await;
    let entry = &k[0];
    assert!(entry["answer"].as_str().unwrap().chars().count() > 10);
    assert!(
        topics
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == entry["topic"])
    );
    let a: Value = post(
        &app,
        &dispatcher,
        "/api/v1/appeals",
        json!({"kind": "consult", "topic": entry["topic"], "content": "居住证怎么办理？"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let res = post(
        &app,
        &dispatcher,
        &format!("/api/v1/appeals/{}/answer", a["id"]),
        json!({"answer": entry["answer"]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let closed: Value = res.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    // Dispatching a closed appeal is refused.
    let spj = unit_id(&app, "SPJ").await;
    let res = post(
        &app,
        &dispatcher,
        &format!("/api/v1/appeals/{}/dispatch", a["id"]),
        json!({"lead": spj}),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
}

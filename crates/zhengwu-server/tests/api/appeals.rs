use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

pub(crate) async fn post(
    app: &TestApp,
    cookie: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn get(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
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

/// A multipart body: text fields, then files as (field, file name, bytes).
pub(crate) fn multipart(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (String, Vec<u8>) {
    let boundary = "zhengwu-test-boundary-7f3a";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn tiny_png() -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&[0; 17]);
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(b"IEND");
    v.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
    v
}

#[tokio::test]
async fn photos_are_attached_checked_by_content_and_given_only_to_staff_as_downloads() {
    let app = spawn_app().await;
    let topic = leaf(&app).await;
    let dispatcher = app.login("dispatcher").await;
    let a: Value = post(
        &app,
        &dispatcher,
        "/api/v1/appeals",
        json!({"kind": "complaint", "topic": topic, "content": "路面塌陷，附照片。"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = a["id"].as_i64().unwrap();
    let png = tiny_png();
    let (ct, body) = multipart(&[], &[("file", "塌陷.png", &png)]);
    let up = |cookie: String, ct: String, body: Vec<u8>| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/api/v1/appeals/{id}/attachments", app.base))
                .header("cookie", cookie)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    // Nobody signed in; a handler of a unit it was not assigned to.
    assert_eq!(
        up(String::new(), ct.clone(), body.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let handler = app.login("handler.ls").await;
    assert_eq!(
        up(handler.clone(), ct.clone(), body.clone()).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = up(dispatcher.clone(), ct.clone(), body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let att: Value = res.json().await.unwrap();
    assert_eq!(att[0]["content_type"], "image/png");
    // A PDF named .jpg, and a file too large for the request.
    let (ct2, forged) = multipart(&[], &[("file", "x.jpg", b"%PDF-1.4\n%%EOF\n")]);
    let p = assert_problem(
        up(dispatcher.clone(), ct2, forged).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains(".jpg"), "{p}");
    let (ct3, huge) = multipart(&[], &[("file", "big.pdf", &vec![b'%'; 27 << 20])]);
    assert_problem(
        up(dispatcher.clone(), ct3, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    // Nothing but the one photo was kept; it comes back as a download.
    let d = app
        .client
        .get(format!("{}/api/v1/appeals/{id}", app.base))
        .header("cookie", &dispatcher)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(d["attachments"].as_array().unwrap().len(), 1);
    let res = app
        .client
        .get(format!(
            "{}/api/v1/appeals/{id}/attachments/{}",
            app.base, att[0]["id"]
        ))
        .header("cookie", &dispatcher)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    let res = app
        .client
        .get(format!(
            "{}/api/v1/appeals/{id}/attachments/{}",
            app.base, att[0]["id"]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_portal_files_an_appeal_with_its_photo_in_one_step_or_keeps_nothing() {
    let app = spawn_app().await;
    let topic = leaf(&app).await;
    // The form's CSRF cookie and token.
    let page = app.get("/appeal/new").await;
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let png = tiny_png();
    let send = |files: Vec<(&'static str, &'static str, Vec<u8>)>| {
        let (app, cookie, token, topic) = (&app, cookie.clone(), token.clone(), topic.clone());
        async move {
            let files: Vec<(&str, &str, &[u8])> = files
                .iter()
                .map(|(k, n, b)| (*k, *n, b.as_slice()))
                .collect();
            let (ct, body) = multipart(
                &[
                    ("csrf", &token),
                    ("kind", "complaint"),
                    ("topic", &topic),
                    ("content", "小区门口路灯坏了一个月，附照片。"),
                    ("caller_mobile", "13904110011"),
                ],
                &files,
            );
            app.client
                .post(format!("{}/appeal/new", app.base))
                .header("cookie", cookie)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    // A forged file: the form comes back with the words kept, and no appeal is filed.
    let res = send(vec![("file", "lamp.jpg", b"%PDF-1.4\n%%EOF\n".to_vec())]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("小区门口路灯坏了一个月"),
        "the words are kept"
    );
    assert!(html.contains(".jpg"), "the reason names the extension");
    let dispatcher = app.login("dispatcher").await;
    async fn list(app: &TestApp, c: &str) -> Value {
        app.client
            .get(format!("{}/api/v1/appeals", app.base))
            .header("cookie", c)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    }
    assert!(list(&app, &dispatcher).await.as_array().unwrap().is_empty());
    // With a real photo: filed, photo kept.
    let res = send(vec![
        ("file", "lamp.png", png.clone()),
        ("file", "", Vec::new()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let all = list(&app, &dispatcher).await;
    let id = all[0]["id"].as_i64().unwrap();
    let d = app
        .client
        .get(format!("{}/api/v1/appeals/{id}", app.base))
        .header("cookie", &dispatcher)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(d["channel"], "web");
    assert_eq!(d["attachments"][0]["file_name"], "lamp.png");
}

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const LOST_ID: &str = "210231-GAJ-XK-6003";

/// `GET path?query`, signed out.
async fn get_query(app: &TestApp, path: &str, query: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.base))
        .query(query)
        .send()
        .await
        .unwrap()
}

async fn guide(app: &TestApp, q: &str) -> Value {
    let res = get_query(app, "/api/v1/guide", &[("q", q)]).await;
    assert_eq!(res.status(), StatusCode::OK, "{q}");
    res.json().await.unwrap()
}

fn codes(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_guide_answers_plain_questions_with_answer_cards() {
    let app = spawn_app().await;
    let v = guide(&app, "身份证丢了怎么补办").await;
    assert_eq!(codes(&v)[0], LOST_ID);
    let card = &v["results"][0];
    for key in [
        "name",
        "score",
        "materials",
        "promised_limit_days",
        "fees",
        "online",
        "visits",
        "places",
        "url",
    ] {
        assert!(!card[key].is_null(), "{key} missing: {card}");
    }
    assert!(
        card["places"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "hall")
    );
    assert!(v["fallback"].is_null());
    // Traditional characters and a homophone typo find the same item.
    assert_eq!(codes(&guide(&app, "居民身份證補領").await)[0], LOST_ID);
    assert!(codes(&guide(&app, "身份正丢了").await).contains(&LOST_ID.to_owned()));
    // The synonym table: 开公司 → 企业设立登记, that item first (not 外商投资企业设立登记,
    // whose aliases say 开公司 three times).
    let v = guide(&app, "我想开公司").await;
    assert_eq!(v["results"][0]["name"], "企业设立登记", "{v}");
    app.stop().await;
}

#[tokio::test]
async fn a_location_names_the_nearest_open_station_for_station_items() {
    let app = spawn_app().await;
    let v = app
        .get_json("/api/v1/guide?q=%E7%81%B5%E6%B4%BB%E5%B0%B1%E4%B8%9A%E4%BA%A4%E7%A4%BE%E4%BF%9D&lat=38.87&lng=121.53&audience=citizen")
        .await;
    let card = &v["results"][0];
    assert!(card["stations_offering"].as_u64().unwrap() > 0, "{card}");
    let station = &card["places"][0];
    assert_eq!(station["kind"], "station", "{card}");
    assert!(station["distance_m"].as_u64().is_some());
    app.stop().await;
}

#[tokio::test]
async fn bad_questions_get_clear_errors_or_the_fallback_never_an_empty_page() {
    let app = spawn_app().await;
    for q in ["", "   "] {
        let res = app
            .client
            .get(format!("{}/api/v1/guide", app.base))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "question_empty").await;
    }
    let long = "a".repeat(10_000);
    let res = app
        .client
        .get(format!("{}/api/v1/guide", app.base))
        .query(&[("q", long.as_str())])
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "question_too_long").await;
    for q in [
        "😀😀😀",
        "'; DROP TABLE catalog_items; --",
        "<script>alert(1)</script>",
    ] {
        let v = guide(&app, q).await;
        assert!(v["results"].as_array().unwrap().is_empty(), "{q}: {v}");
        assert_eq!(v["fallback"]["hotline"], "12345");
        assert!(v["fallback"]["consultation_phone"].is_string());
    }
    let res = app.get("/api/v1/guide?q=x&lat=100&lng=1").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "location_invalid").await;
    let res = app.get("/api/v1/guide?q=x&lat=38").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "location_invalid").await;
    // The catalog survived the SQL-looking question.
    let page = app.get_json("/api/v1/catalog/items?limit=1").await;
    assert!(page["total"].as_u64().unwrap() >= 200);
    app.stop().await;
}

#[tokio::test]
async fn items_are_public_and_drafts_are_for_administrators() {
    let app = spawn_app().await;
    let page = app.get_json("/api/v1/catalog/items?department=GAJ").await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["department"] == "GAJ")
    );
    let item = app
        .get_json(&format!("/api/v1/catalog/items/{LOST_ID}"))
        .await;
    assert_eq!(item["item"]["code"], LOST_ID);
    assert!(item["department_name"].as_str().unwrap().contains("公安"));
    let res = app.get("/api/v1/catalog/items/NOPE").await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app.get("/api/v1/catalog/items?status=draft").await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let res = app.get("/api/v1/catalog/export").await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    app.stop().await;
}

async fn send(
    app: &TestApp,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .request(method, format!("{}{path}", app.base))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_administrator_edits_publishes_and_withdraws_and_the_guide_follows() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let latest = app
        .get_json_as(&format!("/api/v1/catalog/items/{LOST_ID}/latest"), &admin)
        .await;
    let revision = latest["summary"]["revision"].as_i64().unwrap();
    let mut item = latest["item"].clone();
    item["aliases"]
        .as_array_mut()
        .unwrap()
        .push(json!("zwtestalias"));
    let res = send(
        &app,
        &admin,
        reqwest::Method::PUT,
        &format!("/api/v1/catalog/items/{LOST_ID}"),
        json!({"revision": revision, "item": item}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["latest_version"], 2);
    // A second editor on the old revision gets a conflict; nothing of the first is lost.
    let res = send(
        &app,
        &admin,
        reqwest::Method::PUT,
        &format!("/api/v1/catalog/items/{LOST_ID}"),
        json!({"revision": revision, "item": latest["item"]}),
    )
    .await;
    assert_problem(res, StatusCode::CONFLICT, "stale").await;
    // Not searchable by the new alias until published…
    assert!(!codes(&guide(&app, "zwtestalias").await).contains(&LOST_ID.to_owned()));
    let res = send(
        &app,
        &admin,
        reqwest::Method::POST,
        &format!("/api/v1/catalog/items/{LOST_ID}/publish"),
        json!({"revision": saved["revision"]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let published: Value = res.json().await.unwrap();
    assert_eq!(published["published_version"], 2);
    // …and at once after.
    assert_eq!(codes(&guide(&app, "zwtestalias").await)[0], LOST_ID);
    let versions = app
        .get_json(&format!("/api/v1/catalog/items/{LOST_ID}/versions"))
        .await;
    assert_eq!(versions[1]["state"], "superseded");
    // Withdrawn items leave the guide and the public item page.
    let res = send(
        &app,
        &admin,
        reqwest::Method::POST,
        &format!("/api/v1/catalog/items/{LOST_ID}/withdraw"),
        json!({"revision": published["revision"], "reason": "并入新事项"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!codes(&guide(&app, "身份证丢了怎么补办").await).contains(&LOST_ID.to_owned()));
    assert_eq!(
        app.get(&format!("/api/v1/catalog/items/{LOST_ID}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Bad edits name the field.
    let res = send(
        &app,
        &admin,
        reqwest::Method::POST,
        "/api/v1/catalog/items",
        json!({"code": "X"}),
    )
    .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["field"], "item");
    // A clerk may not edit the catalog.
    let clerk = app.login("clerk.a01").await;
    let res = send(
        &app,
        &clerk,
        reqwest::Method::POST,
        &format!("/api/v1/catalog/items/{LOST_ID}/publish"),
        json!({"revision": 1}),
    )
    .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    app.stop().await;
}

#[tokio::test]
async fn synonyms_are_edited_and_used_at_once() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let res = send(
        &app,
        &admin,
        reqwest::Method::PUT,
        "/api/v1/catalog/synonyms",
        json!({"phrase": "摆摊执照", "expansion": "企业简易注销登记"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let v = guide(&app, "摆摊执照").await;
    assert!(
        v["results"][0]["name"]
            .as_str()
            .unwrap()
            .contains("简易注销"),
        "{v}"
    );
    let res = send(
        &app,
        &admin,
        reqwest::Method::PUT,
        "/api/v1/catalog/synonyms",
        json!({"phrase": "", "expansion": "x"}),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let res = app
        .client
        .delete(format!("{}/api/v1/catalog/synonyms", app.base))
        .query(&[("phrase", "摆摊执照")])
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let rows = app.get_json("/api/v1/catalog/synonyms").await;
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["phrase"] != "摆摊执照")
    );
    app.stop().await;
}

async fn import(
    app: &TestApp,
    cookie: &str,
    mode: &str,
    ct: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/catalog/import?mode={mode}", app.base))
        .header("cookie", cookie)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[tokio::test]
async fn export_and_import_round_trip_and_broken_rows_are_reported() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let get = |format: &'static str| {
        app.client
            .get(format!(
                "{}/api/v1/catalog/export?format={format}",
                app.base
            ))
            .header("cookie", &admin)
            .send()
    };
    let json_export = get("json").await.unwrap();
    assert_eq!(json_export.status(), StatusCode::OK);
    let mut doc: Value = json_export.json().await.unwrap();
    let xlsx = get("xlsx").await.unwrap();
    assert_eq!(xlsx.headers()["content-type"], XLSX);
    let xlsx = xlsx.bytes().await.unwrap().to_vec();
    // Importing the export changes nothing.
    let res = import(&app, &admin, "all", XLSX, xlsx).await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["imported"]["updated"], 0, "{r}");
    assert!(r["imported"]["unchanged"].as_u64().unwrap() >= 200);
    // Break two rows: all-or-nothing imports nothing and names them.
    let items = doc["items"].as_array_mut().unwrap();
    items[0]["name"] = json!("");
    items[1]["department"] = json!("NOPE");
    items[2]["conditions"] = json!("新的受理条件");
    let body = serde_json::to_vec(&doc).unwrap();
    let res = import(&app, &admin, "all", "application/json", body.clone()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r: Value = res.json().await.unwrap();
    let rows: Vec<u64> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, vec![1, 2], "{r}");
    assert_eq!(r["imported"]["updated"], 0);
    // "valid" imports the rest and still reports the broken rows.
    let res = import(&app, &admin, "valid", "application/json", body).await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["imported"]["updated"], 1, "{r}");
    assert_eq!(r["errors"].as_array().unwrap().len(), 2);
    // Garbage and unknown types are refused clearly.
    let res = import(&app, &admin, "all", XLSX, b"not a workbook".to_vec()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = import(&app, &admin, "all", "text/plain", b"x".to_vec()).await;
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn forms_are_uploaded_linked_from_materials_and_served() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let upload = |name: &str, ct: &str, body: Vec<u8>| {
        app.client
            .post(format!("{}/api/v1/catalog/files", app.base))
            .query(&[("name", name)])
            .header("cookie", &admin)
            .header("content-type", ct.to_owned())
            .body(body)
            .send()
    };
    let pdf = b"%PDF-1.4 blank form".to_vec();
    let res = upload(
        "出生登记申请表.pdf",
        "application/octet-stream",
        pdf.clone(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let f: Value = res.json().await.unwrap();
    let url = f["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/catalog/files/"));
    // Served to anyone, as the stored type.
    let served = app
        .client
        .get(format!(
            "{}{}",
            app.base,
            url.replace("出生登记申请表.pdf", "x")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "application/pdf");
    assert_eq!(served.bytes().await.unwrap().to_vec(), pdf);
    // Refused: an unaccepted type, an empty file, a form's content type.
    let res = upload("x.exe", "application/octet-stream", b"MZ".to_vec())
        .await
        .unwrap();
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p["detail"].as_str().unwrap().contains("exe"), "{p}");
    let res = upload("x.pdf", "application/octet-stream", Vec::new())
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let res = upload("x.pdf", "text/plain", pdf).await.unwrap();
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // A material links to it; a link elsewhere is refused.
    let code = "210231-GAJ-QR-6005";
    let latest = app
        .get_json_as(&format!("/api/v1/catalog/items/{code}/latest"), &admin)
        .await;
    let mut item = latest["item"].clone();
    item["materials"][0]["blank_form"] = json!(url);
    let res = send(
        &app,
        &admin,
        reqwest::Method::PUT,
        &format!("/api/v1/catalog/items/{code}"),
        json!({"revision": latest["summary"]["revision"], "item": item}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    item["materials"][0]["sample"] = json!("javascript:alert(1)");
    let res = send(
        &app,
        &admin,
        reqwest::Method::PUT,
        &format!("/api/v1/catalog/items/{code}"),
        json!({"revision": saved["revision"], "item": item}),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    app.stop().await;
}

#[tokio::test]
async fn the_demo_gives_its_forms_a_blank_and_a_sample_spreadsheet() {
    let db = zhengwu_store::testing::fresh_unmigrated().await;
    let mut config = crate::helpers::test_config(&db.url);
    config.demo_forms = true;
    let app = crate::helpers::spawn_with(db, config).await;
    let items = app
        .get_json("/api/v1/guide?q=%E5%BC%80%E5%85%AC%E5%8F%B8")
        .await;
    let forms: Vec<&Value> = items["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["materials"].as_array().unwrap())
        .filter(|m| !m["blank_form"].as_str().unwrap_or("").is_empty())
        .collect();
    assert!(!forms.is_empty(), "{items}");
    for key in ["blank_form", "sample"] {
        let url = forms[0][key].as_str().unwrap();
        let res = app.get(url).await;
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        assert_eq!(res.headers()["content-type"], XLSX);
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK"), "a zip (XLSX) workbook");
    }
    app.stop().await;
}

/// Makes a published item one that cannot be booked (a new version, published).
async fn make_unbookable(app: &TestApp, admin: &str, code: &str) {
    let latest = app
        .get_json_as(&format!("/api/v1/catalog/items/{code}/latest"), admin)
        .await;
    let mut item = latest["item"].clone();
    item["bookable"] = json!(false);
    let res = send(
        app,
        admin,
        reqwest::Method::PUT,
        &format!("/api/v1/catalog/items/{code}"),
        json!({"revision": latest["summary"]["revision"], "item": item}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{code}");
    let saved: Value = res.json().await.unwrap();
    let res = send(
        app,
        admin,
        reqwest::Method::POST,
        &format!("/api/v1/catalog/items/{code}/publish"),
        json!({"revision": saved["revision"]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{code}");
}

#[tokio::test]
async fn the_kiosk_offers_the_first_five_bookable_items_a_question_finds() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let q = "证件丢了怎么补办";
    // Two of the question's best answers can no longer be booked.
    let first: Vec<String> = codes(&guide(&app, q).await);
    assert!(first.len() >= 5, "{first:?}");
    for code in &first[..2] {
        make_unbookable(&app, &admin, code).await;
    }
    let res = get_query(&app, "/api/v1/guide", &[("q", q), ("limit", "20")]).await;
    let all: Value = res.json().await.unwrap();
    let bookable: Vec<String> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["bookable"] == true)
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .take(5)
        .collect();
    assert_eq!(bookable.len(), 5, "{all}");
    assert!(!bookable.contains(&first[0]) && !bookable.contains(&first[1]));

    let res = get_query(&app, "/kiosk/book", &[("q", q)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let offered: Vec<String> = html
        .split("href=\"/kiosk/book?item=")
        .skip(1)
        .filter_map(|s| s.split(['"', '&']).next())
        .map(str::to_owned)
        .collect();
    // The five that can be booked, in the guide's order: those that cannot take no place.
    assert_eq!(offered, bookable, "{html}");
    app.stop().await;
}

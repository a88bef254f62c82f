//! Open311 GeoReport v2: our own checks of the format and the refusals, then the external
//! check (`tests/oracles/open311_check.py`: the SeeClickFix validator's rules, the
//! specification and the PyPI `georeport` client) against the running server.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;
use zhengwu_core::roles::Role;
use zhengwu_core::secret::token_digest;
use zhengwu_store::audit::Actor;
use zhengwu_store::{identity, org};

use crate::helpers::{TestApp, spawn_app};

/// A token with `role` for the whole district; returns the secret.
async fn token(app: &TestApp, role: Role, secret: &str) -> String {
    let db = &app.db.db;
    let district = org::find_by_code(db.conn(), "GX")
        .await
        .unwrap()
        .unwrap()
        .id;
    let tx = db.begin_write().await.unwrap();
    identity::create_token(
        &tx,
        &Actor::system("test"),
        "open311 client",
        &token_digest(secret),
        role,
        district,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    secret.to_owned()
}

async fn form(app: &TestApp, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.base))
        .form(pairs)
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp) -> usize {
    app.get_json("/open311/v2/requests.json")
        .await
        .as_array()
        .unwrap()
        .len()
}

/// An Open311 error: the status, the code in the body equal to it, a description.
async fn assert_error(res: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(res.status(), status);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    let body = res.text().await.unwrap();
    if ct.starts_with("text/xml") {
        assert!(
            body.contains(&format!("<errors><error><code>{}</code>", status.as_u16())),
            "{body}"
        );
        body
    } else {
        assert!(ct.starts_with("application/json"), "{ct}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v[0]["code"], status.as_u16(), "{v}");
        let d = v[0]["description"].as_str().unwrap().to_owned();
        assert!(!d.is_empty());
        d
    }
}

#[tokio::test]
async fn open311_speaks_both_formats_and_refuses_in_its_own_error_format() {
    let app = spawn_app().await;
    let key = token(&app, Role::Open311, "o311-test-key").await;
    let staff_key = token(&app, Role::Dispatcher, "dispatcher-key").await;

    // Discovery: two endpoints (production and the test sandbox), both formats.
    let d = app.get_json("/open311/v2/discovery.json").await;
    assert_eq!(d["endpoints"].as_array().unwrap().len(), 2);
    assert_eq!(d["endpoints"][0]["url"], format!("{}/open311/v2", app.base));
    assert_eq!(d["endpoints"][1]["type"], "test");
    let x = app.get("/open311/v2/discovery.xml").await;
    assert!(
        x.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    let x = x.text().await.unwrap();
    assert!(
        x.contains("<formats><format>text/xml</format><format>application/json</format></formats>"),
        "{x}"
    );

    // Services are the topic tree's leaves.
    let services = app.get_json("/open311/v2/services.json").await;
    let services = services.as_array().unwrap();
    assert!(services.len() > 100);
    let code = services[0]["service_code"].as_str().unwrap().to_owned();
    assert_eq!(services[0]["metadata"], true);
    let def = app
        .get_json(&format!("/open311/v2/services/{code}.json"))
        .await;
    assert_eq!(def["attributes"][0]["code"], "kind");
    assert_eq!(def["attributes"][0]["values"].as_array().unwrap().len(), 5);

    // A good request: 201, a number and a token that resolves to it.
    let good = [
        ("api_key", key.as_str()),
        ("service_code", code.as_str()),
        ("lat", "38.86"),
        ("long", "121.52"),
        (
            "description",
            "路边井盖缺失，夜间很危险。<script>x</script>",
        ),
        ("email", "resident@example.com"),
        ("phone", "13904110005"),
        ("attribute[urgent]", "true"),
    ];
    let before = count(&app).await;
    let res = form(&app, "/open311/v2/requests.json", &good).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.unwrap();
    let id = made[0]["service_request_id"].as_str().unwrap().to_owned();
    let tok = made[0]["token"].as_str().unwrap().to_owned();
    let t = app
        .get_json(&format!("/open311/v2/tokens/{tok}.json"))
        .await;
    assert_eq!(t[0]["service_request_id"], id.as_str());
    let r = app
        .get_json(&format!("/open311/v2/requests/{id}.json"))
        .await;
    assert_eq!(r[0]["status"], "open");
    assert_eq!(
        r[0]["description"],
        "路边井盖缺失，夜间很危险。<script>x</script>"
    );
    assert!(
        r[0]["requested_datetime"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    let xml = app
        .get(&format!("/open311/v2/requests/{id}.xml"))
        .await
        .text()
        .await
        .unwrap();
    assert!(xml.contains("&lt;script&gt;x&lt;/script&gt;"), "{xml}");
    assert!(
        xml.contains("<service_requests><request><service_request_id>"),
        "{xml}"
    );
    // It is an appeal by the open311 channel, urgent, with the caller's e-mail masked.
    let dispatcher = app.login("dispatcher").await;
    let a = app
        .client
        .get(format!("{}/api/v1/appeals?limit=1", app.base))
        .header("cookie", &dispatcher)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(a[0]["number"], id.as_str());
    assert_eq!(a[0]["channel"], "open311");
    assert_eq!(a[0]["urgent"], true);
    assert_eq!(a[0]["caller_email"], "r***@example.com");
    assert_eq!(count(&app).await, before + 1);

    // Refusals, each in Open311's format, and nothing created by them.
    let without =
        |k: &str| -> Vec<(&str, &str)> { good.iter().copied().filter(|(n, _)| *n != k).collect() };
    let with = |k: &'static str, v: &'static str| -> Vec<(&'static str, &str)> {
        good.iter()
            .copied()
            .map(|(n, x)| if n == k { (n, v) } else { (n, x) })
            .collect()
    };
    type Form<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(Form, StatusCode, &str)> = vec![
        (without("api_key"), StatusCode::UNAUTHORIZED, "api_key"),
        (with("api_key", "wrong"), StatusCode::FORBIDDEN, "api_key"),
        (
            with("api_key", "dispatcher-key"),
            StatusCode::FORBIDDEN,
            "api_key",
        ),
        (
            with("service_code", "ZZ9999"),
            StatusCode::BAD_REQUEST,
            "ZZ9999",
        ),
        (
            without("description"),
            StatusCode::BAD_REQUEST,
            "description",
        ),
        (with("lat", "10"), StatusCode::BAD_REQUEST, "本区"),
        (with("lat", "north"), StatusCode::BAD_REQUEST, "lat"),
        (with("phone", "12345"), StatusCode::BAD_REQUEST, "phone"),
        (
            with("attribute[urgent]", "maybe"),
            StatusCode::BAD_REQUEST,
            "urgent",
        ),
        (
            with("email", "not-an-email"),
            StatusCode::BAD_REQUEST,
            "邮箱",
        ),
    ];
    let _ = staff_key;
    for (pairs, status, word) in cases {
        let res = form(&app, "/open311/v2/requests.json", &pairs).await;
        let d = assert_error(res, status).await;
        assert!(d.contains(word), "{word}: {d}");
    }
    let nowhere: Vec<(&str, &str)> = good
        .iter()
        .copied()
        .filter(|(n, _)| *n != "lat" && *n != "long")
        .collect();
    let res = form(&app, "/open311/v2/requests.xml", &nowhere).await;
    assert_error(res, StatusCode::BAD_REQUEST).await;
    // JSON bodies are not Open311's form.
    let res = app
        .client
        .post(format!("{}/open311/v2/requests.json", app.base))
        .json(&serde_json::json!({"api_key": key}))
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::BAD_REQUEST).await;
    // Reads: malformed and reversed dates, an unknown status, an unknown id, a wrong format.
    for (path, status) in [
        (
            "/open311/v2/requests.json?start_date=yesterday",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/open311/v2/requests.json?start_date=2026-11-20T00:00:00Z&end_date=2026-11-01T00:00:00Z",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/open311/v2/requests.json?status=pending",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/open311/v2/requests/19700101-999999.xml",
            StatusCode::NOT_FOUND,
        ),
        ("/open311/v2/services/ZZ9999.json", StatusCode::NOT_FOUND),
        ("/open311/v2/services.html", StatusCode::NOT_FOUND),
        ("/open311/v2/nothing/here.json", StatusCode::NOT_FOUND),
        (
            "/open311/v2/services.json?jurisdiction_id=elsewhere.example",
            StatusCode::NOT_FOUND,
        ),
    ] {
        assert_error(app.get(path).await, status).await;
    }
    // English when asked.
    let res = app
        .client
        .post(format!("{}/open311/v2/requests.json", app.base))
        .header("Accept-Language", "en")
        .form(&without("api_key"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_error(res, StatusCode::UNAUTHORIZED).await,
        "api_key is missing"
    );
    assert_eq!(count(&app).await, before + 1);

    // The test endpoint checks everything and registers nothing.
    let res = form(&app, "/open311/test/v2/requests.json", &good).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    assert!(
        v[0]["service_request_id"]
            .as_str()
            .unwrap()
            .starts_with("TEST-")
    );
    let res = form(&app, "/open311/test/v2/requests.json", &with("lat", "10")).await;
    assert_error(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(count(&app).await, before + 1);
    app.stop().await;
}

#[tokio::test]
async fn open311_passes_the_validator_rules_and_the_georeport_client() {
    let app = spawn_app().await;
    let key = token(&app, Role::Open311, "o311-oracle-key").await;
    let python = std::env::var("ZHENGWU_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/oracles/open311_check.py");
    let required = std::env::var_os("ZHENGWU_REQUIRE_ORACLES").is_some();
    let base = format!("{}/open311/v2", app.base);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(script)
            .arg(&base)
            .arg(&key)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && !required && stderr.contains("ModuleNotFoundError") {
        eprintln!("SKIPPED the Open311 oracle: {stderr}");
    } else {
        assert!(
            out.status.success(),
            "the Open311 check failed:\n{stdout}\n{stderr}"
        );
        let last = stdout.lines().last().unwrap_or("");
        assert!(last.starts_with("ok "), "{stdout}");
        eprintln!("Open311 oracle: {last}");
    }
    app.stop().await;
}

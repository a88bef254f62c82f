use reqwest::StatusCode;

use crate::helpers::{DEMO_PASSWORD, TestApp, spawn_app};

/// The CSRF cookie and token of the login page.
async fn csrf(app: &TestApp) -> (String, String) {
    let res = app.get("/console/login").await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = res.text().await.unwrap();
    let token = html.split("name=\"csrf\" value=\"").nth(1).unwrap()[..64].to_owned();
    (cookie, token)
}

async fn post_login(app: &TestApp, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(format!("{}/console/login", app.base))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_login_form_signs_in_and_the_console_shows_the_roles() {
    let app = spawn_app().await;
    let (cookie, token) = csrf(&app).await;
    let res = post_login(
        &app,
        &cookie,
        &[
            ("csrf", &token),
            ("username", "admin"),
            ("password", DEMO_PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/console");
    let session = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = app
        .client
        .get(format!("{}/console", app.base))
        .header("cookie", format!("{session}; {cookie}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("您好，系统管理员"), "{html}");
    assert!(html.contains("审计日志"));
    // Logging out needs the form's token; then the console sends you to the login page.
    let res = app
        .client
        .post(format!("{}/console/logout", app.base))
        .header("cookie", format!("{session}; {cookie}"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .client
        .get(format!("{}/console", app.base))
        .header("cookie", format!("{session}; {cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/console/login");
}

#[tokio::test]
async fn a_wrong_password_is_said_next_to_the_form_and_input_is_shown_escaped() {
    let app = spawn_app().await;
    let (cookie, token) = csrf(&app).await;
    let res = post_login(
        &app,
        &cookie,
        &[
            ("csrf", &token),
            ("username", "<script>alert(1)</script>' OR 1=1 --"),
            ("password", "x"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.unwrap();
    assert!(html.contains("用户名或密码错误"));
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            || html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "the username is shown back, escaped"
    );
}

#[tokio::test]
async fn form_posts_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let (cookie, token) = csrf(&app).await;
    let zeros = "0".repeat(64);
    for (c, form) in [
        (
            "",
            vec![
                ("csrf", token.as_str()),
                ("username", "admin"),
                ("password", DEMO_PASSWORD),
            ],
        ),
        (
            cookie.as_str(),
            vec![("username", "admin"), ("password", DEMO_PASSWORD)],
        ),
        (
            cookie.as_str(),
            vec![
                ("csrf", zeros.as_str()),
                ("username", "admin"),
                ("password", DEMO_PASSWORD),
            ],
        ),
    ] {
        let res = post_login(&app, c, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let html = res.text().await.unwrap();
        assert!(html.contains("页面已过期"), "{html}");
    }
    for path in [
        "/console/logout",
        "/signin",
        "/signin/verify",
        "/signout",
        "/console/appeals/1",
        "/console/appeals/extensions/1",
        "/console/appeals/supervision",
        "/console/appeals/supervision/1",
        "/console/appeals/orders/1",
        "/console/appeals/checks/run",
        "/console/appeals/checks/1",
        "/console/appeals/settings/topics",
        "/console/appeals/settings/topics/CG0101",
        "/console/appeals/settings/knowledge",
        "/console/appeals/settings/knowledge/1",
        "/console/appeals/settings/routes",
        "/console/appeals/settings/routes/1",
        "/console/appeals/settings/limits",
    ] {
        let res = app
            .client
            .post(format!("{}{path}", app.base))
            .form(&[("csrf", "nope"), ("mobile", "13904110001")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

/// Who may reach what: one row per route and caller. New routes are covered by adding rows.
#[tokio::test]
async fn role_by_route_matrix() {
    let app = spawn_app().await;
    let mut cookies: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for user in [
        "admin",
        "supervisor",
        "leader",
        "reviewer.spj",
        "clerk.a01",
        "station.ls01",
        "dispatcher",
        "handler.ls",
    ] {
        cookies.insert(user, app.login(user).await);
    }
    let all_staff = [
        "admin",
        "supervisor",
        "leader",
        "reviewer.spj",
        "clerk.a01",
        "station.ls01",
        "dispatcher",
        "handler.ls",
    ];
    // (path, caller or "" for anonymous, expected status)
    let mut rows: Vec<(&str, &str, StatusCode)> = vec![
        ("/api/v1/me", "", StatusCode::UNAUTHORIZED),
        ("/console", "", StatusCode::SEE_OTHER),
        ("/console/audit", "", StatusCode::SEE_OTHER),
        ("/console/audit.csv", "", StatusCode::UNAUTHORIZED),
        ("/api/v1/units", "", StatusCode::OK),
        ("/api/v1/citizens", "", StatusCode::UNAUTHORIZED),
        ("/api/v1/citizens/1", "", StatusCode::UNAUTHORIZED),
        ("/dashboard", "", StatusCode::SEE_OTHER),
        ("/kiosk", "", StatusCode::OK),
        ("/kiosk/hours", "", StatusCode::OK),
        ("/console/citizens", "", StatusCode::SEE_OTHER),
        ("/console/citizens/1", "", StatusCode::SEE_OTHER),
        ("/api/v1/booking/urgent", "", StatusCode::UNAUTHORIZED),
        (
            "/api/v1/ratings/rectifications",
            "",
            StatusCode::UNAUTHORIZED,
        ),
        ("/console/appointments", "", StatusCode::SEE_OTHER),
        ("/console/urgent", "", StatusCode::SEE_OTHER),
        ("/console/rectifications", "", StatusCode::SEE_OTHER),
        ("/appeal/new", "", StatusCode::OK),
        ("/appeal/track", "", StatusCode::OK),
        ("/console/appeals", "", StatusCode::SEE_OTHER),
        ("/console/appeals/intake", "", StatusCode::SEE_OTHER),
        ("/console/appeals/mine", "", StatusCode::SEE_OTHER),
        ("/console/appeals/999999", "", StatusCode::SEE_OTHER),
        ("/console/appeals/extensions", "", StatusCode::SEE_OTHER),
        ("/console/appeals/supervision", "", StatusCode::SEE_OTHER),
        ("/console/appeals/ledger", "", StatusCode::SEE_OTHER),
        ("/console/appeals/ledger.csv", "", StatusCode::UNAUTHORIZED),
        ("/console/appeals/orders", "", StatusCode::SEE_OTHER),
        ("/console/appeals/checks", "", StatusCode::SEE_OTHER),
        ("/console/appeals/record", "", StatusCode::SEE_OTHER),
        (
            "/console/appeals/settings/topics",
            "",
            StatusCode::SEE_OTHER,
        ),
        (
            "/console/appeals/settings/knowledge",
            "",
            StatusCode::SEE_OTHER,
        ),
        (
            "/console/appeals/settings/routes",
            "",
            StatusCode::SEE_OTHER,
        ),
        (
            "/console/appeals/settings/limits",
            "",
            StatusCode::SEE_OTHER,
        ),
    ];
    for u in all_staff {
        rows.push(("/api/v1/me", u, StatusCode::OK));
        rows.push(("/console", u, StatusCode::OK));
        let audit = if matches!(u, "admin" | "supervisor") {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        rows.push(("/console/audit", u, audit));
        rows.push(("/console/audit.csv", u, audit));
        let citizens = if matches!(u, "admin" | "supervisor" | "clerk.a01" | "station.ls01") {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        rows.push(("/api/v1/citizens", u, citizens));
        rows.push(("/api/v1/citizens/1", u, citizens));
        let missing = if citizens == StatusCode::OK {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::FORBIDDEN
        };
        rows.push(("/api/v1/citizens/999999", u, missing));
        rows.push(("/console/citizens", u, citizens));
        rows.push(("/console/citizens/1", u, citizens));
        rows.push(("/console/citizens/999999", u, missing));
        let dashboard = if matches!(u, "admin" | "supervisor" | "leader") {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        rows.push(("/dashboard", u, dashboard));
        // Sites' staff handle appointments and urgent requests; supervisors and leaders also
        // read the rectifications of bad ratings.
        let site_staff = if matches!(u, "admin" | "clerk.a01" | "station.ls01") {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        rows.push(("/api/v1/booking/urgent", u, site_staff));
        rows.push(("/console/appointments", u, site_staff));
        rows.push(("/console/urgent", u, site_staff));
        let rect = if matches!(
            u,
            "admin" | "supervisor" | "leader" | "clerk.a01" | "station.ls01"
        ) {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        rows.push(("/api/v1/ratings/rectifications", u, rect));
        rows.push(("/console/rectifications", u, rect));
        // Appeals: the operator's intake (DISPATCH), the lists (READ_ALL), a handler's own
        // (HANDLERS); an unknown appeal is 404 to those who may read appeals.
        let ok_if = |yes: bool| {
            if yes {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            }
        };
        rows.push((
            "/console/appeals/intake",
            u,
            ok_if(matches!(u, "admin" | "dispatcher")),
        ));
        rows.push((
            "/console/appeals",
            u,
            ok_if(matches!(u, "admin" | "dispatcher" | "supervisor")),
        ));
        rows.push((
            "/console/appeals/mine",
            u,
            ok_if(matches!(u, "admin" | "handler.ls")),
        ));
        let appeal_missing = if matches!(u, "admin" | "dispatcher" | "supervisor" | "handler.ls") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::FORBIDDEN
        };
        rows.push(("/console/appeals/999999", u, appeal_missing));
        // The further tools: extension requests, listed supervision and the dispose-first
        // ledger for those who read every appeal (READ_ALL; supervisors and the
        // administrator act on them); a handler's dispose-first orders (HANDLERS); look-back
        // checks and a unit's record for both.
        let read_all = matches!(u, "admin" | "dispatcher" | "supervisor");
        let handler = matches!(u, "admin" | "handler.ls");
        for path in [
            "/console/appeals/extensions",
            "/console/appeals/supervision",
            "/console/appeals/ledger",
            "/console/appeals/ledger.csv",
            "/console/appeals/ledger?from=2026-01-01&to=2026-12-31",
        ] {
            rows.push((path, u, ok_if(read_all)));
        }
        rows.push(("/console/appeals/orders", u, ok_if(handler)));
        rows.push(("/console/appeals/checks", u, ok_if(read_all || handler)));
        rows.push((
            "/console/appeals/checks?tab=all",
            u,
            ok_if(read_all || handler),
        ));
        rows.push(("/console/appeals/record", u, ok_if(read_all || handler)));
        // The hotline's settings: read by those who read every appeal (READ_ALL); who may
        // change what is tested with the forms.
        for path in [
            "/console/appeals/settings/topics",
            "/console/appeals/settings/topics?edit=CG0101",
            "/console/appeals/settings/topics?parent=CG01",
            "/console/appeals/settings/knowledge",
            "/console/appeals/settings/knowledge?topic=CG01",
            "/console/appeals/settings/routes",
            "/console/appeals/settings/routes?edit=1",
            "/console/appeals/settings/limits",
        ] {
            rows.push((path, u, ok_if(read_all)));
        }
    }
    // API tokens hold one role like staff do.
    let district = zhengwu_store::org::find_by_code(app.db.db.conn(), "GX")
        .await
        .unwrap()
        .unwrap()
        .id;
    let spj = zhengwu_store::org::find_by_code(app.db.db.conn(), "SPJ")
        .await
        .unwrap()
        .unwrap()
        .id;
    for (name, role, scope) in [
        (
            "token:reviewer",
            zhengwu_core::roles::Role::DeptReviewer,
            spj,
        ),
        (
            "token:supervisor",
            zhengwu_core::roles::Role::Supervisor,
            district,
        ),
    ] {
        let token = zhengwu_core::secret::new_token("zwt_").unwrap();
        let tx = app.db.db.begin_write().await.unwrap();
        zhengwu_store::identity::create_token(
            &tx,
            &zhengwu_store::audit::Actor::system("test"),
            name,
            &zhengwu_core::secret::token_digest(&token),
            role,
            scope,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        cookies.insert(name, token);
    }
    rows.extend([
        ("/api/v1/me", "token:reviewer", StatusCode::OK),
        ("/api/v1/citizens", "token:reviewer", StatusCode::FORBIDDEN),
        (
            "/console/audit.csv",
            "token:reviewer",
            StatusCode::FORBIDDEN,
        ),
        ("/api/v1/citizens", "token:supervisor", StatusCode::OK),
        ("/console/audit.csv", "token:supervisor", StatusCode::OK),
    ]);
    for (path, who, want) in rows {
        let mut req = app.client.get(format!("{}{path}", app.base));
        if let Some(token) = who.strip_prefix("token:").and(cookies.get(who)) {
            req = req.bearer_auth(token);
        } else if !who.is_empty() {
            req = req.header("cookie", &cookies[who]);
        }
        let got = req.send().await.unwrap().status();
        assert_eq!(got, want, "{who:?} GET {path}");
    }
}

#[tokio::test]
async fn the_audit_trail_is_searchable_and_exported_as_csv() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let _ = app.login("leader").await;
    let html = app
        .client
        .get(format!("{}/console/audit?actor=leader", app.base))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("session.login"));
    assert!(!html.contains("staff.create"), "filtered by actor");
    let res = app
        .client
        .get(format!("{}/console/audit.csv?record_type=staff", app.base))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let body = res.text().await.unwrap();
    let mut lines = body.lines();
    assert_eq!(
        lines.next().unwrap().trim_start_matches('\u{feff}'),
        "seq,at,actor_kind,actor_id,actor,ip,action,record_type,record_id,summary,hash"
    );
    assert!(body.contains("staff.create"));
    let res = app
        .client
        .get(format!("{}/console/audit?from=2026-13-01", app.base))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

/// The actions (POST) of the matrix: who may act on a record by its id.
#[tokio::test]
async fn role_by_action_matrix() {
    let app = spawn_app().await;
    let mut cookies = std::collections::HashMap::new();
    for user in ["admin", "clerk.a01", "reviewer.spj", "leader", "handler.ls"] {
        cookies.insert(user, app.login(user).await);
    }
    let rows = [
        (
            "/api/v1/citizens/1/reveal",
            "{}",
            "",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/api/v1/citizens/1/reveal",
            "{}",
            "reviewer.spj",
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/citizens/1/reveal",
            "{}",
            "leader",
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/citizens/1/reveal",
            "{}",
            "handler.ls",
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/citizens/1/reveal",
            "{}",
            "clerk.a01",
            StatusCode::OK,
        ),
        (
            "/api/v1/citizens/999999/reveal",
            "{}",
            "clerk.a01",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/enterprises/1/agents",
            r#"{"citizen_id":6}"#,
            "",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/api/v1/enterprises/1/agents",
            r#"{"citizen_id":6}"#,
            "reviewer.spj",
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/enterprises/1/agents",
            r#"{"citizen_id":6}"#,
            "leader",
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/enterprises/999999/agents",
            r#"{"citizen_id":6}"#,
            "admin",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/enterprises/1/agents",
            r#"{"citizen_id":6}"#,
            "admin",
            StatusCode::CREATED,
        ),
    ];
    for (path, body, who, want) in rows {
        let mut req = app
            .client
            .post(format!("{}{path}", app.base))
            .header("content-type", "application/json")
            .body(body);
        if !who.is_empty() {
            req = req.header("cookie", &cookies[who]);
        }
        assert_eq!(
            req.send().await.unwrap().status(),
            want,
            "{who:?} POST {path}"
        );
    }
}

#[tokio::test]
async fn script_looking_names_are_stored_as_they_are_and_shown_escaped() {
    let app = spawn_app().await;
    let district = zhengwu_store::org::find_by_code(app.db.db.conn(), "GX")
        .await
        .unwrap()
        .unwrap()
        .id;
    let tx = app.db.db.begin_write().await.unwrap();
    zhengwu_store::identity::create_staff(
        &tx,
        &zhengwu_store::audit::Actor::system("test"),
        zhengwu_store::identity::NewStaff {
            username: "mallory".into(),
            display_name: "<img src=x onerror=alert(1)>'); DROP TABLE staff; --".into(),
            password_hash: zhengwu_core::secret::hash_password(DEMO_PASSWORD).unwrap(),
            grants: vec![(zhengwu_core::roles::Role::Leader, district)],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let cookie = app.login("mallory").await;
    let html = app
        .client
        .get(format!("{}/console", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("DROP TABLE staff"), "shown back, as text");
    let me: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["display_name"],
        "<img src=x onerror=alert(1)>'); DROP TABLE staff; --"
    );
}

/// The appeal tools' forms (issue 9) as posted by a browser: each refused to the roles that may
/// not use it; the dispose-first cost typed in yuan, refused beside the form when finer than a
/// fen (what was typed kept), and stored exactly in fen.
#[tokio::test]
async fn appeal_tool_forms_by_role_and_the_cost_in_yuan() {
    use serde_json::json;
    let app = spawn_app().await;
    let token = "ab".repeat(32);
    let mut cookies = std::collections::HashMap::new();
    for user in ["dispatcher", "supervisor", "handler.spj", "handler.ls"] {
        let session = app.login(user).await;
        cookies.insert(user, format!("{session}; zw_csrf={token}"));
    }
    let form = |who: &str, path: &str, fields: &[(&str, &str)]| {
        let mut body: Vec<(String, String)> = vec![("csrf".into(), token.clone())];
        body.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        app.client
            .post(format!("{}{path}", app.base))
            .header("cookie", &cookies[who])
            .form(&body)
            .send()
    };
    let api = |who: &str, path: &str, body: serde_json::Value| {
        app.client
            .post(format!("{}{path}", app.base))
            .header("cookie", &cookies[who])
            .json(&body)
            .send()
    };
    let spj = zhengwu_store::org::find_by_code(app.db.db.conn(), "SPJ")
        .await
        .unwrap()
        .unwrap()
        .id
        .get();
    let res = api(
        "dispatcher",
        "/api/v1/appeals",
        json!({"kind": "help", "topic": "CG0101", "content": "路口大树被风刮倒，压住了电动车。"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = api(
        "supervisor",
        &format!("/api/v1/appeals/{id}/dispose"),
        json!({"unit": spj, "instruction": "立即清理倒伏树木"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let order = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let appeal = format!("/console/appeals/{id}");
    let record = format!("/console/appeals/orders/{order}");
    let done = [("action", "已清理倒伏树木并恢复通行")];
    let refused = [
        // Another unit's handler records nothing on this order.
        (
            "handler.ls",
            record.as_str(),
            vec![done[0], ("cost", "100")],
        ),
        // Listing, running the rules and the supervisor's steps are the supervisor's.
        (
            "dispatcher",
            "/console/appeals/supervision",
            vec![
                ("topic", "CG0101"),
                ("owner", "1"),
                ("deadline", "2099-01-01"),
            ],
        ),
        ("dispatcher", "/console/appeals/checks/run", vec![]),
        (
            "dispatcher",
            appeal.as_str(),
            vec![("action", "order"), ("dispose_unit", "1")],
        ),
        (
            "dispatcher",
            appeal.as_str(),
            vec![("action", "stars"), ("stars", "5")],
        ),
        // Deciding extensions, merging and splitting are the dispatcher's.
        (
            "supervisor",
            "/console/appeals/extensions/1",
            vec![("action", "approve")],
        ),
        (
            "supervisor",
            appeal.as_str(),
            vec![("action", "merge"), ("master", "20000101-000001")],
        ),
        // A unit handler may not order, even on an appeal they may read.
        (
            "handler.spj",
            appeal.as_str(),
            vec![("action", "order"), ("dispose_unit", "1")],
        ),
    ];
    for (who, path, fields) in refused {
        let res = form(who, path, &fields).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} POST {path}");
    }

    // The ordered unit's handler: a cost finer than a fen is said beside the form.
    let res = form("handler.spj", &record, &[done[0], ("cost", "1.234")])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("最多两位小数"), "{html}");
    assert!(
        html.contains("value=\"1.234\""),
        "the cost is kept as typed"
    );
    assert!(
        html.contains("已清理倒伏树木并恢复通行"),
        "what was done is kept"
    );
    let res = form("handler.spj", &record, &[done[0], ("cost", "¥1,234.50")])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let ledger = app
        .client
        .get(format!("{}/api/v1/appeals/disposals", app.base))
        .header("cookie", &cookies["supervisor"])
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(ledger["total_fen"], 123_450);
    assert_eq!(ledger["orders"][0]["state"], "done");
    // The supervisor's ledger page says it in yuan with two decimals.
    let page = app
        .client
        .get(format!("{}/console/appeals/ledger", app.base))
        .header("cookie", &cookies["supervisor"])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("共 1 条，费用合计 1,234.50 元"), "{page}");
}

/// The hotline's settings as posted by a browser: the topic tree and the time limits are the
/// administrator's, the knowledge base and the routing rules also the dispatcher's; a
/// supervisor or a unit handler changes nothing. Refusals are said beside the form with what
/// was typed, and a rule added on the page dispatches an appeal taken in within its area.
#[tokio::test]
async fn hotline_settings_forms_by_role_and_refusals_in_place() {
    let app = spawn_app().await;
    let token = "cd".repeat(32);
    let mut cookies = std::collections::HashMap::new();
    for user in ["admin", "dispatcher", "supervisor", "handler.ls"] {
        let session = app.login(user).await;
        cookies.insert(user, format!("{session}; zw_csrf={token}"));
    }
    let form = |who: &str, path: &str, fields: &[(&str, &str)]| {
        let mut body: Vec<(String, String)> = vec![("csrf".into(), token.clone())];
        body.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        app.client
            .post(format!("{}{path}", app.base))
            .header("cookie", &cookies[who])
            .form(&body)
            .send()
    };
    let topics = "/console/appeals/settings/topics";
    let leaf = [
        ("parent", "CG01"),
        ("code", "CG0190"),
        ("name", "共享单车乱停放"),
        ("lead", "CGJ"),
        ("co", "JJD"),
        ("kind", "complaint"),
        ("words", "共享单车，乱停、堵门口"),
    ];
    let knowledge = "/console/appeals/settings/knowledge";
    let entry = [
        ("topic", "CG0190"),
        ("question", "共享单车堵在小区门口怎么办？"),
        (
            "answer",
            "可拨打12345反映，城管将通知运营企业在2小时内清运。",
        ),
        ("words", "共享单车、堵门口"),
    ];
    let routes = "/console/appeals/settings/routes";
    let rule = [
        ("topic_prefix", "CG0190"),
        ("area", "QXL"),
        ("lead", "QXL"),
        ("co", "CGJ"),
        ("auto_dispatch", "1"),
        ("note", "街道牵头清理"),
    ];
    let limits = "/console/appeals/settings/limits";
    let days = [
        ("sign", "1"),
        ("consult", "2"),
        ("help", "7"),
        ("complaint", "15"),
        ("report", "15"),
        ("suggestion", "15"),
    ];
    // Refused to those who may not change them.
    for (who, path, fields) in [
        ("dispatcher", topics, &leaf[..]),
        ("supervisor", topics, &leaf[..]),
        ("handler.ls", topics, &leaf[..]),
        (
            "dispatcher",
            "/console/appeals/settings/topics/CG0101",
            &[("action", "save"), ("name", "占道")][..],
        ),
        ("supervisor", knowledge, &entry[..]),
        ("handler.ls", knowledge, &entry[..]),
        (
            "supervisor",
            "/console/appeals/settings/knowledge/1",
            &[("action", "delete")][..],
        ),
        ("supervisor", routes, &rule[..]),
        ("handler.ls", routes, &rule[..]),
        (
            "supervisor",
            "/console/appeals/settings/routes/1",
            &[("action", "delete")][..],
        ),
        ("dispatcher", limits, &days[..]),
        ("supervisor", limits, &days[..]),
    ] {
        let res = form(who, path, fields).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} POST {path}");
    }

    // The administrator: a code that does not fit its parent is said beside the form, kept.
    let mut bad = leaf;
    bad[1] = ("code", "CG99");
    let res = form("admin", topics, &bad).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("分类编码：一级分类为两个大写字母"), "{html}");
    assert!(html.contains("value=\"CG99\""), "the code is kept");
    assert!(
        html.contains("value=\"共享单车乱停放\""),
        "the name is kept"
    );
    let res = form("admin", topics, &leaf).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let t = zhengwu_store::appeals::topic(app.db.db.conn(), "CG0190")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.lead.as_deref(), Some("CGJ"));
    assert_eq!(t.co, ["JJD"]);
    assert_eq!(t.words, ["共享单车", "乱停", "堵门口"]);
    // A topic in use is not deleted: the store's words, beside the topic's form.
    let res = form(
        "admin",
        "/console/appeals/settings/topics/CG01",
        &[("action", "delete")],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("仍在使用，不能删除"));

    // The dispatcher keeps the knowledge base and the rules.
    let res = form("dispatcher", knowledge, &entry).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = form(
        "dispatcher",
        knowledge,
        &[("question", "没有分类的问题"), ("answer", "答复")],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("请选择所属分类"), "{html}");
    assert!(html.contains("没有分类的问题"), "the question is kept");
    let res = form("dispatcher", routes, &rule).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The same topic and area twice is refused by the store's rule.
    let res = form("dispatcher", routes, &rule).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("在这个区域已有分派规则"));
    let res = form(
        "dispatcher",
        "/console/appeals/settings/knowledge/999999",
        &[("action", "delete")],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The administrator sets the limits; 0 is refused beside its field, what was typed kept.
    let mut zero = days;
    zero[2] = ("help", "0");
    let res = form("admin", limits, &zero).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("求助办理时限：应在 1-60 之间"), "{html}");
    assert!(
        html.contains("name=\"help\" inputmode=\"numeric\" size=\"4\" maxlength=\"4\" value=\"0\"")
    );
    let res = form("admin", limits, &days).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let l = zhengwu_store::appeals::admin::limits(app.db.db.conn())
        .await
        .unwrap();
    assert_eq!(l.help, 7);

    // An appeal on the new topic near 七贤岭街道's office goes to the street at intake.
    let res = app
        .client
        .post(format!("{}/api/v1/appeals", app.base))
        .header("cookie", &cookies["dispatcher"])
        .json(&serde_json::json!({
            "kind": "complaint", "topic": "CG0190",
            "content": "共享单车堵在小区门口，进出不便。",
            "lat": 38.8616, "lng": 121.5251,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let a: serde_json::Value = res.json().await.unwrap();
    assert_eq!(a["status"], "dispatched", "{a}");
}

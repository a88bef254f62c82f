//! The dispatcher's and supervisor's tools over the API: who may do what, and the flows.

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

async fn ok(app: &TestApp, cookie: &str, path: &str, body: Value) -> Value {
    let res = post(app, cookie, path, body).await;
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

async fn get(app: &TestApp, cookie: &str, path: &str) -> Value {
    app.get_json_as(path, cookie).await
}

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    zhengwu_store::org::find_by_code(app.db.db.conn(), code)
        .await
        .unwrap()
        .unwrap()
        .id
        .get()
}

/// An appeal taken in by the dispatcher, dispatched to SPJ and signed by its handler.
async fn in_hand(app: &TestApp, dispatcher: &str, handler: &str, topic: &str) -> i64 {
    let spj = unit_id(app, "SPJ").await;
    let a = ok(
        app,
        dispatcher,
        "/api/v1/appeals",
        json!({"kind": "help", "topic": topic, "content": "企业开办后银行开户迟迟没有办下来。", "caller_mobile": "13904110007"}),
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    ok(
        app,
        dispatcher,
        &format!("/api/v1/appeals/{id}/dispatch"),
        json!({"lead": spj}),
    )
    .await;
    ok(
        app,
        handler,
        &format!("/api/v1/appeals/{id}/unit"),
        json!({"unit": spj, "action": "sign"}),
    )
    .await;
    id
}

#[tokio::test]
async fn extensions_merge_split_and_stars_over_the_api() {
    let app = spawn_app().await;
    let topics = app.get_json("/api/v1/appeals/topics").await;
    let leaves: Vec<String> = topics
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["level"] == 3)
        .map(|t| t["code"].as_str().unwrap().to_owned())
        .collect();
    let dispatcher = app.login("dispatcher").await;
    let handler = app.login("handler.spj").await;
    let other = app.login("handler.ls").await;
    let supervisor = app.login("supervisor").await;
    let spj = unit_id(&app, "SPJ").await;
    let id = in_hand(&app, &dispatcher, &handler, &leaves[0]).await;

    // Another unit's handler may not ask for SPJ; the SPJ handler may.
    let path = format!("/api/v1/appeals/{id}/extensions");
    let body = json!({"unit": spj, "days": 3, "reason": "需要银行配合核查"});
    assert_problem(
        post(&app, &other, &path, body.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let res = post(
        &app,
        &handler,
        &path,
        json!({"unit": spj, "days": 0, "reason": "x"}),
    )
    .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert_eq!(p["field"], "days");
    let res = post(&app, &handler, &path, body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let x: Value = res.json().await.unwrap();
    let res = post(&app, &handler, &path, body).await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p["detail"].as_str().unwrap().contains("等待审批"), "{p}");
    // Only the dispatcher decides; a refusal needs a note.
    let pending = get(&app, &dispatcher, "/api/v1/appeals/extensions/pending").await;
    assert_eq!(pending.as_array().unwrap().len(), 1);
    let decide = format!("/api/v1/appeals/extensions/{}/decision", x["id"]);
    assert_problem(
        post(&app, &handler, &decide, json!({"approve": true})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        post(&app, &dispatcher, &decide, json!({"approve": false})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    let d = ok(
        &app,
        &dispatcher,
        &decide,
        json!({"approve": true, "note": "同意"}),
    )
    .await;
    assert_eq!(d["status"], "approved");
    let detail = get(&app, &dispatcher, &format!("/api/v1/appeals/{id}")).await;
    assert_eq!(detail["due_on"], d["new_due_on"]);

    // Merge a duplicate; split a matter out.
    let dup = ok(
        &app,
        &dispatcher,
        "/api/v1/appeals",
        json!({"kind": "help", "topic": leaves[0], "content": "同一企业再次来电催办银行开户。", "caller_mobile": "13904110008"}),
    )
    .await;
    let dup_id = dup["id"].as_i64().unwrap();
    assert_problem(
        post(
            &app,
            &handler,
            &format!("/api/v1/appeals/{dup_id}/merge"),
            json!({"master": id}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let m = ok(
        &app,
        &dispatcher,
        &format!("/api/v1/appeals/{dup_id}/merge"),
        json!({"master": id}),
    )
    .await;
    assert_eq!(
        (m["status"].as_str(), m["merged_into"].as_i64()),
        (Some("merged"), Some(id))
    );
    let res = post(
        &app,
        &dispatcher,
        &format!("/api/v1/appeals/{id}/split"),
        json!({"parts": [{"kind": "suggestion", "topic": leaves[1], "content": "建议银行开户纳入一网通办。"}]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let parts: Value = res.json().await.unwrap();
    assert_eq!(parts[0]["split_from"], id);

    // Reply, visit, stars (the supervisor only), and the unit's record.
    ok(
        &app,
        &handler,
        &format!("/api/v1/appeals/{id}/unit"),
        json!({"unit": spj, "action": "reply", "text": "已协调银行当日开户"}),
    )
    .await;
    ok(
        &app,
        &dispatcher,
        &format!("/api/v1/appeals/{id}/visit"),
        json!({"resolved": true, "satisfaction": 5}),
    )
    .await;
    let stars = format!("/api/v1/appeals/{id}/stars");
    assert_problem(
        post(&app, &dispatcher, &stars, json!({"stars": 5})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let s = ok(
        &app,
        &supervisor,
        &stars,
        json!({"stars": 5, "note": "主动协调，当日办结"}),
    )
    .await;
    assert_eq!(s["stars"], 5);
    let rec = get(
        &app,
        &handler,
        &format!("/api/v1/appeals/units/{spj}/record"),
    )
    .await;
    assert_eq!(rec["high_star"][0]["id"], id);
    let ls = unit_id(&app, "LS").await;
    let res = app
        .client
        .get(format!("{}/api/v1/appeals/units/{ls}/record", app.base))
        .header("cookie", &handler)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn dispose_first_supervision_and_look_back_over_the_api() {
    let app = spawn_app().await;
    let topics = app.get_json("/api/v1/appeals/topics").await;
    let leaf = topics
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["level"] == 3)
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let dispatcher = app.login("dispatcher").await;
    let handler = app.login("handler.spj").await;
    let ls_handler = app.login("handler.ls").await;
    let supervisor = app.login("supervisor").await;
    let spj = unit_id(&app, "SPJ").await;
    let ls = unit_id(&app, "LS").await;
    let a = ok(
        &app,
        &dispatcher,
        "/api/v1/appeals",
        json!({"kind": "help", "topic": leaf, "content": "路口大树被风刮倒，压住了电动车。", "urgent": true}),
    )
    .await;
    let id = a["id"].as_i64().unwrap();

    // Dispose first: the supervisor orders LS; LS records; the supervisor settles.
    let order = format!("/api/v1/appeals/{id}/dispose");
    assert_problem(
        post(
            &app,
            &dispatcher,
            &order,
            json!({"unit": ls, "instruction": "立即清理"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let res = post(
        &app,
        &supervisor,
        &order,
        json!({"unit": ls, "instruction": "立即清理倒伏树木，保障通行"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let d: Value = res.json().await.unwrap();
    let record = format!("/api/v1/appeals/disposals/{}/record", d["id"]);
    assert_problem(
        post(
            &app,
            &handler,
            &record,
            json!({"unit": spj, "action": "已清理", "cost_fen": 100}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_problem(
        post(
            &app,
            &handler,
            &record,
            json!({"unit": ls, "action": "已清理", "cost_fen": 100}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    ok(
        &app,
        &ls_handler,
        &record,
        json!({"unit": ls, "action": "已调吊车清理树木并疏导交通", "cost_fen": 860_000}),
    )
    .await;
    let settle = format!("/api/v1/appeals/disposals/{}/settle", d["id"]);
    let s = ok(
        &app,
        &supervisor,
        &settle,
        json!({"owner": spj, "accountability": "树木属绿化养护范围，费用由责任单位承担"}),
    )
    .await;
    assert_eq!(s["state"], "settled");
    let ledger = get(&app, &supervisor, "/api/v1/appeals/disposals").await;
    assert_eq!(
        (ledger["count"].as_i64(), ledger["total_fen"].as_i64()),
        (Some(1), Some(860_000))
    );
    let res = app
        .client
        .get(format!(
            "{}/api/v1/appeals/disposals?from=2026-12-01&to=2026-01-01",
            app.base
        ))
        .header("cookie", &supervisor)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;

    // Supervision: chosen by the supervisor, noted by the owner unit's handler only.
    let res = post(
        &app,
        &supervisor,
        "/api/v1/appeals/supervision",
        json!({"topic": leaf, "owner": spj, "deadline": "2099-12-31"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let sup: Value = res.json().await.unwrap();
    assert_eq!(
        (sup["reason"].as_str(), sup["count_in_window"].as_i64()),
        (Some("chosen"), Some(1))
    );
    let note = format!("/api/v1/appeals/supervision/{}/notes", sup["id"]);
    assert_problem(
        post(&app, &ls_handler, &note, json!({"note": "无关单位"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let n = ok(
        &app,
        &handler,
        &note,
        json!({"note": "已建立银行开户绿色通道"}),
    )
    .await;
    assert_eq!(n["notes"].as_array().unwrap().len(), 1);
    let frequent = get(
        &app,
        &supervisor,
        "/api/v1/appeals/supervision/frequent?threshold=1",
    )
    .await;
    assert_eq!(frequent[0]["listed"], true);
    let delist = format!("/api/v1/appeals/supervision/{}/delist", sup["id"]);
    assert_problem(
        post(&app, &handler, &delist, json!({"result": "完成"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    ok(
        &app,
        &supervisor,
        &delist,
        json!({"result": "绿色通道建成，同类诉求清零"}),
    )
    .await;
    let active = get(&app, &supervisor, "/api/v1/appeals/supervision?active=true").await;
    assert!(active.as_array().unwrap().is_empty());

    // Look back: running the rules now; an unresolved visit makes a reason check for SPJ.
    let b = in_hand(&app, &dispatcher, &handler, &leaf).await;
    ok(
        &app,
        &handler,
        &format!("/api/v1/appeals/{b}/unit"),
        json!({"unit": spj, "action": "reply", "text": "已答复"}),
    )
    .await;
    ok(
        &app,
        &dispatcher,
        &format!("/api/v1/appeals/{b}/visit"),
        json!({"resolved": false, "satisfaction": 2}),
    )
    .await;
    assert_problem(
        post(&app, &handler, "/api/v1/appeals/checks/schedule", json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let made = ok(
        &app,
        &supervisor,
        "/api/v1/appeals/checks/schedule",
        json!({}),
    )
    .await;
    assert_eq!(made["reason"], 1);
    let mine = get(&app, &handler, "/api/v1/appeals/checks?open=true").await;
    let check = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "reason")
        .unwrap()
        .clone();
    let theirs = get(&app, &ls_handler, "/api/v1/appeals/checks?open=true").await;
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["owner_unit_id"] == ls)
    );
    let done = ok(
        &app,
        &handler,
        &format!("/api/v1/appeals/checks/{}", check["id"]),
        json!({"unit": spj, "outcome": "problem", "note": "银行系统升级导致延误，已督促"}),
    )
    .await;
    assert_eq!(done["outcome"], "problem");
    app.stop().await;
}

#[tokio::test]
async fn topics_answers_and_limits_are_kept_by_their_editors_only() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let dispatcher = app.login("dispatcher").await;
    let handler = app.login("handler.spj").await;
    let put = |cookie: &str, path: &str, body: Value| {
        let (app, cookie, path) = (&app, cookie.to_owned(), path.to_owned());
        async move {
            app.client
                .put(format!("{}{path}", app.base))
                .header("cookie", cookie)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let leaf = json!({"code": "x", "name": "共享单车乱停放", "parent_code": "CG01", "lead": "JJD",
                      "kind": "complaint", "words": ["共享单车"]});
    assert_problem(
        put(&dispatcher, "/api/v1/appeals/topics/CG0199", leaf.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let res = put(&admin, "/api/v1/appeals/topics/CG0199", leaf.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let t: Value = res.json().await.unwrap();
    assert_eq!(
        (t["code"].as_str(), t["level"].as_i64()),
        (Some("CG0199"), Some(3))
    );
    let bad = json!({"code": "x", "name": "x", "parent_code": "CG01"});
    let p = assert_problem(
        put(&admin, "/api/v1/appeals/topics/cg", bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_eq!(p["field"], "topic_code");
    // Answers: dispatchers keep them, handlers read them.
    let entry = json!({"question": "共享单车乱停放找谁？", "answer": "由交警部门清理，可拨打12345。",
                       "topic": "CG0199", "words": ["共享单车"]});
    assert_problem(
        post(
            &app,
            &handler,
            "/api/v1/appeals/knowledge/entries",
            entry.clone(),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let res = post(
        &app,
        &dispatcher,
        "/api/v1/appeals/knowledge/entries",
        entry,
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let k: Value = res.json().await.unwrap();
    let all = get(&app, &handler, "/api/v1/appeals/knowledge/entries").await;
    assert!(all.as_array().unwrap().iter().any(|e| e["id"] == k["id"]));
    let res = app
        .client
        .delete(format!("{}/api/v1/appeals/topics/CG0199", app.base))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    // Limits: read by appeal staff, set by administrators, 1–60.
    let l = get(&app, &handler, "/api/v1/appeals/limits").await;
    assert_eq!((l["sign"].as_u64(), l["help"].as_u64()), (Some(1), Some(5)));
    let mut changed = l.clone();
    changed["help"] = json!(7);
    assert_problem(
        put(&dispatcher, "/api/v1/appeals/limits", changed.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let mut wrong = l.clone();
    wrong["sign"] = json!(0);
    let p = assert_problem(
        put(&admin, "/api/v1/appeals/limits", wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_eq!(p["field"], "sign");
    let res = put(&admin, "/api/v1/appeals/limits", changed).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        get(&app, &handler, "/api/v1/appeals/limits").await["help"],
        7
    );
    app.stop().await;
}

//! `/api/v1/cases`: submission over multipart with files, who may read and act, conflicts,
//! refusals of bad files and forms, my cases, figures and the 痛快办 queue.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhengwu_core::catalog::Item;
use zhengwu_store::applicants::{self, CitizenDetail};
use zhengwu_store::audit::Actor;
use zhengwu_store::catalog;
use zhengwu_store::demo::cases_gen::tiny_pdf;

use crate::appeals::{get, multipart, post};
use crate::booking::applicant;
use crate::helpers::{TestApp, assert_problem, spawn_app};

/// A citizen's item handled in the public hall, reviewed by a department that has a demo
/// reviewer, with materials the applicant brings.
async fn item(app: &TestApp) -> Item {
    catalog::published_items(app.db.db.conn())
        .await
        .unwrap()
        .into_iter()
        .find(|i| {
            ["GAJ", "RSJ", "GJJ"].contains(&i.department.as_str())
                && i.for_citizens()
                && !i.instant_approval
                && i.bundle.is_empty()
                && i.form.is_empty()
                && i.halls.iter().any(|h| h == "H-PUB")
                && i.materials.iter().any(|m| !m.is_shared() && m.required)
        })
        .expect("an item for the test")
}

async fn citizen_by_mobile(app: &TestApp, mobile: &str) -> CitizenDetail {
    let db = app.db.db.conn();
    let actor = Actor::system("test");
    for c in applicants::list_citizens(db, 100).await.unwrap() {
        let d = applicants::reveal_citizen(db, &actor, c.id).await.unwrap();
        if d.mobile == mobile {
            return d;
        }
    }
    panic!("no demo citizen with {mobile}")
}

/// The `case` part and one PDF per material the applicant brings.
fn submission(
    item: &Item,
    c: &CitizenDetail,
    seed: u64,
) -> (String, Vec<(String, String, Vec<u8>)>) {
    let body = json!({
        "item": item.code,
        "form": {"applicant_name": c.name, "id_number": c.id_number, "mobile": c.mobile},
    })
    .to_string();
    let files = item
        .materials
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.is_shared() && m.required)
        .map(|(i, m)| {
            (
                format!("m{i}"),
                format!("{}.pdf", m.name),
                tiny_pdf(seed + i as u64),
            )
        })
        .collect();
    (body, files)
}

async fn send(
    app: &TestApp,
    cookie: &str,
    path: &str,
    case: Option<&str>,
    files: &[(String, String, Vec<u8>)],
) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = case.map(|c| ("case", c)).into_iter().collect();
    let f: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(k, n, b)| (k.as_str(), n.as_str(), b.as_slice()))
        .collect();
    let (ct, body) = multipart(&fields, &f);
    app.client
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_applicant_submits_a_window_accepts_the_department_decides_and_others_see_nothing() {
    let app = spawn_app().await;
    let it = item(&app).await;
    let me = applicant(&app, "13904110001").await;
    let c = citizen_by_mobile(&app, "13904110001").await;
    let (case, files) = submission(&it, &c, 1);
    // Nobody signed in.
    assert_eq!(
        send(&app, "", "/api/v1/cases", Some(&case), &files)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let res = send(&app, &me, "/api/v1/cases", Some(&case), &files).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let d: Value = res.json().await.unwrap();
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["status"], "submitted");
    assert_eq!(d["channel"], "web");
    assert!(!d["checks"].as_array().unwrap().is_empty());
    // Mine, and nobody else's: another applicant, a reviewer of another department.
    let mine: Value = get(&app, &me, "/api/v1/my/cases")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["id"], id);
    let other = applicant(&app, "13904110002").await;
    assert_eq!(
        get(&app, &other, &format!("/api/v1/cases/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let spj = app.login("reviewer.spj").await;
    assert_eq!(
        get(&app, &spj, &format!("/api/v1/cases/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // The window accepts; a reviewer cannot accept, the clerk cannot decide.
    let clerk = app.login("clerk.hall").await;
    let act = |cookie: String, body: Value| {
        let app = &app;
        async move { post(app, &cookie, &format!("/api/v1/cases/{id}/act"), body).await }
    };
    let reviewer = app
        .login(&format!("reviewer.{}", it.department.to_ascii_lowercase()))
        .await;
    assert_eq!(
        act(reviewer.clone(), json!({"action": "accept"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let res = act(clerk.clone(), json!({"action": "accept"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["status"], "accepted");
    assert!(d["due_at"].is_string());
    let seen = d["revision"].as_i64().unwrap();
    assert_eq!(
        act(clerk.clone(), json!({"action": "approve"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // In the reviewer's queue, by due time.
    let q: Value = get(&app, &reviewer, "/api/v1/cases?view=review")
        .await
        .json()
        .await
        .unwrap();
    assert!(q.as_array().unwrap().iter().any(|x| x["id"] == id));
    // Two decisions on the same revision: the first wins, the second is told.
    let res = act(
        reviewer.clone(),
        json!({"action": "approve", "revision": seen, "note": "符合条件"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_problem(
        act(
            reviewer.clone(),
            json!({"action": "reject", "revision": seen, "reasons": "不符合", "legal_basis": "《条例》"}),
        )
        .await,
        StatusCode::CONFLICT,
        "stale",
    )
    .await;
    // Too late to withdraw.
    let p = assert_problem(
        post(
            &app,
            &me,
            &format!("/api/v1/cases/{id}/withdraw"),
            json!({}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("已批准"), "{p}");
    // Result, hand-out, rating by the applicant only.
    assert_eq!(
        act(reviewer.clone(), json!({"action": "result_ready"}))
            .await
            .status(),
        StatusCode::OK
    );
    // Any clerk of the hall hands it out, one at a window too.
    let a01 = app.login("clerk.a01").await;
    assert_eq!(
        act(a01, json!({"action": "hand_out", "way": "post"}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        post(
            &app,
            &clerk,
            &format!("/api/v1/cases/{id}/rating"),
            json!({"level": 5})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let res = post(
        &app,
        &me,
        &format!("/api/v1/cases/{id}/rating"),
        json!({"level": 5, "reasons": ["办事快"]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let file_id = d["files"][0]["id"].as_i64().unwrap();
    let res = get(&app, &me, &format!("/api/v1/cases/{id}/files/{file_id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    app.stop().await;
}

#[tokio::test]
async fn bad_files_forms_and_moves_get_clear_refusals_and_leave_nothing() {
    let app = spawn_app().await;
    let it = item(&app).await;
    let me = applicant(&app, "13904110001").await;
    let c = citizen_by_mobile(&app, "13904110001").await;
    let (case, files) = submission(&it, &c, 1);
    let mut forged = files.clone();
    forged[0].2 = b"just text, not a PDF".to_vec();
    let p = assert_problem(
        send(&app, &me, "/api/v1/cases", Some(&case), &forged).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_eq!(p["field"], "file", "{p}");
    let mut huge = files.clone();
    huge[0].2 = vec![b'%'; 27 << 20];
    assert_problem(
        send(&app, &me, "/api/v1/cases", Some(&case), &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    assert_problem(
        send(&app, &me, "/api/v1/cases", None, &files).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_problem(
        send(&app, &me, "/api/v1/cases", Some("{not json"), &files).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    let no_name = json!({"item": it.code, "form": {"id_number": c.id_number, "mobile": c.mobile}})
        .to_string();
    let p = assert_problem(
        send(&app, &me, "/api/v1/cases", Some(&no_name), &files).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("申请人姓名"), "{p}");
    let staff_channel = json!({"item": it.code, "channel": "window"}).to_string();
    assert_problem(
        send(&app, &me, "/api/v1/cases", Some(&staff_channel), &files).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    let mine: Value = get(&app, &me, "/api/v1/my/cases")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 0, "nothing half written");
    // A clerk's walk-in; then moves the state does not allow, and acts with missing parts.
    let clerk = app.login("clerk.hall").await;
    let walk_in = json!({
        "item": it.code,
        "applicant_name": c.name,
        "applicant_mobile": c.mobile,
        "form": {"applicant_name": c.name, "id_number": c.id_number, "mobile": c.mobile},
    })
    .to_string();
    let res = send(&app, &clerk, "/api/v1/cases", Some(&walk_in), &files).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["channel"], "window");
    let id = d["id"].as_i64().unwrap();
    let path = format!("/api/v1/cases/{id}/act");
    for (body, field) in [
        (json!({"action": "hand_out"}), "case"),
        (json!({"action": "refuse"}), "reasons"),
        (json!({"action": "teleport"}), "action"),
        (
            json!({"action": "request_supplement", "missing": []}),
            "missing",
        ),
    ] {
        let p = assert_problem(
            post(&app, &clerk, &path, body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        )
        .await;
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    // An agent must record the applicant's authorisation.
    let agent = json!({"item": it.code, "channel": "agent", "applicant_name": c.name,
        "form": {"applicant_name": c.name, "id_number": c.id_number, "mobile": c.mobile}})
    .to_string();
    let p = assert_problem(
        send(&app, &clerk, "/api/v1/cases", Some(&agent), &files).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_eq!(p["field"], "authorisation");
    // With it, the agent submits and follows the case.
    let agent = json!({"item": it.code, "channel": "agent", "applicant_name": c.name,
        "authorisation": "申请人签字的委托书，编号 WT-0001",
        "form": {"applicant_name": c.name, "id_number": c.id_number, "mobile": c.mobile}})
    .to_string();
    let res = send(&app, &clerk, "/api/v1/cases", Some(&agent), &files).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["agent"], "clerk.hall");
    let followed: Value = get(&app, &clerk, "/api/v1/cases?view=agent")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&Value> = followed
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["id"])
        .collect();
    assert_eq!(ids, vec![&d["id"]], "only the cases the agent submitted");
    app.stop().await;
}

#[tokio::test]
async fn supervisors_read_the_figures_and_stuck_matters_are_taken_and_resolved() {
    let app = spawn_app().await;
    let supervisor = app.login("supervisor").await;
    let clerk = app.login("clerk.hall").await;
    for path in [
        "/api/v1/cases/figures",
        "/api/v1/cases/load",
        "/api/v1/cases?view=all",
    ] {
        assert_eq!(
            get(&app, &supervisor, path).await.status(),
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            get(&app, &clerk, path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // Every list of the overview downloads as CSV and XLSX, for supervisors only.
    for list in ["load", "red", "yellow", "departments", "items"] {
        let res = get(
            &app,
            &supervisor,
            &format!("/console/cases/supervise/{list}.csv"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{list}");
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        let text = res.text().await.unwrap();
        assert!(text.starts_with('\u{feff}'), "{list}: a byte-order mark");
        let res = get(
            &app,
            &supervisor,
            &format!("/console/cases/supervise/{list}.xlsx"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{list}");
        assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    }
    let res = get(&app, &supervisor, "/console/cases/supervise/red.csv").await;
    assert!(
        res.text().await.unwrap().starts_with("\u{feff}办件编号,"),
        "the page's words head the columns"
    );
    assert_eq!(
        get(&app, &clerk, "/console/cases/supervise/red.csv")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &supervisor, "/console/cases/supervise/secrets.csv")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let f: Value = get(&app, &supervisor, "/api/v1/cases/figures")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["all"]["cases"], 0);
    assert_problem(
        get(&app, &supervisor, "/api/v1/cases?view=all&deadline=purple").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    // A resident writes a stuck matter down; a clerk takes it and resolves it.
    let me = applicant(&app, "13904110001").await;
    let res = post(
        &app,
        &me,
        "/api/v1/assist",
        json!({"matter": "办老年优待证跑了两次"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: Value = res.json().await.unwrap();
    let id = r["id"].as_i64().unwrap();
    assert_eq!(
        get(&app, &me, "/api/v1/assist").await.status(),
        StatusCode::FORBIDDEN
    );
    let res = post(
        &app,
        &clerk,
        &format!("/api/v1/assist/{id}/take"),
        json!({"days": 2}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["owner"], "clerk.hall");
    assert_problem(
        post(
            &app,
            &clerk,
            &format!("/api/v1/assist/{id}/resolve"),
            json!({"resolution": "好"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    let res = post(
        &app,
        &clerk,
        &format!("/api/v1/assist/{id}/resolve"),
        json!({"resolution": "已陪同到综合窗口当场办结"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}

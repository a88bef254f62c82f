use std::io::Write;
use std::process::{Command, Stdio};

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use zhengwu_core::ident::ric_check_char;
use zhengwu_store::audit::Actor;
use zhengwu_store::booking::{self, RuleSettings};
use zhengwu_store::notify::{self, Status};
use zhengwu_store::{catalog, org};

use crate::helpers::{TestApp, assert_problem, spawn_app};

/// A bookable item of the public service hall and the hall's id.
async fn hall_item(app: &TestApp) -> (i64, String) {
    let hall = org::find_by_code(app.db.db.conn(), "H-PUB")
        .await
        .unwrap()
        .unwrap();
    let item = catalog::published_items(app.db.db.conn())
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.bookable && i.halls.contains(&"H-PUB".to_owned()))
        .unwrap();
    (hall.id.get(), item.code)
}

/// Sets the capacity of the group that takes `item` at `site`.
async fn set_capacity(app: &TestApp, site: i64, item: &str, capacity: i32) {
    let db = &app.db.db;
    let unit = org::get_unit(db.conn(), zhengwu_core::ids::UnitId(site))
        .await
        .unwrap();
    let item = catalog::published_item(db.conn(), item).await.unwrap();
    let g = booking::group_for_item(db.conn(), &unit, &item)
        .await
        .unwrap();
    let tx = db.begin_write().await.unwrap();
    booking::set_rule(
        &tx,
        &g,
        RuleSettings::defaults(capacity),
        &Actor::system("test"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The first slot with a place left, from the public availability.
async fn first_free_slot(app: &TestApp, site: i64, item: &str) -> DateTime<Utc> {
    let today = Utc::now().date_naive();
    let a = app
        .get_json(&format!(
            "/api/v1/booking/availability?site={site}&item={item}&from={}&to={}",
            today,
            today + Duration::days(13)
        ))
        .await;
    let slot = a["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["slots"].as_array().unwrap().iter())
        .find(|s| s["available"].as_i64().unwrap() > 0)
        .expect("a free slot within two weeks");
    slot["starts_at"].as_str().unwrap().parse().unwrap()
}

/// Signs the demo citizen with `mobile` in; returns the applicant cookie.
pub(crate) async fn applicant(app: &TestApp, mobile: &str) -> String {
    let res = app
        .client
        .post(format!("{}/api/v1/applicant/code", app.base))
        .json(&json!({ "mobile": mobile }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let mut all = notify::list(app.db.db.conn(), Status::Pending, 1000)
        .await
        .unwrap();
    all.extend(
        notify::list(app.db.db.conn(), Status::Delivered, 1000)
            .await
            .unwrap(),
    );
    all.sort_by_key(|m| m.id);
    let code = all
        .iter()
        .rev()
        .find(|m| m.topic == "sms.sign_in_code")
        .unwrap()
        .payload["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(format!("{}/api/v1/applicant/session", app.base))
        .json(&json!({ "mobile": mobile, "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn post(app: &TestApp, cookie: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A valid ID number, numbered `i`.
fn id_number(i: usize) -> String {
    let first17 = format!("21020319850101{:03}", i % 1000);
    let first17 = if i >= 1000 {
        format!("21020319860101{:03}", i % 1000)
    } else {
        first17
    };
    let check = ric_check_char(first17.as_bytes()).unwrap();
    format!("{first17}{check}")
}

/// Runs `tests/oracles/ics_check.py` (PyPI `icalendar`) on an .ics file; `None` when the
/// oracle is missing and not required.
fn icalendar_reads(ics: &str) -> Option<String> {
    let python = std::env::var("ZHENGWU_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles/ics_check.py");
    let required = std::env::var_os("ZHENGWU_REQUIRE_ORACLES").is_some();
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        assert!(
            !required && err.contains("ModuleNotFoundError"),
            "icalendar refused the file: {err}"
        );
        eprintln!("SKIPPED the icalendar oracle: {err}");
        return None;
    }
    Some(String::from_utf8(out.stdout).unwrap())
}

#[tokio::test]
async fn availability_is_public_and_bad_queries_are_refused_in_words() {
    let app = spawn_app().await;
    let (hall, item) = hall_item(&app).await;
    let a = app
        .get_json(&format!(
            "/api/v1/booking/availability?site={hall}&item={item}"
        ))
        .await;
    assert_eq!(a["days"].as_array().unwrap().len(), 7);
    assert_eq!(a["rule"]["slot_minutes"], 30);
    for (q, field) in [
        (format!("site={hall}"), "item"),
        (format!("site={hall}&item=NOPE"), "item"),
        (format!("site=999999&item={item}"), "site"),
        (
            format!("site={hall}&item={item}&from=2026-12-10&to=2026-12-01"),
            "to",
        ),
        (
            format!("site={hall}&item={item}&from=2026-12-01&to=2027-03-01"),
            "to",
        ),
    ] {
        let res = app.get(&format!("/api/v1/booking/availability?{q}")).await;
        let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert_eq!(p["field"], field, "{q}: {p}");
    }
}

#[tokio::test]
async fn an_applicant_books_gets_an_ics_and_cancels_with_the_link() {
    let app = spawn_app().await;
    let (hall, item) = hall_item(&app).await;
    let me = applicant(&app, "13904110001").await;
    let at = first_free_slot(&app, hall, &item).await;
    // Not signed in: 401.
    let res = post(
        &app,
        "",
        "/api/v1/booking/appointments",
        json!({"site": hall, "item": item, "starts_at": at}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = post(
        &app,
        &me,
        "/api/v1/booking/appointments",
        json!({"site": hall, "item": item, "starts_at": at}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["status"], "booked");
    assert_eq!(a["channel"], "web");
    let code = a["code"].as_str().unwrap();
    let link = a["link"].as_str().unwrap();
    assert!(link.contains(&format!("/appointments/{code}?t=")), "{link}");
    let token = link.split("?t=").nth(1).unwrap();
    // The confirmation SMS carries the code and the link.
    let sms = notify::list(app.db.db.conn(), Status::Pending, 1000)
        .await
        .unwrap()
        .into_iter()
        .chain(
            notify::list(app.db.db.conn(), Status::Delivered, 1000)
                .await
                .unwrap(),
        )
        .find(|m| m.topic == "sms.booking_confirmed")
        .unwrap();
    assert!(sms.payload["text"].as_str().unwrap().contains(code));
    // Twice for the same item: refused, naming the first.
    let res = post(
        &app,
        &me,
        "/api/v1/booking/appointments",
        json!({"site": hall, "item": item, "starts_at": at}),
    )
    .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(
        p["detail"].as_str().unwrap().contains(code),
        "the detail names the existing appointment: {p}"
    );
    // The .ics: for the holder, read back by Python's icalendar.
    let id = a["id"].as_i64().unwrap();
    let res = app
        .client
        .get(format!("{}/api/v1/booking/appointments/{id}.ics", app.base))
        .header("cookie", &me)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = res.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    if let Some(read) = icalendar_reads(&ics) {
        assert!(read.contains("EVENTS\t1"), "{read}");
        assert!(
            read.contains(&format!("DTSTART\t{}", at.format("%Y-%m-%dT%H:%M:%SZ"))),
            "{read}"
        );
        assert!(read.contains(code), "{read}");
        assert!(read.contains("STATUS\tCONFIRMED"), "{read}");
        assert!(read.contains("ALARMS\t1"), "{read}");
    }
    // Someone else: 404, with or without a wrong token.
    let other = applicant(&app, "13904110002").await;
    for (cookie, q) in [(other.as_str(), ""), ("", "?t=wrong")] {
        let res = app
            .client
            .get(format!("{}/api/v1/booking/appointments/{id}{q}", app.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    // The link's bearer cancels; the place is free again.
    let res = post(
        &app,
        "",
        &format!("/api/v1/booking/appointments/{id}/cancel?t={token}"),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["status"], "cancelled");
    let mine = app
        .client
        .get(format!("{}/api/v1/booking/appointments", app.base))
        .header("cookie", &me)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(mine[0]["status"], "cancelled");
    let res = post(
        &app,
        "",
        &format!("/api/v1/booking/appointments/{id}/cancel?t={token}"),
        json!({}),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
}

#[tokio::test]
async fn staff_book_by_phone_and_a_wrong_check_digit_is_refused_in_chinese() {
    let app = spawn_app().await;
    let (hall, item) = hall_item(&app).await;
    let admin = app.login("admin").await;
    let at = first_free_slot(&app, hall, &item).await;
    let good = id_number(7);
    let last = good.chars().last().unwrap();
    let bad_check = if last == '1' { '2' } else { '1' };
    let bad = format!("{}{bad_check}", &good[..17]);
    let res = post(
        &app,
        &admin,
        "/api/v1/booking/appointments",
        json!({"site": hall, "item": item, "starts_at": at,
               "person": {"name": "王芳", "id_number": bad, "mobile": "13812345678"}}),
    )
    .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p["detail"].as_str().unwrap().contains("校验码"), "{p}");
    // Nothing was registered or booked.
    assert!(
        booking::of_site_on(
            app.db.db.conn(),
            zhengwu_core::ids::UnitId(hall),
            at.date_naive()
        )
        .await
        .unwrap()
        .is_empty()
    );
    let res = post(
        &app,
        &admin,
        "/api/v1/booking/appointments",
        json!({"site": hall, "item": item, "starts_at": at,
               "person": {"name": "王芳", "id_number": good, "mobile": "13812345678"}}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["channel"], "phone");
    assert_eq!(a["mobile"], "138****5678");
    // A closed time and a past time, each refused with its reason.
    let night = (at.date_naive() + Duration::days(1))
        .and_hms_opt(14, 0, 0)
        .unwrap()
        .and_utc(); // 22:00 in the district
    for (t, words) in [
        (night, "不办公"),
        (Utc::now() - Duration::hours(2), "已经过去"),
    ] {
        let res = post(
            &app,
            &admin,
            "/api/v1/booking/appointments",
            json!({"site": hall, "item": item, "starts_at": t,
                   "person": {"name": "李雷", "id_number": id_number(8), "mobile": "13812345679"}}),
        )
        .await;
        let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert!(p["detail"].as_str().unwrap().contains(words), "{p}");
    }
}

#[tokio::test]
async fn an_accepted_urgent_request_checks_in_by_code_and_is_called_first() {
    let app = spawn_app().await;
    let (hall, item) = hall_item(&app).await;
    let me = applicant(&app, "13904110001").await;
    let res = post(
        &app,
        &me,
        "/api/v1/booking/urgent",
        json!({"site": hall, "item": item, "reason": "明天出差，营业执照今天必须办好"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: Value = res.json().await.unwrap();
    let admin = app.login("admin").await;
    let pending = app
        .client
        .get(format!("{}/api/v1/booking/urgent?status=pending", app.base))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 1);
    // Accepting needs a time.
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/booking/urgent/{}/decide", r["id"]),
        json!({"accept": true}),
    )
    .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/booking/urgent/{}/decide", r["id"]),
        json!({"accept": true, "at": Utc::now(), "note": "请到 A01 窗口"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let d: Value = res.json().await.unwrap();
    let appt = booking::get(app.db.db.conn(), d["appointment_id"].as_i64().unwrap())
        .await
        .unwrap();
    // Checked in by its booking code, typed in lower case with a dash.
    let typed = format!("{}-{}", &appt.code[..4], &appt.code[4..]).to_lowercase();
    let res = post(
        &app,
        &admin,
        "/api/v1/booking/check-in",
        json!({"site": hall, "code": typed}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ci: Value = res.json().await.unwrap();
    assert_eq!(ci["arrival"], "on_time");
    assert_eq!(ci["ticket"]["priority"], 30);
    let number = ci["ticket"]["number"].as_str().unwrap().to_owned();
    // Twice: refused, naming the number.
    let res = post(
        &app,
        &admin,
        "/api/v1/booking/check-in",
        json!({"site": hall, "code": appt.code}),
    )
    .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p["detail"].as_str().unwrap().contains(&number), "{p}");
    // An ID number with no appointment today, and a malformed code.
    for body in [
        json!({"site": hall, "id_number": id_number(3)}),
        json!({"site": hall, "code": "12"}),
    ] {
        let res = post(&app, &admin, "/api/v1/booking/check-in", body).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    }
    // A walk-in taken earlier is still called after the urgent matter.
    let res = post(
        &app,
        &admin,
        "/api/v1/queue/tickets",
        json!({"site": hall, "item_group": ci["ticket"]["number"].as_str().unwrap()[..1]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let counters = app
        .get_json(&format!("/api/v1/queue/counters?site={hall}"))
        .await;
    let counter = counters
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["groups"].as_array().unwrap().is_empty())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &admin,
        &format!("/api/v1/queue/counters/{counter}/open"),
        json!({}),
    )
    .await;
    let called: Value = post(
        &app,
        &admin,
        &format!("/api/v1/queue/counters/{counter}/call-next"),
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(called["number"], number);
}

#[tokio::test]
async fn a_bad_rating_by_the_ticket_link_opens_a_rectification_that_staff_close() {
    let app = spawn_app().await;
    let (hall, _) = hall_item(&app).await;
    let admin = app.login("admin").await;
    let t: Value = post(
        &app,
        &admin,
        "/api/v1/queue/tickets",
        json!({"site": hall, "item_group": "A"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = t["id"].as_i64().unwrap();
    let token = zhengwu_store::queue::ticket_token(app.db.db.conn(), id)
        .await
        .unwrap();
    let rate = |level: i64, token: &str| json!({"ticket": id, "token": token, "level": level, "reasons": ["等候太久"], "comment": "等了很久"});
    // Not finished yet.
    let res = post(&app, "", "/api/v1/ratings", rate(1, &token)).await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p["detail"].as_str().unwrap().contains("办结后"), "{p}");
    let counters = app
        .get_json(&format!("/api/v1/queue/counters?site={hall}"))
        .await;
    let counter = counters[0]["id"].as_i64().unwrap();
    post(
        &app,
        &admin,
        &format!("/api/v1/queue/counters/{counter}/open"),
        json!({}),
    )
    .await;
    post(
        &app,
        &admin,
        &format!("/api/v1/queue/counters/{counter}/call-next"),
        json!({}),
    )
    .await;
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/queue/tickets/{id}/finish"),
        json!({"outcome": "done"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // A wrong token is a 404; a level of 6 is refused.
    let res = post(&app, "", "/api/v1/ratings", rate(1, "nope")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = post(&app, "", "/api/v1/ratings", rate(6, &token)).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let res = post(&app, "", "/api/v1/ratings", rate(1, &token)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["channel"], "phone");
    assert!(r["rectification_id"].is_i64());
    let res = post(&app, "", "/api/v1/ratings", rate(5, &token)).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let list = app
        .client
        .get(format!(
            "{}/api/v1/ratings/rectifications?status=open",
            app.base
        ))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["level"], 1);
    let rid = list[0]["id"].as_i64().unwrap();
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/ratings/rectifications/{rid}/close"),
        json!({"resolution": "已约谈窗口人员，午间增开一个窗口"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Nobody signed in cannot see rectifications.
    let res = app.get("/api/v1/ratings/rectifications").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// A `zhengwu serve` process on the test's database; stopped (SIGTERM) when dropped.
struct ServerProcess {
    child: std::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    fn start(db_url: &str) -> Self {
        use std::io::{BufRead, BufReader};
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_zhengwu"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                db_url,
                "--demo-appeals",
                "0",
                "--data-dir",
            ])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no address: {line}"))
            .to_owned();
        Self {
            child,
            base,
            _dir: dir,
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// 1,000 concurrent booking requests over HTTP for one slot of capacity 10, split between two
/// `zhengwu serve` processes on one database (PostgreSQL, or one SQLite file): exactly 10 are
/// booked, the rest are told the slot is full.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_bookings_on_two_server_processes_book_exactly_the_capacity() {
    let app = spawn_app().await;
    let (hall, item) = hall_item(&app).await;
    set_capacity(&app, hall, &item, 10).await;
    let at = first_free_slot(&app, hall, &item).await;
    let admin = app.login("admin").await;
    let servers = [
        ServerProcess::start(&app.db.url),
        ServerProcess::start(&app.db.url),
    ];
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let base = servers[i % 2].base.clone();
        let client = app.client.clone();
        let admin = admin.clone();
        let item = item.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{base}/api/v1/booking/appointments"))
                .header("cookie", admin)
                .json(&json!({"site": hall, "item": item, "starts_at": at,
                              "person": {"name": format!("市民{i}"), "id_number": id_number(i), "mobile": format!("137{:08}", i)}}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = [0, 0];
    for (i, t) in tasks.into_iter().enumerate() {
        let s = t.await.unwrap();
        if s == StatusCode::CREATED {
            created[i % 2] += 1;
        } else {
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
    assert_eq!(
        created[0] + created[1],
        10,
        "booked by each process: {created:?}"
    );
    let booked = booking::of_site_on(
        app.db.db.conn(),
        zhengwu_core::ids::UnitId(hall),
        at.with_timezone(&zhengwu_core::calendar::district_offset())
            .date_naive(),
    )
    .await
    .unwrap();
    assert_eq!(booked.len(), 10);
    drop(servers);
}

#[tokio::test]
async fn administrators_set_a_groups_booking_rule_and_bad_values_are_refused() {
    let app = spawn_app().await;
    let (hall, _) = hall_item(&app).await;
    let rules = app
        .get_json(&format!("/api/v1/booking/rules?site={hall}"))
        .await;
    assert!(
        rules
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["group_code"] == "A")
    );
    let admin = app.login("admin").await;
    let clerk = app.login("clerk.a01").await;
    let put = |cookie: String, group: &'static str, body: Value| {
        let app = &app;
        async move {
            app.client
                .put(format!("{}/api/v1/booking/rules/{hall}/{group}", app.base))
                .header("cookie", cookie)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let rule = json!({"slot_minutes": 20, "capacity": 3, "horizon_days": 7, "min_notice_minutes": 30,
                      "cancel_cutoff_minutes": 60, "early_minutes": 20, "late_minutes": 10});
    assert_eq!(
        put(clerk, "A", rule.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    let res = put(admin.clone(), "A", rule.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.unwrap();
    assert_eq!(
        (r["slot_minutes"].as_i64(), r["capacity"].as_i64()),
        (Some(20), Some(3))
    );
    let a = app
        .get_json(&format!("/api/v1/booking/availability?site={hall}&group=A"))
        .await;
    assert_eq!(a["rule"]["late_minutes"], 10);
    let mut bad = rule.clone();
    bad["capacity"] = json!(0);
    let p = assert_problem(
        put(admin.clone(), "A", bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_eq!(p["field"], "capacity");
    assert_problem(
        put(admin, "Q", rule).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
}

#[tokio::test]
async fn the_phone_reporting_arrival_checks_in_only_within_the_geofence() {
    let app = spawn_app().await;
    let (hall, item) = hall_item(&app).await;
    let me = applicant(&app, "13904110001").await;
    let r: Value = post(
        &app,
        &me,
        "/api/v1/booking/urgent",
        json!({"site": hall, "item": item, "reason": "证件今天到期，必须今天办"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let admin = app.login("admin").await;
    let d: Value = post(
        &app,
        &admin,
        &format!("/api/v1/booking/urgent/{}/decide", r["id"]),
        json!({"accept": true, "at": Utc::now()}),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = d["appointment_id"].as_i64().unwrap();
    // The hall has no coordinates of its own; its center's count.
    let hall_unit = org::get_unit(app.db.db.conn(), zhengwu_core::ids::UnitId(hall))
        .await
        .unwrap();
    let center = org::get_unit(app.db.db.conn(), hall_unit.parent_id.unwrap())
        .await
        .unwrap()
        .location
        .unwrap();
    let arrive = |lat: f64, lng: f64, cookie: String| {
        let app = &app;
        async move {
            post(
                app,
                &cookie,
                &format!("/api/v1/booking/appointments/{id}/arrive"),
                json!({"lat": lat, "lng": lng}),
            )
            .await
        }
    };
    // Someone else's phone: 404.
    let other = applicant(&app, "13904110002").await;
    assert_eq!(
        arrive(center.lat, center.lon, other).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = arrive(center.lat + 0.02, center.lon, me.clone()).await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    assert!(p["detail"].as_str().unwrap().contains("米"), "{p}");
    let res = arrive(91.0, center.lon, me.clone()).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let res = arrive(center.lat + 0.001, center.lon, me).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ci: Value = res.json().await.unwrap();
    assert_eq!(ci["appointment"]["status"], "checked_in");
}

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

/// Every free slot within two weeks, from the public availability.
async fn free_slots(app: &TestApp, site: i64, item: &str) -> Vec<DateTime<Utc>> {
    let today = Utc::now().date_naive();
    let a = app
        .get_json(&format!(
            "/api/v1/booking/availability?site={site}&item={item}&from={}&to={}",
            today,
            today + Duration::days(13)
        ))
        .await;
    a["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["slots"].as_array().unwrap().iter())
        .filter(|s| s["available"].as_i64().unwrap() > 0)
        .map(|s| s["starts_at"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// The latest sign-in code the outbox holds.
async fn last_sign_in_code(app: &TestApp) -> String {
    let mut all = notify::list(app.db.db.conn(), Status::Pending, 1000)
        .await
        .unwrap();
    all.extend(
        notify::list(app.db.db.conn(), Status::Delivered, 1000)
            .await
            .unwrap(),
    );
    all.sort_by_key(|m| m.id);
    all.iter()
        .rev()
        .find(|m| m.topic == "sms.sign_in_code")
        .unwrap()
        .payload["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A page's answer as the kiosk's browser sees it.
struct Seen {
    status: StatusCode,
    location: Option<String>,
    html: String,
}

impl Seen {
    /// The `href`s of the page that start with `prefix` (the HTML's `&amp;` and `&#38;` read as
    /// `&`).
    fn links(&self, prefix: &str) -> Vec<String> {
        self.html
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(|h| h.replace("&amp;", "&").replace("&#38;", "&"))
            .filter(|h| h.starts_with(prefix))
            .collect()
    }

    /// The value of the (first) input named `name`.
    fn input(&self, name: &str) -> String {
        let after = self
            .html
            .split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .unwrap_or_else(|| panic!("no input {name}: {}", self.html));
        after.split('"').next().unwrap().to_owned()
    }
}

/// The kiosk's browser: keeps its cookies (the CSRF token's, the applicant's) as a browser
/// would, and posts forms with the CSRF token.
struct Terminal<'a> {
    app: &'a TestApp,
    cookies: std::collections::BTreeMap<String, String>,
    lang: &'static str,
}

impl<'a> Terminal<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: Default::default(),
            lang: "zh-CN",
        }
    }

    /// Signed in already (an applicant's cookie `zw_applicant=…`).
    fn with(app: &'a TestApp, cookie: &str) -> Self {
        let mut t = Self::new(app);
        let (k, v) = cookie.split_once('=').unwrap();
        t.cookies.insert(k.to_owned(), v.to_owned());
        t
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn seen(&mut self, res: reqwest::Response) -> Seen {
        for c in res.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (k, v) = c.split(';').next().unwrap().split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        Seen {
            status: res.status(),
            location: res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            html: res.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Seen {
        let res = self
            .app
            .client
            .get(format!("{}{path}", self.app.base))
            .header("cookie", self.cookie_header())
            .header("accept-language", self.lang)
            .send()
            .await
            .unwrap();
        self.seen(res).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Seen {
        if !self.cookies.contains_key("zw_csrf") {
            self.get("/kiosk/book").await;
        }
        let token = self.cookies["zw_csrf"].clone();
        let mut body = vec![("csrf", token.as_str())];
        body.extend_from_slice(form);
        let res = self
            .app
            .client
            .post(format!("{}{path}", self.app.base))
            .header("cookie", self.cookie_header())
            .header("accept-language", self.lang)
            .form(&body)
            .send()
            .await
            .unwrap();
        self.seen(res).await
    }
}

/// How many big choices a kiosk screen offers.
fn choices(html: &str) -> usize {
    html.matches("kiosk-choice\"").count()
}

#[tokio::test]
async fn a_resident_books_at_the_kiosk_signed_in_on_the_terminal_and_signed_out_at_once() {
    let app = spawn_app().await;
    let (hall, item) = hall_item(&app).await;
    const MOBILE: &str = "13804110003"; // 张伟
    let mut k = Terminal::new(&app);
    // The kiosk's home and the item's kiosk page lead to the booking.
    let home = k.get("/kiosk").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.html.contains("href=\"/kiosk/book\">预约办事</a>"));
    assert!(choices(&home.html) <= 6, "six choices at most on the home");
    let start = format!("/kiosk/book?item={item}");
    let item_page = k.get(&format!("/kiosk/items/{item}")).await;
    assert_eq!(
        item_page.links(&start),
        std::slice::from_ref(&start),
        "在自助终端预约"
    );
    assert!(item_page.html.contains("在自助终端预约"));

    // Signed out: the sign-in step, on the terminal.
    let page = k.get(&start).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("class=\"face-kiosk\""));
    assert!(page.html.contains("action=\"/kiosk/book/code\""));
    assert!(page.html.contains("登录后选择办事地点和时间"));
    // A mobile that is not one: refused in place, what was typed kept.
    let bad = k
        .post("/kiosk/book/code", &[("item", &item), ("mobile", "12345")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("role=\"alert\""), "{}", bad.html);
    assert!(bad.html.contains("value=\"12345\""));
    // The mobile, then the code (a wrong one first).
    let sent = k
        .post("/kiosk/book/code", &[("item", &item), ("mobile", MOBILE)])
        .await;
    assert_eq!(sent.status, StatusCode::OK);
    assert!(sent.html.contains("验证码已发送至 138****0003"));
    assert!(sent.html.contains("action=\"/kiosk/book/verify\""));
    let code = last_sign_in_code(&app).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = k
        .post(
            "/kiosk/book/verify",
            &[("item", &item), ("mobile", MOBILE), ("code", wrong)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.html.contains("验证码不正确"), "{}", refused.html);
    assert!(!k.cookies.contains_key("zw_applicant"));
    let verified = k
        .post(
            "/kiosk/book/verify",
            &[("item", &item), ("mobile", MOBILE), ("code", &code)],
        )
        .await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER);
    assert_eq!(verified.location.as_deref(), Some(start.as_str()));
    let session = k.cookies["zw_applicant"].clone();

    // The place, the day, the time: one screen each, at most six choices.
    let page = k.get(&start).await;
    assert!(
        page.html.contains("当前登录：张伟（138****0003）"),
        "{}",
        page.html
    );
    assert!(page.html.contains("id=\"kiosk-signout\""), "home signs out");
    assert!(page.html.contains("请选择办事地点"));
    assert!(
        choices(&page.html) <= 6,
        "six choices at most on the places"
    );
    let site_link = format!("{start}&site={hall}");
    assert!(page.links(&site_link).contains(&site_link), "{}", page.html);
    let days = k.get(&site_link).await;
    assert_eq!(days.status, StatusCode::OK);
    assert!(days.html.contains("请选择日期"));
    assert!(choices(&days.html) <= 6);
    let day_links = days.links(&format!("{site_link}&day="));
    assert!(!day_links.is_empty(), "{}", days.html);
    let slots = k.get(&day_links[0]).await;
    assert!(slots.html.contains("请选择时段"));
    assert!(choices(&slots.html) <= 6);
    let slot_links = slots.links(&format!("{}&at=", day_links[0]));
    assert!(!slot_links.is_empty(), "{}", slots.html);
    let confirm = k.get(&slot_links[0]).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.html.contains("请确认预约信息"));
    assert!(confirm.html.contains("公共服务综合业务大厅"));
    let starts_at = confirm.input("starts_at");
    assert_eq!(confirm.input("site"), hall.to_string());

    // Confirmed: the code large with the time and the place, and signed out at once.
    let done = k
        .post(
            "/kiosk/book",
            &[
                ("item", &item),
                ("site", &hall.to_string()),
                ("starts_at", &starts_at),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("预约成功"));
    let code = done
        .html
        .split("id=\"booking-code\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 8, "{code}");
    assert!(done.html.contains("公共服务综合业务大厅"));
    assert!(done.html.contains("您已退出登录"));
    assert!(
        !k.cookies.contains_key("zw_applicant"),
        "the applicant's cookie is cleared"
    );
    // Stored: by the kiosk, for 张伟, at the time confirmed.
    let (a, _) = booking::by_code(app.db.db.conn(), &code).await.unwrap();
    assert_eq!(a.channel, "kiosk");
    assert_eq!(a.status, "booked");
    assert_eq!((a.site_id, a.item_code.as_str()), (hall, item.as_str()));
    assert_eq!(a.starts_at, starts_at.parse::<DateTime<Utc>>().unwrap());
    assert_eq!(a.mobile, "138****0003");
    assert!(done.html.contains(&booking::fmt_local(a.starts_at)));

    // The session is closed in the store too: its old cookie opens nothing, and posting again
    // leads to the sign-in step.
    let mut again = Terminal::with(&app, &format!("zw_applicant={session}"));
    let page = again.get(&start).await;
    assert!(page.html.contains("action=\"/kiosk/book/code\""));
    assert!(!page.html.contains("当前登录"));
    let twice = again
        .post(
            "/kiosk/book",
            &[
                ("item", &item),
                ("site", &hall.to_string()),
                ("starts_at", &starts_at),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::SEE_OTHER);
    assert_eq!(twice.location.as_deref(), Some(start.as_str()));

    // In English.
    let mut en = Terminal::new(&app);
    en.lang = "en";
    let page = en.get(&start).await;
    assert!(page.html.contains("Book at the kiosk"));
    assert!(page.html.contains("First, who you are"));
    let home = en.get("/kiosk").await;
    assert!(home.html.contains("Book an appointment"));
    app.stop().await;
}

/// The demo citizen `name` booked a slot of a past working day (booked the day before it,
/// through the store) and did not come: marked a no-show.
async fn missed_an_appointment(app: &TestApp, hall: i64, item: &str, name: &str) {
    let db = &app.db.db;
    let unit = org::get_unit(db.conn(), zhengwu_core::ids::UnitId(hall))
        .await
        .unwrap();
    let item = catalog::published_item(db.conn(), item).await.unwrap();
    let cal = zhengwu_store::calendar::load(db.conn()).await.unwrap();
    let group = booking::group_for_item(db.conn(), &unit, &item)
        .await
        .unwrap();
    let rule = booking::rule_of(db.conn(), &group).await.unwrap();
    let citizen = zhengwu_store::applicants::list_citizens(db.conn(), 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap();
    for back in 1..15 {
        let then = Utc::now() - Duration::days(back + 1);
        let day = (Utc::now() - Duration::days(back)).date_naive();
        let days = booking::availability(db.conn(), &rule, &cal, day, day, then)
            .await
            .unwrap();
        let Some(slot) = days.first().and_then(|d| d.slots.first()) else {
            continue;
        };
        let tx = db.begin_write().await.unwrap();
        booking::book(
            &tx,
            booking::NewAppointment {
                citizen_id: citizen.id,
                site: unit.id,
                item_code: item.code.clone(),
                starts_at: slot.starts_at,
                mobile: None,
                channel: "web".into(),
            },
            &item,
            &cal,
            &zhengwu_core::booking::NoShowRule::default(),
            then,
            &Actor::system("test"),
            &booking::Notices {
                sink: "log",
                base_url: "http://zw.test",
            },
        )
        .await
        .unwrap();
        assert_eq!(booking::mark_no_shows(&tx, Utc::now()).await.unwrap(), 1);
        tx.commit().await.unwrap();
        return;
    }
    panic!("no working day in the last two weeks");
}

#[tokio::test]
async fn kiosk_booking_refusals_show_in_place_in_the_users_language_with_the_choice_kept() {
    let db = zhengwu_store::testing::fresh_unmigrated().await;
    let mut config = crate::helpers::test_config(&db.url);
    // One no-show blocks booking, so that the test needs one only.
    config.booking.no_show.limit = 1;
    let app = crate::helpers::spawn_with(db, config).await;
    let (hall, item) = hall_item(&app).await;
    set_capacity(&app, hall, &item, 1).await;
    let site = hall.to_string();
    let book = |t: DateTime<Utc>| json!({"site": hall, "item": item, "starts_at": t});

    // 张伟 missed an appointment of a past day: blocked.
    missed_an_appointment(&app, hall, &item, "张伟").await;
    let missed = applicant(&app, "13804110003").await;
    let slots = free_slots(&app, hall, &item).await;
    let mut k = Terminal::with(&app, &missed);
    let s = slots[1].to_rfc3339();
    let blocked = k
        .post(
            "/kiosk/book",
            &[("item", &item), ("site", &site), ("starts_at", &s)],
        )
        .await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blocked.html.contains("近期多次预约未到"),
        "{}",
        blocked.html
    );
    assert!(
        blocked.html.contains("请确认预约信息"),
        "the choice is kept"
    );
    assert_eq!(blocked.input("starts_at"), s);

    // 王建国 holds the only place of a slot.
    let first = applicant(&app, "13904110001").await;
    let slots = free_slots(&app, hall, &item).await;
    let full = slots[0];
    let res = post(&app, &first, "/api/v1/booking/appointments", book(full)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let held: Value = res.json().await.unwrap();
    // … so he cannot book the item again at the kiosk: one active appointment per item.
    let mut k = Terminal::with(&app, &first);
    let s = slots[1].to_rfc3339();
    let twice = k
        .post(
            "/kiosk/book",
            &[("item", &item), ("site", &site), ("starts_at", &s)],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice.html.contains(&format!(
            "您已预约过这个事项（预约码 {}）",
            held["code"].as_str().unwrap()
        )),
        "{}",
        twice.html
    );
    assert!(twice.html.contains("当前登录：王建国"), "still signed in");

    // 李秀英 chooses the slot he holds: full; the times of that day again, without it.
    let second = applicant(&app, "13904110002").await;
    let mut k = Terminal::with(&app, &second);
    let s = full.to_rfc3339();
    let refused = k
        .post(
            "/kiosk/book",
            &[("item", &item), ("site", &site), ("starts_at", &s)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("这个时段已约满，请选择其他时段"),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("请选择时段"), "the day's times again");
    assert!(
        refused
            .links("/kiosk/book?")
            .iter()
            .all(|l| !l.contains(&format!("at={}", s.replace(':', "%3A").replace('+', "%2B")))),
        "the full slot is not offered"
    );
    // Not a time at all: refused in place too.
    let bad = k
        .post(
            "/kiosk/book",
            &[("item", &item), ("site", &site), ("starts_at", "明天上午")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("必须填写"), "{}", bad.html);
    assert!(bad.html.contains("class=\"face-kiosk\""));
    // In English, the same refusal in English.
    k.lang = "en";
    let refused = k
        .post(
            "/kiosk/book",
            &[("item", &item), ("site", &site), ("starts_at", &s)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("this slot is fully booked"),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("Choose a time"));
    // Nothing was booked by the refusals.
    let (a, _) = booking::by_code(app.db.db.conn(), held["code"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(a.status, "booked");
    app.stop().await;
}

//! The `zhengwu` binary's sub-commands, run as a user would run them.

use std::process::{Command, Output};

use zhengwu_store::testing;

fn zhengwu(args: &[&str], db_url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhengwu"))
        .args(args)
        .args(["--database-url", db_url])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn migrate_demo_reset_and_calendar_edits_from_the_command_line() {
    let t = testing::fresh_unmigrated().await;
    let url = t.url.clone();
    let run = move |args: &'static [&'static str]| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || zhengwu(args, &url))
                .await
                .unwrap()
        }
    };
    let o = run(&["migrate"]).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["demo"]).await;
    assert!(o.status.success());
    let out = stdout(&o);
    let json_part = out.split("demo accounts:").next().unwrap();
    let summary: serde_json::Value = serde_json::from_str(json_part).unwrap();
    assert!(out.contains("demo password (shown once"), "{out}");
    assert_eq!(summary["stations"], 46);
    // A second load is refused with a message that says what to do.
    let o = run(&["demo"]).await;
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--reset"));
    let o = run(&["demo", "--reset"]).await;
    assert!(o.status.success());
    let o = run(&["calendar", "set", "2027-01-01", "off", "元旦"]).await;
    assert!(o.status.success());
    let o = run(&["calendar", "show", "2027"]).await;
    assert_eq!(stdout(&o).trim(), "2027-01-01 off 元旦");
    let o = run(&["calendar", "clear", "2027-01-01"]).await;
    assert!(stdout(&o).contains("cleared"));
    let o = run(&["calendar", "set", "2027-13-01", "off", "元旦"]).await;
    assert!(!o.status.success(), "an impossible date is refused");
}

#[test]
fn the_openapi_command_prints_the_document() {
    let o = Command::new(env!("CARGO_BIN_EXE_zhengwu"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(o.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}

#[test]
fn the_rules_commands_check_and_test_the_demo_policy() {
    let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/gaoxin20.rules");
    for sub in ["check", "test"] {
        let o = Command::new(env!("CARGO_BIN_EXE_zhengwu"))
            .args(["rules", sub, policy])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "rules {sub}: {}{}",
            stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = Command::new(env!("CARGO_BIN_EXE_zhengwu"))
        .args(["rules", "check", "/nonexistent/policy.rules"])
        .output()
        .unwrap();
    assert!(!o.status.success());
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zhengwu"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-demo",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "zhengwu exited with {status} on SIGTERM");
}

#[tokio::test]
async fn users_tokens_and_audit_verify_from_the_command_line() {
    let t = testing::fresh_unmigrated().await;
    let url = t.url.clone();
    let run = move |args: Vec<&'static str>, env: Option<(&'static str, &'static str)>| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut c = Command::new(env!("CARGO_BIN_EXE_zhengwu"));
                c.args(&args)
                    .args(["--database-url", &url])
                    .env("RUST_LOG", "warn");
                if let Some((k, v)) = env {
                    c.env(k, v);
                }
                c.output().unwrap()
            })
            .await
            .unwrap()
        }
    };
    let demo_pw = Some(("ZHENGWU_DEMO_PASSWORD", "a-chosen-demo-password"));
    let o = run(vec!["demo"], demo_pw).await;
    assert!(o.status.success());
    assert!(
        !stdout(&o).contains("a-chosen-demo-password"),
        "a chosen password is not echoed"
    );
    let o = run(
        vec![
            "user",
            "add",
            "zhang.wei",
            "--name",
            "张伟",
            "--role",
            "dept_reviewer@SPJ",
            "--role",
            "unit_handler@LS",
        ],
        None,
    )
    .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("password (shown once): "));
    let o = run(
        vec![
            "user",
            "add",
            "li.na",
            "--name",
            "李娜",
            "--role",
            "station_staff@SPJ",
        ],
        None,
    )
    .await;
    assert!(
        !o.status.success(),
        "a station role cannot be scoped to a department"
    );
    let o = run(
        vec!["user", "add", "li.na", "--name", "李娜", "--role", "king"],
        None,
    )
    .await;
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown role"));
    let o = run(vec!["user", "list"], None).await;
    assert!(stdout(&o).contains("zhang.wei\t张伟\tactive\tdept_reviewer@"));
    assert!(
        run(vec!["user", "disable", "zhang.wei"], None)
            .await
            .status
            .success()
    );
    let o = run(vec!["user", "list"], None).await;
    assert!(stdout(&o).contains("zhang.wei\t张伟\tdisabled"));
    let o = run(
        vec!["user", "reset-password", "zhang.wei"],
        Some(("ZHENGWU_NEW_PASSWORD", "another-long-password")),
    )
    .await;
    assert!(o.status.success() && !stdout(&o).contains("shown once"));
    let o = run(
        vec!["token", "add", "--name", "对接", "--role", "supervisor"],
        None,
    )
    .await;
    assert!(o.status.success());
    assert!(stdout(&o).trim().starts_with("zwt_"));
    let o = run(vec!["audit", "verify"], None).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("audit trail intact"));
    // Tamper with one entry: verify names it and fails.
    use zhengwu_store::ConnectionTrait;
    t.db.conn()
        .execute_unprepared("UPDATE audit_log SET actor_label = 'mallory' WHERE seq = 3")
        .await
        .unwrap();
    let o = run(vec!["audit", "verify"], None).await;
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("entry 3"));
}

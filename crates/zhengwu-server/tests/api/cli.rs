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

//! The functions behind `zhengwu rules check|test|eval`: what they print and whether they succeed.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// tests: a failed unwrap is a failed test

// Money is written grouped by 万 (10⁴): 500_0000_00 fen = 500万元.
#![allow(clippy::inconsistent_digit_grouping)]

use std::path::{Path, PathBuf};

use zhengwu_rules::cli;

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies/gaoxin20.rules")
}

/// A fresh directory for files a test writes.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zhengwu-rules-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn check_accepts_the_demo_policy() {
    let out = cli::check(&demo());
    assert!(out.success, "{}", out.stderr);
    assert!(out.stdout.contains("20 个条款"), "{}", out.stdout);
}

#[test]
fn check_fails_with_file_line_column_errors() {
    let dir = scratch("check");
    let p = write(
        &dir,
        "bad.rules",
        "输入 a: 金额\n条款 x {\n  条件 c: a > 5\n  金额 b\n}\n",
    );
    let out = cli::check(&p);
    assert!(!out.success);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(lines[0].ends_with("bad.rules:3:9: error: 不能用 '>' 比较 金额 与 数(金额只能与金额比较:请写单位,例如 0元、100万元)"), "{}", lines[0]);
    assert!(
        lines[1].contains("bad.rules:4:6: error: 未知名称 'b'"),
        "{}",
        lines[1]
    );
    let missing = cli::check(&dir.join("nope.rules"));
    assert!(!missing.success && missing.stderr.contains("无法读取"));
}

#[test]
fn test_runs_the_yaml_cases_beside_the_policy() {
    let out = cli::test(&demo());
    assert!(out.success, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.trim_end().ends_with("passed, 0 failed"),
        "{}",
        out.stdout
    );
}

#[test]
fn test_fails_when_a_case_does_not_hold_and_says_why() {
    let dir = scratch("test");
    let p = write(
        &dir,
        "p.rules",
        "输入 a: 金额\n条款 x { 条件 c: a > 0元\n 金额 a * 10% }\n",
    );
    write(
        &dir,
        "p.cases.yaml",
        "date: 2024-01-01\ncases:\n  - name: right\n    input: { a: 100元 }\n    expect: { x: { eligible: yes, amount: 10元 } }\n  - name: wrong\n    input: { a: 100元 }\n    expect: { x: { eligible: yes, amount: 11元 } }\n",
    );
    let out = cli::test(&p);
    assert!(!out.success);
    assert!(out.stdout.contains("ok      right"));
    assert!(out.stdout.contains("FAILED  wrong"));
    assert!(out.stdout.contains("金额应为 11元"), "{}", out.stdout);
    assert!(out.stdout.trim_end().ends_with("1 passed, 1 failed"));
    // A malformed YAML file is an error, not a panic.
    write(&dir, "p.cases.yaml", "cases: [ {name: x, input: 3 ");
    let out = cli::test(&p);
    assert!(
        !out.success && out.stderr.contains("测试用例文件无效"),
        "{}",
        out.stderr
    );
}

#[test]
fn eval_prints_eligibility_amounts_and_missing_inputs_as_json() {
    let input = r#"{"注册地在高新区": true, "失信企业": false, "行业": "集成电路", "规模": "小型", "营业收入": "1000万元", "研发投入": 1000000}"#;
    let out = cli::eval(&demo(), input, "2024-06-30", false);
    assert!(out.success, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let first = &v["clauses"][0];
    assert_eq!(first["clause"], "研发投入补助");
    assert_eq!(first["eligible"], "yes");
    assert_eq!(first["amount_fen"], 15_000_000);
    assert_eq!(first["exception"], "小微企业提高比例");
    let second = &v["clauses"][1];
    assert_eq!(second["eligible"], "unknown");
    assert_eq!(
        second["missing_inputs"],
        serde_json::json!(["上年研发投入"])
    );
    assert_eq!(v["total_amount"], "15万元");
}

#[test]
fn eval_with_trace_explains_conditions_parameters_and_exceptions() {
    let input = r#"{"注册地在高新区": true, "失信企业": false, "行业": "集成电路", "规模": "中型", "营业收入": "1000万元", "研发投入": "100万元"}"#;
    let out = cli::eval(&demo(), input, "2024-06-30", true);
    assert!(out.success, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let c = &v["clauses"][0];
    assert_eq!(c["amount"], "12万元");
    assert_eq!(c["conditions"][2]["name"], "研发强度达标");
    assert_eq!(c["conditions"][2]["holds"], true);
    assert_eq!(
        c["conditions"][2]["params"][0]["effective_from"],
        "2021-01-01"
    );
    assert_eq!(c["amount_formula"]["params"][0]["name"], "研发补助比例");
    assert_eq!(c["amount_formula"]["params"][0]["value"], "12%");
    assert_eq!(
        c["amount_formula"]["params"][0]["effective_from"],
        "2024-01-01"
    );
    let text = v["explanation"].as_str().unwrap();
    assert!(text.contains("【研发投入补助】"), "{text}");
    assert!(text.contains("结论:符合,可享受 12万元。"), "{text}");
    assert!(
        text.contains("参数 研发补助比例 = 12%(自 2024-01-01 起施行)"),
        "{text}"
    );
}

#[test]
fn eval_refuses_bad_dates_json_and_values() {
    assert!(!cli::eval(&demo(), "{}", "2024-13-01", false).success);
    let out = cli::eval(&demo(), "{not json", "2024-06-30", false);
    assert!(!out.success && out.stderr.contains("JSON"));
    let out = cli::eval(&demo(), r#"{"行业": "造船"}"#, "2024-06-30", false);
    assert!(
        !out.success && out.stderr.contains("行业"),
        "{}",
        out.stderr
    );
    assert!(!cli::eval(&demo(), "[1]", "2024-06-30", false).success);
}

#[test]
fn eval_reports_a_conflict_as_a_failure() {
    let dir = scratch("conflict");
    let p = write(
        &dir,
        "c.rules",
        "输入 a: 数\n条款 x { 金额 1元\n 例外 甲 当 a > 1 { 金额 2元 }\n 例外 乙 当 a > 2 { 金额 3元 } }\n",
    );
    let out = cli::eval(&p, r#"{"a": 5}"#, "2024-01-01", false);
    assert!(!out.success);
    assert!(out.stdout.contains("\"conflict\""), "{}", out.stdout);
    assert!(out.stderr.contains("conflict"));
    assert!(cli::eval(&p, r#"{"a": 2}"#, "2024-01-01", false).success);
}

#[test]
fn eval_reads_the_input_from_a_file_with_an_at_sign() {
    let dir = scratch("at");
    let input = write(&dir, "e.json", r#"{"专精特新级别": "国家级"}"#);
    let out = cli::eval(
        &demo(),
        &format!("@{}", input.display()),
        "2024-06-30",
        false,
    );
    assert!(out.success, "{}", out.stderr);
    assert!(
        out.stdout.contains("\"total_amount\": \"100万元\""),
        "{}",
        out.stdout
    );
    assert!(!cli::eval(&demo(), "@/nonexistent/x.json", "2024-06-30", false).success);
}

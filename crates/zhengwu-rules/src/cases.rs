//! YAML test cases kept beside a policy: inputs → expected eligibility and amount (with a
//! tolerance where rounding applies), failed conditions, missing inputs, the exception applied.
//!
//! ```yaml
//! date: 2024-06-30            # default evaluation date
//! cases:
//!   - name: 软件企业研发投入 300 万元
//!     input: { 营业收入: 5000万元, 研发投入: 300万元, 行业: 软件和信息技术服务 }
//!     expect:
//!       研发投入补助: { eligible: yes, amount: 30万元, tolerance: 1元 }
//!       上市奖励: { eligible: unknown, missing: [上市日期] }
//!       人才住房补贴: { eligible: no, failed: [人才层次符合] }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::compile::Program;
use crate::data::Dataset;
use crate::eval::Eligibility;
use crate::lexer::{NumLit, Tok, parse_literal};
use crate::trace::{Outcome, outcome};
use crate::value::{format_money, parse_date};

/// A file of test cases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// Default evaluation date for the cases (`YYYY-MM-DD`).
    #[serde(default)]
    pub date: Option<String>,
    /// The cases.
    pub cases: Vec<Case>,
}

/// One case: an enterprise and what the policy must say about it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows.
    pub name: String,
    /// Evaluation date; defaults to the file's.
    #[serde(default)]
    pub date: Option<String>,
    /// The enterprise's data (missing keys are unknown).
    #[serde(default)]
    pub input: serde_json::Map<String, Json>,
    /// Expectations by clause name.
    #[serde(default)]
    pub expect: BTreeMap<String, Expect>,
    /// Expected total over eligible clauses.
    #[serde(default)]
    pub total: Option<Json>,
}

/// What one clause must say.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `yes` / `no` / `unknown` / `conflict` (or 是 / 否 / 未知 / 冲突, or true / false).
    pub eligible: Json,
    /// Expected amount (`30万元`, or a number of yuan).
    #[serde(default)]
    pub amount: Option<Json>,
    /// Allowed difference (`1元`); default exact.
    #[serde(default)]
    pub tolerance: Option<Json>,
    /// Exactly these conditions are false.
    #[serde(default)]
    pub failed: Option<Vec<String>>,
    /// These inputs are reported missing (exactly).
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    /// This exception applied (`无` / `none` for none).
    #[serde(default)]
    pub exception: Option<String>,
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Whether every expectation held.
    pub passed: bool,
    /// What did not hold.
    pub failures: Vec<String>,
}

fn money_of(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => match parse_literal(&format!("{n}元")) {
            Some(Tok::Num(NumLit::Money(f))) => Some(f),
            _ => None,
        },
        Json::String(s) => match parse_literal(s) {
            Some(Tok::Num(NumLit::Money(f))) => Some(f),
            Some(Tok::Num(NumLit::Number(0))) => Some(0),
            _ => None,
        },
        _ => None,
    }
}

fn eligibility_of(v: &Json) -> Option<Eligibility> {
    match v {
        Json::Bool(true) => Some(Eligibility::Yes),
        Json::Bool(false) => Some(Eligibility::No),
        Json::String(s) => match s.as_str() {
            "yes" | "是" | "符合" | "true" => Some(Eligibility::Yes),
            "no" | "否" | "不符合" | "false" => Some(Eligibility::No),
            "unknown" | "未知" | "无法判定" => Some(Eligibility::Unknown),
            "conflict" | "冲突" => Some(Eligibility::Conflict),
            _ => None,
        },
        _ => None,
    }
}

/// Parses a YAML case file.
pub fn parse_cases(yaml: &str) -> Result<CaseFile, String> {
    serde_saphyr::from_str::<CaseFile>(yaml).map_err(|e| format!("测试用例文件无效: {e}"))
}

/// Runs every case of `file` against `prog`.
pub fn run_cases(prog: &Program, file: &CaseFile) -> Vec<CaseResult> {
    file.cases.iter().map(|c| run_case(prog, file, c)).collect()
}

fn run_case(prog: &Program, file: &CaseFile, case: &Case) -> CaseResult {
    let mut failures = Vec::new();
    let date = match case
        .date
        .as_ref()
        .or(file.date.as_ref())
        .map(|d| parse_date(d))
    {
        Some(Some(d)) => d,
        Some(None) => {
            failures.push("日期无效(应为 YYYY-MM-DD)".to_string());
            return CaseResult {
                name: case.name.clone(),
                passed: false,
                failures,
            };
        }
        None => {
            failures.push("没有评估日期(date)".to_string());
            return CaseResult {
                name: case.name.clone(),
                passed: false,
                failures,
            };
        }
    };
    let data = match Dataset::from_json(prog, &[Json::Object(case.input.clone())]) {
        Ok(d) => d,
        Err(e) => {
            failures.push(format!("输入无效: {e}"));
            return CaseResult {
                name: case.name.clone(),
                passed: false,
                failures,
            };
        }
    };
    let results = prog.evaluate(&data, date);
    let outcomes: Vec<Outcome> = results
        .iter()
        .enumerate()
        .map(|(ci, cols)| outcome(prog, &data, ci, cols, 0, 0))
        .collect();
    for (clause, exp) in &case.expect {
        let Some(o) = outcomes.iter().find(|o| &o.clause == clause) else {
            failures.push(format!("没有名为 '{clause}' 的条款"));
            continue;
        };
        check_expect(clause, exp, o, &mut failures);
    }
    if let Some(t) = &case.total {
        match money_of(t) {
            Some(want) => {
                let got: i64 = outcomes
                    .iter()
                    .filter(|o| o.eligible == Eligibility::Yes)
                    .filter_map(|o| o.amount_fen)
                    .sum();
                if got != want {
                    failures.push(format!(
                        "合计金额应为 {},实为 {}",
                        format_money(want),
                        format_money(got)
                    ));
                }
            }
            None => failures.push(format!("total 不是金额: {t}")),
        }
    }
    CaseResult {
        name: case.name.clone(),
        passed: failures.is_empty(),
        failures,
    }
}

fn check_expect(clause: &str, exp: &Expect, o: &Outcome, failures: &mut Vec<String>) {
    match eligibility_of(&exp.eligible) {
        Some(e) if e == o.eligible => {}
        Some(e) => failures.push(format!(
            "{clause}: 应为 {},实为 {}(未满足:{:?};缺少:{:?})",
            e.zh(),
            o.eligible.zh(),
            o.failed,
            o.missing_inputs
        )),
        None => failures.push(format!(
            "{clause}: eligible 应为 yes/no/unknown/conflict,实为 {}",
            exp.eligible
        )),
    }
    if let Some(a) = &exp.amount {
        let tol = match &exp.tolerance {
            None => Some(0),
            Some(t) => money_of(t),
        };
        match (money_of(a), tol) {
            (Some(want), Some(tol)) => match o.amount_fen {
                Some(got) if (got - want).abs() <= tol.abs() => {}
                Some(got) => failures.push(format!(
                    "{clause}: 金额应为 {}(容差 {}),实为 {}",
                    format_money(want),
                    format_money(tol),
                    format_money(got)
                )),
                None if want == 0 && o.eligible != Eligibility::Yes => {}
                None => failures.push(format!(
                    "{clause}: 金额应为 {},实为无(未符合或未知)",
                    format_money(want)
                )),
            },
            _ => failures.push(format!("{clause}: amount/tolerance 不是金额")),
        }
    }
    if let Some(f) = &exp.failed {
        let mut want = f.clone();
        want.sort();
        let mut got = o.failed.clone();
        got.sort();
        if want != got {
            failures.push(format!("{clause}: 未满足的条件应为 {want:?},实为 {got:?}"));
        }
    }
    if let Some(m) = &exp.missing {
        let mut want = m.clone();
        want.sort();
        let mut got = o.missing_inputs.clone();
        got.sort();
        if want != got {
            failures.push(format!("{clause}: 缺少的输入应为 {want:?},实为 {got:?}"));
        }
    }
    if let Some(e) = &exp.exception {
        let want = if matches!(e.as_str(), "无" | "none") {
            None
        } else {
            Some(e.clone())
        };
        if want != o.exception {
            failures.push(format!(
                "{clause}: 适用的例外应为 {want:?},实为 {:?}",
                o.exception
            ));
        }
    }
}

//! The work behind `zhengwu rules check|test|eval`. Each function does everything (reading the
//! files it is given by path — the only I/O in this crate) and returns what to print and
//! whether it succeeded; the binary prints [`CliOutcome::stdout`] and [`CliOutcome::stderr`]
//! and exits non-zero when [`CliOutcome::success`] is false.

use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use crate::cases::{parse_cases, run_cases};
use crate::compile::{Program, compile};
use crate::data::Dataset;
use crate::eval::Eligibility;
use crate::trace::{outcome, trace};
use crate::value::{format_money, parse_date};

/// What a command prints and whether it succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CliOutcome {
    /// For standard output.
    pub stdout: String,
    /// For standard error.
    pub stderr: String,
    /// Exit 0 when true, non-zero otherwise.
    pub success: bool,
}

impl CliOutcome {
    fn fail(stderr: String) -> Self {
        Self {
            stdout: String::new(),
            stderr,
            success: false,
        }
    }
}

fn load(path: &Path) -> Result<Program, CliOutcome> {
    let shown = path.display().to_string();
    let src = std::fs::read_to_string(path)
        .map_err(|e| CliOutcome::fail(format!("{shown}: error: 无法读取文件: {e}\n")))?;
    compile(&src).map_err(|d| CliOutcome::fail(d.render_for(&shown)))
}

/// The YAML test cases kept beside a policy file: `X.rules` → `X.cases.yaml` (or `X.cases.yml`,
/// `X.test.yaml`).
pub fn cases_path_for(policy: &Path) -> Option<PathBuf> {
    let stem = policy.file_stem()?.to_string_lossy().to_string();
    let dir = policy.parent().unwrap_or_else(|| Path::new("."));
    ["cases.yaml", "cases.yml", "test.yaml", "test.yml"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
}

/// `zhengwu rules check FILE`: compiles and type-checks a policy. On errors, `stderr` holds one
/// `FILE:LINE:COL: error: message` line per error and `success` is false.
pub fn check(path: &Path) -> CliOutcome {
    match load(path) {
        Ok(p) => {
            let conds: usize = p.clauses.iter().map(|c| c.conditions.len()).sum();
            CliOutcome {
                stdout: format!(
                    "{}: ok — {} 个条款、{} 个条件、{} 个输入、{} 个参数、{} 个定义\n",
                    path.display(),
                    p.clauses.len(),
                    conds,
                    p.inputs.len(),
                    p.params.len(),
                    p.defs.len()
                ),
                stderr: String::new(),
                success: true,
            }
        }
        Err(o) => o,
    }
}

/// `zhengwu rules test FILE`: runs the YAML cases beside the policy (see [`cases_path_for`]).
/// Prints one line per case and a closing `N passed, M failed` line; succeeds when all pass.
pub fn test(path: &Path) -> CliOutcome {
    let prog = match load(path) {
        Ok(p) => p,
        Err(o) => return o,
    };
    let Some(cases_path) = cases_path_for(path) else {
        return CliOutcome::fail(format!(
            "{}: error: 找不到测试用例文件(应在旁边放 {}.cases.yaml)\n",
            path.display(),
            path.file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default()
        ));
    };
    let yaml = match std::fs::read_to_string(&cases_path) {
        Ok(s) => s,
        Err(e) => {
            return CliOutcome::fail(format!("{}: error: 无法读取: {e}\n", cases_path.display()));
        }
    };
    let file = match parse_cases(&yaml) {
        Ok(f) => f,
        Err(e) => return CliOutcome::fail(format!("{}: error: {e}\n", cases_path.display())),
    };
    let results = run_cases(&prog, &file);
    let mut out = String::new();
    let mut failed = 0;
    for r in &results {
        if r.passed {
            out.push_str(&format!("ok      {}\n", r.name));
        } else {
            failed += 1;
            out.push_str(&format!("FAILED  {}\n", r.name));
            for f in &r.failures {
                out.push_str(&format!("        - {f}\n"));
            }
        }
    }
    out.push_str(&format!(
        "{} passed, {} failed\n",
        results.len() - failed,
        failed
    ));
    CliOutcome {
        stdout: out,
        stderr: String::new(),
        success: failed == 0 && !results.is_empty(),
    }
}

/// `zhengwu rules eval FILE --input JSON --date YYYY-MM-DD [--trace]`: evaluates every clause for
/// one enterprise (`input_json` is a JSON object; `@path` reads it from a file). Prints JSON:
/// per clause the eligibility, amount, failed conditions and missing inputs; with `trace`, each
/// clause's full trace and a Chinese `explanation`. Fails on bad input or a conflict.
pub fn eval(path: &Path, input_json: &str, date: &str, trace_wanted: bool) -> CliOutcome {
    let prog = match load(path) {
        Ok(p) => p,
        Err(o) => return o,
    };
    let Some(day) = parse_date(date) else {
        return CliOutcome::fail(format!("error: 日期 '{date}' 无效,应为 YYYY-MM-DD\n"));
    };
    let text = if let Some(file) = input_json.strip_prefix('@') {
        match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => return CliOutcome::fail(format!("error: 无法读取 {file}: {e}\n")),
        }
    } else {
        input_json.to_string()
    };
    let input: Json = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return CliOutcome::fail(format!("error: --input 不是有效的 JSON: {e}\n")),
    };
    if !input.is_object() {
        return CliOutcome::fail("error: --input 应为一个 JSON 对象(一家企业)\n".into());
    }
    let data = match Dataset::from_json(&prog, &[input]) {
        Ok(d) => d,
        Err(e) => return CliOutcome::fail(format!("error: 输入无效: {e}\n")),
    };
    let conflict;
    let body = if trace_wanted {
        let t = trace(&prog, &data, 0, day);
        conflict = t
            .clauses
            .iter()
            .any(|c| c.outcome.eligible == Eligibility::Conflict);
        let mut v = serde_json::to_value(&t).unwrap_or(Json::Null);
        if let Json::Object(m) = &mut v {
            m.insert("explanation".into(), Json::String(t.to_chinese()));
        }
        v
    } else {
        let results = prog.evaluate(&data, day);
        let outs: Vec<_> = results
            .iter()
            .enumerate()
            .map(|(ci, cols)| outcome(&prog, &data, ci, cols, 0, 0))
            .collect();
        conflict = outs.iter().any(|o| o.eligible == Eligibility::Conflict);
        let total: i64 = outs
            .iter()
            .filter(|o| o.eligible == Eligibility::Yes)
            .filter_map(|o| o.amount_fen)
            .fold(0, i64::saturating_add);
        json!({
            "policy": prog.title,
            "date": date,
            "total_amount_fen": total,
            "total_amount": format_money(total),
            "clauses": outs,
        })
    };
    let stdout = serde_json::to_string_pretty(&body).unwrap_or_default() + "\n";
    CliOutcome {
        stdout,
        stderr: if conflict {
            "error: 有条款的两个同优先级例外同时适用(conflict),见输出\n".into()
        } else {
            String::new()
        },
        success: !conflict,
    }
}

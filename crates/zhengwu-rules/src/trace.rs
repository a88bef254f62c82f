//! Why is enterprise X eligible for ¥Y? A trace of one record: each condition with the inputs
//! it read, the parameter values in force with their effective dates, the exception that
//! applied, the amount and its caps — as JSON and as a readable Chinese explanation.

use serde::Serialize;
use serde_json::Value as Json;

use crate::compile::{ClauseInfo, Formula, Program, Ty};
use crate::data::{Dataset, InputData, format_value, json_of_value};
use crate::eval::{ClauseColumns, Eligibility, MAYBE_EXCEPTION, NO_EXCEPTION, eval_one};
use crate::value::{format_date, format_money};

/// The result of one clause for one record, without the detail of a trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The clause.
    pub clause: String,
    /// Eligibility.
    pub eligible: Eligibility,
    /// Amount in fen, when eligible and known.
    pub amount_fen: Option<i64>,
    /// Amount for people (`30万元`).
    pub amount: Option<String>,
    /// Conditions that are false.
    pub failed: Vec<String>,
    /// Conditions that are unknown.
    pub unknown: Vec<String>,
    /// Inputs whose absence makes the answer unknown.
    pub missing_inputs: Vec<String>,
    /// The exception that applied.
    pub exception: Option<String>,
    /// Whether the clause was in force on the date.
    pub in_force: bool,
}

fn input_known(data: &Dataset, input: usize, row: usize) -> bool {
    match data.inputs.get(input) {
        Some(Some(InputData::Scalar(c))) => c.is_known(row),
        Some(Some(InputData::List(l))) => {
            let list_known = l
                .known
                .as_ref()
                .is_none_or(|k| k.get(row).copied().unwrap_or(false));
            let (a, b) = (
                l.offsets.get(row).copied().unwrap_or(0) as usize,
                l.offsets.get(row + 1).copied().unwrap_or(0) as usize,
            );
            list_known && l.fields.iter().all(|f| (a..b).all(|j| f.is_known(j)))
        }
        _ => false,
    }
}

fn missing_of(prog: &Program, data: &Dataset, row: usize, f: &Formula, out: &mut Vec<String>) {
    for &i in &f.inputs {
        if !input_known(data, i, row)
            && let Some(inp) = prog.inputs.get(i)
            && !out.contains(&inp.name)
        {
            out.push(inp.name.clone());
        }
    }
}

/// The outcome of clause `clause` for record `i` of a batch result `cols` (index `i` in `cols`,
/// record `row` in `data`; they differ only when `cols` covers a slice).
pub fn outcome(
    prog: &Program,
    data: &Dataset,
    clause: usize,
    cols: &ClauseColumns,
    i: usize,
    row: usize,
) -> Outcome {
    let Some(c) = prog.clauses.get(clause) else {
        return Outcome {
            clause: String::new(),
            eligible: Eligibility::Unknown,
            amount_fen: None,
            amount: None,
            failed: vec![],
            unknown: vec![],
            missing_inputs: vec![],
            exception: None,
            in_force: false,
        };
    };
    let eligible = cols.eligibility(i);
    let names = |set: &dyn Fn(usize) -> bool| -> Vec<String> {
        c.conditions
            .iter()
            .enumerate()
            .filter(|(k, _)| set(*k))
            .map(|(_, x)| x.name.clone())
            .collect()
    };
    let exc = cols.exception.get(i).copied().unwrap_or(NO_EXCEPTION);
    let mut missing = Vec::new();
    for (k, cond) in c.conditions.iter().enumerate() {
        if cols.condition_unknown(k, i) {
            missing_of(prog, data, row, &cond.formula, &mut missing);
        }
    }
    if exc == MAYBE_EXCEPTION || eligible == Eligibility::Conflict {
        for e in &c.exceptions {
            missing_of(prog, data, row, &e.when, &mut missing);
        }
    }
    let amount_known = cols.amount_known.get(i).copied().unwrap_or(true);
    if !amount_known && let Some(a) = &c.amount {
        missing_of(prog, data, row, a, &mut missing);
        for cap in &c.caps {
            missing_of(prog, data, row, cap, &mut missing);
        }
    }
    let amount_fen = (eligible == Eligibility::Yes && amount_known)
        .then(|| cols.amount.get(i).copied())
        .flatten();
    Outcome {
        clause: c.name.clone(),
        eligible,
        amount_fen,
        amount: amount_fen.map(format_money),
        failed: names(&|k| cols.condition_failed(k, i)),
        unknown: names(&|k| cols.condition_unknown(k, i)),
        missing_inputs: missing,
        exception: c.exceptions.get(exc as usize).map(|e| e.label.clone()),
        in_force: cols.in_force,
    }
}

/// An input as read by a formula.
#[derive(Debug, Clone, Serialize)]
pub struct InputTrace {
    /// Its name.
    pub name: String,
    /// Its value as JSON (`null` when unknown).
    pub value: Json,
    /// Its value for people.
    pub display: String,
}

/// A parameter value in force.
#[derive(Debug, Clone, Serialize)]
pub struct ParamTrace {
    /// Its name.
    pub name: String,
    /// Its value for people.
    pub value: String,
    /// When that value took effect (`null`: no value in force on the date).
    pub effective_from: Option<String>,
}

/// A definition's value.
#[derive(Debug, Clone, Serialize)]
pub struct DefTrace {
    /// Its name.
    pub name: String,
    /// Its formula.
    pub expr: String,
    /// Its value for people.
    pub value: String,
}

/// A formula evaluated for one record.
#[derive(Debug, Clone, Serialize)]
pub struct FormulaTrace {
    /// The formula as written.
    pub expr: String,
    /// Its value as JSON.
    pub value: Json,
    /// Its value for people.
    pub display: String,
    /// Inputs it read.
    pub inputs: Vec<InputTrace>,
    /// Parameters it read.
    pub params: Vec<ParamTrace>,
    /// Definitions it used.
    pub defs: Vec<DefTrace>,
}

/// A condition evaluated for one record.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionTrace {
    /// Its name.
    pub name: String,
    /// `true`, `false`, or `null` (unknown).
    pub holds: Option<bool>,
    /// The formula and what it read.
    #[serde(flatten)]
    pub formula: FormulaTrace,
}

/// An exception considered for one record.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionTrace {
    /// Its label.
    pub label: String,
    /// Its priority.
    pub priority: i64,
    /// Whether its condition holds (`null`: unknown).
    pub holds: Option<bool>,
    /// What it does.
    pub effect: String,
    /// Its condition and what it read.
    pub when: FormulaTrace,
}

/// One clause for one record, explained.
#[derive(Debug, Clone, Serialize)]
pub struct ClauseTrace {
    /// The outcome.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The clause title.
    pub title: Option<String>,
    /// Its legal source.
    pub source: Option<String>,
    /// Its effective period.
    pub period: String,
    /// 免申即享.
    pub automatic: bool,
    /// Each condition.
    pub conditions: Vec<ConditionTrace>,
    /// Each exception, by descending priority.
    pub exceptions: Vec<ExceptionTrace>,
    /// The amount formula (the one that applied).
    pub amount_formula: Option<FormulaTrace>,
    /// Caps.
    pub caps: Vec<FormulaTrace>,
    /// Materials required.
    pub materials: Vec<String>,
    /// The explanation in Chinese.
    pub explanation: String,
}

/// A whole trace of one record.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    /// Policy title.
    pub policy: Option<String>,
    /// Evaluation date.
    pub date: String,
    /// Total of eligible known amounts, in fen.
    pub total_amount_fen: i64,
    /// The same for people.
    pub total_amount: String,
    /// Each clause.
    pub clauses: Vec<ClauseTrace>,
}

impl Trace {
    /// The whole explanation in Chinese.
    pub fn to_chinese(&self) -> String {
        let mut s = format!(
            "《{}》于 {} 的评估结果:可享受金额合计 {}。\n",
            self.policy.as_deref().unwrap_or("政策"),
            self.date,
            self.total_amount
        );
        for c in &self.clauses {
            s.push('\n');
            s.push_str(&c.explanation);
        }
        s
    }
}

fn formula_trace(
    prog: &Program,
    data: &Dataset,
    row: usize,
    date: i32,
    f: &Formula,
) -> FormulaTrace {
    let v = eval_one(prog, data, row, date, f);
    let inputs = f
        .inputs
        .iter()
        .filter_map(|&i| prog.inputs.get(i).map(|inp| (i, inp)))
        .map(|(i, inp)| input_trace(prog, data, row, i, &inp.name, &inp.ty))
        .collect();
    let params = f
        .params
        .iter()
        .filter_map(|&p| prog.params.get(p))
        .map(|p| match p.at(date) {
            Some((d, pv)) => ParamTrace {
                name: p.name.clone(),
                value: match pv {
                    crate::compile::PValue::Scalar(x) => format_value(prog, &p.ty, Some(*x)),
                    crate::compile::PValue::Table(rows) => {
                        let (kt, vt) = match &p.ty {
                            Ty::Table(k, v) => (k.as_ref().clone(), v.as_ref().clone()),
                            _ => (Ty::Num, Ty::Num),
                        };
                        let parts: Vec<String> = rows
                            .iter()
                            .map(|(k, v)| {
                                format!(
                                    "{} => {}",
                                    format_value(prog, &kt, Some(*k)),
                                    format_value(prog, &vt, Some(*v))
                                )
                            })
                            .collect();
                        format!("{{{}}}", parts.join(", "))
                    }
                },
                effective_from: Some(format_date(d)),
            },
            None => ParamTrace {
                name: p.name.clone(),
                value: "未生效".into(),
                effective_from: None,
            },
        })
        .collect();
    let defs = f
        .defs
        .iter()
        .filter_map(|&d| prog.defs.get(d))
        .map(|d| DefTrace {
            name: d.name.clone(),
            expr: d.formula.text.clone(),
            value: format_value(
                prog,
                &d.formula.ty,
                eval_one(prog, data, row, date, &d.formula),
            ),
        })
        .collect();
    FormulaTrace {
        expr: f.text.clone(),
        value: json_of_value(prog, &f.ty, v),
        display: format_value(prog, &f.ty, v),
        inputs,
        params,
        defs,
    }
}

fn input_trace(
    prog: &Program,
    data: &Dataset,
    row: usize,
    i: usize,
    name: &str,
    ty: &Ty,
) -> InputTrace {
    match data.inputs.get(i) {
        Some(Some(InputData::Scalar(c))) => {
            let v = c
                .is_known(row)
                .then(|| c.values.get(row).copied())
                .flatten();
            InputTrace {
                name: name.to_string(),
                value: json_of_value(prog, ty, v),
                display: format_value(prog, ty, v),
            }
        }
        Some(Some(InputData::List(l))) if input_known(data, i, row) => {
            let (a, b) = (
                l.offsets.get(row).copied().unwrap_or(0) as usize,
                l.offsets.get(row + 1).copied().unwrap_or(0) as usize,
            );
            let fields = prog
                .inputs
                .get(i)
                .map(|x| x.fields.clone())
                .unwrap_or_default();
            let items: Vec<Json> = (a..b)
                .map(|j| {
                    let mut m = serde_json::Map::new();
                    for (fi, (fname, fty)) in fields.iter().enumerate() {
                        let v = l.fields.get(fi).and_then(|c| c.values.get(j).copied());
                        m.insert(fname.clone(), json_of_value(prog, fty, v));
                    }
                    Json::Object(m)
                })
                .collect();
            InputTrace {
                name: name.to_string(),
                display: format!("{} 项", b - a),
                value: Json::Array(items),
            }
        }
        _ => InputTrace {
            name: name.to_string(),
            value: Json::Null,
            display: "未知".into(),
        },
    }
}

fn holds(v: &Json) -> Option<bool> {
    v.as_bool()
}

fn reads(f: &FormulaTrace) -> String {
    let mut parts: Vec<String> = f
        .inputs
        .iter()
        .map(|i| format!("{} = {}", i.name, i.display))
        .collect();
    parts.extend(f.defs.iter().map(|d| format!("{} = {}", d.name, d.value)));
    parts.extend(f.params.iter().map(|p| match &p.effective_from {
        Some(d) => format!("参数 {} = {}(自 {d} 起施行)", p.name, p.value),
        None => format!("参数 {} 在该日尚未生效", p.name),
    }));
    if parts.is_empty() {
        String::new()
    } else {
        format!("其中 {}。", parts.join(","))
    }
}

/// Traces clause `clause` for record `row` of `data` on `date`.
pub fn trace_clause(
    prog: &Program,
    data: &Dataset,
    clause: usize,
    row: usize,
    date: i32,
) -> Option<ClauseTrace> {
    let c: &ClauseInfo = prog.clauses.get(clause)?;
    let cols = crate::eval::evaluate_clause_rows(prog, clause, data, date, row, 1);
    let out = outcome(prog, data, clause, &cols, 0, row);
    let conditions: Vec<ConditionTrace> = c
        .conditions
        .iter()
        .map(|cd| {
            let f = formula_trace(prog, data, row, date, &cd.formula);
            ConditionTrace {
                name: cd.name.clone(),
                holds: holds(&f.value),
                formula: f,
            }
        })
        .collect();
    let exceptions: Vec<ExceptionTrace> = c
        .exceptions
        .iter()
        .map(|e| {
            let f = formula_trace(prog, data, row, date, &e.when);
            let mut effect = Vec::new();
            if let Some(b) = e.eligible {
                effect.push(if b { "予以支持" } else { "不予支持" }.to_string());
            }
            if let Some(a) = &e.amount {
                effect.push(format!("金额改为 {}", a.text));
            }
            ExceptionTrace {
                label: e.label.clone(),
                priority: e.priority,
                holds: holds(&f.value),
                effect: effect.join(","),
                when: f,
            }
        })
        .collect();
    let applied = c
        .exceptions
        .iter()
        .find(|e| Some(&e.label) == out.exception.as_ref());
    let amount_f = applied
        .and_then(|e| e.amount.as_ref())
        .or(c.amount.as_ref());
    let amount_formula = amount_f.map(|f| formula_trace(prog, data, row, date, f));
    let caps: Vec<FormulaTrace> = c
        .caps
        .iter()
        .map(|f| formula_trace(prog, data, row, date, f))
        .collect();

    // The explanation.
    let mut s = format!("【{}】", c.name);
    if let Some(t) = &c.title {
        s.push_str(t);
    }
    let mut meta = Vec::new();
    if let Some(src) = &c.source {
        meta.push(format!("依据 {src}"));
    }
    meta.push(format!("有效期 {}", c.period_zh()));
    if c.automatic {
        meta.push("免申即享".into());
    }
    s.push_str(&format!("({})\n", meta.join(";")));
    let verdict = match (out.eligible, &out.amount) {
        _ if !out.in_force => format!(
            "结论:不符合 —— 该条款在 {} 不在有效期内。",
            format_date(date)
        ),
        (Eligibility::Yes, Some(a)) if c.amount.is_some() => format!("结论:符合,可享受 {a}。"),
        (Eligibility::Yes, None) if c.amount.is_some() => {
            "结论:符合,但金额无法计算(缺少数据)。".into()
        }
        (Eligibility::Yes, _) => "结论:符合。".into(),
        (Eligibility::No, _) => {
            if out.failed.is_empty() {
                "结论:不符合。".into()
            } else {
                format!("结论:不符合 —— 未满足:{}。", out.failed.join("、"))
            }
        }
        (Eligibility::Unknown, _) => format!(
            "结论:无法判定 —— 缺少数据:{}。",
            if out.missing_inputs.is_empty() {
                "(计算无结果,如除以零)".to_string()
            } else {
                out.missing_inputs.join("、")
            }
        ),
        (Eligibility::Conflict, _) => {
            "结论:例外冲突 —— 两个优先级相同的例外同时适用,政策须明确先后,不作任意选择。".into()
        }
    };
    s.push_str(&format!("  {verdict}\n"));
    if out.in_force {
        for ct in &conditions {
            let (mark, word) = match ct.holds {
                Some(true) => ("✓", "成立"),
                Some(false) => ("✗", "不成立"),
                None => ("?", "无法判定"),
            };
            s.push_str(&format!(
                "  {mark} 条件「{}」:{} —— {word}。{}\n",
                ct.name,
                ct.formula.expr,
                reads(&ct.formula)
            ));
        }
        for et in &exceptions {
            let word = match et.holds {
                Some(true) if Some(&et.label) == out.exception.as_ref() => "适用",
                Some(true) => "条件成立",
                Some(false) => "不适用",
                None => "无法判定",
            };
            s.push_str(&format!(
                "  例外「{}」(优先级 {}):当 {} 则{} —— {word}。{}\n",
                et.label,
                et.priority,
                et.when.expr,
                et.effect,
                reads(&et.when)
            ));
        }
        if out.eligible == Eligibility::Yes
            && let Some(af) = &amount_formula
        {
            s.push_str(&format!(
                "  金额:{} = {}。{}\n",
                af.expr,
                af.display,
                reads(af)
            ));
            for cap in &caps {
                s.push_str(&format!(
                    "  上限:{} = {}。{}\n",
                    cap.expr,
                    cap.display,
                    reads(cap)
                ));
            }
            if let Some(a) = &out.amount {
                s.push_str(&format!("  最终金额:{a}。\n"));
            }
        }
    }
    if !c.materials.is_empty() {
        s.push_str(&format!("  所需材料:{}。\n", c.materials.join("、")));
    }
    Some(ClauseTrace {
        outcome: out,
        title: c.title.clone(),
        source: c.source.clone(),
        period: c.period_zh(),
        automatic: c.automatic,
        conditions,
        exceptions,
        amount_formula,
        caps,
        materials: c.materials.clone(),
        explanation: s,
    })
}

/// Traces every clause for record `row` of `data` on `date`.
pub fn trace(prog: &Program, data: &Dataset, row: usize, date: i32) -> Trace {
    let clauses: Vec<ClauseTrace> = (0..prog.clauses.len())
        .filter_map(|c| trace_clause(prog, data, c, row, date))
        .collect();
    let total: i64 = clauses
        .iter()
        .filter(|c| c.outcome.eligible == Eligibility::Yes)
        .filter_map(|c| c.outcome.amount_fen)
        .fold(0i64, i64::saturating_add);
    Trace {
        policy: prog.title.clone(),
        date: format_date(date),
        total_amount_fen: total,
        total_amount: format_money(total),
        clauses,
    }
}

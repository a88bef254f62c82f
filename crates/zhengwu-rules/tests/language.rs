//! The language as a policy writer sees it: what compiles, what is refused (with line and
//! column), and what the engine answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// tests: a failed unwrap is a failed test

// Money is written grouped by 万 (10⁴): 500_0000_00 fen = 500万元.
#![allow(clippy::inconsistent_digit_grouping)]

use serde_json::json;
use zhengwu_rules::compile::Program;
use zhengwu_rules::trace::outcome;
use zhengwu_rules::value::parse_date;
use zhengwu_rules::{Dataset, Eligibility, compile};

fn eval_one(
    p: &Program,
    input: serde_json::Value,
    date: &str,
) -> Vec<zhengwu_rules::trace::Outcome> {
    let data = Dataset::from_json(p, &[input]).unwrap();
    let d = parse_date(date).unwrap();
    p.evaluate(&data, d)
        .iter()
        .enumerate()
        .map(|(c, cols)| outcome(p, &data, c, cols, 0, 0))
        .collect()
}

fn errors(src: &str) -> Vec<(u32, u32, String)> {
    compile(src)
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| (e.pos.line, e.pos.col, e.message))
        .collect()
}

const HEAD: &str = "输入 营业收入: 金额\n输入 研发投入: 金额\n输入 人数: 数\n输入 成立日期: 日期\n";

#[test]
fn a_type_error_is_reported_with_line_and_column_before_anything_runs() {
    let src = format!("{HEAD}条款 x {{\n  条件 c: 研发投入 >= 3%\n}}\n");
    let e = errors(&src);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!((e[0].0, e[0].1), (6, 9));
    assert!(
        e[0].2.contains("金额") && e[0].2.contains("比例"),
        "{}",
        e[0].2
    );
}

#[test]
fn unknown_names_are_reported_each_with_its_position() {
    let src =
        format!("{HEAD}条款 x {{\n  条件 c: 研发费用 > 0元 且 员工数 > 3\n  金额 奖励额\n}}\n");
    let e = errors(&src);
    let got: Vec<(u32, u32)> = e.iter().map(|x| (x.0, x.1)).collect();
    assert_eq!(got, vec![(6, 9), (6, 21), (7, 6)], "{e:?}");
    assert!(e.iter().all(|x| x.2.contains("未知名称")));
}

#[test]
fn money_is_not_multiplied_by_money_nor_compared_with_bare_numbers() {
    let src =
        format!("{HEAD}条款 x {{\n  条件 c: 营业收入 > 100\n  金额 营业收入 * 研发投入\n}}\n");
    let e = errors(&src);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].2.contains("请写单位"));
    assert!(e[1].2.contains("金额 × 金额"));
}

#[test]
fn date_subtraction_points_to_the_date_functions() {
    let src = format!("{HEAD}定义 d = 评估日期 - 成立日期\n");
    let e = errors(&src);
    assert!(e[0].2.contains("年数"), "{e:?}");
}

#[test]
fn english_keywords_work_as_well_as_chinese_ones() {
    let p = compile(
        "input revenue: money\nclause c { condition big: revenue >= 1万元 and not (revenue > 1亿元)\n amount revenue * 1% cap 50元 }",
    )
    .unwrap();
    let o = eval_one(&p, json!({"revenue": 20000}), "2024-01-01");
    assert_eq!(o[0].eligible, Eligibility::Yes);
    assert_eq!(o[0].amount_fen, Some(5000));
}

#[test]
fn unknown_is_not_zero_and_three_valued_logic_holds() {
    let p = compile(&format!(
        "{HEAD}条款 任一 {{ 条件 c: 研发投入 > 0元 或 营业收入 > 0元 }}\n条款 全部 {{ 条件 c: 研发投入 > 0元 且 营业收入 > 0元 }}\n"
    ))
    .unwrap();
    // true or unknown = true; true and unknown = unknown
    let o = eval_one(&p, json!({"营业收入": 10}), "2024-01-01");
    assert_eq!(o[0].eligible, Eligibility::Yes);
    assert_eq!(o[1].eligible, Eligibility::Unknown);
    assert_eq!(o[1].missing_inputs, vec!["研发投入"]);
    // false and unknown = false
    let o = eval_one(&p, json!({"营业收入": 0}), "2024-01-01");
    assert_eq!(o[1].eligible, Eligibility::No);
    assert_eq!(o[0].eligible, Eligibility::Unknown);
}

#[test]
fn dated_parameters_take_the_value_in_force_on_the_date() {
    let p = compile(&format!(
        "{HEAD}参数 比例 {{ 2021-01-01: 10%\n 2023-07-01: 20% }}\n条款 x {{ 条件 c: 研发投入 > 0元\n 金额 研发投入 * 比例 }}\n"
    ))
    .unwrap();
    let at = |d| eval_one(&p, json!({"研发投入": 100}), d)[0].amount_fen;
    assert_eq!(at("2023-06-30"), Some(1000));
    assert_eq!(at("2023-07-01"), Some(2000));
    // Before any value is in force the amount is unknown, not zero.
    let o = eval_one(&p, json!({"研发投入": 100}), "2020-01-01");
    assert_eq!(o[0].eligible, Eligibility::Yes);
    assert_eq!(o[0].amount_fen, None);
}

#[test]
fn two_applicable_exceptions_of_equal_priority_are_a_conflict_not_a_pick() {
    let src = format!(
        "{HEAD}条款 x {{\n 条件 c: 研发投入 > 0元\n 金额 10元\n 例外 甲 (优先级 2) 当 人数 > 10 {{ 金额 20元 }}\n 例外 乙 (优先级 2) 当 营业收入 > 10元 {{ 金额 30元 }}\n 例外 丙 (优先级 1) 当 人数 > 0 {{ 金额 40元 }}\n}}\n"
    );
    let p = compile(&src).unwrap();
    let o = eval_one(
        &p,
        json!({"研发投入": 1, "人数": 20, "营业收入": 20}),
        "2024-01-01",
    );
    assert_eq!(o[0].eligible, Eligibility::Conflict);
    assert_eq!(o[0].amount_fen, None);
    let o = eval_one(
        &p,
        json!({"研发投入": 1, "人数": 20, "营业收入": 5}),
        "2024-01-01",
    );
    assert_eq!(
        (o[0].eligible, o[0].amount_fen, o[0].exception.as_deref()),
        (Eligibility::Yes, Some(2000), Some("甲"))
    );
    let o = eval_one(
        &p,
        json!({"研发投入": 1, "人数": 5, "营业收入": 5}),
        "2024-01-01",
    );
    assert_eq!(
        (o[0].amount_fen, o[0].exception.as_deref()),
        (Some(4000), Some("丙"))
    );
    // An exception that might apply (unknown condition) makes the answer unknown.
    let o = eval_one(&p, json!({"研发投入": 1, "营业收入": 5}), "2024-01-01");
    assert_eq!(o[0].eligible, Eligibility::Unknown);
    assert_eq!(o[0].missing_inputs, vec!["人数"]);
}

#[test]
fn identical_exceptions_of_equal_priority_are_refused_at_compile_time() {
    let src = format!(
        "{HEAD}条款 x {{\n 金额 10元\n 例外 甲 当 人数 > 10 {{ 金额 20元 }}\n 例外 乙 当 人数 > 10 {{ 不予支持 }}\n}}\n"
    );
    let e = errors(&src);
    assert_eq!((e[0].0, e[0].1), (8, 2), "{e:?}");
    assert!(e[0].2.contains("conflict"));
}

#[test]
fn brackets_marginal_and_flat() {
    let p = compile(
        "输入 额: 金额\n参数 表: 分段表 { 2020-01-01: { 0元 => 10%, 100元 => 20%, 1000元 => 30% } }\n\
         条款 累 { 金额 累进(额, 表) }\n条款 档 { 金额 分档(额, { 0元 => 1元, 100元 => 5元 }) }\n",
    )
    .unwrap();
    let o = eval_one(&p, json!({"额": 1500}), "2024-01-01");
    // 100×10% + 900×20% + 500×30% = 10 + 180 + 150
    assert_eq!(o[0].amount_fen, Some(34_000));
    assert_eq!(o[1].amount_fen, Some(500));
}

#[test]
fn date_differences_counts_and_sums_over_lists() {
    let p = compile(
        "枚举 专利类型 { 发明, 实用新型 }\n输入 成立日期: 日期\n输入 专利: 列表 { 类型: 专利类型, 数量: 数 }\n\
         条款 老 { 条件 c: 年数(成立日期, 评估日期) >= 3 且 月数(成立日期, 评估日期) < 40 }\n\
         条款 专 { 条件 c: 计数(专利, 类型 = 发明) = 2\n 金额 求和(专利, 数量, 类型 = 发明) * 100元 }\n",
    )
    .unwrap();
    let o = eval_one(
        &p,
        json!({"成立日期": "2021-03-01", "专利": [{"类型": "发明", "数量": 2}, {"类型": "实用新型", "数量": 7}, {"类型": "发明", "数量": 1}]}),
        "2024-06-30",
    );
    assert_eq!(o[0].eligible, Eligibility::Yes);
    assert_eq!(o[1].amount_fen, Some(30_000));
    // Years are whole years: one day short of the third anniversary is 2.
    let o = eval_one(
        &p,
        json!({"成立日期": "2021-07-01", "专利": []}),
        "2024-06-30",
    );
    assert_eq!(o[0].eligible, Eligibility::No);
    assert_eq!(o[1].eligible, Eligibility::No);
}

#[test]
fn the_rounding_rule_is_explicit_and_applied_to_money() {
    let src = |r: &str| format!("舍入 {r}\n输入 额: 金额\n条款 x {{ 金额 额 * 50% }}\n");
    let amt = |r: &str| {
        eval_one(
            &compile(&src(r)).unwrap(),
            json!({"额": "0.05元"}),
            "2024-01-01",
        )[0]
        .amount_fen
    };
    assert_eq!(amt("四舍五入"), Some(3));
    assert_eq!(amt("银行家舍入"), Some(2));
    assert_eq!(amt("向下取整"), Some(2));
    assert_eq!(amt("向上取整"), Some(3));
    let p = compile("输入 额: 金额\n条款 x { 金额 取整到万元(额) }\n").unwrap();
    assert_eq!(
        eval_one(&p, json!({"额": "12.5万元"}), "2024-01-01")[0].amount_fen,
        Some(13_0000_00)
    );
}

#[test]
fn a_clause_outside_its_effective_period_does_not_apply() {
    let p = compile(
        "输入 a: 布尔\n条款 x { 有效期 2022-01-01 至 2022-12-31\n 条件 c: a\n 金额 1元 }\n",
    )
    .unwrap();
    assert_eq!(
        eval_one(&p, json!({"a": true}), "2022-06-01")[0].eligible,
        Eligibility::Yes
    );
    let o = eval_one(&p, json!({"a": true}), "2023-01-01");
    assert_eq!(o[0].eligible, Eligibility::No);
    assert!(!o[0].in_force);
}

#[test]
fn exponential_definitions_are_refused_instead_of_hanging() {
    let mut src = String::from("输入 a: 数\n定义 d0 = a\n");
    for i in 1..40 {
        src.push_str(&format!("定义 d{i} = d{} + d{}\n", i - 1, i - 1));
    }
    let e = errors(&src);
    assert!(e.iter().any(|x| x.2.contains("过大")), "{e:?}");
}

#[test]
fn overflow_and_division_by_zero_are_unknown_not_a_panic() {
    let p = compile("输入 a: 金额\n输入 b: 金额\n条款 x { 条件 c: a / b > 1% }\n条款 y { 金额 a * 1亿 * 1亿 }\n").unwrap();
    let o = eval_one(&p, json!({"a": 5, "b": 0}), "2024-01-01");
    assert_eq!(o[0].eligible, Eligibility::Unknown);
    let o = eval_one(&p, json!({"a": 900000000000.0, "b": 1}), "2024-01-01");
    assert_eq!(o[1].amount_fen, None);
}

#[test]
fn bad_input_values_are_refused_with_the_input_named() {
    let p =
        compile("枚举 规模 { 大, 小 }\n输入 s: 规模\n输入 m: 金额\n条款 x { 条件 c: s = 大 }\n")
            .unwrap();
    let e = Dataset::from_json(&p, &[json!({"s": "中"})]).unwrap_err();
    assert!(e.contains("s") && e.contains("大、小"), "{e}");
    assert!(Dataset::from_json(&p, &[json!({"m": 1.001})]).is_err());
    assert!(Dataset::from_json(&p, &[json!({"nope": 1})]).is_err());
}

#[test]
fn a_clause_may_have_more_than_32_conditions_each_reported_by_name() {
    let conds: String = (0..40)
        .map(|k| format!("  条件 c{k}: 人数 > {k}\n"))
        .collect();
    let p = compile(&format!("{HEAD}条款 x {{\n{conds}  金额 1元\n}}\n")).unwrap();
    let o = eval_one(&p, json!({"人数": 35}), "2024-01-01");
    assert_eq!(o[0].eligible, Eligibility::No);
    let want: Vec<String> = (35..40).map(|k| format!("c{k}")).collect();
    assert_eq!(o[0].failed, want);
    let o = eval_one(&p, json!({}), "2024-01-01");
    assert_eq!(o[0].unknown.len(), 40);
    assert_eq!(o[0].missing_inputs, vec!["人数".to_string()]);
    // The remaining bounds are on work: 1,024 conditions and 250 exceptions.
    let many: String = (0..1025)
        .map(|k| format!("  条件 c{k}: 人数 > 0\n"))
        .collect();
    let e = errors(&format!("{HEAD}条款 x {{\n{many}}}\n"));
    assert!(e.iter().any(|x| x.2.contains("1024")), "{e:?}");
    let excs: String = (0..251)
        .map(|k| format!("  例外 e{k} (优先级 {k}) 当 人数 > {k} {{ 不予支持 }}\n"))
        .collect();
    let e = errors(&format!("{HEAD}条款 x {{\n  条件 c: 人数 > 0\n{excs}}}\n"));
    assert!(e.iter().any(|x| x.2.contains("250")), "{e:?}");
}

//! A hostile or malformed policy gives an error, never a panic or a hang; and evaluating a
//! batch column at a time gives the same answers as evaluating each record alone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use proptest::prelude::*;
use serde_json::{Value as Json, json};
use zhengwu_rules::trace::{outcome, trace};
use zhengwu_rules::value::parse_date;
use zhengwu_rules::{Dataset, compile};

const VOCAB: &[&str] = &[
    "政策",
    "\"标题\"",
    "文号",
    "舍入",
    "四舍五入",
    "枚举",
    "输入",
    "参数",
    "定义",
    "条款",
    "条件",
    "金额",
    "上限",
    "材料",
    "例外",
    "优先级",
    "当",
    "不予支持",
    "予以支持",
    "有效期",
    "至",
    "免申即享",
    "来源",
    "列表",
    "金额",
    "数",
    "比例",
    "日期",
    "布尔",
    "分段表",
    "E",
    "a",
    "b",
    "c",
    "x",
    "研发投入",
    "专利",
    "类型",
    "数量",
    "{",
    "}",
    "(",
    ")",
    ",",
    ":",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "=>",
    "且",
    "或",
    "非",
    "属于",
    "不属于",
    "如果",
    "则",
    "否则",
    "是",
    "否",
    "0",
    "1",
    "3%",
    "100万元",
    "1.5元",
    "2024-01-01",
    "2021-02-29",
    "最小",
    "最大",
    "累进",
    "分档",
    "年数",
    "月数",
    "计数",
    "求和",
    "已知",
    "默认",
    "取整到元",
    "评估日期",
    "\n",
    "#",
    "99999999999999999999",
    "1亿元",
    "\"",
    "「",
    "」",
];

fn policy_from_tokens(idx: &[usize]) -> String {
    idx.iter()
        .map(|i| VOCAB[i % VOCAB.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Compiles, and if it compiles, evaluates and traces on a few records: nothing may panic.
fn exercise(src: &str) {
    if let Ok(p) = compile(src) {
        let records = vec![json!({}), Json::Object(Default::default())];
        if let Ok(data) = Dataset::from_json(&p, &records) {
            let d = parse_date("2024-06-30").unwrap_or(0);
            let res = p.evaluate(&data, d);
            for (c, cols) in res.iter().enumerate() {
                let _ = outcome(&p, &data, c, cols, 0, 0);
            }
            let _ = trace(&p, &data, 0, d).to_chinese();
        }
    }
}

fn demo_policy() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../policies/gaoxin20.rules"
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_token_soup_never_panics(idx in proptest::collection::vec(any::<usize>(), 0..120)) {
        exercise(&policy_from_tokens(&idx));
    }

    #[test]
    fn mutated_demo_policy_never_panics(cuts in proptest::collection::vec((any::<usize>(), 0usize..40, any::<usize>()), 1..4)) {
        let src = demo_policy();
        let mut chars: Vec<char> = src.chars().collect();
        for (at, len, tok) in cuts {
            let at = at % chars.len().max(1);
            let end = (at + len).min(chars.len());
            let insert: Vec<char> = VOCAB[tok % VOCAB.len()].chars().collect();
            chars.splice(at..end, insert);
        }
        exercise(&chars.into_iter().collect::<String>());
    }
}

// ---- column at a time = record at a time ----

fn arb_enterprise() -> impl Strategy<Value = Json> {
    let money = || {
        proptest::option::weighted(
            0.85,
            (0i64..30_000_000_000)
                .prop_map(|fen| json!(format!("{}.{:02}元", fen / 100, fen % 100))),
        )
    };
    let boolean = || proptest::option::weighted(0.85, any::<bool>().prop_map(Json::Bool));
    let date = || {
        proptest::option::weighted(
            0.85,
            (0i64..3000).prop_map(|d| {
                let base = parse_date("2017-01-01").unwrap_or(0);
                json!(zhengwu_rules::value::format_date(base + d as i32))
            }),
        )
    };
    let pick = |xs: &'static [&'static str]| {
        proptest::option::weighted(0.85, proptest::sample::select(xs).prop_map(|s| json!(s)))
    };
    let industries: &'static [&'static str] = &[
        "软件和信息技术服务",
        "集成电路",
        "人工智能",
        "生物医药",
        "智能制造",
        "新能源",
        "批发零售",
        "其他",
    ];
    let sizes: &'static [&'static str] = &["大型", "中型", "小型", "微型"];
    let levels: &'static [&'static str] = &["国家级", "省级", "市级"];
    let boards: &'static [&'static str] = &["主板", "科创板", "北交所", "境外"];
    let patents = proptest::option::weighted(
        0.85,
        proptest::collection::vec(
            (
                proptest::sample::select(&["发明", "实用新型", "外观设计"][..]),
                0i64..6,
            ),
            0..4,
        )
        .prop_map(|v| {
            Json::Array(
                v.into_iter()
                    .map(|(t, n)| json!({"类型": t, "数量": n}))
                    .collect(),
            )
        }),
    );
    (
        (
            boolean(),
            boolean(),
            date(),
            pick(industries),
            pick(sizes),
            money(),
            money(),
            money(),
            money(),
        ),
        (
            money(),
            proptest::option::weighted(0.85, 1i64..500),
            proptest::option::weighted(0.85, 0i64..100),
            boolean(),
            boolean(),
            date(),
            date(),
            pick(boards),
        ),
        (
            patents,
            pick(levels),
            money(),
            money(),
            money(),
            boolean(),
            pick(levels),
            boolean(),
            money(),
        ),
    )
        .prop_map(|(a, b, c)| {
            let mut m = serde_json::Map::new();
            let mut put = |k: &str, v: Option<Json>| {
                if let Some(v) = v {
                    m.insert(k.to_string(), v);
                }
            };
            put("注册地在高新区", a.0);
            put("失信企业", a.1);
            put("成立日期", a.2);
            put("行业", a.3);
            put("规模", a.4);
            put("营业收入", a.5);
            put("上年营业收入", a.6);
            put("研发投入", a.7);
            put("上年研发投入", a.8);
            put("纳税额", b.0);
            put("从业人数", b.1.map(|x| json!(x)));
            put("研发人员数", b.2.map(|x| json!(x)));
            put("是高新技术企业", b.3);
            put("首次认定高企", b.4);
            put("高企认定日期", b.5);
            put("上市日期", b.6);
            put("上市板块", b.7);
            put("专利", c.0);
            put("研发机构级别", c.1);
            put("新增股权融资额", c.2);
            put("技术合同成交额", c.3);
            put("首台套销售额", c.4);
            put("科技型中小企业", c.5);
            put("专精特新级别", c.6);
            put("首次升规", c.7);
            put("数字化投入", c.8);
            Json::Object(m)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn a_batch_gives_the_same_answers_as_each_record_alone(records in proptest::collection::vec(arb_enterprise(), 1..40)) {
        let p = compile(&demo_policy()).unwrap();
        let d = parse_date("2024-06-30").unwrap();
        let batch = Dataset::from_json(&p, &records).unwrap();
        let res = p.evaluate(&batch, d);
        for (r, rec) in records.iter().enumerate() {
            let one = Dataset::from_json(&p, std::slice::from_ref(rec)).unwrap();
            let alone = p.evaluate(&one, d);
            for c in 0..p.clauses.len() {
                let a = outcome(&p, &batch, c, &res[c], r, r);
                let b = outcome(&p, &one, c, &alone[c], 0, 0);
                prop_assert_eq!(a, b);
            }
        }
    }
}

#[test]
fn chunk_boundaries_do_not_change_answers() {
    // More records than one chunk, with lists of varying length crossing chunk edges.
    let p = compile(&demo_policy()).unwrap();
    let d = parse_date("2024-06-30").unwrap();
    let records: Vec<Json> = (0..5000)
        .map(|i| {
            let patents: Vec<Json> = (0..(i % 4)).map(|k| json!({"类型": if k % 2 == 0 {"发明"} else {"实用新型"}, "数量": k + 1})).collect();
            json!({"注册地在高新区": i % 7 != 0, "专利": patents, "研发投入": i * 1000, "营业收入": 100_000 + i, "失信企业": false, "行业": "集成电路"})
        })
        .collect();
    let batch = Dataset::from_json(&p, &records).unwrap();
    let res = p.evaluate(&batch, d);
    assert_eq!(
        p.evaluate_parallel(&batch, d, 2),
        res,
        "threads change nothing"
    );
    for r in [0usize, 2047, 2048, 2049, 4095, 4096, 4999] {
        let one = Dataset::from_json(&p, std::slice::from_ref(&records[r])).unwrap();
        let alone = p.evaluate(&one, d);
        for c in 0..p.clauses.len() {
            assert_eq!(
                outcome(&p, &batch, c, &res[c], r, r),
                outcome(&p, &one, c, &alone[c], 0, 0),
                "record {r} clause {c}"
            );
        }
    }
}

//! The rule-engine benchmark behind docs/benchmarks.md (section "Rule engine").
//!
//! Generates 1,000,000 enterprises deterministically (SplitMix64, fixed seed), evaluates the 20
//! clauses of `policies/gaoxin20.rules` column at a time, reports the time per clause and in
//! total, compares four clauses with hand-written Rust (engine and hand-written loop timed
//! alternately in the same loop, and checked to give the same answer for every record), and —
//! when `ZHENGWU_OPENFISCA_PYTHON` names a python with `openfisca-core` (see
//! `bench/openfisca/setup.sh`) — runs the same rules in OpenFisca on the same data (written to a
//! scratch directory as raw columns) in the same run and prints the ratio.
//!
//! ```text
//! ZHENGWU_OPENFISCA_PYTHON=/tmp/of-venv/bin/python cargo run --release -p zhengwu-rules --example bench
//! ```
//! Environment: `ZHENGWU_BENCH_N` (records, default 1000000), `ZHENGWU_BENCH_REPS` (default 5),
//! `ZHENGWU_BENCH_DIR` (where the columns for OpenFisca go; default a temporary directory, removed
//! afterwards), `ZHENGWU_BENCH_ONLY=<clause>` (evaluate only that clause, 50 times: for a profiler).

// Money is written grouped by 万 (10⁴): 500_0000_00 fen = 500万元.
#![allow(clippy::inconsistent_digit_grouping)]

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;
use zhengwu_rules::compile::Program;
use zhengwu_rules::data::InputData;
use zhengwu_rules::value::{DEC_SCALE, parse_date};
use zhengwu_rules::{Column, Dataset, ListColumn, compile};

const SEED: u64 = 0x5EED_2026_0008;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A counter-based generator: the value for (field, record) does not depend on order.
struct Gen {
    seed: u64,
}

impl Gen {
    fn u(&self, field: u64, i: usize) -> u64 {
        splitmix(
            self.seed
                ^ field.wrapping_mul(0xD1B5_4A32_D192_ED03)
                ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        )
    }
    /// Uniform in [0, 1).
    fn f(&self, field: u64, i: usize) -> f64 {
        (self.u(field, i) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&self, field: u64, i: usize, n: u64) -> i64 {
        (self.u(field, i) % n) as i64
    }
    /// Log-uniform whole yuan in [lo, hi].
    fn log_yuan(&self, field: u64, i: usize, lo: f64, hi: f64) -> i64 {
        (lo * (hi / lo).powf(self.f(field, i))).round() as i64
    }
    fn pick(&self, field: u64, i: usize, weights: &[f64]) -> i64 {
        let x = self.f(field, i) * weights.iter().sum::<f64>();
        let mut acc = 0.0;
        for (k, w) in weights.iter().enumerate() {
            acc += w;
            if x < acc {
                return k as i64;
            }
        }
        weights.len() as i64 - 1
    }
}

/// A generated column: runtime values and known mask, plus what OpenFisca is given.
struct GenCol {
    name: &'static str,
    key: &'static str,
    kind: &'static str,
    values: Vec<i64>,
    known: Option<Vec<bool>>,
}

fn day(s: &str) -> i64 {
    i64::from(parse_date(s).unwrap_or(0))
}

struct Generated {
    data: Dataset,
    cols: Vec<GenCol>,
    pat_inv: Vec<i64>,
    pat_util: Vec<i64>,
}

fn generate(prog: &Program, n: usize) -> Result<Generated, Box<dyn Error>> {
    let g = Gen { seed: SEED };
    let mut cols: Vec<GenCol> = Vec::new();
    let mut add = |name, key, kind, f: &dyn Fn(usize) -> Option<i64>| {
        let mut values = Vec::with_capacity(n);
        let mut known = Vec::with_capacity(n);
        for i in 0..n {
            let v = f(i);
            values.push(v.unwrap_or(0));
            known.push(v.is_some());
        }
        let all = known.iter().all(|k| *k);
        cols.push(GenCol {
            name,
            key,
            kind,
            values,
            known: if all { None } else { Some(known) },
        });
    };
    let yuan = |y: i64| y * 100;
    let (d2010, d2017, d2021, d2022, deval) = (
        day("2010-01-01"),
        day("2017-01-01"),
        day("2021-01-01"),
        day("2022-01-01"),
        day("2024-06-30"),
    );
    let rev = |i: usize| g.log_yuan(3, i, 1e5, 1e9);
    let rd = |i: usize| (rev(i) as f64 * 0.15 * g.f(5, i)).round() as i64;
    let staff = |i: usize| 1 + g.below(9, i, 2000);
    let area = |i: usize| {
        if g.f(20, i) < 0.2 {
            0
        } else {
            20 + g.below(21, i, 5000)
        }
    };
    add("注册地在高新区", "registered", "bool", &|i| {
        Some(i64::from(g.f(1, i) < 0.9))
    });
    add("失信企业", "dishonest", "bool", &|i| {
        (g.f(2, i) >= 0.02).then(|| i64::from(g.f(102, i) < 0.02))
    });
    add("成立日期", "founded", "date", &|i| {
        Some(d2010 + g.below(4, i, (deval - d2010) as u64))
    });
    add("行业", "industry", "enum", &|i| Some(g.below(6, i, 11)));
    add("规模", "size", "enum", &|i| {
        Some(g.pick(7, i, &[0.05, 0.20, 0.40, 0.35]))
    });
    add("营业收入", "rev", "money", &|i| Some(yuan(rev(i))));
    add("上年营业收入", "rev_prev", "money", &|i| {
        (g.f(8, i) >= 0.05).then(|| yuan((rev(i) as f64 * (0.6 + g.f(108, i))).round() as i64))
    });
    add("研发投入", "rd", "money", &|i| {
        (g.f(10, i) >= 0.03).then(|| yuan(rd(i)))
    });
    add("上年研发投入", "rd_prev", "money", &|i| {
        Some(yuan((rd(i) as f64 * (0.5 + g.f(11, i))).round() as i64))
    });
    add("纳税额", "tax", "money", &|i| {
        Some(yuan((rev(i) as f64 * 0.08 * g.f(12, i)).round() as i64))
    });
    add("从业人数", "staff", "num", &|i| {
        Some(staff(i) * DEC_SCALE)
    });
    add("研发人员数", "rd_staff", "num", &|i| {
        Some(((staff(i) as f64 * 0.5 * g.f(13, i)) as i64) * DEC_SCALE)
    });
    add("是高新技术企业", "hte", "bool", &|i| {
        Some(i64::from(g.f(14, i) < 0.3))
    });
    add("首次认定高企", "hte_first", "bool", &|i| {
        Some(i64::from(g.f(15, i) < 0.4))
    });
    add("高企认定日期", "hte_date", "date", &|i| {
        (g.f(14, i) < 0.3).then(|| d2021 + g.below(16, i, (deval - d2021 + 1) as u64))
    });
    add("上市日期", "list_date", "date", &|i| {
        (g.f(17, i) < 0.03).then(|| d2022 + g.below(18, i, (deval - d2022 + 1) as u64))
    });
    add("上市板块", "board", "enum", &|i| {
        Some(g.below(19, i, 5))
    });
    add("核心人才层次", "talent", "enum", &|i| {
        Some(g.pick(22, i, &[0.01, 0.04, 0.10, 0.20, 0.65]))
    });
    add("人才在区内购房", "talent_house", "bool", &|i| {
        Some(i64::from(g.f(23, i) < 0.3))
    });
    add("租赁面积", "rent_area", "num", &|i| {
        Some(area(i) * DEC_SCALE)
    });
    add("年租金", "rent", "money", &|i| {
        Some(yuan(area(i) * (300 + g.below(24, i, 1200))))
    });
    add("研发机构级别", "lab", "enum", &|i| {
        (g.f(25, i) < 0.10).then(|| g.pick(26, i, &[0.1, 0.3, 0.6]))
    });
    add("新增股权融资额", "equity", "money", &|i| {
        Some(if g.f(27, i) < 0.8 {
            0
        } else {
            yuan(g.log_yuan(28, i, 1e6, 5e8))
        })
    });
    add("技术合同成交额", "tech_contract", "money", &|i| {
        Some(if g.f(29, i) < 0.7 {
            0
        } else {
            yuan(g.log_yuan(30, i, 1e5, 2e7))
        })
    });
    add("首台套销售额", "first_set", "money", &|i| {
        (g.f(31, i) < 0.05).then(|| yuan(g.log_yuan(32, i, 1e5, 5e7)))
    });
    add("科技型中小企业", "tsme", "bool", &|i| {
        Some(i64::from(g.f(33, i) < 0.25))
    });
    add("专精特新级别", "srdi", "enum", &|i| {
        (g.f(34, i) < 0.10).then(|| g.pick(35, i, &[0.1, 0.3, 0.6]))
    });
    add("首次升规", "upgrade", "bool", &|i| {
        Some(i64::from(g.f(36, i) < 0.05))
    });
    add("数字化投入", "digital", "money", &|i| {
        (g.f(37, i) < 0.3).then(|| yuan(g.below(38, i, 5_000_000)))
    });
    let _ = d2017;

    let mut data = Dataset::empty(prog, n);
    for c in &cols {
        data.set(
            prog,
            c.name,
            Column {
                values: c.values.clone(),
                known: c.known.clone(),
            },
        )?;
    }
    // Patents: a list of (type, count) per enterprise.
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0u32);
    let (mut types, mut counts) = (Vec::new(), Vec::new());
    let (mut pat_inv, mut pat_util) = (vec![0i64; n], vec![0i64; n]);
    for i in 0..n {
        let items = g.below(40, i, 6) as usize;
        for k in 0..items {
            let t = g.below(41 + 2 * k as u64, i, 3);
            let c = 1 + g.below(42 + 2 * k as u64, i, 10);
            types.push(t);
            counts.push(c * DEC_SCALE);
            match t {
                0 => pat_inv[i] += c,
                1 => pat_util[i] += c,
                _ => {}
            }
        }
        offsets.push(u32::try_from(types.len())?);
    }
    data.set_list(
        prog,
        "专利",
        ListColumn {
            offsets,
            known: None,
            fields: vec![Column::known(types), Column::known(counts)],
        },
    )?;
    Ok(Generated {
        data,
        cols,
        pat_inv,
        pat_util,
    })
}

fn write_i64(path: &Path, v: &[i64]) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(v.len() * 8);
    for x in v {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(path, bytes)
}

fn export(
    dir: &Path,
    g: &Generated,
    n: usize,
    results: &BTreeMap<String, (usize, i128)>,
) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(dir)?;
    let mut manifest = serde_json::Map::new();
    for c in &g.cols {
        write_i64(&dir.join(format!("{}.i64", c.key)), &c.values)?;
        if let Some(k) = &c.known {
            std::fs::write(
                dir.join(format!("{}.known", c.key)),
                k.iter().map(|b| u8::from(*b)).collect::<Vec<u8>>(),
            )?;
        }
        manifest.insert(
            c.key.into(),
            json!({"name": c.name, "kind": c.kind, "has_unknown": c.known.is_some()}),
        );
    }
    write_i64(&dir.join("pat_inv.i64"), &g.pat_inv)?;
    write_i64(&dir.join("pat_util.i64"), &g.pat_util)?;
    manifest.insert(
        "pat_inv".into(),
        json!({"name": "发明专利数", "kind": "count", "has_unknown": false}),
    );
    manifest.insert(
        "pat_util".into(),
        json!({"name": "实用新型专利数", "kind": "count", "has_unknown": false}),
    );
    let rust: serde_json::Map<String, serde_json::Value> = results
        .iter()
        .map(|(k, (yes, total))| (k.clone(), json!({"yes": yes, "total_fen": *total as f64})))
        .collect();
    let m = json!({"n": n, "date": "2024-06-30", "columns": manifest, "rust_results": rust});
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&m)?)?;
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn scalar<'a>(d: &'a Dataset, p: &Program, name: &str) -> &'a Column {
    match p.input_index(name).and_then(|i| d.inputs.get(i)) {
        Some(Some(InputData::Scalar(c))) => c,
        _ => panic!("bench data lacks {name}"),
    }
}

// ---------------- hand-written Rust versions of four clauses ----------------
// Same semantics as the engine (three-valued conditions, exceptions, exact fen, half-up),
// written as one fused loop per clause, as a careful programmer would.

fn known(c: &Column, i: usize) -> bool {
    c.known.as_ref().is_none_or(|k| k[i])
}

fn half_up_div(n: i64, d: i64) -> i64 {
    // n >= 0, d > 0
    (2 * n + d) / (2 * d)
}

fn hand_rd_subsidy(d: &Dataset, p: &Program) -> (Vec<u8>, Vec<i64>) {
    let (reg, ind, rd, rev, dis, size) = (
        scalar(d, p, "注册地在高新区"),
        scalar(d, p, "行业"),
        scalar(d, p, "研发投入"),
        scalar(d, p, "营业收入"),
        scalar(d, p, "失信企业"),
        scalar(d, p, "规模"),
    );
    const TECH: [bool; 11] = [
        true, true, true, true, true, true, true, true, false, false, false,
    ];
    let n = d.len;
    let (mut e, mut a) = (vec![0u8; n], vec![0i64; n]);
    for i in 0..n {
        let c1 = reg.values[i] != 0;
        let c2 = TECH[ind.values[i] as usize];
        let (r, v) = (rd.values[i], rev.values[i]);
        let c3 = if known(rd, i) && v != 0 {
            Some((r * DEC_SCALE).div_euclid(v) >= 30_000)
        } else {
            None
        };
        let mut elig = if !c1 || !c2 || c3 == Some(false) {
            0
        } else if c3.is_none() {
            2
        } else {
            1
        };
        let small = size.values[i] >= 2;
        let mut rate = 12;
        if !known(dis, i) {
            if elig != 0 {
                elig = 2;
            }
        } else if dis.values[i] != 0 {
            elig = 0;
        } else if small {
            rate = 15;
        }
        e[i] = elig;
        if elig == 1 {
            a[i] = half_up_div(r * rate, 100).clamp(0, 500_0000_00);
        }
    }
    (e, a)
}

fn hand_equity(d: &Dataset, p: &Program) -> (Vec<u8>, Vec<i64>) {
    let (reg, eq) = (
        scalar(d, p, "注册地在高新区"),
        scalar(d, p, "新增股权融资额"),
    );
    let n = d.len;
    let (mut e, mut a) = (vec![0u8; n], vec![0i64; n]);
    for i in 0..n {
        let x = eq.values[i];
        if reg.values[i] != 0 && x >= 1000_0000_00 {
            e[i] = 1;
            // 0–5000万 at 1%, 5000万–1亿 at 0.5%, above at 0.2%; exact, one rounding.
            let s1 = x.min(5000_0000_00);
            let s2 = (x.min(1_0000_0000_00) - 5000_0000_00).max(0);
            let s3 = (x - 1_0000_0000_00).max(0);
            let micro = s1 as i128 * 10_000 + s2 as i128 * 5_000 + s3 as i128 * 2_000;
            let fen = ((2 * micro + DEC_SCALE as i128) / (2 * DEC_SCALE as i128)) as i64;
            a[i] = fen.min(200_0000_00);
        }
    }
    (e, a)
}

fn hand_talent_housing(d: &Dataset, p: &Program) -> (Vec<u8>, Vec<i64>) {
    let (reg, t, h) = (
        scalar(d, p, "注册地在高新区"),
        scalar(d, p, "核心人才层次"),
        scalar(d, p, "人才在区内购房"),
    );
    const AMOUNT: [i64; 5] = [200_0000_00, 100_0000_00, 50_0000_00, 20_0000_00, 0];
    let n = d.len;
    let (mut e, mut a) = (vec![0u8; n], vec![0i64; n]);
    for i in 0..n {
        let level = t.values[i] as usize;
        if reg.values[i] != 0 && level < 4 && h.values[i] != 0 {
            e[i] = 1;
            a[i] = AMOUNT[level];
        }
    }
    (e, a)
}

fn hand_patents(d: &Dataset, p: &Program) -> (Vec<u8>, Vec<i64>) {
    let reg = scalar(d, p, "注册地在高新区");
    let Some(Some(InputData::List(l))) = p.input_index("专利").and_then(|i| d.inputs.get(i))
    else {
        panic!("no patents")
    };
    let (types, counts) = (&l.fields[0].values, &l.fields[1].values);
    let n = d.len;
    let (mut e, mut a) = (vec![0u8; n], vec![0i64; n]);
    for i in 0..n {
        let (mut inv, mut util) = (0i64, 0i64);
        for j in l.offsets[i] as usize..l.offsets[i + 1] as usize {
            match types[j] {
                0 => inv += counts[j],
                1 => util += counts[j],
                _ => {}
            }
        }
        if reg.values[i] != 0 && inv + util >= DEC_SCALE {
            e[i] = 1;
            // counts are ×10⁶; 1万元 = 10⁶ fen, 1000元 = 10⁵ fen
            a[i] = (inv + util / 10).min(50_0000_00);
        }
    }
    (e, a)
}

fn main() -> Result<(), Box<dyn Error>> {
    let n: usize = std::env::var("ZHENGWU_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let reps: usize = std::env::var("ZHENGWU_BENCH_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let src = std::fs::read_to_string(root.join("policies/gaoxin20.rules"))?;
    let prog = compile(&src).map_err(|e| e.to_string())?;
    let date = parse_date("2024-06-30").ok_or("date")?;

    println!(
        "zhengwu-rules benchmark: {n} enterprises × {} clauses, {reps} runs (median), 1 thread",
        prog.clauses.len()
    );
    let t = Instant::now();
    let generated = generate(&prog, n)?;
    println!(
        "generated the data in {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let data = &generated.data;

    let t = Instant::now();
    let compiled = compile(&src).map_err(|e| e.to_string())?;
    println!(
        "parse + type-check of the policy: {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    drop(compiled);

    // `ZHENGWU_BENCH_ONLY=<clause>`: evaluate that clause 50 times and stop (for a profiler).
    if let Ok(only) = std::env::var("ZHENGWU_BENCH_ONLY") {
        let ci = prog.clause_index(&only).ok_or("no such clause")?;
        let t = Instant::now();
        for _ in 0..50 {
            std::hint::black_box(prog.evaluate_clause(ci, data, date));
        }
        println!(
            "{only}: {:.1} ms per run",
            t.elapsed().as_secs_f64() * 1e3 / 50.0
        );
        return Ok(());
    }

    // Per clause.
    let mut per_clause: Vec<(String, f64, [usize; 4], i128)> = Vec::new();
    let mut results = BTreeMap::new();
    for (ci, c) in prog.clauses.iter().enumerate() {
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..reps {
            let t = Instant::now();
            let r = prog.evaluate_clause(ci, data, date);
            times.push(t.elapsed().as_secs_f64() * 1e3);
            last = Some(r);
        }
        let r = last.ok_or("no run")?;
        results.insert(c.name.clone(), (r.counts()[1], r.total_amount()));
        per_clause.push((c.name.clone(), median(times), r.counts(), r.total_amount()));
    }
    let mut totals = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let r = prog.evaluate(data, date);
        totals.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(r);
    }
    let engine_total = median(totals);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut par = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let r = prog.evaluate_parallel(data, date, threads);
        par.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(r);
    }
    let engine_parallel = median(par);

    // Hand-written.
    type Hand = fn(&Dataset, &Program) -> (Vec<u8>, Vec<i64>);
    let hands: [(&str, Hand); 4] = [
        ("研发投入补助", hand_rd_subsidy),
        ("股权融资奖励", hand_equity),
        ("人才住房补贴", hand_talent_housing),
        ("专利资助", hand_patents),
    ];
    // Engine and hand-written loop timed alternately, rep by rep, so that both see the same
    // machine (the ratio is not at the mercy of a build starting between the two).
    let mut hand_rows = Vec::new();
    for (name, f) in hands {
        let ci = prog.clause_index(name).ok_or("clause")?;
        let mut engine = prog.evaluate_clause(ci, data, date);
        let (mut times, mut engine_times) = (Vec::new(), Vec::new());
        let mut out = (Vec::new(), Vec::new());
        for _ in 0..reps {
            // The previous results are dropped outside the timed part, on both sides.
            let t = Instant::now();
            let e = prog.evaluate_clause(ci, data, date);
            engine_times.push(t.elapsed().as_secs_f64() * 1e3);
            engine = e;
            let t = Instant::now();
            let o = f(data, &prog);
            times.push(t.elapsed().as_secs_f64() * 1e3);
            out = o;
        }
        let same = out.0 == engine.eligibility && out.1 == engine.amount;
        if !same {
            let bad =
                (0..n).find(|&i| out.0[i] != engine.eligibility[i] || out.1[i] != engine.amount[i]);
            return Err(
                format!("hand-written {name} disagrees with the engine at record {bad:?}").into(),
            );
        }
        hand_rows.push((name, median(times), median(engine_times)));
    }

    // OpenFisca.
    let mut openfisca: Option<serde_json::Value> = None;
    if let Ok(py) = std::env::var("ZHENGWU_OPENFISCA_PYTHON") {
        let dir = std::env::var("ZHENGWU_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                std::env::temp_dir().join(format!("zhengwu-rules-bench-{}", std::process::id()))
            });
        let t = Instant::now();
        export(&dir, &generated, n, &results)?;
        println!(
            "wrote the columns for OpenFisca to {} in {:.0} ms",
            dir.display(),
            t.elapsed().as_secs_f64() * 1e3
        );
        let script = root.join("bench/openfisca/bench_openfisca.py");
        let out = std::process::Command::new(&py)
            .arg(&script)
            .arg(&dir)
            .arg(reps.to_string())
            .output()?;
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            let last = text.lines().last().unwrap_or("");
            openfisca = Some(serde_json::from_str(last)?);
        } else {
            println!(
                "OpenFisca run failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if std::env::var("ZHENGWU_BENCH_DIR").is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
    } else {
        println!(
            "(ZHENGWU_OPENFISCA_PYTHON not set: OpenFisca comparison skipped; see bench/openfisca/setup.sh)"
        );
    }

    println!();
    println!(
        "| # | clause | zhengwu-rules ms | OpenFisca ms | OpenFisca ÷ zhengwu | eligible (yes / no / unknown) | total amount (万元) | same eligible count, total within 10⁻⁶ of OpenFisca |"
    );
    println!("|---|---|---:|---:|---:|---|---:|---|");
    let mut of_sum = 0.0;
    for (k, (name, ms, counts, total)) in per_clause.iter().enumerate() {
        let of = openfisca.as_ref().and_then(|o| o["clauses"].get(name));
        let of_ms = of.and_then(|x| x["ms"].as_f64());
        of_sum += of_ms.unwrap_or(0.0);
        let agree = of.map_or("–".to_string(), |x| {
            let yes = x["yes"].as_u64().unwrap_or(0) as usize;
            let tot = x["total_fen"].as_f64().unwrap_or(0.0);
            let diff_yes = yes.abs_diff(counts[1]);
            let rel = if *total == 0 {
                tot.abs()
            } else {
                ((tot - *total as f64) / *total as f64).abs()
            };
            if diff_yes == 0 && rel < 1e-6 {
                "yes".to_string()
            } else {
                format!(
                    "{diff_yes} records differ, total differs by {:.4}%",
                    rel * 100.0
                )
            }
        });
        println!(
            "| {} | {name} | {ms:.1} | {} | {} | {} / {} / {} | {:.1} | {agree} |",
            k + 1,
            of_ms.map_or("–".into(), |x| format!("{x:.1}")),
            of_ms.map_or("–".into(), |x| format!("{:.1}×", x / ms)),
            counts[1],
            counts[0],
            counts[2] + counts[3],
            *total as f64 / 1e6,
        );
    }
    let engine_sum: f64 = per_clause.iter().map(|r| r.1).sum();
    match &openfisca {
        Some(o) => {
            let of_total = o["total_ms"].as_f64().unwrap_or(of_sum);
            println!(
                "| | **all 20 clauses** (zhengwu: one `evaluate` call; OpenFisca: one fresh simulation) | **{engine_total:.1}** | **{of_total:.1}** | **{:.1}×** | | | |",
                of_total / engine_total
            );
            println!();
            println!(
                "OpenFisca {} (numpy {}), setting the inputs took {:.0} ms (not counted above).",
                o["openfisca_version"].as_str().unwrap_or("?"),
                o["numpy_version"].as_str().unwrap_or("?"),
                o["load_ms"].as_f64().unwrap_or(f64::NAN)
            );
        }
        None => println!(
            "| | **all 20 clauses** (one `evaluate` call) | **{engine_total:.1}** | – | | | | |"
        ),
    }
    println!(
        "all 20 clauses with `evaluate_parallel` on {threads} threads: {engine_parallel:.1} ms"
    );
    println!(
        "(sum of the per-clause medians: {engine_sum:.1} ms; per record: {:.1} ns for all 20 clauses)",
        engine_total * 1e6 / n as f64
    );
    println!();
    println!(
        "| clause | hand-written Rust ms | zhengwu-rules ms (timed alternately) | zhengwu ÷ hand-written |"
    );
    println!("|---|---:|---:|---:|");
    for (name, hand, eng) in &hand_rows {
        println!("| {name} | {hand:.1} | {eng:.1} | {:.2}× |", eng / hand);
    }
    println!(
        "(the hand-written versions give exactly the engine's eligibility and amounts on all {n} records: checked)"
    );
    Ok(())
}

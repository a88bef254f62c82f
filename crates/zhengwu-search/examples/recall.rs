//! Quick recall check over the demo catalog files, for tuning weights and synonyms without
//! building the server: `cargo run -p zhengwu-search --example recall [--misses] [--split=dev] [--report]`.
//! Misses are printed for the `tune`, `dev` and `dev2` splits, never for the secret ones
//! (`eval::SECRET_SPLITS`), whose figures show only with `--report`.
//! The figures that count are `zhengwu bench guide`'s (same index, same questions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde::Deserialize;
use zhengwu_search::{Entry, SearchIndex, Synonym, eval};

#[derive(Deserialize)]
struct Items {
    items: Vec<zhengwu_core::catalog::Item>,
}

#[derive(Deserialize)]
struct Syn {
    synonyms: Vec<SynRow>,
}

#[derive(Deserialize)]
struct SynRow {
    phrase: String,
    expansion: String,
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let read = |p: &str| std::fs::read_to_string(format!("{root}/{p}")).unwrap();
    let district: toml::Value =
        toml::from_str(&read("crates/zhengwu-store/src/demo/district.toml")).unwrap();
    let dept = |code: &str| -> String {
        district["departments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"].as_str() == Some(code))
            .and_then(|d| d["name"].as_str())
            .unwrap_or("")
            .to_owned()
    };
    let mut items = Vec::new();
    for f in ["enterprise", "citizen"] {
        let file: Items = toml::from_str(&read(&format!(
            "crates/zhengwu-store/src/demo/catalog/{f}.toml"
        )))
        .unwrap();
        items.extend(file.items);
    }
    // `--latency=N`: the catalog grown to N items, as `zhengwu bench guide` does.
    let latency = std::env::args().find_map(|a| {
        a.strip_prefix("--latency=")
            .map(|n| n.parse::<usize>().expect("--latency=N"))
    });
    if let Some(n) = latency {
        items = eval::grow(&items, n);
    }
    let entries: Vec<Entry> = items
        .iter()
        .map(|i| Entry::from_item(i, &dept(&i.department)))
        .collect();
    let names: std::collections::HashMap<String, String> = entries
        .iter()
        .map(|e| (e.code.clone(), e.name.clone()))
        .collect();
    let syn: Syn =
        toml::from_str(&read("crates/zhengwu-store/src/demo/catalog/synonyms.toml")).unwrap();
    let ix = SearchIndex::new().unwrap();
    ix.rebuild(
        entries,
        syn.synonyms
            .into_iter()
            .map(|s| Synonym {
                phrase: s.phrase,
                expansion: s.expansion,
            })
            .collect(),
    )
    .unwrap();
    // `--explain=问题`: the best ten for one question, with their scores.
    if let Some(q) = std::env::args().find_map(|a| a.strip_prefix("--explain=").map(str::to_owned))
    {
        println!("expansions: {:?}", ix.expansions(&q));
        for h in ix.search(&q, zhengwu_search::Audience::Anyone, 10).unwrap() {
            println!(
                "{:7.2} {} {} {}",
                h.score,
                if h.strong { "*" } else { " " },
                h.code,
                names[&h.code]
            );
        }
        return;
    }
    let mut questions = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/tests/guide"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("questions-") && n.ends_with(".toml"))
        .collect();
    files.sort();
    for f in files {
        questions.extend(eval::parse_questions(&read(&format!("tests/guide/{f}"))).unwrap());
    }
    if latency.is_some() {
        let mut times = Vec::new();
        for _ in 0..5 {
            for q in &questions {
                let t = std::time::Instant::now();
                std::hint::black_box(
                    ix.answer(&q.q, zhengwu_search::Audience::Anyone, 5)
                        .unwrap(),
                );
                times.push(t.elapsed());
            }
        }
        times.sort();
        let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
        println!(
            "{} items, {} answers: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            ix.len(),
            times.len(),
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        );
        return;
    }
    let show_misses = std::env::args().any(|a| a == "--misses");
    let split_filter = std::env::args().find_map(|a| a.strip_prefix("--split=").map(str::to_owned));
    // While tuning, the held-out figures (`held_out`, and `test2`, the blind file's other
    // half) are not shown either: choosing among variants by them would be tuning on them.
    // `--report` shows them, once a variant is chosen.
    let report = std::env::args().any(|a| a == "--report");
    for r in eval::evaluate(&ix, &questions).unwrap() {
        if !report && (eval::is_secret(&r.split) || r.split == "all") {
            continue;
        }
        println!(
            "{:9} n={:3} recall@1={:.3} recall@3={:.3} mrr={:.3}",
            r.split, r.questions, r.recall_at_1, r.recall_at_3, r.mrr
        );
        // The held-out questions' misses are never shown: nobody tuning may read them.
        if show_misses
            && split_filter.as_deref().is_none_or(|s| s == r.split)
            && r.split != "all"
            && !eval::is_secret(&r.split)
        {
            for m in &r.misses {
                println!("   miss: {}  want {:?}  got {:?}", m.q, m.answers, m.got);
            }
        }
    }
}

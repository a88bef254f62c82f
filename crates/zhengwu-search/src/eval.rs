//! Measuring guidance: recall@1, recall@3 and mean reciprocal rank over labelled questions,
//! reported per split (`tune` is what the weights and synonyms were tuned on; `dev` and `dev2`
//! judged later changes; `held_out` and `test2` are kept aside and never tuned on).

use serde::Deserialize;

use crate::{Audience, Result, SearchIndex};

/// The splits kept aside: never tuned on, and their misses never shown to whoever tunes.
/// `held_out` came with the first question sets; `test2` is the half of the blind file
/// (`questions-blind.toml`, written without seeing any other question, the aliases, the synonym
/// table or the engine) whose other half, `dev2`, may be looked at.
pub const SECRET_SPLITS: &[&str] = &["held_out", "test2"];

/// Whether a split's misses may be shown (see [`SECRET_SPLITS`]).
pub fn is_secret(split: &str) -> bool {
    SECRET_SPLITS.contains(&split)
}

/// A question in the words residents use, with the items that answer it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub q: String,
    pub answers: Vec<String>,
    pub split: String,
}

#[derive(Debug, Deserialize)]
struct QuestionFile {
    questions: Vec<Question>,
}

/// Reads a question file (`tests/guide/questions-*.toml`).
pub fn parse_questions(text: &str) -> std::result::Result<Vec<Question>, String> {
    toml::from_str::<QuestionFile>(text)
        .map(|f| f.questions)
        .map_err(|e| e.to_string())
}

/// A question the index did not answer within the top three.
#[derive(Debug, Clone)]
pub struct Miss {
    pub q: String,
    pub answers: Vec<String>,
    pub got: Vec<String>,
}

/// The figures of one split.
#[derive(Debug, Clone)]
pub struct Report {
    pub split: String,
    pub questions: usize,
    pub recall_at_1: f64,
    pub recall_at_3: f64,
    pub mrr: f64,
    pub misses: Vec<Miss>,
}

/// Runs every question and reports each split, then all together (split `all`).
pub fn evaluate(ix: &SearchIndex, questions: &[Question]) -> Result<Vec<Report>> {
    let mut splits: Vec<String> = Vec::new();
    for q in questions {
        if !splits.contains(&q.split) {
            splits.push(q.split.clone());
        }
    }
    splits.push("all".into());
    let mut ranks = Vec::with_capacity(questions.len());
    for q in questions {
        let hits = ix.answer(&q.q, Audience::Anyone, 10)?;
        let rank = hits.iter().position(|h| q.answers.contains(&h.code));
        ranks.push((
            rank,
            hits.into_iter().take(3).map(|h| h.code).collect::<Vec<_>>(),
        ));
    }
    Ok(splits
        .into_iter()
        .map(|split| {
            let mut r = Report {
                split: split.clone(),
                questions: 0,
                recall_at_1: 0.0,
                recall_at_3: 0.0,
                mrr: 0.0,
                misses: Vec::new(),
            };
            for (q, (rank, got)) in questions.iter().zip(&ranks) {
                if split != "all" && q.split != split {
                    continue;
                }
                r.questions += 1;
                if let Some(k) = rank {
                    r.mrr += 1.0 / (*k as f64 + 1.0);
                    r.recall_at_1 += f64::from(u8::from(*k == 0));
                    r.recall_at_3 += f64::from(u8::from(*k < 3));
                }
                if !rank.is_some_and(|k| k < 3) {
                    r.misses.push(Miss {
                        q: q.q.clone(),
                        answers: q.answers.clone(),
                        got: got.clone(),
                    });
                }
            }
            if r.questions > 0 {
                let n = r.questions as f64;
                r.recall_at_1 /= n;
                r.recall_at_3 /= n;
                r.mrr /= n;
            }
            r
        })
        .collect())
}

/// Qualifiers that turn the demo's items into distinct ones for the latency catalog.
const VARIANTS: [&str; 48] = [
    "高新园区",
    "七贤岭",
    "黄泥川",
    "凌水",
    "龙王塘",
    "大连湾",
    "河口",
    "小平岛",
    "软件园",
    "旅顺南路",
    "学苑",
    "新区",
    "东软",
    "数码",
    "星海",
    "金州",
    "甘井子",
    "西岗",
    "中山",
    "沙河口",
    "普兰店",
    "瓦房店",
    "庄河",
    "长海",
    "开发区",
    "保税区",
    "经济区",
    "科技城",
    "生态城",
    "港区",
    "临空",
    "空港",
    "会展",
    "体育",
    "文化",
    "教育",
    "医疗",
    "养老",
    "商贸",
    "物流",
    "制造",
    "农业",
    "渔业",
    "旅游",
    "海洋",
    "能源",
    "金融",
    "交通",
];

/// A catalog of `n` items for measuring latency: the items of `base` again and again, each
/// round with a qualifier in its name and code (`企业设立登记（开发区）`), so that the index
/// holds `n` distinct items with the vocabulary and the lengths of real ones.
pub fn grow(base: &[zhengwu_core::catalog::Item], n: usize) -> Vec<zhengwu_core::catalog::Item> {
    let mut out = Vec::with_capacity(n);
    if base.is_empty() {
        return out;
    }
    for i in 0..n {
        let mut item = base[i % base.len()].clone();
        let round = i / base.len();
        if round > 0 {
            let v = VARIANTS[(round - 1) % VARIANTS.len()];
            item.code = format!("{}-V{round}", item.code);
            item.name = format!("{}（{v}）", item.name);
            let n = item.aliases.len().max(1);
            item.aliases.rotate_left(round % n);
        }
        out.push(item);
    }
    out
}

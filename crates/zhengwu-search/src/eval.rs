//! Measuring guidance: recall@1, recall@3 and mean reciprocal rank over labelled questions,
//! reported per split (`tune` is what the weights and synonyms were tuned on; `held_out` is
//! kept aside and never tuned on).

use serde::Deserialize;

use crate::{Audience, Result, SearchIndex};

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

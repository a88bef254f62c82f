//! Errors of the rule language: every one carries the line and column it is about.

use std::fmt;

/// A position in a policy file: line and column, both counted from 1 (columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters (not bytes), from 1.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One error found while reading or checking a policy, at a position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{pos}: {message}")]
pub struct RuleError {
    /// Where the problem is.
    pub pos: Pos,
    /// What the problem is (Chinese first, with the English key words where useful).
    pub message: String,
}

impl RuleError {
    /// An error at `pos`.
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        Self {
            pos,
            message: message.into(),
        }
    }
}

/// All errors found in one policy file (the checker reports as many as it can, not just the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.0))]
pub struct Diagnostics(pub Vec<RuleError>);

fn render(errors: &[RuleError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Diagnostics {
    /// Renders the errors as `file:line:col: error: message` lines.
    pub fn render_for(&self, file: &str) -> String {
        let mut out = String::new();
        for e in &self.0 {
            out.push_str(&format!(
                "{file}:{}:{}: error: {}\n",
                e.pos.line, e.pos.col, e.message
            ));
        }
        out
    }
}

impl From<RuleError> for Diagnostics {
    fn from(e: RuleError) -> Self {
        Diagnostics(vec![e])
    }
}

//! # zhengwu-rules — the policy rule language (一把尺)
//!
//! A policy file holds clauses; a clause has a name, its legal source, an effective period,
//! named conditions, an amount formula, caps, required materials and Catala-style exceptions.
//! [`compile`] parses and type-checks a file into a [`Program`]; [`Program::evaluate`] runs it
//! column at a time over a [`Dataset`] of enterprises; [`trace::trace`] explains one answer;
//! [`cases`] runs the YAML test cases kept beside a policy; [`cli`] holds the work behind
//! `zhengwu rules check|test|eval`.
//!
//! The library does no I/O except in [`cli`], which reads the files it is given by path.

// Amounts of money are written grouped by 万 (10⁴), as people here read them: 500_0000_00 fen.
#![allow(clippy::inconsistent_digit_grouping)]

pub mod ast;
pub mod cases;
pub mod cli;
pub mod compile;
pub mod data;
pub mod error;
pub mod eval;
mod exec;
pub mod lexer;
pub mod parser;
#[cfg(test)]
mod reference;
pub mod trace;
pub mod value;

pub use compile::{Program, compile};
pub use data::{Column, Dataset, ListColumn};
pub use error::{Diagnostics, Pos, RuleError};
pub use eval::{ClauseColumns, Eligibility};

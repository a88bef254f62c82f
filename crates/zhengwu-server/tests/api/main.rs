//! The server's API tests: the real application on port 0, on a fresh database per test —
//! SQLite, or PostgreSQL when `ZHENGWU_TEST_POSTGRES` names a server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod appeals;
mod applicants;
mod booking;
mod calendar;
mod cases;
mod catalog;
mod cli;
mod console;
mod helpers;
mod identity;
mod open311;
mod org;
mod outbox;
mod pages;
mod plumbing;
mod queue;
mod supervision;

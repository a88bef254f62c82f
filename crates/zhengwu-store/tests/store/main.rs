//! The store's tests, on SQLite always and on PostgreSQL when `ZHENGWU_TEST_POSTGRES` names a
//! server (each test on a fresh database).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod appeals;
mod appeals_more;
mod booking;
mod calendar;
mod cases;
mod catalog;
mod demo;
mod identity;
mod notify;
mod org;
mod queue;
mod schema;

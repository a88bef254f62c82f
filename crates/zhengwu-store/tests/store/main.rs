//! The store's tests, on SQLite always and on PostgreSQL when `ZHENGWU_TEST_POSTGRES` names a
//! server (each test on a fresh database).

mod calendar;
mod demo;
mod notify;
mod org;
mod schema;

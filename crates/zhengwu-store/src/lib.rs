//! The database of zhengwu: one connection type for SQLite and PostgreSQL, the migrations,
//! and one repository module per domain. Handlers never write SQL; they call the functions
//! here, each of which runs in the transaction it is given.

pub mod appeals;
pub mod applicants;
pub mod audit;
pub mod booking;
pub mod calendar;
pub mod cases;
pub mod catalog;
mod db;
pub mod demo;
pub mod entity;
mod error;
pub mod identity;
pub mod migration;
pub mod notify;
pub mod org;
pub mod queue;
pub mod ratings;
pub mod scope;
pub mod sql;
pub mod testing;

pub use db::{Backend, Db, WriteTx};
pub use error::StoreError;
pub use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

/// Result of a store function.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

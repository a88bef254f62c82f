//! The zhengwu web server: the application (`Application::build`), its HTTP routes by
//! domain, the pages, the background workers, and the command line of the `zhengwu` binary.
//! `main.rs` only parses the command line and calls into this library, so every test runs the
//! real application on port 0.

pub mod admin;
pub mod auth;
pub mod bench;
pub mod catalog_io;
pub mod cli;
pub mod config;
pub mod csrf;
pub mod error;
pub mod guide;
pub mod http;
pub mod i18n;
pub mod ics;
pub mod metrics;
pub mod notify;
pub mod pages;
pub mod startup;

pub use startup::{AppState, Application};

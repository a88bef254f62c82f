//! The pure domain of zhengwu: ids, the working-day calendar, the checks of Chinese
//! identifiers and their masking, opening hours. Nothing here does I/O; every function is
//! a plain function with tests beside it.

pub mod appeal;
pub mod audit;
pub mod booking;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod files;
pub mod hours;
pub mod ident;
pub mod ids;
pub mod roles;
pub mod secret;
pub mod session;

pub use calendar::{Calendar, WorkingDays, WorkingHours};

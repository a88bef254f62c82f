//! SeaORM entities, one module per table. They mirror the migrations; the repository modules
//! (`org`, `calendar`, `notify`, …) are the only code that uses them.

pub mod calendar_day;
pub mod opening_exception;
pub mod opening_hours;
pub mod org_unit;
pub mod outbox;

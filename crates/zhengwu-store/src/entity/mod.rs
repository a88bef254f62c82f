//! SeaORM entities, one module per table. They mirror the migrations; the repository modules
//! (`org`, `calendar`, `notify`, `identity`, `audit`, …) are the only code that uses them.

pub mod api_token;
pub mod appeal;
pub mod appeal_assignment;
pub mod appeal_event;
pub mod appeal_knowledge;
pub mod appeal_topic;
pub mod applicant_session;
pub mod appointment;
pub mod audit_head;
pub mod audit_log;
pub mod booking_rule;
pub mod booking_slot;
pub mod calendar_day;
pub mod catalog_file;
pub mod catalog_item;
pub mod catalog_synonym;
pub mod catalog_version;
pub mod citizen;
pub mod enterprise;
pub mod enterprise_agent;
pub mod opening_exception;
pub mod opening_hours;
pub mod org_unit;
pub mod otp_code;
pub mod outbox;
pub mod queue_counter;
pub mod queue_event;
pub mod queue_group;
pub mod queue_ticket;
pub mod rating;
pub mod rectification;
pub mod session;
pub mod staff;
pub mod staff_role;
pub mod urgent_request;

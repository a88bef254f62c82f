//! iCalendar files (RFC 5545) for appointments, written with the `icalendar` crate (it folds
//! long lines and escapes text as the RFC says). Checked against Python's `icalendar` in the
//! API tests.

use icalendar::{Alarm, Calendar, Component, Event, EventLike, EventStatus, Trigger};

use crate::http::booking::AppointmentView;

/// The `.ics` of one appointment: its time in UTC, the site as location, the booking code in
/// the summary, a reminder an hour before; cancelled appointments say so.
pub fn appointment(v: &AppointmentView, public_url: &str) -> String {
    let a = &v.appointment;
    let host = public_url
        .split("://")
        .nth(1)
        .unwrap_or(public_url)
        .split(['/', ':'])
        .next()
        .unwrap_or("zhengwu");
    let mut e = Event::new();
    e.uid(&format!("appointment-{}@{host}", a.id))
        .summary(&format!(
            "政务服务预约：{}（预约码 {}）",
            v.item_name, a.code
        ))
        .description(&format!(
            "到{}后刷身份证或输入预约码 {} 即可取号，无需排队取号。请带好身份证和所需材料。",
            v.site_name, a.code
        ))
        .location(&v.site_name)
        .starts(a.starts_at)
        .ends(a.ends_at)
        .created(a.created_at)
        .status(if a.status == "cancelled" {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        })
        .url(&format!(
            "{}/me/appointments",
            public_url.trim_end_matches('/')
        ));
    if a.status == "booked" {
        e.alarm(Alarm::display(
            "政务服务预约将在一小时后开始",
            Trigger::before_start(chrono::Duration::hours(1)),
        ));
    }
    let mut cal = Calendar::new();
    cal.name("zhengwu 政务服务预约").push(e.done());
    cal.done().to_string()
}

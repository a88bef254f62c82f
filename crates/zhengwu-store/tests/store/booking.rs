use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use zhengwu_core::Calendar;
use zhengwu_core::booking::{NoShowRule, RatingLevel, local_instant};
use zhengwu_core::catalog::Item;
use zhengwu_core::ident::{IdNumber, Mobile, ric_check_char};
use zhengwu_store::applicants::{self, NewCitizen};
use zhengwu_store::audit::Actor;
use zhengwu_store::booking::{self, Decision, NewAppointment, Notices, RuleSettings};
use zhengwu_store::queue::{self, PRIORITY_APPOINTMENT, PRIORITY_URGENT, PRIORITY_WALK_IN};
use zhengwu_store::ratings::{self, NewRating};
use zhengwu_store::testing::fresh;
use zhengwu_store::{Db, StoreError, calendar, catalog, demo, org};

const NOTICES: Notices<'static> = Notices {
    sink: "log",
    base_url: "http://zw.test",
};

fn actor() -> Actor {
    Actor::system("test")
}

/// 08:00 in the district on a date.
fn morning(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Citizens numbered `from..from+n`, with valid ID numbers.
async fn citizens(db: &Db, from: usize, n: usize) -> Vec<i64> {
    let tx = db.begin_write().await.unwrap();
    let mut ids = Vec::new();
    for i in from..from + n {
        let birth = date(1980, 1, 1) + Duration::days((i / 800) as i64);
        let first17 = format!("210203{}{:03}", birth.format("%Y%m%d"), i % 800 + 100);
        let check = ric_check_char(first17.as_bytes()).unwrap();
        let id_number = IdNumber::parse(&format!("{first17}{check}"), date(2026, 1, 1)).unwrap();
        ids.push(
            applicants::create_citizen(
                &tx,
                &actor(),
                NewCitizen {
                    name: format!("测试{i}"),
                    id_number,
                    mobile: Mobile::parse(&format!("139{:08}", i)).unwrap(),
                    elderly_alone: false,
                    disabled: false,
                    pregnant: false,
                    address: None,
                },
            )
            .await
            .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    ids
}

/// A bookable item handled in the public service hall, and the hall.
async fn hall_item(db: &Db) -> (org::Unit, Item) {
    let hall = org::find_by_code(db.conn(), "H-PUB")
        .await
        .unwrap()
        .unwrap();
    let item = catalog::published_items(db.conn())
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.bookable && i.halls.contains(&"H-PUB".to_owned()))
        .unwrap();
    (hall, item)
}

async fn setup() -> (zhengwu_store::testing::TestDb, org::Unit, Item, Calendar) {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let (hall, item) = hall_item(&t.db).await;
    // The statutory calendar, as `serve` seeds it.
    let tx = t.db.begin_write().await.unwrap();
    calendar::seed_if_empty(&tx).await.unwrap();
    // Six places a slot, whatever group takes the item.
    let group = booking::group_for_item(&tx, &hall, &item).await.unwrap();
    booking::set_rule(&tx, &group, RuleSettings::defaults(6), &actor())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let cal = calendar::load(t.db.conn()).await.unwrap();
    (t, hall, item, cal)
}

async fn book_at(
    db: &Db,
    citizen: i64,
    hall: &org::Unit,
    item: &Item,
    cal: &Calendar,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<booking::Booked, StoreError> {
    let tx = db.begin_write().await.unwrap();
    let r = booking::book(
        &tx,
        NewAppointment {
            citizen_id: citizen,
            site: hall.id,
            item_code: item.code.clone(),
            starts_at,
            mobile: None,
            channel: "web".into(),
        },
        item,
        cal,
        &NoShowRule::default(),
        now,
        &actor(),
        &NOTICES,
    )
    .await;
    match r {
        Ok(b) => {
            tx.commit().await.unwrap();
            Ok(b)
        }
        Err(e) => {
            tx.rollback().await.unwrap();
            Err(e)
        }
    }
}

fn reason(e: StoreError) -> String {
    match e {
        StoreError::Invalid { message, .. } => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn availability_follows_hours_holidays_adjusted_days_and_the_horizon() {
    let (t, hall, item, cal) = setup().await;
    let site = org::get_unit(t.db.conn(), hall.id).await.unwrap();
    let group = booking::group_for_item(t.db.conn(), &site, &item)
        .await
        .unwrap();
    let rule = booking::rule_of(t.db.conn(), &group).await.unwrap();
    // Around National Day 2026: 09-28 Monday (work), 10-01..07 off, 10-10 Saturday (work).
    let now = morning(2026, 9, 28);
    let days = booking::availability(
        t.db.conn(),
        &rule,
        &cal,
        date(2026, 9, 28),
        date(2026, 10, 11),
        now,
    )
    .await
    .unwrap();
    let on = |d: NaiveDate| days.iter().find(|x| x.date == d).unwrap();
    assert!(on(date(2026, 10, 1)).slots.is_empty() && !on(date(2026, 10, 1)).open);
    assert_eq!(on(date(2026, 10, 1)).note.as_deref(), Some("国庆节"));
    assert!(on(date(2026, 10, 10)).open, "an adjusted working day opens");
    assert!(!on(date(2026, 10, 10)).slots.is_empty());
    // The horizon: 14 days from today, so 10-11 is still inside and 10-13 is not.
    let later = booking::availability(
        t.db.conn(),
        &rule,
        &cal,
        date(2026, 10, 12),
        date(2026, 10, 14),
        now,
    )
    .await
    .unwrap();
    assert!(later[2].slots.is_empty(), "beyond the horizon");
    // Today: nothing before now plus the minimum notice (60 minutes).
    let today = &on(date(2026, 9, 28)).slots;
    assert!(
        today
            .iter()
            .all(|s| s.starts_at >= now + Duration::minutes(60))
    );
    assert!(!today.is_empty());
    assert_eq!(today[0].available, rule.settings.capacity);
    // Too long a range, and a reversed one, are refused.
    assert!(
        booking::availability(
            t.db.conn(),
            &rule,
            &cal,
            date(2026, 9, 1),
            date(2026, 11, 1),
            now
        )
        .await
        .is_err()
    );
    assert!(
        booking::availability(
            t.db.conn(),
            &rule,
            &cal,
            date(2026, 9, 2),
            date(2026, 9, 1),
            now
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn a_booking_takes_a_place_and_bad_times_are_refused_with_reasons() {
    let (t, hall, item, cal) = setup().await;
    let people = citizens(&t.db, 0, 3).await;
    let now = morning(2026, 12, 7); // a Monday, 08:00
    let ten = local_instant(date(2026, 12, 8), 10 * 60);
    let b = book_at(&t.db, people[0], &hall, &item, &cal, ten, now)
        .await
        .unwrap();
    assert_eq!(b.appointment.status, "booked");
    assert_eq!(b.appointment.code.len(), 8);
    assert!(b.appointment.mobile.contains("****"));
    // One active appointment per person per item.
    let e = book_at(
        &t.db,
        people[0],
        &hall,
        &item,
        &cal,
        ten + Duration::minutes(30),
        now,
    )
    .await
    .unwrap_err();
    assert!(reason(e).starts_with("already_booked:"));
    let cases = [
        (now - Duration::hours(1), "past"),
        (now + Duration::minutes(30), "too_soon:60"),
        (
            local_instant(date(2026, 12, 8), 10 * 60 + 7),
            "not_a_slot_start",
        ),
        (local_instant(date(2026, 12, 8), 12 * 60 + 30), "closed"),
        (local_instant(date(2026, 12, 8), 20 * 60), "closed"),
        (
            local_instant(date(2026, 12, 30), 10 * 60),
            "beyond_horizon:14",
        ),
    ];
    for (at, why) in cases {
        let e = book_at(&t.db, people[1], &hall, &item, &cal, at, now)
            .await
            .unwrap_err();
        assert_eq!(reason(e), why, "{at}");
    }
    // A holiday: 2026-10-01, booked from 09-28.
    let e = book_at(
        &t.db,
        people[1],
        &hall,
        &item,
        &cal,
        local_instant(date(2026, 10, 1), 600),
        morning(2026, 9, 28),
    )
    .await
    .unwrap_err();
    assert_eq!(reason(e), "closed");
    // The place counts in the availability.
    let site = org::get_unit(t.db.conn(), hall.id).await.unwrap();
    let group = booking::group_for_item(t.db.conn(), &site, &item)
        .await
        .unwrap();
    let rule = booking::rule_of(t.db.conn(), &group).await.unwrap();
    let days = booking::availability(
        t.db.conn(),
        &rule,
        &cal,
        date(2026, 12, 8),
        date(2026, 12, 8),
        now,
    )
    .await
    .unwrap();
    let slot = days[0].slots.iter().find(|s| s.starts_at == ten).unwrap();
    assert_eq!(
        (slot.booked, slot.available),
        (1, rule.settings.capacity - 1)
    );
    // Cancelled: the place comes back, and the person may book the item again.
    let tx = t.db.begin_write().await.unwrap();
    booking::cancel(&tx, b.appointment.id, false, now, &actor(), &NOTICES)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let days = booking::availability(
        t.db.conn(),
        &rule,
        &cal,
        date(2026, 12, 8),
        date(2026, 12, 8),
        now,
    )
    .await
    .unwrap();
    assert_eq!(
        days[0]
            .slots
            .iter()
            .find(|s| s.starts_at == ten)
            .unwrap()
            .booked,
        0
    );
    book_at(&t.db, people[0], &hall, &item, &cal, ten, now)
        .await
        .unwrap();
}

#[tokio::test]
async fn cancel_and_reschedule_stop_at_the_cut_off_and_a_full_slot_leaves_it_as_it_was() {
    let (t, hall, item, cal) = setup().await;
    let site = org::get_unit(t.db.conn(), hall.id).await.unwrap();
    let group = booking::group_for_item(t.db.conn(), &site, &item)
        .await
        .unwrap();
    let tx = t.db.begin_write().await.unwrap();
    booking::set_rule(&tx, &group, RuleSettings::defaults(1), &actor())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let people = citizens(&t.db, 0, 2).await;
    let now = morning(2026, 12, 7);
    let ten = local_instant(date(2026, 12, 8), 600);
    let eleven = local_instant(date(2026, 12, 8), 660);
    let a = book_at(&t.db, people[0], &hall, &item, &cal, ten, now)
        .await
        .unwrap()
        .appointment;
    book_at(&t.db, people[1], &hall, &item, &cal, eleven, now)
        .await
        .unwrap();
    let e = book_at(&t.db, people[1], &hall, &item, &cal, ten, now)
        .await
        .unwrap_err();
    assert!(reason(e).starts_with("already_booked"));
    // Moving to the full 11:00 slot is refused; the 10:00 booking stays.
    let tx = t.db.begin_write().await.unwrap();
    let e = booking::reschedule(&tx, a.id, eleven, false, &cal, now, &actor(), &NOTICES)
        .await
        .unwrap_err();
    tx.rollback().await.unwrap();
    assert_eq!(reason(e), "full");
    assert_eq!(
        booking::get(t.db.conn(), a.id).await.unwrap().starts_at,
        ten
    );
    // Moving to 10:30 works.
    let tx = t.db.begin_write().await.unwrap();
    let moved = booking::reschedule(
        &tx,
        a.id,
        ten + Duration::minutes(30),
        false,
        &cal,
        now,
        &actor(),
        &NOTICES,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(moved.code, a.code);
    // 10:00 is free again.
    book_at(&t.db, people[1], &hall, &item, &cal, ten, now)
        .await
        .unwrap_err(); // person 1 holds 11:00
    // After the cut-off (two hours before), the holder can no longer cancel; staff can.
    let late = ten - Duration::minutes(60);
    let tx = t.db.begin_write().await.unwrap();
    let e = booking::cancel(&tx, a.id, false, late, &actor(), &NOTICES)
        .await
        .unwrap_err();
    assert_eq!(reason(e), "past_cutoff:120");
    booking::cancel(&tx, a.id, true, late, &actor(), &NOTICES)
        .await
        .unwrap();
    let e = booking::cancel(&tx, a.id, true, late, &actor(), &NOTICES)
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_booked:cancelled");
    tx.commit().await.unwrap();
}

/// 1,000 concurrent bookings of one slot of capacity 10, from two connection pools (as two
/// server processes would be): exactly 10 succeed, the rest are told the slot is full.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_bookings_never_exceed_the_capacity() {
    let (t, hall, item, cal) = setup().await;
    let site = org::get_unit(t.db.conn(), hall.id).await.unwrap();
    let group = booking::group_for_item(t.db.conn(), &site, &item)
        .await
        .unwrap();
    let tx = t.db.begin_write().await.unwrap();
    booking::set_rule(&tx, &group, RuleSettings::defaults(10), &actor())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let people = citizens(&t.db, 0, 1000).await;
    let other = Db::connect(&t.url).await.unwrap();
    let now = morning(2026, 12, 7);
    let ten = local_instant(date(2026, 12, 8), 600);
    let mut tasks = Vec::new();
    for (i, p) in people.into_iter().enumerate() {
        let db = if i % 2 == 0 {
            t.db.clone()
        } else {
            other.clone()
        };
        let (hall, item, cal) = (hall.clone(), item.clone(), cal.clone());
        tasks.push(tokio::spawn(async move {
            book_at(&db, p, &hall, &item, &cal, ten, now).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(reason(e), "full"),
        }
    }
    assert_eq!(ok, 10);
    let rule = booking::rule_of(t.db.conn(), &group).await.unwrap();
    let days = booking::availability(
        t.db.conn(),
        &rule,
        &cal,
        date(2026, 12, 8),
        date(2026, 12, 8),
        now,
    )
    .await
    .unwrap();
    let slot = days[0].slots.iter().find(|s| s.starts_at == ten).unwrap();
    assert_eq!((slot.booked, slot.available), (10, 0));
    assert_eq!(
        booking::of_site_on(t.db.conn(), hall.id, date(2026, 12, 8))
            .await
            .unwrap()
            .len(),
        10
    );
}

#[tokio::test]
async fn check_in_issues_the_ticket_at_once_with_the_appointments_priority() {
    let (t, hall, item, cal) = setup().await;
    let people = citizens(&t.db, 0, 3).await;
    let now = morning(2026, 12, 7);
    let ten = local_instant(date(2026, 12, 8), 600);
    let a = book_at(&t.db, people[0], &hall, &item, &cal, ten, now)
        .await
        .unwrap()
        .appointment;
    let b = book_at(&t.db, people[1], &hall, &item, &cal, ten, now)
        .await
        .unwrap()
        .appointment;
    let c = book_at(&t.db, people[2], &hall, &item, &cal, ten, now)
        .await
        .unwrap()
        .appointment;
    let tx = t.db.begin_write().await.unwrap();
    // The day before, and 40 minutes early: refused with the reason.
    let e = booking::check_in(&tx, a.id, now, &actor())
        .await
        .unwrap_err();
    assert!(reason(e).starts_with("not_today:"));
    let e = booking::check_in(&tx, a.id, ten - Duration::minutes(40), &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "too_early:2026年12月08日 09:30");
    // On time: a ticket at once, with the appointment's priority.
    let ci = booking::check_in(&tx, a.id, ten - Duration::minutes(10), &actor())
        .await
        .unwrap();
    assert_eq!(ci.arrival, "on_time");
    assert_eq!(ci.ticket.priority, PRIORITY_APPOINTMENT);
    assert_eq!(ci.ticket.appointment_id, Some(a.id));
    assert_eq!(ci.appointment.status, "checked_in");
    // Twice: refused, naming the ticket already issued.
    let e = booking::check_in(&tx, a.id, ten, &actor())
        .await
        .unwrap_err();
    assert_eq!(
        reason(e),
        format!("already_checked_in:{}", ci.ticket.number)
    );
    // Late: joins the walk-in queue.
    let late = booking::check_in(&tx, b.id, ten + Duration::minutes(20), &actor())
        .await
        .unwrap();
    assert_eq!(
        (late.arrival.as_str(), late.ticket.priority),
        ("late", PRIORITY_WALK_IN)
    );
    tx.commit().await.unwrap();
    // By ID number at the site: today's appointment is found.
    let person =
        applicants::reveal_citizen(&t.db.begin_write().await.unwrap(), &actor(), people[2])
            .await
            .unwrap();
    let idn = IdNumber::parse(&person.id_number, date(2026, 1, 1)).unwrap();
    let found = booking::todays_for_id_number(t.db.conn(), hall.id, &idn, ten)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, c.id);
    assert!(
        booking::todays_for_id_number(t.db.conn(), hall.id, &idn, now)
            .await
            .unwrap()
            .is_none()
    );
    // Nobody checked in is a no-show once the window closes.
    let tx = t.db.begin_write().await.unwrap();
    assert_eq!(
        booking::mark_no_shows(&tx, ten + Duration::minutes(10))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        booking::mark_no_shows(&tx, ten + Duration::minutes(16))
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
    assert_eq!(
        booking::get(t.db.conn(), c.id).await.unwrap().status,
        "no_show"
    );
}

#[tokio::test]
async fn three_no_shows_in_ninety_days_block_booking_for_thirty_days() {
    let (t, hall, item, cal) = setup().await;
    let p = citizens(&t.db, 0, 1).await[0];
    // Three appointments missed in December.
    for day in [1, 2, 3] {
        let now = morning(2026, 11, 30);
        book_at(
            &t.db,
            p,
            &hall,
            &item,
            &cal,
            local_instant(date(2026, 12, day), 600),
            now,
        )
        .await
        .unwrap();
        let tx = t.db.begin_write().await.unwrap();
        booking::mark_no_shows(&tx, local_instant(date(2026, 12, day), 700))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let now = morning(2026, 12, 4);
    let e = book_at(
        &t.db,
        p,
        &hall,
        &item,
        &cal,
        local_instant(date(2026, 12, 8), 600),
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(reason(e), "blocked_until:2027年01月02日 10:00");
    // Thirty days after the third, booking is open again (2027 has no calendar table yet:
    // weekdays are working days).
    let later = morning(2027, 1, 4);
    book_at(
        &t.db,
        p,
        &hall,
        &item,
        &cal,
        local_instant(date(2027, 1, 5), 600),
        later,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn reminders_go_out_once_the_day_before_and_the_hour_before() {
    let (t, hall, item, cal) = setup().await;
    let p = citizens(&t.db, 0, 1).await[0];
    let now = morning(2026, 12, 7);
    let start = local_instant(date(2026, 12, 9), 600);
    book_at(&t.db, p, &hall, &item, &cal, start, now)
        .await
        .unwrap();
    let run = |at: DateTime<Utc>| {
        let db = t.db.clone();
        async move {
            let tx = db.begin_write().await.unwrap();
            let n = booking::send_reminders(&tx, at, &NOTICES).await.unwrap();
            tx.commit().await.unwrap();
            n
        }
    };
    assert_eq!(run(now).await, 0);
    assert_eq!(run(start - Duration::hours(23)).await, 1);
    assert_eq!(run(start - Duration::hours(22)).await, 0, "once");
    assert_eq!(run(start - Duration::minutes(50)).await, 1);
    assert_eq!(run(start - Duration::minutes(40)).await, 0, "once");
    let topics: Vec<String> =
        zhengwu_store::notify::list(t.db.conn(), zhengwu_store::notify::Status::Pending, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.topic)
            .collect();
    for topic in [
        "sms.booking_confirmed",
        "sms.booking_reminder_day",
        "sms.booking_reminder_hour",
    ] {
        assert!(topics.iter().any(|x| x == topic), "{topic} in {topics:?}");
    }
}

#[tokio::test]
async fn an_urgent_request_is_accepted_with_a_time_or_declined_with_a_reason() {
    let (t, hall, item, _cal) = setup().await;
    let people = citizens(&t.db, 0, 2).await;
    let now = morning(2026, 12, 7);
    let tx = t.db.begin_write().await.unwrap();
    let e = booking::request_urgent(&tx, people[0], hall.id, &item, "急", None, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "length:4-500");
    let r = booking::request_urgent(
        &tx,
        people[0],
        hall.id,
        &item,
        "明天出国留学，护照材料急需办理",
        None,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let e = booking::request_urgent(
        &tx,
        people[0],
        hall.id,
        &item,
        "再申请一次可以吗？",
        None,
        now,
        &actor(),
    )
    .await
    .unwrap_err();
    assert_eq!(reason(e), "urgent_pending");
    let at = now + Duration::hours(2);
    let accepted = booking::decide_urgent(
        &tx,
        r.id,
        Decision::Accept {
            at,
            note: "请到 A01 窗口".into(),
        },
        now,
        &actor(),
        &NOTICES,
    )
    .await
    .unwrap();
    assert_eq!(accepted.status, "accepted");
    let e = booking::decide_urgent(
        &tx,
        r.id,
        Decision::Decline {
            reason: "重复".into(),
        },
        now,
        &actor(),
        &NOTICES,
    )
    .await
    .unwrap_err();
    assert_eq!(reason(e), "decided:accepted");
    let appt = booking::get(&tx, accepted.appointment_id.unwrap())
        .await
        .unwrap();
    assert!(appt.urgent);
    // Checked in, the urgent matter goes before every other class.
    let ci = booking::check_in(&tx, appt.id, at, &actor()).await.unwrap();
    assert_eq!(ci.ticket.priority, PRIORITY_URGENT);
    let d = booking::request_urgent(
        &tx,
        people[1],
        hall.id,
        &item,
        "家中老人病重需要马上办理",
        None,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let declined = booking::decide_urgent(
        &tx,
        d.id,
        Decision::Decline {
            reason: "该事项可网上办理".into(),
        },
        now,
        &actor(),
        &NOTICES,
    )
    .await
    .unwrap();
    assert_eq!(
        (declined.status.as_str(), declined.decision.as_deref()),
        ("declined", Some("该事项可网上办理"))
    );
    tx.commit().await.unwrap();
    assert_eq!(
        booking::urgent_list(t.db.conn(), Some(&[hall.id.get()]), Some("pending"))
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_bad_rating_opens_a_rectification_due_in_working_days() {
    let (t, hall, _item, cal) = setup().await;
    let counter = queue::counters(t.db.conn(), Some(hall.id))
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.window_id.is_some())
        .unwrap();
    // Friday 2026-09-18, 10:00; three working days later skips the weekend… and 09-20 is an
    // adjusted working day (Sunday).
    let now = local_instant(date(2026, 9, 18), 600);
    let tx = t.db.begin_write().await.unwrap();
    queue::set_open(&tx, counter.id, true, "clerk")
        .await
        .unwrap();
    let code = if counter.groups.is_empty() {
        "A".to_owned()
    } else {
        counter.groups[0].clone()
    };
    let tk = queue::issue(&tx, hall.id, &code, PRIORITY_WALK_IN, now, "kiosk")
        .await
        .unwrap();
    let rate = |level: i64| NewRating {
        ticket_id: tk.id,
        level: RatingLevel::new(level).unwrap(),
        reasons: vec!["等候太久".into()],
        comment: Some("等了一个小时".into()),
        channel: "counter".into(),
    };
    let e = ratings::rate(&tx, rate(1), &cal, 3, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_finished:waiting");
    queue::call_next(&tx, counter.id, now, "clerk")
        .await
        .unwrap()
        .unwrap();
    queue::finish(&tx, tk.id, "done", now, "clerk")
        .await
        .unwrap();
    let r = ratings::rate(&tx, rate(2), &cal, 3, now, &actor())
        .await
        .unwrap();
    assert_eq!(r.unit_id, counter.window_id.unwrap());
    let e = ratings::rate(&tx, rate(5), &cal, 3, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "already_rated");
    let bad_reason = NewRating {
        reasons: vec!["不存在的理由".into()],
        ..rate(4)
    };
    assert!(
        ratings::rate(&tx, bad_reason, &cal, 3, now, &actor())
            .await
            .is_err()
    );
    tx.commit().await.unwrap();
    let open = ratings::rectifications(t.db.conn(), Some(&[hall.id.get()]), Some("open"))
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    // Fri 18 → Sun 20 (adjusted working day), Mon 21, Tue 22.
    assert_eq!(open[0].due_on, date(2026, 9, 22));
    assert_eq!(open[0].level, 2);
    let tx = t.db.begin_write().await.unwrap();
    assert!(
        ratings::close_rectification(&tx, open[0].id, "短", now, &actor())
            .await
            .is_err()
    );
    ratings::close_rectification(
        &tx,
        open[0].id,
        "已约谈窗口人员，增开午间窗口",
        now,
        &actor(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(
        ratings::rectifications(t.db.conn(), None, Some("open"))
            .await
            .unwrap()
            .is_empty()
    );
    let ids: HashSet<i64> = ratings::rectifications(t.db.conn(), None, None)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids.len(), 1);
}

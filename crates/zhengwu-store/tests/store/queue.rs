use std::collections::HashSet;

use chrono::{Duration, Timelike, Utc};
use zhengwu_core::ids::UnitId;
use zhengwu_store::org::{self, UnitFilter, UnitKind};
use zhengwu_store::queue::{self, PRIORITY_GREEN, PRIORITY_WALK_IN, TicketStatus};
use zhengwu_store::testing::fresh;
use zhengwu_store::{Db, StoreError, demo};

async fn hall(db: &Db, code: &str) -> UnitId {
    org::find_by_code(db.conn(), code)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// A comprehensive window's counter of the site (it serves every group).
async fn comprehensive(db: &Db, site: UnitId) -> queue::Counter {
    queue::counters(db.conn(), Some(site))
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.groups.is_empty())
        .unwrap()
}

#[tokio::test]
async fn every_hall_and_station_has_groups_and_counters() {
    let t = fresh().await;
    let s = demo::load(&t.db).await.unwrap();
    let windows = org::list_units(
        t.db.conn(),
        &UnitFilter {
            kind: Some(UnitKind::Window),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .len();
    assert_eq!(s.counters, windows + 46);
    let pub_hall = hall(&t.db, "H-PUB").await;
    let groups = queue::groups(t.db.conn(), pub_hall).await.unwrap();
    assert_eq!(groups[0].code, "A");
    assert!(
        groups.len() > 1,
        "specialised windows have their own groups"
    );
    let counters = queue::counters(t.db.conn(), Some(pub_hall)).await.unwrap();
    assert!(
        counters.iter().any(|c| c.groups.is_empty()),
        "comprehensive windows serve all"
    );
}

#[tokio::test]
async fn numbers_go_up_per_group_and_restart_each_day() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let site = hall(&t.db, "H-PUB").await;
    let now = Utc::now();
    let tx = t.db.begin_write().await.unwrap();
    let a1 = queue::issue(&tx, site, "A", PRIORITY_WALK_IN, now, "kiosk")
        .await
        .unwrap();
    let a2 = queue::issue(&tx, site, "A", PRIORITY_WALK_IN, now, "kiosk")
        .await
        .unwrap();
    let b1 = queue::issue(&tx, site, "B", PRIORITY_WALK_IN, now, "kiosk")
        .await
        .unwrap();
    let tomorrow = queue::issue(
        &tx,
        site,
        "A",
        PRIORITY_WALK_IN,
        now + Duration::days(1),
        "kiosk",
    )
    .await
    .unwrap();
    assert!(matches!(
        queue::issue(&tx, site, "Q", PRIORITY_WALK_IN, now, "kiosk").await,
        Err(StoreError::Invalid { .. })
    ));
    tx.commit().await.unwrap();
    assert_eq!(
        (a1.number.as_str(), a2.number.as_str(), b1.number.as_str()),
        ("A001", "A002", "B001")
    );
    assert_eq!(tomorrow.number, "A001");
}

#[tokio::test]
async fn calling_order_is_priority_then_arrival_and_finishing_needs_a_call() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let site = hall(&t.db, "H-PUB").await;
    let now = Utc::now();
    let counter = comprehensive(&t.db, site).await;
    let tx = t.db.begin_write().await.unwrap();
    let first = queue::issue(&tx, site, "A", PRIORITY_WALK_IN, now, "k")
        .await
        .unwrap();
    let second = queue::issue(
        &tx,
        site,
        "A",
        PRIORITY_WALK_IN,
        now + Duration::seconds(5),
        "k",
    )
    .await
    .unwrap();
    let elderly = queue::issue(
        &tx,
        site,
        "A",
        PRIORITY_GREEN,
        now + Duration::seconds(9),
        "k",
    )
    .await
    .unwrap();
    // A closed counter calls nobody.
    assert!(matches!(
        queue::call_next(&tx, counter.id, now, "clerk").await,
        Err(StoreError::Invalid { .. })
    ));
    // Finishing a ticket that was never called is refused.
    assert!(matches!(
        queue::finish(&tx, first.id, "done", now, "clerk").await,
        Err(StoreError::Invalid { .. })
    ));
    queue::set_open(&tx, counter.id, true, "clerk")
        .await
        .unwrap();
    let order: Vec<i64> = [
        queue::call_next(&tx, counter.id, now, "clerk")
            .await
            .unwrap()
            .unwrap()
            .id,
        queue::call_next(&tx, counter.id, now, "clerk")
            .await
            .unwrap()
            .unwrap()
            .id,
        queue::call_next(&tx, counter.id, now, "clerk")
            .await
            .unwrap()
            .unwrap()
            .id,
    ]
    .to_vec();
    assert_eq!(order, vec![elderly.id, first.id, second.id]);
    assert!(
        queue::call_next(&tx, counter.id, now, "clerk")
            .await
            .unwrap()
            .is_none()
    );
    let done = queue::finish(&tx, first.id, "done", now + Duration::minutes(4), "clerk")
        .await
        .unwrap();
    assert_eq!(done.status, TicketStatus::Done);
    assert!(done.started_at.is_some());
    assert!(matches!(
        queue::finish(&tx, first.id, "done", now, "clerk").await,
        Err(StoreError::Invalid { .. })
    ));
    tx.commit().await.unwrap();
}

/// 200 counters calling next at once, from two connection pools (as two server processes
/// would): every ticket is called exactly once and none is skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_counters_never_call_the_same_ticket() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let site = hall(&t.db, "H-PUB").await;
    let now = Utc::now();
    let tx = t.db.begin_write().await.unwrap();
    let mut issued = Vec::new();
    for i in 0..150 {
        let tk = queue::issue(
            &tx,
            site,
            "A",
            PRIORITY_WALK_IN,
            now + Duration::milliseconds(i),
            "k",
        )
        .await
        .unwrap();
        issued.push(tk.id);
    }
    let mut counters = Vec::new();
    for i in 0..200 {
        let c = queue::add_counter(&tx, site, &format!("压力测试窗口{i}"), &[])
            .await
            .unwrap();
        queue::set_open(&tx, c.id, true, "clerk").await.unwrap();
        counters.push(c.id);
    }
    tx.commit().await.unwrap();
    let other = Db::connect(&t.url).await.unwrap();
    let mut tasks = Vec::new();
    for (i, c) in counters.into_iter().enumerate() {
        let db = if i % 2 == 0 {
            t.db.clone()
        } else {
            other.clone()
        };
        // Half the counters go through the server's path (on SQLite: rusqlite on the calling
        // thread), half through SeaORM's transactions of the other pool.
        let direct = i % 2 == 0;
        tasks.push(tokio::spawn(async move {
            loop {
                let got = if direct {
                    let tx = db.write().await.unwrap();
                    match queue::call_next(&tx, c, Utc::now(), "clerk").await {
                        Ok(got) => tx.commit().await.map(|()| got),
                        Err(e) => Err(e),
                    }
                } else {
                    let tx = db.begin_write().await.unwrap();
                    match queue::call_next(&tx, c, Utc::now(), "clerk").await {
                        Ok(got) => tx.commit().await.map(|()| got).map_err(StoreError::from),
                        Err(e) => Err(e),
                    }
                };
                match got {
                    Ok(got) => return got.map(|t| t.id),
                    // Lost a race for the same row: ask again.
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => panic!("{e:?}"),
                }
            }
        }));
    }
    let mut called = Vec::new();
    for task in tasks {
        if let Some(id) = task.await.unwrap() {
            called.push(id);
        }
    }
    let unique: HashSet<i64> = called.iter().copied().collect();
    assert_eq!(unique.len(), called.len(), "a ticket was called twice");
    assert_eq!(called.len(), 150, "every waiting ticket was called");
    assert_eq!(unique, issued.into_iter().collect::<HashSet<_>>());
}

/// The server's path (`Db::write`/`Db::read`: rusqlite on the calling thread on SQLite) and
/// SeaORM's transactions write and read the same rows: tickets issued either way are called
/// in one order (times compared as the same text), and read back equal either way.
#[tokio::test]
async fn both_drivers_share_the_queue() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let site = hall(&t.db, "H-PUB").await;
    let counter = comprehensive(&t.db, site).await;
    // Times with and without fractions of a second, which are written with different lengths.
    let now = Utc::now().with_nanosecond(0).unwrap();
    let mut issued = Vec::new();
    for i in 0..6i64 {
        let at = now + Duration::microseconds(i * 250_000);
        let priority = if i == 4 {
            PRIORITY_GREEN
        } else {
            PRIORITY_WALK_IN
        };
        let tk = if i % 2 == 0 {
            let tx = t.db.write().await.unwrap();
            let tk = queue::issue(&tx, site, "A", priority, at, "k")
                .await
                .unwrap();
            tx.commit().await.unwrap();
            tk
        } else {
            let tx = t.db.begin_write().await.unwrap();
            let tk = queue::issue(&tx, site, "A", priority, at, "k")
                .await
                .unwrap();
            tx.commit().await.unwrap();
            tk
        };
        assert_eq!(tk.number, format!("A{:03}", i + 1));
        assert_eq!(
            queue::ticket(&t.db.read().unwrap(), tk.id).await.unwrap(),
            tk
        );
        assert_eq!(queue::ticket(t.db.conn(), tk.id).await.unwrap(), tk);
        issued.push(tk);
    }
    let tx = t.db.write().await.unwrap();
    assert!(matches!(
        queue::call_next(&tx, counter.id, now, "clerk").await,
        Err(StoreError::Invalid { .. })
    ));
    drop(tx);
    let tx = t.db.begin_write().await.unwrap();
    queue::set_open(&tx, counter.id, true, "clerk")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // The green channel first, then by time, whichever driver wrote them; the guard's
    // cut-off (a time compared as text) passes none of them.
    let mut order = Vec::new();
    for i in 0..6 {
        let tx = if i % 2 == 0 {
            either::Tx::Direct(t.db.write().await.unwrap())
        } else {
            either::Tx::Orm(t.db.begin_write().await.unwrap())
        };
        let called = tx.call(counter.id, now + Duration::minutes(1)).await;
        order.push(called.id);
    }
    let want: Vec<i64> = [4usize, 0, 1, 2, 3, 5]
        .iter()
        .map(|&i| issued[i].id)
        .collect();
    assert_eq!(order, want);
    let tx = t.db.write().await.unwrap();
    let done = queue::finish(
        &tx,
        issued[0].id,
        "done",
        now + Duration::minutes(3),
        "clerk",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(done.status, TicketStatus::Done);
    assert_eq!(queue::ticket(t.db.conn(), done.id).await.unwrap(), done);
    // A rolled-back write leaves nothing: a finish dropped before commit.
    let tx = t.db.write().await.unwrap();
    queue::finish(&tx, issued[1].id, "done", now, "clerk")
        .await
        .unwrap();
    drop(tx);
    let again = queue::ticket(&t.db.read().unwrap(), issued[1].id)
        .await
        .unwrap();
    assert_eq!(again.status, TicketStatus::Called);
}

/// A write transaction of either driver, for [`both_drivers_share_the_queue`].
mod either {
    use chrono::{DateTime, Utc};
    use zhengwu_store::WriteTx;
    use zhengwu_store::queue::{self, Ticket};
    use zhengwu_store::sql::SqlTx;

    pub enum Tx {
        Direct(SqlTx),
        Orm(WriteTx),
    }

    impl Tx {
        pub async fn call(self, counter: i64, at: DateTime<Utc>) -> Ticket {
            match self {
                Self::Direct(tx) => {
                    let t = queue::call_next(&tx, counter, at, "c")
                        .await
                        .unwrap()
                        .unwrap();
                    tx.commit().await.unwrap();
                    t
                }
                Self::Orm(tx) => {
                    let t = queue::call_next(&tx, counter, at, "c")
                        .await
                        .unwrap()
                        .unwrap();
                    tx.commit().await.unwrap();
                    t
                }
            }
        }
    }
}

#[tokio::test]
async fn counter_steps_and_transfers_follow_the_ticket_state() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let site = hall(&t.db, "H-PUB").await;
    let now = Utc::now();
    let counter = comprehensive(&t.db, site).await;
    let tx = t.db.begin_write().await.unwrap();
    queue::set_open(&tx, counter.id, true, "clerk")
        .await
        .unwrap();
    let early = queue::issue(&tx, site, "B", PRIORITY_WALK_IN, now, "k")
        .await
        .unwrap();
    let a = queue::issue(
        &tx,
        site,
        "A",
        PRIORITY_WALK_IN,
        now + Duration::seconds(1),
        "k",
    )
    .await
    .unwrap();
    // Only a called ticket can be started.
    assert!(matches!(
        queue::step(&tx, a.id, queue::Step::Start, now, "clerk").await,
        Err(StoreError::Invalid { .. })
    ));
    let called = queue::call_next(&tx, counter.id, now, "clerk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(called.id, early.id);
    let parked = queue::step(&tx, early.id, queue::Step::Park, now, "clerk")
        .await
        .unwrap();
    assert_eq!(parked.status, TicketStatus::Parked);
    let resumed = queue::step(&tx, early.id, queue::Step::Resume, now, "clerk")
        .await
        .unwrap();
    assert_eq!(resumed.status, TicketStatus::Called);
    let started = queue::step(&tx, early.id, queue::Step::Start, now, "clerk")
        .await
        .unwrap();
    assert_eq!(started.status, TicketStatus::Serving);
    // Sent on to group A, first in line: it is called before the A ticket that waited.
    assert!(matches!(
        queue::transfer(&tx, early.id, "QQ", true, now, "clerk").await,
        Err(StoreError::Invalid { .. })
    ));
    let moved = queue::transfer(&tx, early.id, "A", true, now, "clerk")
        .await
        .unwrap();
    assert_eq!(moved.status, TicketStatus::Waiting);
    let next = queue::call_next(&tx, counter.id, now, "clerk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.id, early.id);
    let gone = queue::step(&tx, early.id, queue::Step::NoShow, now, "clerk")
        .await
        .unwrap();
    assert_eq!(gone.status, TicketStatus::NoShow);
    assert_eq!(
        queue::call_next(&tx, counter.id, now, "clerk")
            .await
            .unwrap()
            .unwrap()
            .id,
        a.id
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_call_notifies_the_called_and_the_one_with_three_ahead_once() {
    use zhengwu_store::notify::{self, Status};
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let site = hall(&t.db, "H-PUB").await;
    let now = Utc::now();
    let counter = comprehensive(&t.db, site).await;
    let tx = t.db.begin_write().await.unwrap();
    queue::set_open(&tx, counter.id, true, "clerk")
        .await
        .unwrap();
    let mobile = zhengwu_core::ident::Mobile::parse("13904110002").unwrap();
    let mut tickets = Vec::new();
    for i in 0..6 {
        let tk = queue::issue(
            &tx,
            site,
            "A",
            PRIORITY_WALK_IN,
            now + Duration::seconds(i),
            "k",
        )
        .await
        .unwrap();
        if i != 1 {
            queue::set_mobile(&tx, tk.id, &mobile).await.unwrap();
        }
        tickets.push(tk);
    }
    let before = notify::count(&tx, Status::Pending).await.unwrap();
    // Calling the first: it is told to come, and the fifth (three ahead of it now) is warned.
    let called = queue::call_next(&tx, counter.id, now, "clerk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        queue::notify_after_call(&tx, &called, &counter.name, "log")
            .await
            .unwrap(),
        2
    );
    // Calling the second (no mobile): nobody is told; the sixth is warned.
    let called = queue::call_next(&tx, counter.id, now, "clerk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        queue::notify_after_call(&tx, &called, &counter.name, "log")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        notify::count(&tx, Status::Pending).await.unwrap(),
        before + 3
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_walk_in_waiting_too_long_goes_before_the_green_channel() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let site = hall(&t.db, "H-PUB").await;
    let now = Utc::now();
    let counter = comprehensive(&t.db, site).await;
    let tx = t.db.begin_write().await.unwrap();
    queue::set_open(&tx, counter.id, true, "clerk")
        .await
        .unwrap();
    let early = now - Duration::minutes(queue::STARVATION_GUARD_MINUTES + 1);
    let walk_in = queue::issue(&tx, site, "A", PRIORITY_WALK_IN, early, "k")
        .await
        .unwrap();
    let green = queue::issue(&tx, site, "A", PRIORITY_GREEN, now, "k")
        .await
        .unwrap();
    assert_eq!(
        queue::call_next(&tx, counter.id, now, "c")
            .await
            .unwrap()
            .unwrap()
            .id,
        walk_in.id
    );
    assert_eq!(
        queue::call_next(&tx, counter.id, now, "c")
            .await
            .unwrap()
            .unwrap()
            .id,
        green.id
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_list_of_a_sites_day_has_every_ticket_with_its_group_counter_and_minutes() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let site = hall(&t.db, "H-PUB").await;
    let other_site = hall(&t.db, "H-TAX").await;
    let counter = comprehensive(&t.db, site).await;
    // 10:00 in the district (UTC+8), so that every step falls on the same local date.
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-02T02:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let min = Duration::minutes;
    let tx = t.db.begin_write().await.unwrap();
    queue::set_open(&tx, counter.id, true, "clerk")
        .await
        .unwrap();
    let walk_in = queue::issue(&tx, site, "A", PRIORITY_WALK_IN, t0, "kiosk")
        .await
        .unwrap();
    let group_b = queue::groups(&tx, site).await.unwrap()[1].clone();
    let green = queue::issue(
        &tx,
        site,
        &group_b.code,
        PRIORITY_GREEN,
        t0 + min(2),
        "kiosk",
    )
    .await
    .unwrap();
    // Not in the list: the next day's ticket, and another site's.
    queue::issue(
        &tx,
        site,
        "A",
        PRIORITY_WALK_IN,
        t0 + Duration::days(1),
        "kiosk",
    )
    .await
    .unwrap();
    queue::issue(&tx, other_site, "A", PRIORITY_WALK_IN, t0, "kiosk")
        .await
        .unwrap();
    // The green channel is called first, 5 minutes after it joined; served 9 → 19.
    let called = queue::call_next(&tx, counter.id, t0 + min(7), "clerk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(called.id, green.id);
    queue::step(&tx, green.id, queue::Step::Start, t0 + min(9), "clerk")
        .await
        .unwrap();
    queue::finish(&tx, green.id, "more_material", t0 + min(19), "clerk")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // Through both drivers (rusqlite on SQLite for the page, SeaORM otherwise).
    let by_reader = queue::tickets_of_day(&t.db.read().unwrap(), site, walk_in.day)
        .await
        .unwrap();
    let by_orm = queue::tickets_of_day(t.db.conn(), site, walk_in.day)
        .await
        .unwrap();
    assert_eq!(by_reader, by_orm);
    let list = by_reader;
    assert_eq!(
        list.iter()
            .map(|d| d.ticket.number.as_str())
            .collect::<Vec<_>>(),
        ["A001", format!("{}001", group_b.code).as_str()],
        "the day's two tickets of this site, in the order they were taken"
    );
    let (w, g) = (&list[0], &list[1]);
    assert_eq!(w.ticket.status, TicketStatus::Waiting);
    assert_eq!((w.group_code.as_str(), w.counter.as_deref()), ("A", None));
    assert_eq!((w.wait_minutes(), w.service_minutes()), (None, None));
    assert_eq!(g.ticket.status, TicketStatus::Done);
    assert_eq!(g.ticket.priority, PRIORITY_GREEN);
    assert_eq!(g.group_name, group_b.name);
    assert_eq!(g.counter.as_deref(), Some(counter.name.as_str()));
    assert_eq!(g.ticket.outcome.as_deref(), Some("more_material"));
    assert_eq!(g.ticket.joined_at, t0 + min(2));
    assert_eq!(g.ticket.finished_at, Some(t0 + min(19)));
    assert_eq!((g.wait_minutes(), g.service_minutes()), (Some(5), Some(10)));
    // A day without tickets is an empty list, not an error.
    assert!(
        queue::tickets_of_day(t.db.conn(), site, walk_in.day - Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
}

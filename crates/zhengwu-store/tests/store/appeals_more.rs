//! Appeals, the rest of issue 9: extensions, merge and split, stars, dispose first, listed
//! supervision, look-back checks and the public view Open311 reads.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use zhengwu_core::appeal::Kind;
use zhengwu_core::booking::RatingLevel;
use zhengwu_core::ident::Mobile;
use zhengwu_store::appeals::disposal;
use zhengwu_store::appeals::extensions;
use zhengwu_store::appeals::lookback::{self, Rules};
use zhengwu_store::appeals::public::{self, PublicFilter};
use zhengwu_store::appeals::supervision;
use zhengwu_store::appeals::{self, NewAppeal, SplitPart};

use crate::appeals::{actor, friday, leaf, new_appeal, reason, setup, unit};

#[tokio::test]
async fn extensions_are_asked_before_the_deadline_and_approved_by_the_dispatcher() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let cgj = unit(&t.db, "CGJ").await;
    let scj = unit(&t.db, "SCJ").await;
    let now = friday();
    let tx = t.db.begin_write().await.unwrap();
    let a = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Help),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    appeals::dispatch(&tx, a.id, cgj, &[scj], &cal, None, now, &actor())
        .await
        .unwrap();
    // Before signing: not in hand yet.
    let e = extensions::request(&tx, a.id, cgj, 3, "需要现场核查", now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_now:dispatched");
    appeals::sign(&tx, a.id, cgj, now, &actor()).await.unwrap();
    appeals::sign(&tx, a.id, scj, now, &actor()).await.unwrap();
    // A co-unit cannot ask; nor can anyone for 0 or 31 days, or without a reason.
    let e = extensions::request(&tx, a.id, scj, 3, "需要现场核查", now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_lead");
    for (days, why, want) in [
        (0, "需要现场核查", "range:1-30"),
        (31, "需要现场核查", "range:1-30"),
        (3, " ", "length:2-500"),
    ] {
        let e = extensions::request(&tx, a.id, cgj, days, why, now, &actor())
            .await
            .unwrap_err();
        assert_eq!(reason(e), want);
    }
    let x = extensions::request(&tx, a.id, cgj, 3, "需要协调物业现场核查", now, &actor())
        .await
        .unwrap();
    assert_eq!((x.status.as_str(), x.old_due_on), ("pending", a.due_on));
    let e = extensions::request(&tx, a.id, cgj, 2, "再延两天", now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "extension_pending");
    assert_eq!(extensions::pending(&tx).await.unwrap().len(), 1);
    // A refusal needs a note; an approval moves the deadline by 3 working days.
    let e = extensions::decide(&tx, x.id, false, None, &cal, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "required");
    let d = extensions::decide(&tx, x.id, true, None, &cal, now, &actor())
        .await
        .unwrap();
    let want = cal.add_working_days(a.due_on, 3);
    assert_eq!((d.status.as_str(), d.new_due_on), ("approved", Some(want)));
    let e = extensions::decide(&tx, x.id, true, None, &cal, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "decided:approved");
    let after = appeals::detail(&tx, a.id).await.unwrap();
    assert_eq!(after.appeal.due_on, want);
    // After the (new) deadline, no more extensions.
    let late = zhengwu_core::booking::local_instant(want + Duration::days(1), 600);
    let e = extensions::request(&tx, a.id, cgj, 2, "仍需协调", late, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), format!("past_deadline:{want}"));
    let kinds: Vec<String> = after.events.iter().map(|e| e.kind.clone()).collect();
    assert!(kinds.contains(&"extension_requested".to_owned()));
    assert!(kinds.contains(&"extension_approved".to_owned()));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_duplicate_is_merged_and_its_caller_gets_the_masters_reply() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let cgj = unit(&t.db, "CGJ").await;
    let now = friday();
    let tx = t.db.begin_write().await.unwrap();
    let master = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Complaint),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let dup = appeals::intake(
        &tx,
        NewAppeal {
            caller_mobile: Some(Mobile::parse("13904110009").unwrap()),
            ..new_appeal(&topic.code, Kind::Complaint)
        },
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let e = appeals::merge(&tx, master.id, master.id, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "same");
    appeals::dispatch(&tx, dup.id, cgj, &[], &cal, None, now, &actor())
        .await
        .unwrap();
    let m = appeals::merge(&tx, dup.id, master.id, now, &actor())
        .await
        .unwrap();
    assert_eq!(
        (m.status.as_str(), m.merged_into),
        ("merged", Some(master.id))
    );
    // The duplicate's unit part is withdrawn; it accepts nothing more.
    let d = appeals::detail(&tx, dup.id).await.unwrap();
    assert_eq!(d.assignments[0].part, "withdrawn");
    let e = appeals::dispatch(&tx, dup.id, cgj, &[], &cal, None, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_now:merged");
    // Nothing merges into a merged appeal.
    let third = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Complaint),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let e = appeals::merge(&tx, third.id, dup.id, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_open:merged");
    // The master's reply goes to both callers.
    appeals::dispatch(&tx, master.id, cgj, &[], &cal, None, now, &actor())
        .await
        .unwrap();
    appeals::sign(&tx, master.id, cgj, now, &actor())
        .await
        .unwrap();
    appeals::reply(&tx, master.id, cgj, "已清理占道摊点", now, &actor(), "log")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let sms: Vec<String> =
        zhengwu_store::notify::list(t.db.conn(), zhengwu_store::notify::Status::Pending, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.topic == "sms.appeal_reply")
            .map(|m| m.payload["mobile"].as_str().unwrap_or("").to_owned())
            .collect();
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert!(sms.contains(&"13904110003".to_owned()) && sms.contains(&"13904110009".to_owned()));
}

#[tokio::test]
async fn an_appeal_is_split_into_new_ones_with_the_same_caller() {
    let (t, cal) = setup().await;
    let topics = appeals::topics(t.db.conn()).await.unwrap();
    let leaves: Vec<_> = topics.iter().filter(|x| x.level == 3).collect();
    let now = friday();
    let tx = t.db.begin_write().await.unwrap();
    let a = appeals::intake(
        &tx,
        new_appeal(&leaves[0].code, Kind::Complaint),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let e = appeals::split(&tx, a.id, &[], &cal, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "range:1-5");
    let parts = vec![SplitPart {
        kind: "help".into(),
        topic: leaves[1].code.clone(),
        content: "另：小区路灯不亮，请一并处理。".into(),
    }];
    let v = appeals::split(&tx, a.id, &parts, &cal, now, &actor())
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].split_from, Some(a.id));
    assert_eq!(
        (v[0].topic.as_str(), v[0].kind.as_str()),
        (leaves[1].code.as_str(), "help")
    );
    assert_eq!(v[0].caller_mobile, a.caller_mobile);
    assert_ne!(v[0].number, a.number);
    tx.commit().await.unwrap();
    // A part with an unknown topic is refused.
    let tx = t.db.begin_write().await.unwrap();
    let bad = vec![SplitPart {
        kind: "help".into(),
        topic: "ZZ9999".into(),
        content: "x".into(),
    }];
    let e = appeals::split(&tx, a.id, &bad, &cal, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "unknown:ZZ9999");
    tx.rollback().await.unwrap();
}

/// An appeal taken in, dispatched to `lead`, signed, replied and visited (closed when
/// `resolved`).
async fn closed_appeal(
    tx: &zhengwu_store::WriteTx,
    cal: &zhengwu_core::Calendar,
    topic: &str,
    lead: zhengwu_core::ids::UnitId,
    at: chrono::DateTime<Utc>,
    resolved: bool,
) -> appeals::Appeal {
    let a = appeals::intake(tx, new_appeal(topic, Kind::Complaint), cal, at, &actor())
        .await
        .unwrap();
    appeals::dispatch(tx, a.id, lead, &[], cal, None, at, &actor())
        .await
        .unwrap();
    appeals::sign(tx, a.id, lead, at, &actor()).await.unwrap();
    appeals::reply(tx, a.id, lead, "已处理完毕", at, &actor(), "log")
        .await
        .unwrap();
    let level = if resolved { 5 } else { 2 };
    appeals::visit(
        tx,
        a.id,
        resolved,
        RatingLevel::new(level).unwrap(),
        None,
        at,
        &actor(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn stars_rate_closed_appeals_and_make_the_units_record() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let cgj = unit(&t.db, "CGJ").await;
    let now = friday();
    let tx = t.db.begin_write().await.unwrap();
    let open = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Help),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let e = supervision::star(&tx, open.id, 5, None, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_now:registered");
    let a = closed_appeal(&tx, &cal, &topic.code, cgj, now, true).await;
    let b = closed_appeal(&tx, &cal, &topic.code, cgj, now, true).await;
    let e = supervision::star(&tx, a.id, 6, None, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "range:1-5");
    supervision::star(&tx, a.id, 5, Some("当天办结，群众满意"), now, &actor())
        .await
        .unwrap();
    supervision::star(&tx, b.id, 2, None, now, &actor())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = supervision::unit_record(t.db.conn(), cgj).await.unwrap();
    assert_eq!((r.closed, r.starred), (2, 2));
    assert_eq!(r.average_stars, Some(3.5));
    assert_eq!(r.high_star.len(), 1);
    assert_eq!(r.high_star[0].id, a.id);
    assert_eq!(
        r.high_star[0].star_note.as_deref(),
        Some("当天办结，群众满意")
    );
}

#[tokio::test]
async fn dispose_first_orders_are_recorded_settled_and_summed_in_the_ledger() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let cgj = unit(&t.db, "CGJ").await;
    let hbj = unit(&t.db, "HBJ").await;
    let now = friday();
    let tx = t.db.begin_write().await.unwrap();
    let a = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Help),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let hall = unit(&t.db, "H-PUB").await;
    let e = disposal::order(&tx, a.id, hall, "立即处置", now, &actor())
        .await
        .unwrap_err();
    assert!(reason(e).starts_with("not_a_handling_unit"));
    let d = disposal::order(
        &tx,
        a.id,
        cgj,
        "井盖缺失，立即设置围挡并补装",
        now,
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(d.state, "ordered");
    // Settling before the unit acted; another unit recording; a negative cost: refused.
    let e = disposal::settle(&tx, d.id, hbj, "由住建部门承担", now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_done");
    let e = disposal::record(&tx, d.id, hbj, "已补装", 100, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_ordered");
    let e = disposal::record(&tx, d.id, cgj, "已补装", -1, now, &actor())
        .await
        .unwrap_err();
    assert!(reason(e).starts_with("range:0-"));
    let d = disposal::record(
        &tx,
        d.id,
        cgj,
        "已设置围挡并补装井盖",
        1_234_500,
        now,
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!((d.state.as_str(), d.cost_fen), ("done", Some(1_234_500)));
    let d = disposal::settle(
        &tx,
        d.id,
        hbj,
        "井盖产权属市政设施，费用由住建部门承担",
        now,
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(
        (d.state.as_str(), d.owner_unit_id),
        ("settled", Some(hbj.get()))
    );
    let e = disposal::record(&tx, d.id, cgj, "补记", 1, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "settled");
    // A second order on another appeal, then the ledger of the day.
    let b = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Help),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let d2 = disposal::order(&tx, b.id, hbj, "立即清理", now, &actor())
        .await
        .unwrap();
    disposal::record(&tx, d2.id, hbj, "已清理", 50_000, now, &actor())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 9, 18).unwrap();
    let (rows, total) = disposal::ledger(t.db.conn(), day, day).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(total, 1_284_500);
    assert!(rows[0].owner_unit_name.is_some());
    let (none, zero) = disposal::ledger(
        t.db.conn(),
        day.succ_opt().unwrap(),
        day.succ_opt().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!((none.len(), zero), (0, 0));
    // The order made the appeal urgent and is on its time line.
    let detail = appeals::detail(t.db.conn(), a.id).await.unwrap();
    assert!(detail.appeal.urgent);
    assert!(detail.events.iter().any(|e| e.kind == "dispose_settled"));
}

#[tokio::test]
async fn frequent_topics_are_listed_noted_and_delisted() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let owner = unit(&t.db, topic.lead.as_deref().unwrap()).await;
    let now = friday();
    let tx = t.db.begin_write().await.unwrap();
    for _ in 0..3 {
        appeals::intake(
            &tx,
            new_appeal(&topic.code, Kind::Complaint),
            &cal,
            now,
            &actor(),
        )
        .await
        .unwrap();
    }
    let f = supervision::frequent(&tx, 30, 3, now).await.unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].topic_code.as_str(), f[0].count, f[0].listed),
        (topic.code.as_str(), 3, false)
    );
    assert!(
        supervision::frequent(&tx, 30, 4, now)
            .await
            .unwrap()
            .is_empty()
    );
    let listed = supervision::list_frequent(&tx, 30, 3, 10, &cal, now, &actor())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let s = &listed[0];
    assert_eq!(
        (s.reason.as_str(), s.count_in_window, s.owner_unit_id),
        ("threshold", 3, owner.get())
    );
    // Listed once: the rule does not list it again, nor may a supervisor.
    assert!(
        supervision::list_frequent(&tx, 30, 3, 10, &cal, now, &actor())
            .await
            .unwrap()
            .is_empty()
    );
    let deadline = NaiveDate::from_ymd_opt(2026, 10, 30).unwrap();
    let e = supervision::list_topic(&tx, &topic.code, true, owner, deadline, 30, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), format!("already_listed:{}", topic.code));
    // A chosen topic with a past deadline is refused.
    let other = appeals::topics(&tx)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.level == 3 && x.code != topic.code)
        .unwrap();
    let past = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let e = supervision::list_topic(&tx, &other.code, true, owner, past, 30, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "deadline_past:2026-09-01");
    let s = supervision::add_note(&tx, s.id, "已约谈街道，开展专项整治", now, &actor())
        .await
        .unwrap();
    assert_eq!(s.notes.len(), 1);
    let s = supervision::delist(&tx, s.id, "专项整治完成，诉求量下降八成", now, &actor())
        .await
        .unwrap();
    assert!(s.delisted_at.is_some());
    let e = supervision::add_note(&tx, s.id, "补充", now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "delisted");
    tx.commit().await.unwrap();
    assert!(
        supervision::all(t.db.conn(), true, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        supervision::all(t.db.conn(), false, now)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn look_back_checks_are_made_once_and_done_by_the_owner() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let cgj = unit(&t.db, "CGJ").await;
    let hbj = unit(&t.db, "HBJ").await;
    let now = friday();
    let tx = t.db.begin_write().await.unwrap();
    let closed = closed_appeal(&tx, &cal, &topic.code, cgj, now, true).await;
    let unresolved = closed_appeal(&tx, &cal, &topic.code, cgj, now, false).await;
    // In hand since three weeks ago: past its deadline.
    let old = now - Duration::days(21);
    let late = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Help),
        &cal,
        old,
        &actor(),
    )
    .await
    .unwrap();
    appeals::dispatch(&tx, late.id, cgj, &[], &cal, None, old, &actor())
        .await
        .unwrap();
    appeals::sign(&tx, late.id, cgj, old, &actor())
        .await
        .unwrap();
    let rules = Rules {
        sample_one_in: 1,
        ..Rules::default()
    };
    let made = lookback::schedule(&tx, rules, &cal, now, &actor())
        .await
        .unwrap();
    assert_eq!(made, [1, 1, 1]);
    // Idempotent.
    let again = lookback::schedule(&tx, rules, &cal, now, &actor())
        .await
        .unwrap();
    assert_eq!(again, [0, 0, 0]);
    let checks = lookback::list(&tx, Some(&[cgj.get()]), true, 100)
        .await
        .unwrap();
    assert_eq!(checks.len(), 3);
    let by_kind = |k: &str| checks.iter().find(|c| c.kind == k).unwrap().clone();
    assert_eq!(by_kind("effect").appeal_id, closed.id);
    assert_eq!(by_kind("reason").appeal_id, unresolved.id);
    assert_eq!(by_kind("progress").appeal_id, late.id);
    assert_eq!(
        by_kind("effect").due_on,
        cal.add_working_days(NaiveDate::from_ymd_opt(2026, 9, 18).unwrap(), 5)
    );
    let c = by_kind("reason");
    let e = lookback::complete(&tx, c.id, hbj, "confirmed", None, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_owner");
    let e = lookback::complete(&tx, c.id, cgj, "problem", None, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "required");
    let e = lookback::complete(&tx, c.id, cgj, "fine", None, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "unknown:fine");
    let done = lookback::complete(
        &tx,
        c.id,
        cgj,
        "problem",
        Some("商户反复占道，需联合执法"),
        now,
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(done.outcome.as_deref(), Some("problem"));
    let e = lookback::complete(&tx, c.id, cgj, "confirmed", None, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "done");
    tx.commit().await.unwrap();
    assert_eq!(
        lookback::list(t.db.conn(), None, true, 100)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn the_public_view_hides_reports_and_private_words() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let now = friday();
    let tx = t.db.begin_write().await.unwrap();
    let hotline = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Complaint),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let report = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Report),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let o311 = appeals::intake(
        &tx,
        NewAppeal {
            channel: "open311".into(),
            caller_email: Some("resident@example.com".into()),
            media_url: Some("https://example.com/photo.jpg".into()),
            open311_token: Some("o311_test_token".into()),
            ..new_appeal(&topic.code, Kind::Complaint)
        },
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(o311.caller_email.as_deref(), Some("r***@example.com"));
    for (field, bad) in [
        ("email", "not-an-email"),
        ("media_url", "javascript:alert(1)"),
    ] {
        let mut n = new_appeal(&topic.code, Kind::Complaint);
        if field == "email" {
            n.caller_email = Some(bad.into());
        } else {
            n.media_url = Some(bad.into());
        }
        let e = appeals::intake(&tx, n, &cal, now, &actor())
            .await
            .unwrap_err();
        assert_eq!(reason(e), if field == "email" { "email" } else { "url" });
    }
    tx.commit().await.unwrap();
    let all = PublicFilter {
        numbers: None,
        topics: None,
        from: now - Duration::days(1),
        to: now + Duration::days(1),
        open: None,
        limit: 100,
    };
    let v = public::requests(t.db.conn(), &all).await.unwrap();
    let numbers: Vec<&str> = v.iter().map(|a| a.number.as_str()).collect();
    assert!(
        !numbers.contains(&report.number.as_str()),
        "reports are never public"
    );
    assert_eq!(v.len(), 2);
    let h = v.iter().find(|a| a.number == hotline.number).unwrap();
    assert_eq!(
        (h.description.as_deref(), h.address.as_deref()),
        (None, None)
    );
    assert_eq!(h.lat, Some(38.862));
    let o = v.iter().find(|a| a.number == o311.number).unwrap();
    assert!(o.description.as_deref().unwrap().contains("摆摊"));
    assert_eq!(
        o.media_url.as_deref(),
        Some("https://example.com/photo.jpg")
    );
    assert!(
        public::request(t.db.conn(), &report.number)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        public::number_for_token(t.db.conn(), "o311_test_token")
            .await
            .unwrap(),
        Some(o311.number.clone())
    );
    // Filters: closed only finds none; ids override the dates.
    let closed = public::requests(
        t.db.conn(),
        &PublicFilter {
            open: Some(false),
            ..all.clone()
        },
    )
    .await
    .unwrap();
    assert!(closed.is_empty());
    let by_id = public::requests(
        t.db.conn(),
        &PublicFilter {
            numbers: Some(vec![hotline.number.clone(), report.number.clone()]),
            from: Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2000, 1, 2, 0, 0, 0).unwrap(),
            ..all.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_id.len(), 1);
    let none = public::requests(
        t.db.conn(),
        &PublicFilter {
            topics: Some(vec!["ZZ9999".into()]),
            ..all
        },
    )
    .await
    .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn routing_rules_by_topic_and_area_pick_the_most_specific_and_may_dispatch_at_once() {
    use zhengwu_store::appeals::routing::{self, RouteInput};
    use zhengwu_store::org::Location;
    let (t, cal) = setup().await;
    let now = friday();
    let qxl_spot = Location {
        lat: 38.8616,
        lon: 121.5252,
    };
    let far = Location {
        lat: 38.70,
        lon: 121.26,
    };
    assert_eq!(
        routing::area_of(t.db.conn(), qxl_spot)
            .await
            .unwrap()
            .as_deref(),
        Some("QXL")
    );
    assert_eq!(routing::area_of(t.db.conn(), far).await.unwrap(), None);
    let input = |topic: &str, area: Option<&str>, lead: &str, co: &[&str]| RouteInput {
        topic_prefix: topic.into(),
        area: area.map(str::to_owned),
        lead: lead.into(),
        co: co.iter().map(|c| (*c).to_owned()).collect(),
        auto_dispatch: false,
        note: None,
    };
    let tx = t.db.begin_write().await.unwrap();
    for (r, want) in [
        (input("ZZ", None, "CGJ", &[]), "unknown:ZZ"),
        (
            input("CG", Some("CGJ"), "CGJ", &[]),
            "not_a_subdistrict:CGJ",
        ),
        (input("CG", None, "NOPE", &[]), "unknown_unit:NOPE"),
        (input("CG", None, "CGJ", &["CGJ"]), "lead_also_co"),
        (
            input("CG0103", Some("QXL"), "QXL", &[]),
            "route_exists:CG0103",
        ),
    ] {
        let e = routing::save(&tx, None, &r, now, &actor())
            .await
            .unwrap_err();
        assert_eq!(reason(e), want);
    }
    // A rule for the whole 城市管理 branch, everywhere, not dispatching by itself.
    let branch = routing::save(
        &tx,
        None,
        &input("CG", None, "HBJ", &["CGJ"]),
        now,
        &actor(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let hbj = unit(&t.db, "HBJ").await;
    let qxl = unit(&t.db, "QXL").await;
    let cgj = unit(&t.db, "CGJ").await;
    // In 七贤岭, 乱贴乱画 follows the demo's area rule; elsewhere the branch rule; 占道经营
    // in 七贤岭 the branch rule too; a topic outside any rule its own lead.
    let r = routing::route_for(t.db.conn(), "CG0103", Some(qxl_spot))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.lead, r.co.clone(), r.auto_dispatch, r.area.as_deref()),
        (qxl, vec![cgj], true, Some("QXL"))
    );
    let r = routing::route_for(t.db.conn(), "CG0103", Some(far))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.lead, r.rule, r.auto_dispatch),
        (hbj, Some(branch.id), false)
    );
    let r = routing::route_for(t.db.conn(), "CG0101", Some(qxl_spot))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.rule, Some(branch.id));
    let other = appeals::topics(t.db.conn())
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.level == 3 && !x.code.starts_with("CG") && !x.code.starts_with("SQ"))
        .unwrap();
    let r = routing::route_for(t.db.conn(), &other.code, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.rule, r.lead),
        (None, unit(&t.db, other.lead.as_deref().unwrap()).await)
    );
    // Dispatch at intake by the area rule; not by the branch rule (not automatic).
    let tx = t.db.begin_write().await.unwrap();
    let a = appeals::intake(
        &tx,
        NewAppeal {
            location: Some((qxl_spot.lat, qxl_spot.lon)),
            ..new_appeal("CG0103", Kind::Complaint)
        },
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let a = routing::dispatch_by_rule(&tx, a, &cal, now).await.unwrap();
    assert_eq!(a.status, "dispatched");
    let b = appeals::intake(
        &tx,
        NewAppeal {
            location: Some((far.lat, far.lon)),
            ..new_appeal("CG0103", Kind::Complaint)
        },
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let b = routing::dispatch_by_rule(&tx, b, &cal, now).await.unwrap();
    assert_eq!(b.status, "registered");
    tx.commit().await.unwrap();
    let d = appeals::detail(t.db.conn(), a.id).await.unwrap();
    assert_eq!(d.assignments[0].unit_id, qxl.get());
    assert!(d.events.iter().any(|e| e.actor.starts_with("routing rule")));
    // Rules are replaced and deleted.
    let tx = t.db.begin_write().await.unwrap();
    let mut changed = input("CG", None, "CGJ", &[]);
    changed.auto_dispatch = true;
    let saved = routing::save(&tx, Some(branch.id), &changed, now, &actor())
        .await
        .unwrap();
    assert_eq!((saved.lead.as_str(), saved.auto_dispatch), ("CGJ", true));
    routing::delete(&tx, branch.id, &actor()).await.unwrap();
    assert!(routing::delete(&tx, branch.id, &actor()).await.is_err());
    tx.commit().await.unwrap();
    assert_eq!(routing::list(t.db.conn()).await.unwrap().len(), 4);
}

#[tokio::test]
async fn attachments_are_checked_by_content_kept_once_and_limited() {
    use zhengwu_store::appeals::attachments;
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let now = friday();
    let png = {
        let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        v.extend_from_slice(b"IHDR");
        v.extend_from_slice(&[0; 17]);
        v.extend_from_slice(&[0, 0, 0, 0]);
        v.extend_from_slice(b"IEND");
        v.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
        v
    };
    let pdf = |n: u8| {
        let mut v = b"%PDF-1.4\n".to_vec();
        v.push(n);
        v.extend_from_slice(b"\n%%EOF\n");
        v
    };
    let tx = t.db.begin_write().await.unwrap();
    let a = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Complaint),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let first = attachments::add(&tx, a.id, "C:\\fakepath\\井盖.png", &png, now, &actor())
        .await
        .unwrap();
    assert_eq!(
        (first.file_name.as_str(), first.content_type.as_str()),
        ("井盖.png", "image/png")
    );
    // The same bytes again: kept once.
    let again = attachments::add(&tx, a.id, "copy.png", &png, now, &actor())
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    for (name, bytes, want) in [
        ("photo.jpg", pdf(1), "file_forged:jpg"),
        ("notes.txt", b"just text".to_vec(), "upload_type:unknown"),
        ("cut.pdf", pdf(1)[..12].to_vec(), "file_corrupt"),
        ("empty.pdf", Vec::new(), "file_empty"),
    ] {
        let e = attachments::add(&tx, a.id, name, &bytes, now, &actor())
            .await
            .unwrap_err();
        assert_eq!(reason(e), want, "{name}");
    }
    for n in 2..=5 {
        attachments::add(&tx, a.id, &format!("scan{n}.pdf"), &pdf(n), now, &actor())
            .await
            .unwrap();
    }
    let e = attachments::add(&tx, a.id, "scan6.pdf", &pdf(6), now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "too_many_files:5");
    tx.commit().await.unwrap();
    let d = appeals::detail(t.db.conn(), a.id).await.unwrap();
    assert_eq!(d.attachments.len(), 5);
    let (info, bytes) = attachments::get(t.db.conn(), a.id, first.id).await.unwrap();
    assert_eq!((info.size as usize, bytes), (png.len(), png.clone()));
    // Not through another appeal's number.
    assert!(
        attachments::get(t.db.conn(), a.id + 1000, first.id)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn administrators_edit_the_topic_tree_the_knowledge_base_and_the_limits() {
    use zhengwu_core::appeal::Limits;
    use zhengwu_store::appeals::KnowledgeEntry;
    use zhengwu_store::appeals::admin::{self, TopicInput};
    let (t, cal) = setup().await;
    let now = friday();
    let input = |code: &str, parent: Option<&str>, lead: Option<&str>| TopicInput {
        code: code.into(),
        name: "新分类".into(),
        parent_code: parent.map(str::to_owned),
        lead: lead.map(str::to_owned),
        co: vec![],
        kind: None,
        words: vec![],
    };
    let tx = t.db.begin_write().await.unwrap();
    for (i, existing, want) in [
        (input("cg", None, None), None, "topic_code_format"),
        (input("CG01", Some("CG"), None), None, "exists:CG01"),
        (input("CG9", Some("CG"), None), None, "topic_code_format"),
        (input("CG0199", Some("ZZ"), None), None, "unknown:ZZ"),
        (input("CG99", Some("CG"), Some("CGJ")), None, "leaf_only"),
        (
            input("CG0199", Some("CG01"), Some("NOPE")),
            None,
            "unknown_unit:NOPE",
        ),
        (
            input("CG0101", Some("SQ01"), None),
            Some("CG0101"),
            "topic_code_fixed",
        ),
    ] {
        let e = admin::save_topic(&tx, existing, &i, &actor())
            .await
            .unwrap_err();
        assert_eq!(reason(e), want);
    }
    let branch = admin::save_topic(&tx, None, &input("CG99", Some("CG"), None), &actor())
        .await
        .unwrap();
    assert_eq!(branch.level, 2);
    let made = admin::save_topic(
        &tx,
        None,
        &TopicInput {
            kind: Some("complaint".into()),
            co: vec!["SCJ".into()],
            words: vec!["共享单车".into(), "乱停放".into()],
            ..input("CG9901", Some("CG99"), Some("CGJ"))
        },
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(
        (made.level, made.lead.as_deref(), made.co.clone()),
        (3, Some("CGJ"), vec!["SCJ".to_owned()])
    );
    // Renamed, lead changed.
    let renamed = admin::save_topic(
        &tx,
        Some("CG9901"),
        &TopicInput {
            name: "共享单车乱停放".into(),
            ..input("CG9901", Some("CG99"), Some("JJD"))
        },
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.lead.as_deref()),
        ("共享单车乱停放", Some("JJD"))
    );
    // An answer on it; then neither the branch nor the leaf can go.
    let k = admin::save_knowledge(
        &tx,
        None,
        &KnowledgeEntry {
            id: 0,
            question: "共享单车乱停放找谁？".into(),
            answer: "可拨打12345反映，由交警部门处理。".into(),
            topic: "CG9901".into(),
            words: vec!["共享单车".into()],
        },
        &actor(),
    )
    .await
    .unwrap();
    assert!(k.id > 0);
    let e = admin::delete_topic(&tx, "CG99", &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "in_use:1/0/0/0");
    let e = admin::delete_topic(&tx, "CG9901", &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "in_use:0/0/1/0");
    let found = appeals::knowledge_for(&tx, "小区门口共享单车乱停放", 3)
        .await
        .unwrap();
    assert!(found.iter().any(|f| f.id == k.id), "{found:?}");
    admin::delete_knowledge(&tx, k.id, &actor()).await.unwrap();
    admin::delete_topic(&tx, "CG9901", &actor()).await.unwrap();
    admin::delete_topic(&tx, "CG99", &actor()).await.unwrap();
    assert!(appeals::topic(&tx, "CG99").await.unwrap().is_none());
    let e = admin::save_knowledge(
        &tx,
        None,
        &KnowledgeEntry {
            id: 0,
            question: "问".into(),
            answer: "答案".into(),
            topic: "CG01".into(),
            words: vec![],
        },
        &actor(),
    )
    .await
    .unwrap_err();
    assert_eq!(reason(e), "length:2-200");
    // Limits: out of range refused; a help appeal now has 3 working days, signing 2.
    let l = Limits {
        help: 0,
        ..Limits::default()
    };
    assert_eq!(
        reason(admin::set_limits(&tx, &l, &actor()).await.unwrap_err()),
        "range:1-60"
    );
    let l = Limits {
        help: 3,
        sign: 2,
        ..Limits::default()
    };
    admin::set_limits(&tx, &l, &actor()).await.unwrap();
    assert_eq!(admin::limits(&tx).await.unwrap(), l);
    let topic = leaf(&t.db).await;
    let a = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Help),
        &cal,
        now,
        &actor(),
    )
    .await
    .unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 9, 18).unwrap();
    assert_eq!(a.due_on, cal.add_working_days(day, 3));
    let cgj = unit(&t.db, "CGJ").await;
    appeals::dispatch(&tx, a.id, cgj, &[], &cal, None, now, &actor())
        .await
        .unwrap();
    let d = appeals::detail(&tx, a.id).await.unwrap();
    assert_eq!(d.assignments[0].sign_due_on, cal.add_working_days(day, 2));
    tx.commit().await.unwrap();
}

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use zhengwu_core::Calendar;
use zhengwu_core::appeal::Kind;
use zhengwu_core::booking::RatingLevel;
use zhengwu_core::ident::Mobile;
use zhengwu_core::ids::UnitId;
use zhengwu_store::appeals::{self, Filter, NewAppeal};
use zhengwu_store::audit::Actor;
use zhengwu_store::testing::fresh;
use zhengwu_store::{Db, StoreError, calendar, demo, org};

pub(crate) fn actor() -> Actor {
    Actor::system("test")
}

/// Friday 2026-09-18, 10:00 in the district (the Sunday after is an adjusted working day).
pub(crate) fn friday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 18, 2, 0, 0).unwrap()
}

pub(crate) async fn setup() -> (zhengwu_store::testing::TestDb, Calendar) {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let tx = t.db.begin_write().await.unwrap();
    calendar::seed_if_empty(&tx).await.unwrap();
    tx.commit().await.unwrap();
    let cal = calendar::load(t.db.conn()).await.unwrap();
    (t, cal)
}

pub(crate) async fn unit(db: &Db, code: &str) -> UnitId {
    org::find_by_code(db.conn(), code)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// A leaf of the demo's topic tree.
pub(crate) async fn leaf(db: &Db) -> appeals::Topic {
    appeals::topics(db.conn())
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.level == 3 && t.lead.is_some())
        .unwrap()
}

pub(crate) fn new_appeal(topic: &str, kind: Kind) -> NewAppeal {
    NewAppeal {
        channel: "hotline".into(),
        kind,
        topic: topic.to_owned(),
        content: "小区门口每天晚上有人摆摊，油烟很大，影响居民休息。".into(),
        address: Some("高新区黄浦路 537 号".into()),
        location: Some((38.862, 121.53)),
        caller_name: Some("张女士".into()),
        caller_mobile: Some(Mobile::parse("13904110003").unwrap()),
        urgent: false,
        source: None,
        caller_email: None,
        media_url: None,
        open311_token: None,
    }
}

pub(crate) fn reason(e: StoreError) -> String {
    match e {
        StoreError::Invalid { message, .. } => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_demo_tree_has_three_levels_with_handling_units_and_a_knowledge_base() {
    let (t, _) = setup().await;
    let topics = appeals::topics(t.db.conn()).await.unwrap();
    for level in 1..=3 {
        assert!(topics.iter().any(|x| x.level == level), "level {level}");
    }
    let leaves: Vec<_> = topics.iter().filter(|x| x.level == 3).collect();
    assert!(leaves.len() >= 100, "{} leaves", leaves.len());
    for l in &leaves {
        let lead = l.lead.as_deref().unwrap();
        assert!(
            org::find_by_code(t.db.conn(), lead)
                .await
                .unwrap()
                .is_some(),
            "{}: lead {lead} is a unit",
            l.code
        );
        let parent = l.parent_code.as_deref().unwrap();
        assert!(topics.iter().any(|x| x.code == parent && x.level == 2));
    }
    let answers = appeals::knowledge_for(t.db.conn(), "居住证怎么办理", 3)
        .await
        .unwrap();
    assert!(
        !answers.is_empty(),
        "the knowledge base answers a common question"
    );
}

#[tokio::test]
async fn intake_validates_numbers_the_appeal_and_counts_its_deadline_in_working_days() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let tx = t.db.begin_write().await.unwrap();
    let a = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Help),
        &cal,
        friday(),
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(a.number, "20260918-000001");
    assert_eq!(a.status, "registered");
    assert_eq!(a.caller_mobile.as_deref(), Some("139****0003"));
    // Help: 5 working days from Friday 18th — Sun 20 (adjusted), Mon 21, Tue 22, Wed 23, Thu 24.
    assert_eq!(
        a.due_on,
        chrono::NaiveDate::from_ymd_opt(2026, 9, 24).unwrap()
    );
    let b = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Consult),
        &cal,
        friday(),
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(b.number, "20260918-000002");
    let bad = [
        (
            NewAppeal {
                content: "   ".into(),
                ..new_appeal(&topic.code, Kind::Help)
            },
            "length:1-5000",
        ),
        (
            NewAppeal {
                content: "长".repeat(5001),
                ..new_appeal(&topic.code, Kind::Help)
            },
            "length:1-5000",
        ),
        (
            NewAppeal {
                topic: "ZZ9999".into(),
                ..new_appeal(&topic.code, Kind::Help)
            },
            "unknown:ZZ9999",
        ),
        (
            NewAppeal {
                location: Some((39.9, 116.4)),
                ..new_appeal(&topic.code, Kind::Help)
            },
            "outside_district",
        ),
        (
            NewAppeal {
                channel: "claimed".into(),
                ..new_appeal(&topic.code, Kind::Help)
            },
            "required",
        ),
        (
            NewAppeal {
                channel: "fax".into(),
                ..new_appeal(&topic.code, Kind::Help)
            },
            "unknown:fax",
        ),
    ];
    for (n, why) in bad {
        let e = appeals::intake(&tx, n, &cal, friday(), &actor())
            .await
            .unwrap_err();
        assert_eq!(reason(e), why);
    }
    // A script in the content is kept as text.
    let s = appeals::intake(
        &tx,
        NewAppeal {
            content: "<script>alert(1)</script> 路灯不亮".into(),
            ..new_appeal(&topic.code, Kind::Report)
        },
        &cal,
        friday(),
        &actor(),
    )
    .await
    .unwrap();
    assert!(s.content.starts_with("<script>"));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_consultation_is_answered_at_intake_and_closed() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let tx = t.db.begin_write().await.unwrap();
    let a = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Consult),
        &cal,
        friday(),
        &actor(),
    )
    .await
    .unwrap();
    let closed = appeals::answer_at_intake(
        &tx,
        a.id,
        "可在公共服务中心综合窗口办理。",
        friday(),
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(closed.status, "closed");
    assert!(closed.closed_at.is_some());
    let e = appeals::answer_at_intake(&tx, a.id, "再答一次", friday(), &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_now:closed");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn joint_handling_dispatch_sign_return_contribute_reply_and_visit() {
    let (t, cal) = setup().await;
    let topic = leaf(&t.db).await;
    let cgj = unit(&t.db, "CGJ").await;
    let scj = unit(&t.db, "SCJ").await;
    let hbj = unit(&t.db, "HBJ").await;
    let now = friday();
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
    // Signing before dispatch: the unit is not assigned.
    let e = appeals::sign(&tx, a.id, cgj, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_assigned");
    // A hall is not a handling unit.
    let hall = unit(&t.db, "H-PUB").await;
    assert!(
        appeals::dispatch(&tx, a.id, hall, &[], &cal, None, now, &actor())
            .await
            .is_err()
    );
    appeals::dispatch(&tx, a.id, cgj, &[scj], &cal, None, now, &actor())
        .await
        .unwrap();
    // Another unit cannot sign it; the lead cannot reply before signing.
    let e = appeals::sign(&tx, a.id, hbj, now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_assigned");
    let e = appeals::reply(&tx, a.id, cgj, "已处理", now, &actor(), "log")
        .await
        .unwrap_err();
    assert_eq!(reason(e), "not_now:dispatched");
    // The lead returns it without a reason: refused; with one: back to the dispatcher.
    let e = appeals::return_to_dispatcher(&tx, a.id, cgj, " ", now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "length:2-500");
    let r = appeals::return_to_dispatcher(
        &tx,
        a.id,
        cgj,
        "不属于本单位职责，属于生态环境部门",
        now,
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, "returned");
    // Reassigned to HBJ with SCJ as co-unit.
    appeals::dispatch(
        &tx,
        a.id,
        hbj,
        &[scj],
        &cal,
        Some("审定：由生态环境部门牵头"),
        now,
        &actor(),
    )
    .await
    .unwrap();
    let a2 = appeals::sign(&tx, a.id, hbj, now, &actor()).await.unwrap();
    assert_eq!(a2.status, "in_hand");
    // Replying while the co-unit still works is refused.
    let e = appeals::reply(
        &tx,
        a.id,
        hbj,
        "已督促商户安装油烟净化器",
        now,
        &actor(),
        "log",
    )
    .await
    .unwrap_err();
    assert_eq!(reason(e), "co_units_working:1");
    // The co-unit must sign before it contributes.
    let e = appeals::contribute(&tx, a.id, scj, "已检查证照", now, &actor())
        .await
        .unwrap_err();
    assert_eq!(reason(e), "part_not_now:pending");
    appeals::sign(&tx, a.id, scj, now, &actor()).await.unwrap();
    appeals::contribute(&tx, a.id, scj, "已检查商户证照，责令整改", now, &actor())
        .await
        .unwrap();
    let replied = appeals::reply(
        &tx,
        a.id,
        hbj,
        "已督促商户安装油烟净化器并限时整改",
        now,
        &actor(),
        "log",
    )
    .await
    .unwrap();
    assert_eq!(replied.status, "replied");
    // An unsatisfied visit reopens it; a satisfied one after a new reply closes it.
    let v = appeals::visit(
        &tx,
        a.id,
        false,
        RatingLevel::new(2).unwrap(),
        Some("仍有油烟"),
        now,
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(v.status, "in_hand");
    appeals::reply(
        &tx,
        a.id,
        hbj,
        "复查：净化器已安装并运行",
        now,
        &actor(),
        "log",
    )
    .await
    .unwrap();
    let v = appeals::visit(
        &tx,
        a.id,
        true,
        RatingLevel::new(5).unwrap(),
        None,
        now,
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!((v.status.as_str(), v.satisfaction), ("closed", Some(5)));
    tx.commit().await.unwrap();
    let d = appeals::detail(t.db.conn(), a.id).await.unwrap();
    let kinds: Vec<&str> = d.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "intake",
            "dispatch",
            "return",
            "dispatch",
            "sign",
            "sign",
            "contribute",
            "reply",
            "visit_reopened",
            "reply",
            "visit_closed"
        ]
    );
    // The first assignment's parts were withdrawn, with the return's reason on the lead's.
    assert_eq!(d.assignments.len(), 4);
    assert_eq!(d.assignments[0].part, "withdrawn");
    assert!(d.assignments[0].note.as_deref().unwrap().contains("不属于"));
    // The reply went to the caller by SMS through the outbox.
    let sms = zhengwu_store::notify::list(t.db.conn(), zhengwu_store::notify::Status::Pending, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.topic == "sms.appeal_reply")
        .count();
    assert_eq!(sms, 2);
    // A handler's list: HBJ has nothing open now.
    let open = appeals::list(
        t.db.conn(),
        &Filter {
            units: Some(vec![hbj.get()]),
            open_parts: true,
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(open.is_empty());
}

#[tokio::test]
async fn the_generator_makes_a_year_with_its_seasons_and_intake_goes_on_after_it() {
    use zhengwu_store::demo::appeals_gen::{GenOptions, generate_appeals};
    let (t, cal) = setup().await;
    let now = Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap();
    let mut seen = 0;
    let s = generate_appeals(
        &t.db,
        GenOptions {
            count: 3000,
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            seed: 7,
            now,
        },
        |done| seen = done,
    )
    .await
    .unwrap();
    assert_eq!((s.appeals, seen), (3000, 3000));
    assert!(s.assignments >= 2400, "{s:?}");
    assert!(s.closed > 2500, "a past year is mostly closed: {s:?}");
    let all = appeals::list(
        t.db.conn(),
        &Filter {
            limit: 500,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 500);
    // Heating complaints (peak months 11–3) come mostly in the cold months.
    let topics = appeals::topics(t.db.conn()).await.unwrap();
    let heating: Vec<String> = topics
        .iter()
        .filter(|x| x.level == 3 && x.name.contains("室温"))
        .map(|x| x.code.clone())
        .collect();
    assert!(!heating.is_empty());
    use chrono::Datelike;
    use sea_orm::EntityTrait;
    let rows = zhengwu_store::entity::appeal::Entity::find()
        .all(t.db.conn())
        .await
        .unwrap();
    let heat: Vec<u32> = rows
        .iter()
        .filter(|a| heating.contains(&a.topic_code))
        .map(|a| {
            a.created_at
                .with_timezone(&zhengwu_core::calendar::district_offset())
                .month()
        })
        .collect();
    let cold = heat
        .iter()
        .filter(|m| [11, 12, 1, 2, 3].contains(*m))
        .count();
    let share = cold as f64 / heat.len() as f64;
    assert!(
        heat.len() > 50 && share > 0.55,
        "{cold} of {} heating appeals in Nov–Mar",
        heat.len()
    );
    // The same seed gives the same first appeal; a new intake numbers and ids on.
    let topic = leaf(&t.db).await;
    let tx = t.db.begin_write().await.unwrap();
    let a = appeals::intake(
        &tx,
        new_appeal(&topic.code, Kind::Help),
        &cal,
        friday(),
        &actor(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(a.id > 3000);
    assert_eq!(
        a.number, "20260918-000001",
        "generated numbers use their own block"
    );
}

use chrono::NaiveDate;
use zhengwu_core::calendar::SpecialDay;
use zhengwu_store::calendar;
use zhengwu_store::testing::fresh;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[tokio::test]
async fn the_calendar_is_seeded_once_and_reads_back_as_the_seed() {
    let t = fresh().await;
    let tx = t.db.begin_write().await.unwrap();
    let n = calendar::seed_if_empty(&tx).await.unwrap();
    assert!(n > 300, "{n} special days");
    assert_eq!(calendar::seed_if_empty(&tx).await.unwrap(), 0);
    tx.commit().await.unwrap();
    let cal = calendar::load(t.db.conn()).await.unwrap();
    assert_eq!(cal, zhengwu_core::Calendar::china());
}

#[tokio::test]
async fn an_edited_day_is_read_back_and_a_cleared_one_follows_the_weekday_rule() {
    let t = fresh().await;
    let tx = t.db.begin_write().await.unwrap();
    calendar::seed_if_empty(&tx).await.unwrap();
    // A (hypothetical) extra day off on Friday 2026-12-25, and 2025-10-01 cleared.
    let actor = zhengwu_store::audit::Actor::system("test");
    calendar::set_day(
        &tx,
        &actor,
        SpecialDay {
            date: d(2026, 12, 25),
            working_day: false,
            name: "测试假日".into(),
        },
    )
    .await
    .unwrap();
    assert!(
        calendar::clear_day(&tx, &actor, d(2025, 10, 1))
            .await
            .unwrap()
    );
    assert!(
        !calendar::clear_day(&tx, &actor, d(2025, 10, 1))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let cal = calendar::load(t.db.conn()).await.unwrap();
    assert!(!cal.is_working_day(d(2026, 12, 25)));
    assert_eq!(cal.day(d(2026, 12, 25)).name.as_deref(), Some("测试假日"));
    assert!(
        cal.is_working_day(d(2025, 10, 1)),
        "a cleared Wednesday is a working day"
    );
}

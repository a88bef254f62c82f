use zhengwu_store::org::{self, UnitFilter, UnitKind};
use zhengwu_store::testing::fresh;
use zhengwu_store::{StoreError, demo};

#[tokio::test]
async fn the_demo_district_mirrors_the_report() {
    let t = fresh().await;
    let s = demo::load(&t.db).await.unwrap();
    assert_eq!(s.halls, 4);
    assert_eq!(s.comprehensive_windows, 10);
    assert!(s.departments >= 15);
    assert_eq!(s.communities, 52);
    assert_eq!(s.stations, 46);
    assert_eq!(s.model_stations, 6);
    let counts = org::count_by_kind(t.db.conn()).await.unwrap();
    let n = |k| counts.iter().find(|(kind, _)| *kind == k).unwrap().1;
    assert_eq!(n(UnitKind::Station), 46);
    assert_eq!(n(UnitKind::Community), 52);
    assert_eq!(n(UnitKind::Center), 1);
}

#[tokio::test]
async fn loading_twice_is_refused_and_reset_reloads() {
    let t = fresh().await;
    let first = demo::load(&t.db).await.unwrap();
    assert!(matches!(
        demo::load(&t.db).await,
        Err(StoreError::Conflict { .. })
    ));
    let again = demo::reset(&t.db).await.unwrap();
    assert_eq!(first, again);
    let stations = org::list_units(
        t.db.conn(),
        &UnitFilter {
            kind: Some(UnitKind::Station),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(stations.len(), 46);
}

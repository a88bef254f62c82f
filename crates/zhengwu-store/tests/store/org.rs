use chrono::NaiveDate;
use zhengwu_core::Calendar;
use zhengwu_core::hours::{CalendarMode, DateException, Period, WeeklySchedule};
use zhengwu_store::StoreError;
use zhengwu_store::org::{self, NewUnit, UnitFilter, UnitKind, WindowKind};
use zhengwu_store::testing::fresh;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[tokio::test]
async fn the_tree_is_checked_and_descendants_are_found_by_path() {
    let t = fresh().await;
    let tx = t.db.begin_write().await.unwrap();
    let district = org::create_unit(&tx, NewUnit::new(UnitKind::District, None, "D", "区"))
        .await
        .unwrap();
    let center = org::create_unit(
        &tx,
        NewUnit::new(UnitKind::Center, Some(district), "C", "中心"),
    )
    .await
    .unwrap();
    let hall = org::create_unit(&tx, NewUnit::new(UnitKind::Hall, Some(center), "H", "大厅"))
        .await
        .unwrap();
    let dept = org::create_unit(
        &tx,
        NewUnit::new(UnitKind::Department, Some(district), "DEP", "审批局"),
    )
    .await
    .unwrap();
    // A hall cannot hang under a department, nor a window under the district.
    for bad in [
        NewUnit::new(UnitKind::Hall, Some(dept), "H2", "x"),
        NewUnit::new(UnitKind::Window, Some(district), "W0", "x"),
        NewUnit::new(UnitKind::District, Some(district), "D2", "x"),
        NewUnit::new(UnitKind::Hall, None, "H3", "x"),
    ] {
        assert!(
            matches!(
                org::create_unit(&tx, bad).await,
                Err(StoreError::Invalid { .. })
            ),
            "a misplaced unit was accepted"
        );
    }
    // A specialised window needs its department; a department must be one.
    let mut w = NewUnit::new(UnitKind::Window, Some(hall), "W1", "专窗");
    w.window_kind = Some(WindowKind::Specialised);
    assert!(matches!(
        org::create_unit(&tx, w.clone()).await,
        Err(StoreError::Invalid { .. })
    ));
    w.department_id = Some(hall);
    assert!(matches!(
        org::create_unit(&tx, w.clone()).await,
        Err(StoreError::Invalid { .. })
    ));
    w.department_id = Some(dept);
    let window = org::create_unit(&tx, w).await.unwrap();
    // A duplicate code is a conflict, and the transaction stays usable on PostgreSQL only
    // through a savepoint, so it is tried last.
    let within = org::list_units(
        &tx,
        &UnitFilter {
            within: Some(center),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let ids: Vec<_> = within.iter().map(|u| u.id).collect();
    assert_eq!(ids, vec![center, hall, window]);
    let dup = org::create_unit(&tx, NewUnit::new(UnitKind::Hall, Some(center), "H", "重复")).await;
    assert!(matches!(dup, Err(StoreError::Conflict { .. })), "{dup:?}");
}

#[tokio::test]
async fn a_window_keeps_its_halls_hours_and_exceptions_apply() {
    let t = fresh().await;
    let tx = t.db.begin_write().await.unwrap();
    let district = org::create_unit(&tx, NewUnit::new(UnitKind::District, None, "D", "区"))
        .await
        .unwrap();
    let center = org::create_unit(
        &tx,
        NewUnit::new(UnitKind::Center, Some(district), "C", "中心"),
    )
    .await
    .unwrap();
    let hall = org::create_unit(&tx, NewUnit::new(UnitKind::Hall, Some(center), "H", "大厅"))
        .await
        .unwrap();
    let mut w = NewUnit::new(UnitKind::Window, Some(hall), "W", "综合窗口");
    w.window_kind = Some(WindowKind::Comprehensive);
    let window = org::create_unit(&tx, w).await.unwrap();
    let std = vec![Period::MORNING, Period::AFTERNOON];
    let week = WeeklySchedule::new([
        std.clone(),
        std.clone(),
        std.clone(),
        std.clone(),
        std.clone(),
        vec![],
        vec![],
    ])
    .unwrap();
    org::set_weekly_hours(&tx, center, &week).await.unwrap();
    org::set_exception(
        &tx,
        hall,
        &DateException {
            date: d(2026, 3, 14),
            periods: vec![Period::parse("09:00-12:00").unwrap()],
            note: Some("企业开办服务月周六加开".into()),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let site = org::site_hours(t.db.conn(), window).await.unwrap();
    assert_eq!(site.schedule_from, center);
    assert_eq!(site.mode, CalendarMode::WorkingDays);
    let cal = Calendar::china();
    assert_eq!(site.open_on(d(2026, 11, 25), &cal), std);
    assert!(
        site.open_on(d(2025, 10, 1), &cal).is_empty(),
        "National Day"
    );
    assert_eq!(
        site.open_on(d(2025, 9, 28), &cal),
        std,
        "adjusted working Sunday"
    );
    assert_eq!(
        site.open_on(d(2026, 3, 14), &cal),
        vec![Period::parse("09:00-12:00").unwrap()],
        "the hall's Saturday opening reaches its windows"
    );
    assert!(site.open_on(d(2026, 3, 15), &cal).is_empty());
}

#[tokio::test]
async fn concurrent_writers_queue_instead_of_failing() {
    let t = fresh().await;
    let tx = t.db.begin_write().await.unwrap();
    let district = org::create_unit(&tx, NewUnit::new(UnitKind::District, None, "D", "区"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let tx = db.begin_write().await?;
            let id = org::create_unit(
                &tx,
                NewUnit::new(
                    UnitKind::Department,
                    Some(district),
                    &format!("DEP{i}"),
                    "部门",
                ),
            )
            .await?;
            tokio::task::yield_now().await;
            tx.commit().await?;
            Ok::<_, StoreError>(id)
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let deps = org::list_units(
        t.db.conn(),
        &UnitFilter {
            kind: Some(UnitKind::Department),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(deps.len(), 24);
}

#[tokio::test]
async fn lists_are_restricted_to_a_scope() {
    use zhengwu_store::scope::Scope;
    let t = fresh().await;
    zhengwu_store::demo::load(&t.db).await.unwrap();
    let hall = org::find_by_code(t.db.conn(), "H-PUB")
        .await
        .unwrap()
        .unwrap();
    let all = org::list_units(t.db.conn(), &UnitFilter::default())
        .await
        .unwrap();
    let within_hall = org::list_units(
        t.db.conn(),
        &UnitFilter {
            within: Some(hall.id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let district = all.iter().find(|u| u.kind == UnitKind::District).unwrap();
    let path_of = |id: zhengwu_core::ids::UnitId| {
        let mut p = String::from("/");
        let mut chain = vec![id];
        let mut cur = all.iter().find(|u| u.id == id).unwrap();
        while let Some(parent) = cur.parent_id {
            chain.push(parent);
            cur = all.iter().find(|u| u.id == parent).unwrap();
        }
        for c in chain.iter().rev() {
            p.push_str(&format!("{c}/"));
        }
        p
    };
    let scoped = |scope: Scope| {
        let db = t.db.clone();
        async move {
            org::list_units(
                db.conn(),
                &UnitFilter {
                    scope: Some(scope),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(
        scoped(Scope::Paths(vec![path_of(hall.id)])).await,
        within_hall
    );
    assert_eq!(
        scoped(Scope::Paths(vec![path_of(district.id)])).await.len(),
        all.len()
    );
    assert_eq!(scoped(Scope::All).await.len(), all.len());
    assert!(scoped(Scope::None).await.is_empty());
}

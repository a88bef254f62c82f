use zhengwu_store::audit::{self, Actor};
use zhengwu_store::catalog::{self, ItemFilter, References, Status, VersionState};
use zhengwu_store::testing::fresh;
use zhengwu_store::{StoreError, demo};

fn admin(name: &str) -> Actor {
    Actor {
        kind: "staff",
        id: Some(1),
        label: name.into(),
        ip: None,
    }
}

#[tokio::test]
async fn the_demo_catalog_is_loaded_published_with_its_synonyms() {
    let t = fresh().await;
    let s = demo::load(&t.db).await.unwrap();
    assert!(s.catalog_items >= 200);
    let items = catalog::published_items(t.db.conn()).await.unwrap();
    assert_eq!(items.len(), s.catalog_items);
    let departments: std::collections::HashSet<_> =
        items.iter().map(|i| i.department.as_str()).collect();
    assert!(departments.len() >= 15);
    let in_stations = items.iter().filter(|i| i.stations != "none").count();
    assert_eq!(in_stations, 104);
    let syn = catalog::synonyms(t.db.conn()).await.unwrap();
    assert!(syn.iter().any(|r| r.phrase == "开公司"));
    // A reset empties and reloads the catalog too.
    let again = demo::reset(&t.db).await.unwrap();
    assert_eq!(again.catalog_items, s.catalog_items);
}

#[tokio::test]
async fn edit_version_publish_and_withdraw() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let db = &t.db;
    let refs = References::load(db.conn()).await.unwrap();
    let code = "210231-GAJ-XK-6003";
    let rec = catalog::get(db.conn(), code).await.unwrap();
    assert_eq!(rec.summary.status, Status::Published);
    assert_eq!(rec.latest_state, VersionState::Published);

    // Editing a published item opens version 2 as a draft; version 1 stays in service.
    let mut item = rec.latest.clone();
    item.promised_limit_days = 1.0;
    item.effective_from = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let tx = db.begin_write().await.unwrap();
    let s = catalog::save(
        &tx,
        &refs,
        code,
        item.clone(),
        rec.summary.revision,
        &admin("a"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.latest_version, 2);
    assert_eq!(s.published_version, Some(1));
    let live = catalog::published_item(db.conn(), code).await.unwrap();
    assert_eq!(live.promised_limit_days, rec.latest.promised_limit_days);

    // Publishing supersedes version 1 from version 2's effective date.
    let tx = db.begin_write().await.unwrap();
    let (s, published) = catalog::publish(&tx, code, s.revision, &admin("a"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(published.version, 2);
    assert_eq!(s.published_version, Some(2));
    let versions = catalog::versions(db.conn(), code).await.unwrap();
    assert_eq!(versions[0].state, VersionState::Published);
    assert_eq!(versions[1].state, VersionState::Superseded);
    assert_eq!(versions[1].effective_to, Some(item.effective_from));
    assert_eq!(
        catalog::version_item(db.conn(), code, 1)
            .await
            .unwrap()
            .promised_limit_days,
        rec.latest.promised_limit_days
    );

    // Withdrawing takes it out of service; it is no longer among the published items.
    let tx = db.begin_write().await.unwrap();
    let err = catalog::withdraw(&tx, code, s.revision, "  ", &admin("a")).await;
    assert!(matches!(err, Err(StoreError::Invalid { .. })));
    let s = catalog::withdraw(&tx, code, s.revision, "合并到新事项", &admin("a"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.status, Status::Withdrawn);
    assert!(matches!(
        catalog::published_item(db.conn(), code).await,
        Err(StoreError::NotFound { .. })
    ));
    let all = catalog::published_items(db.conn()).await.unwrap();
    assert!(all.iter().all(|i| i.code != code));

    // Every change is in the audit trail.
    let entries = audit::search(
        db.conn(),
        &audit::EntryFilter {
            record_id: Some(code.into()),
            ..Default::default()
        },
        50,
    )
    .await
    .unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    for a in ["catalog.edit", "catalog.publish", "catalog.withdraw"] {
        assert!(actions.contains(&a), "{actions:?}");
    }
    assert!(audit::verify(db.conn()).await.unwrap().first_bad.is_none());
}

#[tokio::test]
async fn two_admins_editing_at_once_the_second_gets_a_conflict() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let db = &t.db;
    let refs = References::load(db.conn()).await.unwrap();
    let code = "210231-SCJ-XK-0002";
    let rec = catalog::get(db.conn(), code).await.unwrap();
    let mut a = rec.latest.clone();
    a.conditions = "甲的修改".into();
    let mut b = rec.latest.clone();
    b.conditions = "乙的修改".into();
    let tx = db.begin_write().await.unwrap();
    catalog::save(&tx, &refs, code, a, rec.summary.revision, &admin("甲"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let tx = db.begin_write().await.unwrap();
    let err = catalog::save(&tx, &refs, code, b, rec.summary.revision, &admin("乙")).await;
    drop(tx);
    match err {
        Err(StoreError::Stale { current, .. }) => assert_eq!(current, rec.summary.revision + 1),
        other => panic!("{other:?}"),
    }
    let now = catalog::get(db.conn(), code).await.unwrap();
    assert_eq!(now.latest.conditions, "甲的修改");
}

#[tokio::test]
async fn bad_items_are_refused_with_the_field_named() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let db = &t.db;
    let refs = References::load(db.conn()).await.unwrap();
    let base = catalog::get(db.conn(), "210231-SCJ-XK-0002")
        .await
        .unwrap()
        .latest;
    type Break = Box<dyn Fn(&mut zhengwu_core::catalog::Item)>;
    let cases: Vec<(&str, Break)> = vec![
        ("department", Box::new(|i| i.department = "NOPE".into())),
        ("windows", Box::new(|i| i.windows = vec!["Z99".into()])),
        ("item_type", Box::new(|i| i.item_type = "随便".into())),
        ("name", Box::new(|i| i.name = " ".into())),
    ];
    for (field, f) in cases {
        let mut item = base.clone();
        item.code = "NEW-1".into();
        f(&mut item);
        let tx = db.begin_write().await.unwrap();
        match catalog::create(&tx, &refs, item, &admin("a")).await {
            Err(StoreError::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // A code that exists is a conflict.
    let tx = db.begin_write().await.unwrap();
    assert!(matches!(
        catalog::create(&tx, &refs, base.clone(), &admin("a")).await,
        Err(StoreError::Conflict { .. })
    ));
    drop(tx);
    // A new item starts as a draft, listed but not published.
    let mut item = base;
    item.code = "NEW-2".into();
    item.name = "新事项".into();
    let tx = db.begin_write().await.unwrap();
    catalog::create(&tx, &refs, item, &admin("a"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (drafts, n) = catalog::list(
        db.conn(),
        &ItemFilter {
            status: Some(Status::Draft),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    assert_eq!(drafts[0].code, "NEW-2");
}

#[tokio::test]
async fn import_creates_updates_and_leaves_unchanged_items_alone() {
    let t = fresh().await;
    demo::load(&t.db).await.unwrap();
    let db = &t.db;
    let refs = References::load(db.conn()).await.unwrap();
    let mut items = catalog::published_items(db.conn()).await.unwrap();
    items.truncate(3);
    items[0].fees.clear();
    items[0].conditions.push_str("（已更新）");
    items[2].code = "IMPORTED-1".into();
    let tx = db.begin_write().await.unwrap();
    let s = catalog::import(&tx, &refs, items, &admin("a"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (1, 1, 1));
    assert_eq!(
        catalog::get(db.conn(), "IMPORTED-1")
            .await
            .unwrap()
            .summary
            .status,
        Status::Published
    );
}

#[tokio::test]
async fn synonyms_are_set_changed_and_deleted() {
    let t = fresh().await;
    let db = &t.db;
    let tx = db.begin_write().await.unwrap();
    catalog::set_synonym(&tx, "办执照", "营业执照", &admin("a"))
        .await
        .unwrap();
    catalog::set_synonym(&tx, "办执照", "企业设立登记 营业执照", &admin("a"))
        .await
        .unwrap();
    assert!(matches!(
        catalog::set_synonym(&tx, "", "x", &admin("a")).await,
        Err(StoreError::Invalid { .. })
    ));
    tx.commit().await.unwrap();
    let rows = catalog::synonyms(db.conn()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].expansion, "企业设立登记 营业执照");
    let tx = db.begin_write().await.unwrap();
    catalog::delete_synonym(&tx, "办执照", &admin("a"))
        .await
        .unwrap();
    assert!(matches!(
        catalog::delete_synonym(&tx, "办执照", &admin("a")).await,
        Err(StoreError::NotFound { .. })
    ));
    tx.commit().await.unwrap();
    assert!(catalog::synonyms(db.conn()).await.unwrap().is_empty());
}

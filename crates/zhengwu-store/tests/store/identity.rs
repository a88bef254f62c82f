use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use zhengwu_core::ids::StaffId;
use zhengwu_core::roles::Role;
use zhengwu_store::audit::{self, Actor, NewEntry};
use zhengwu_store::identity::{self, NewStaff};
use zhengwu_store::org::{self, UnitKind};
use zhengwu_store::testing::fresh;
use zhengwu_store::{Db, StoreError, demo};

async fn district_and_department(
    db: &Db,
) -> (zhengwu_core::ids::UnitId, zhengwu_core::ids::UnitId) {
    demo::load(db).await.unwrap();
    let units = org::list_units(db.conn(), &Default::default())
        .await
        .unwrap();
    let district = units
        .iter()
        .find(|u| u.kind == UnitKind::District)
        .unwrap()
        .id;
    let dept = units
        .iter()
        .find(|u| u.kind == UnitKind::Department)
        .unwrap()
        .id;
    (district, dept)
}

async fn add_staff(
    db: &Db,
    username: &str,
    grants: Vec<(Role, zhengwu_core::ids::UnitId)>,
) -> StaffId {
    let tx = db.begin_write().await.unwrap();
    let id = identity::create_staff(
        &tx,
        &Actor::system("test"),
        NewStaff {
            username: username.into(),
            display_name: "测试".into(),
            password_hash: "$argon2id$placeholder".into(),
            grants,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn roles_are_bound_to_scopes_of_the_right_kind() {
    let t = fresh().await;
    let (district, dept) = district_and_department(&t.db).await;
    let id = add_staff(&t.db, "reviewer.a", vec![(Role::DeptReviewer, dept)]).await;
    let s = identity::get_staff(t.db.conn(), id).await.unwrap();
    assert_eq!(s.grants[0].role, Role::DeptReviewer);
    assert_eq!(s.grants[0].scope, dept);
    let tx = t.db.begin_write().await.unwrap();
    // A station clerk cannot be scoped to a department; a bad username is refused.
    for (username, grants) in [
        ("clerk.b", vec![(Role::StationStaff, dept)]),
        ("Bad Name", vec![(Role::Admin, district)]),
        ("nobody", vec![]),
    ] {
        let r = identity::create_staff(
            &tx,
            &Actor::system("test"),
            NewStaff {
                username: username.into(),
                display_name: "x".into(),
                password_hash: "h".into(),
                grants,
            },
        )
        .await;
        assert!(
            matches!(r, Err(StoreError::Invalid { .. })),
            "{username}: {r:?}"
        );
    }
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_and_a_session_expires() {
    let t = fresh().await;
    let (district, _) = district_and_department(&t.db).await;
    let id = add_staff(&t.db, "admin", vec![(Role::Admin, district)]).await;
    let actor = Actor::system("test");
    let now = Utc::now();
    for i in 1..=5 {
        let tx = t.db.begin_write().await.unwrap();
        let locked = identity::record_failed_login(&tx, &actor, id, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(locked, i == 5);
    }
    let rec = identity::find_for_login(t.db.conn(), "admin")
        .await
        .unwrap()
        .unwrap();
    assert!(rec.locked_until.unwrap() > now + Duration::minutes(14));
    let tx = t.db.begin_write().await.unwrap();
    identity::open_session(&tx, &actor, id, "d1", now, Duration::hours(12), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let idle = Duration::minutes(30);
    assert!(
        identity::session_staff(t.db.conn(), "d1", now, idle)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        identity::session_staff(t.db.conn(), "d1", now + Duration::minutes(31), idle)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        identity::session_staff(t.db.conn(), "d1", now, idle)
            .await
            .unwrap()
            .is_none(),
        "an idle session is gone"
    );
    // A disabled account's sessions end.
    let tx = t.db.begin_write().await.unwrap();
    identity::open_session(&tx, &actor, id, "d2", now, Duration::hours(12), None)
        .await
        .unwrap();
    identity::set_active(&tx, &actor, id, false).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        identity::session_staff(t.db.conn(), "d2", now, idle)
            .await
            .unwrap()
            .is_none()
    );
}

async fn append_some(db: &Db, n: usize) {
    for i in 0..n {
        let tx = db.begin_write().await.unwrap();
        audit::append(
            &tx,
            NewEntry {
                actor: &Actor::system("test"),
                action: "test.write",
                record_type: "thing",
                record_id: Some(i.to_string()),
                summary: json!({ "i": i }),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn exec(db: &Db, sql: &str) {
    db.conn()
        .execute_raw(Statement::from_string(db.db_backend(), sql.to_owned()))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_intact_chain_verifies_and_a_rolled_back_append_leaves_no_gap() {
    let t = fresh().await;
    append_some(&t.db, 5).await;
    let tx = t.db.begin_write().await.unwrap();
    append_some(&t.db, 0).await;
    audit::append(
        &tx,
        NewEntry {
            actor: &Actor::system("test"),
            action: "test.rolled_back",
            record_type: "thing",
            record_id: None,
            summary: json!({}),
        },
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    append_some(&t.db, 2).await;
    let v = audit::verify(t.db.conn()).await.unwrap();
    assert_eq!((v.entries, v.first_bad), (7, None));
}

#[tokio::test]
async fn verify_finds_an_edited_entry() {
    let t = fresh().await;
    append_some(&t.db, 6).await;
    exec(
        &t.db,
        "UPDATE audit_log SET actor_label = 'someone else' WHERE seq = 4",
    )
    .await;
    let v = audit::verify(t.db.conn()).await.unwrap();
    assert_eq!(v.first_bad.unwrap().0, 4);
}

#[tokio::test]
async fn verify_finds_a_deleted_entry_in_the_middle_and_at_the_end() {
    let t = fresh().await;
    append_some(&t.db, 6).await;
    exec(&t.db, "DELETE FROM audit_log WHERE seq = 6").await;
    assert_eq!(
        audit::verify(t.db.conn())
            .await
            .unwrap()
            .first_bad
            .unwrap()
            .0,
        6
    );
    exec(&t.db, "DELETE FROM audit_log WHERE seq = 3").await;
    assert_eq!(
        audit::verify(t.db.conn())
            .await
            .unwrap()
            .first_bad
            .unwrap()
            .0,
        3
    );
}

#[tokio::test]
async fn verify_finds_an_inserted_entry() {
    let t = fresh().await;
    append_some(&t.db, 3).await;
    // Renumber to make room, then insert a forged entry as seq 2.
    exec(&t.db, "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 2").await;
    exec(
        &t.db,
        "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 100",
    )
    .await;
    exec(
        &t.db,
        "INSERT INTO audit_log (seq, at, actor_kind, actor_id, actor_label, ip, action, record_type, record_id, summary, prev_hash, hash) \
         VALUES (2, '2026-01-01T00:00:00.000000Z', 'staff', 1, 'forger', NULL, 'staff.create', 'staff', '9', '{}', 'x', 'y')",
    )
    .await;
    assert_eq!(
        audit::verify(t.db.conn())
            .await
            .unwrap()
            .first_bad
            .unwrap()
            .0,
        2
    );
}

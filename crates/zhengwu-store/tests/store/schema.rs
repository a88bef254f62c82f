use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, Statement};
use zhengwu_store::testing::{fresh_postgres, fresh_sqlite, postgres_server};
use zhengwu_store::{Backend, Db};

/// (table, column, nullable) of every user table after migration.
async fn columns(db: &Db) -> BTreeSet<(String, String, bool)> {
    let conn = db.conn();
    let be = db.db_backend();
    let mut out = BTreeSet::new();
    match db.backend() {
        Backend::Sqlite => {
            let tables = conn
                .query_all_raw(Statement::from_string(
                    be,
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                ))
                .await
                .unwrap();
            for t in tables {
                let name: String = t.try_get("", "name").unwrap();
                let cols = conn
                    .query_all_raw(Statement::from_string(
                        be,
                        format!("PRAGMA table_info(\"{name}\")"),
                    ))
                    .await
                    .unwrap();
                for c in cols {
                    let col: String = c.try_get("", "name").unwrap();
                    let notnull: i32 = c.try_get("", "notnull").unwrap();
                    let pk: i32 = c.try_get("", "pk").unwrap();
                    out.insert((name.clone(), col, notnull == 0 && pk == 0));
                }
            }
        }
        Backend::Postgres => {
            let rows = conn
                .query_all_raw(Statement::from_string(
                    be,
                    "SELECT table_name::text AS t, column_name::text AS c, is_nullable::text AS n \
                     FROM information_schema.columns WHERE table_schema = 'public'",
                ))
                .await
                .unwrap();
            for r in rows {
                let t: String = r.try_get("", "t").unwrap();
                let c: String = r.try_get("", "c").unwrap();
                let n: String = r.try_get("", "n").unwrap();
                out.insert((t, c, n == "YES"));
            }
        }
    }
    out
}

#[tokio::test]
async fn both_backends_end_up_with_the_same_tables_and_columns() {
    let lite = fresh_sqlite().await;
    lite.db.migrate().await.unwrap();
    let lite_cols = columns(&lite.db).await;
    assert!(
        lite_cols
            .iter()
            .any(|(t, c, _)| t == "org_units" && c == "path")
    );
    assert!(
        lite_cols
            .iter()
            .any(|(t, c, _)| t == "outbox" && c == "idempotency_key")
    );
    let Some(server) = postgres_server() else {
        eprintln!("SKIPPED the PostgreSQL half: set ZHENGWU_TEST_POSTGRES to compare");
        return;
    };
    let pg = fresh_postgres(&server).await;
    pg.db.migrate().await.unwrap();
    let pg_cols = columns(&pg.db).await;
    let only_lite: Vec<_> = lite_cols.difference(&pg_cols).collect();
    let only_pg: Vec<_> = pg_cols.difference(&lite_cols).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "only on SQLite: {only_lite:#?}\nonly on PostgreSQL: {only_pg:#?}"
    );
}

#[tokio::test]
async fn migrating_twice_is_harmless() {
    let t = zhengwu_store::testing::fresh().await;
    t.db.migrate().await.unwrap();
    let again = Db::connect(&t.url).await.unwrap();
    again.migrate().await.unwrap();
}

//! Fresh databases for tests: a temporary SQLite file, or — when `ZHENGWU_TEST_POSTGRES`
//! names a PostgreSQL server (`postgres://postgres@127.0.0.1:5432/postgres`) — a new database
//! on that server for each test. The same tests run on both.

use sea_orm::{ConnectionTrait, Statement};

use crate::{Backend, Db};

/// A migrated, empty database that lives as long as this value (SQLite: the temporary
/// directory; PostgreSQL: until a later test run drops it).
pub struct TestDb {
    pub db: Db,
    /// The URL to open it again (another connection, another process).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server the tests use, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("ZHENGWU_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The backend the tests run on.
pub fn backend() -> Backend {
    if postgres_server().is_some() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// A new database on the tests' backend, migrated.
pub async fn fresh() -> TestDb {
    let t = fresh_unmigrated().await;
    t.db.migrate()
        .await
        .unwrap_or_else(|e| panic!("migration failed: {e}"));
    t
}

/// A new, empty database on the tests' backend, not migrated.
pub async fn fresh_unmigrated() -> TestDb {
    match postgres_server() {
        Some(server) => fresh_postgres(&server).await,
        None => fresh_sqlite().await,
    }
}

/// A new SQLite database in a temporary directory, not migrated.
pub async fn fresh_sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"));
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("zhengwu.db").display()
    );
    let db = Db::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open SQLite: {e}"));
    TestDb {
        db,
        url,
        _dir: Some(dir),
    }
}

/// A new database on the PostgreSQL server `server`, not migrated.
pub async fn fresh_postgres(server: &str) -> TestDb {
    static CLEANED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    let admin = Db::connect(server)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at ZHENGWU_TEST_POSTGRES: {e}"));
    CLEANED
        .get_or_init(|| async {
            // Databases of earlier runs; one still in use refuses to be dropped, which is fine.
            let rows = admin
                .conn()
                .query_all_raw(Statement::from_string(
                    admin.db_backend(),
                    "SELECT datname FROM pg_database WHERE datname LIKE 'zw_test_%'",
                ))
                .await
                .unwrap_or_default();
            for r in rows {
                if let Ok(name) = r.try_get::<String>("", "datname") {
                    let _ = admin
                        .conn()
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                        .await;
                }
            }
        })
        .await;
    let name = format!("zw_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .conn()
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
    let _ = admin.close().await;
    let url = match server.rfind('/') {
        Some(i) if i > server.find("://").map_or(0, |p| p + 2) => {
            let (base, rest) = server.split_at(i);
            let query = rest.find('?').map_or("", |q| &rest[q..]);
            format!("{base}/{name}{query}")
        }
        _ => format!("{server}/{name}"),
    };
    let db = Db::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open the test database: {e}"));
    TestDb {
        db,
        url,
        _dir: None,
    }
}

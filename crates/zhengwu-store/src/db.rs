use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use std::sync::Arc;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::migration::Migrator;

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: a pool of connections to SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
    backend: Backend,
    /// SQLite has one writer at a time: the writers of this process take turns here, in
    /// order, instead of sleeping in SQLite's busy handler (which backs off up to 100 ms).
    writer: Arc<Mutex<()>>,
    /// SQLite only: the connections of [`crate::sql`], which run on the calling thread.
    lite: Option<Arc<crate::sql::Lite>>,
}

/// A write transaction. On SQLite it holds this process's writer turn and began IMMEDIATE
/// (another process's writers still queue on the database lock, with a busy timeout).
pub struct WriteTx {
    tx: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTx").finish_non_exhaustive()
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.tx.rollback().await
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl ConnectionTrait for WriteTx {
    fn get_database_backend(&self) -> DbBackend {
        self.tx.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.tx.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.tx.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.tx.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.tx.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.tx.support_returning()
    }
}

impl Db {
    /// Connects to `url`: `sqlite://path?mode=rwc` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(DbErr::Custom(format!(
                "unsupported database URL (use sqlite:… or postgres://…): {}",
                redact_url(url)
            )));
        };
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        match backend {
            Backend::Sqlite => {
                // WAL lets readers run beside the one writer; NORMAL synchronous is durable
                // across application crashes in WAL mode.
                opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(30))
                        .foreign_keys(true)
                        .create_if_missing(true)
                });
            }
            Backend::Postgres => {
                opts.max_connections(16);
            }
        }
        let lite = match backend {
            Backend::Sqlite => {
                let o = SqliteConnectOptions::from_str(url)
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
                Some(crate::sql::Lite::new(o.get_filename().to_owned()))
            }
            Backend::Postgres => None,
        };
        let conn = Database::connect(opts).await?;
        Ok(Self {
            conn,
            backend,
            writer: Arc::new(Mutex::new(())),
            lite,
        })
    }

    /// The SQLite database file in `data_dir`, created if missing.
    pub async fn open_sqlite_file(path: &Path) -> Result<Self, DbErr> {
        // Validate the path through sqlx's own parser so odd characters are handled.
        let url = format!("sqlite://{}?mode=rwc", path.display());
        SqliteConnectOptions::from_str(&url).map_err(|e| DbErr::Custom(e.to_string()))?;
        Self::connect(&url).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// This process's turn to write on SQLite, in order; as long as SQLite's own busy
    /// timeout: a writer that waits longer fails.
    async fn writer_turn(&self) -> Result<OwnedMutexGuard<()>, DbErr> {
        tokio::time::timeout(
            Duration::from_secs(30),
            Arc::clone(&self.writer).lock_owned(),
        )
        .await
        .map_err(|_| DbErr::Custom("timed out waiting for the database writer".into()))
    }

    /// Reads for the functions written against [`crate::sql::Exec`].
    pub fn read(&self) -> crate::Result<crate::sql::Reader<'_>> {
        match &self.lite {
            Some(lite) => crate::sql::Reader::lite(lite),
            None => Ok(crate::sql::Reader::Orm(&self.conn)),
        }
    }

    /// A write transaction for the functions written against [`crate::sql::Exec`].
    pub async fn write(&self) -> crate::Result<crate::sql::SqlTx> {
        match &self.lite {
            Some(lite) => {
                let turn = self.writer_turn().await?;
                crate::sql::SqlTx::lite(lite.writer()?, turn)
            }
            None => Ok(crate::sql::SqlTx::Orm(Some(self.begin_write().await?))),
        }
    }

    /// Starts a write transaction.
    pub async fn begin_write(&self) -> Result<WriteTx, DbErr> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.writer_turn().await?;
                let tx = self
                    .conn
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await?;
                Ok(WriteTx {
                    tx,
                    _turn: Some(turn),
                })
            }
            Backend::Postgres => Ok(WriteTx {
                tx: self.conn.begin().await?,
                _turn: None,
            }),
        }
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    pub fn db_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

/// `q` taking its rows for update on PostgreSQL (skipping rows others hold when
/// `skip_locked`); on SQLite a write transaction is already exclusive, so `q` as it is.
pub(crate) fn for_update<Q: sea_orm::QuerySelect>(
    q: Q,
    backend: DbBackend,
    skip_locked: bool,
) -> Q {
    use sea_orm::sea_query::{LockBehavior, LockType};
    match (backend, skip_locked) {
        (DbBackend::Postgres, true) => {
            q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        }
        (DbBackend::Postgres, false) => q.lock(LockType::Update),
        _ => q,
    }
}

/// A URL with its password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_appear_in_redacted_urls() {
        assert_eq!(
            redact_url("postgres://zw:secret@db:5432/zw"),
            "postgres://zw:***@db:5432/zw"
        );
        assert_eq!(redact_url("postgres://zw@db/zw"), "postgres://zw@db/zw");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}

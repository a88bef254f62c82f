use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

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
}

/// A write transaction. On SQLite it began IMMEDIATE, so concurrent writers queue on the
/// database lock (with a busy timeout) instead of failing with "database is locked".
pub type WriteTx = DatabaseTransaction;

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
        let conn = Database::connect(opts).await?;
        Ok(Self { conn, backend })
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

    /// Starts a write transaction.
    pub async fn begin_write(&self) -> Result<WriteTx, DbErr> {
        match self.backend {
            Backend::Sqlite => {
                self.conn
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await
            }
            Backend::Postgres => self.conn.begin().await,
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

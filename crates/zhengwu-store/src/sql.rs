//! One SQL text, two drivers, for the statements every request runs: who is signed in, their
//! grants, a unit's path, and the queue's issue → call → finish.
//!
//! Everything else in the store goes through SeaORM, whose SQLite driver (sqlx) runs each
//! statement on a worker thread of its connection: a hand-over to that thread and back per
//! statement. On a small machine those hand-overs, not SQLite, bound the queue (a profile of
//! `zhengwu bench queue` in docs/benchmarks.md: most of the time went to waking threads). The
//! functions written against [`Exec`] run on SQLite through rusqlite on the calling thread —
//! a statement is a few microseconds of SQLite — and on PostgreSQL (or inside any SeaORM
//! transaction) through SeaORM as before. The SQL is the same text for both, written with
//! PostgreSQL's `$1` placeholders (SQLite reads them as `?1`), and values are stored as sqlx
//! stores them, so rows written either way read back the same.
//!
//! [`Exec`] is implemented for every SeaORM connection and transaction, so the functions
//! keep working inside the transactions of the rest of the store.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::types::{ToSqlOutput, Value as LiteValue, ValueRef};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};

use crate::{Backend, Result, StoreError};

/// A value bound to a statement. `None` is a NULL of the column's type (PostgreSQL wants to
/// know it).
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    I64(Option<i64>),
    I32(Option<i32>),
    Text(Option<&'a str>),
    Bool(bool),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Self::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Self::I64(v)
    }
}
impl From<i32> for Arg<'_> {
    fn from(v: i32) -> Self {
        Self::I32(Some(v))
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Self::Text(Some(v))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Self::Text(Some(v))
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Self::Text(v)
    }
}
impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<DateTime<Utc>> for Arg<'_> {
    fn from(v: DateTime<Utc>) -> Self {
        Self::Time(Some(v))
    }
}
impl From<Option<DateTime<Utc>>> for Arg<'_> {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Self::Time(v)
    }
}
impl From<NaiveDate> for Arg<'_> {
    fn from(v: NaiveDate) -> Self {
        Self::Date(Some(v))
    }
}

/// How sqlx writes a time into SQLite (so that both drivers' rows compare as text).
fn sqlite_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

impl Arg<'_> {
    fn to_value(self) -> Value {
        match self {
            Self::I64(v) => Value::BigInt(v),
            Self::I32(v) => Value::Int(v),
            Self::Text(v) => Value::String(v.map(str::to_owned)),
            Self::Bool(v) => Value::Bool(Some(v)),
            Self::Time(v) => Value::ChronoDateTimeUtc(v),
            Self::Date(v) => Value::ChronoDate(v),
        }
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Self::I64(Some(v)) => ToSqlOutput::Owned(LiteValue::Integer(v)),
            Self::I32(Some(v)) => ToSqlOutput::Owned(LiteValue::Integer(v.into())),
            Self::Text(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Self::Bool(v) => ToSqlOutput::Owned(LiteValue::Integer(v.into())),
            Self::Time(Some(t)) => ToSqlOutput::Owned(LiteValue::Text(sqlite_time(&t))),
            Self::Date(Some(d)) => ToSqlOutput::Owned(LiteValue::Text(d.format("%F").to_string())),
            Self::I64(None) | Self::I32(None) | Self::Text(None) | Self::Time(None) => {
                ToSqlOutput::Owned(LiteValue::Null)
            }
            Self::Date(None) => ToSqlOutput::Owned(LiteValue::Null),
        })
    }
}

/// `$1` placeholders as SQLite's `?1`.
fn sqlite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// A row read by [`Exec::rows`]; columns by position, typed by the reader.
pub struct Row(RowRepr);

enum RowRepr {
    Orm(QueryResult),
    Lite(Vec<LiteValue>),
}

fn decode(what: &str, i: usize) -> StoreError {
    StoreError::Database(DbErr::Type(format!("column {i}: not {what}")))
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%F %T%.f")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            DateTime::parse_from_str(s, "%F %T%.f%:z")
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

impl Row {
    fn lite(&self, i: usize) -> Option<&LiteValue> {
        match &self.0 {
            RowRepr::Lite(v) => v.get(i),
            RowRepr::Orm(_) => None,
        }
    }

    pub fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match &self.0 {
            RowRepr::Orm(r) => Ok(r.try_get_by_index::<Option<i64>>(i)?),
            RowRepr::Lite(_) => match self.lite(i) {
                Some(LiteValue::Integer(v)) => Ok(Some(*v)),
                Some(LiteValue::Null) => Ok(None),
                _ => Err(decode("an integer", i)),
            },
        }
    }

    pub fn i64(&self, i: usize) -> Result<i64> {
        self.opt_i64(i)?.ok_or_else(|| decode("an integer", i))
    }

    pub fn i32(&self, i: usize) -> Result<i32> {
        match &self.0 {
            RowRepr::Orm(r) => Ok(r.try_get_by_index::<i32>(i)?),
            RowRepr::Lite(_) => i32::try_from(self.i64(i)?).map_err(|_| decode("an i32", i)),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match &self.0 {
            RowRepr::Orm(r) => Ok(r.try_get_by_index::<Option<String>>(i)?),
            RowRepr::Lite(_) => match self.lite(i) {
                Some(LiteValue::Text(v)) => Ok(Some(v.clone())),
                Some(LiteValue::Null) => Ok(None),
                _ => Err(decode("text", i)),
            },
        }
    }

    pub fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| decode("text", i))
    }

    pub fn bool(&self, i: usize) -> Result<bool> {
        match &self.0 {
            RowRepr::Orm(r) => Ok(r.try_get_by_index::<bool>(i)?),
            RowRepr::Lite(_) => Ok(self.i64(i)? != 0),
        }
    }

    pub fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        match &self.0 {
            RowRepr::Orm(r) => Ok(r.try_get_by_index::<Option<DateTime<Utc>>>(i)?),
            RowRepr::Lite(_) => match self.lite(i) {
                Some(LiteValue::Text(v)) => {
                    parse_time(v).map(Some).ok_or_else(|| decode("a time", i))
                }
                Some(LiteValue::Null) => Ok(None),
                _ => Err(decode("a time", i)),
            },
        }
    }

    pub fn time(&self, i: usize) -> Result<DateTime<Utc>> {
        self.opt_time(i)?.ok_or_else(|| decode("a time", i))
    }

    pub fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>> {
        match &self.0 {
            RowRepr::Orm(r) => Ok(r.try_get_by_index::<Option<NaiveDate>>(i)?),
            RowRepr::Lite(_) => match self.lite(i) {
                Some(LiteValue::Text(v)) => NaiveDate::parse_from_str(v, "%F")
                    .map(Some)
                    .map_err(|_| decode("a date", i)),
                Some(LiteValue::Null) => Ok(None),
                _ => Err(decode("a date", i)),
            },
        }
    }

    pub fn date(&self, i: usize) -> Result<NaiveDate> {
        self.opt_date(i)?.ok_or_else(|| decode("a date", i))
    }
}

/// Runs SQL: rows back, or the number of rows changed.
pub trait Exec: Sync {
    fn backend(&self) -> Backend;

    /// The rows of a query (or of a statement with `RETURNING`).
    fn rows(&self, sql: &str, args: &[Arg<'_>]) -> impl Future<Output = Result<Vec<Row>>> + Send;

    /// Runs a statement; the number of rows it changed.
    fn run(&self, sql: &str, args: &[Arg<'_>]) -> impl Future<Output = Result<u64>> + Send;

    /// The first row, if any.
    fn row(&self, sql: &str, args: &[Arg<'_>]) -> impl Future<Output = Result<Option<Row>>> + Send {
        async move { Ok(self.rows(sql, args).await?.into_iter().next()) }
    }
}

fn backend_of(b: DbBackend) -> Backend {
    match b {
        DbBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

fn statement(backend: DbBackend, sql: &str, args: &[Arg<'_>]) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sqlite_placeholders(sql),
    };
    Statement::from_sql_and_values(backend, sql, args.iter().map(|a| a.to_value()))
}

impl<C: ConnectionTrait> Exec for C {
    fn backend(&self) -> Backend {
        backend_of(self.get_database_backend())
    }

    async fn rows(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        let stmt = statement(self.get_database_backend(), sql, args);
        Ok(self
            .query_all_raw(stmt)
            .await?
            .into_iter()
            .map(|r| Row(RowRepr::Orm(r)))
            .collect())
    }

    async fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let stmt = statement(self.get_database_backend(), sql, args);
        Ok(self.execute_raw(stmt).await?.rows_affected())
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, msg) = &e
            && f.code == rusqlite::ErrorCode::ConstraintViolation
        {
            let msg = msg.clone().unwrap_or_default();
            return Self::Conflict {
                constraint: crate::error::constraint_name(&msg),
            };
        }
        Self::Database(DbErr::Custom(format!("sqlite: {e}")))
    }
}

/// One rusqlite connection to the database file, used by one caller at a time.
#[derive(Debug)]
pub struct LiteConn(Mutex<rusqlite::Connection>);

impl LiteConn {
    /// Opens the file; a statement that finds the database locked waits up to `busy` (it
    /// waits on the calling thread, so only writers, which hold the process's turn, wait long).
    fn open(path: &Path, busy: Duration) -> Result<Self> {
        let c = rusqlite::Connection::open(path)?;
        // As sqlx opens its connections (db.rs): WAL was set on the file when it was created.
        c.busy_timeout(busy)?;
        // No checkpoint at commit: a checkpoint syncs the files, which would stall the writer
        // (and every writer queued behind it); [`Lite::checkpoints`] runs them aside.
        c.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
             PRAGMA wal_autocheckpoint = 0;",
        )?;
        c.set_prepared_statement_cache_capacity(64);
        Ok(Self(Mutex::new(c)))
    }

    fn lock(&self) -> MutexGuard<'_, rusqlite::Connection> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        let c = self.lock();
        let mut st = c.prepare_cached(&sqlite_placeholders(sql))?;
        let n = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                values
                    .push(LiteValue::try_from(r.get_ref(i)?).map_err(|_| decode("UTF-8 text", i))?);
            }
            out.push(Row(RowRepr::Lite(values)));
        }
        Ok(out)
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let c = self.lock();
        let mut st = c.prepare_cached(&sqlite_placeholders(sql))?;
        Ok(st.execute(rusqlite::params_from_iter(args.iter()))? as u64)
    }

    fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.lock().execute_batch(sql)?)
    }
}

impl Exec for LiteConn {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn rows(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        self.query(sql, args)
    }

    async fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        self.execute(sql, args)
    }
}

/// The SQLite side of a [`crate::Db`]: a few reading connections, opened as needed and kept,
/// and the one writing connection (used under the process's writer turn).
#[derive(Debug)]
pub struct Lite {
    path: PathBuf,
    idle: Mutex<Vec<LiteConn>>,
    writer: Mutex<Option<Arc<LiteConn>>>,
    checkpointer: Mutex<Option<LiteConn>>,
}

/// How often the write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// How long the writing connection waits for another process's writer (as sqlx's).
const WRITER_BUSY: Duration = Duration::from_secs(30);
/// How long a reading connection's rare write (a session's last-seen time) waits: briefly, as
/// it waits on a runtime thread that the writer it waits for may need; it is then skipped.
const READER_BUSY: Duration = Duration::from_millis(50);

/// Reading connections kept open; more are opened under load and closed after use.
const KEEP_READERS: usize = 8;

impl Lite {
    /// The connections to the file at `path`, with checkpoints running aside while it lives
    /// (needs a Tokio runtime).
    pub(crate) fn new(path: PathBuf) -> Arc<Self> {
        let lite = Arc::new(Self {
            path,
            idle: Mutex::new(Vec::new()),
            writer: Mutex::new(None),
            checkpointer: Mutex::new(None),
        });
        Self::checkpoints(Arc::downgrade(&lite));
        lite
    }

    /// Copies the write-ahead log into the database file every [`CHECKPOINT_EVERY`], on a
    /// blocking thread, without stopping writers (`PASSIVE`); ends when the database is
    /// dropped. (SeaORM's own connections still checkpoint at commit, as SQLite does by
    /// default, when they write.)
    fn checkpoints(lite: std::sync::Weak<Self>) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let Some(lite) = lite.upgrade() else {
                    break;
                };
                match tokio::task::spawn_blocking(move || lite.checkpoint()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "checkpoint failed"),
                    Err(e) => tracing::warn!(error = %e, "checkpoint task failed"),
                }
            }
        });
    }

    fn checkpoint(&self) -> Result<()> {
        let mut c = self
            .checkpointer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if c.is_none() {
            *c = Some(LiteConn::open(&self.path, WRITER_BUSY)?);
        }
        if let Some(c) = &*c {
            c.query("PRAGMA wal_checkpoint(PASSIVE)", &[])?;
        }
        Ok(())
    }

    fn take_reader(&self) -> Result<LiteConn> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(c) => Ok(c),
            None => LiteConn::open(&self.path, READER_BUSY),
        }
    }

    fn give_back(&self, c: LiteConn) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < KEEP_READERS {
            idle.push(c);
        }
    }

    pub(crate) fn writer(&self) -> Result<Arc<LiteConn>> {
        let mut w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        match &*w {
            Some(c) => Ok(Arc::clone(c)),
            None => {
                let c = Arc::new(LiteConn::open(&self.path, WRITER_BUSY)?);
                *w = Some(Arc::clone(&c));
                Ok(c)
            }
        }
    }
}

/// Reads outside a transaction: a SQLite connection of the pool, or SeaORM's pool.
pub enum Reader<'a> {
    Lite(&'a Lite, Option<LiteConn>),
    Orm(&'a sea_orm::DatabaseConnection),
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reader")
    }
}

impl<'a> Reader<'a> {
    pub(crate) fn lite(lite: &'a Lite) -> Result<Self> {
        Ok(Self::Lite(lite, Some(lite.take_reader()?)))
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Self::Lite(lite, c) = self
            && let Some(c) = c.take()
        {
            lite.give_back(c);
        }
    }
}

impl Exec for Reader<'_> {
    fn backend(&self) -> Backend {
        match self {
            Self::Lite(..) => Backend::Sqlite,
            Self::Orm(c) => Exec::backend(*c),
        }
    }

    async fn rows(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        match self {
            Self::Lite(_, Some(c)) => c.query(sql, args),
            Self::Lite(_, None) => Err(closed()),
            Self::Orm(c) => Exec::rows(*c, sql, args).await,
        }
    }

    async fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        match self {
            Self::Lite(_, Some(c)) => c.execute(sql, args),
            Self::Lite(_, None) => Err(closed()),
            Self::Orm(c) => Exec::run(*c, sql, args).await,
        }
    }
}

fn closed() -> StoreError {
    StoreError::Database(DbErr::Custom("connection already returned".into()))
}

/// A write transaction for [`Exec`] functions: on SQLite the process's writer turn and the
/// writing connection in `BEGIN IMMEDIATE`; elsewhere a SeaORM transaction. Dropped without
/// [`SqlTx::commit`], it rolls back.
pub enum SqlTx {
    Lite {
        conn: Arc<LiteConn>,
        open: bool,
        _turn: tokio::sync::OwnedMutexGuard<()>,
    },
    /// `None` once committed.
    Orm(Option<crate::WriteTx>),
}

impl std::fmt::Debug for SqlTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqlTx")
    }
}

impl SqlTx {
    pub(crate) fn lite(
        conn: Arc<LiteConn>,
        turn: tokio::sync::OwnedMutexGuard<()>,
    ) -> Result<Self> {
        conn.batch("BEGIN IMMEDIATE")?;
        Ok(Self::Lite {
            conn,
            open: true,
            _turn: turn,
        })
    }

    pub async fn commit(mut self) -> Result<()> {
        match &mut self {
            Self::Lite { conn, open, .. } => {
                conn.batch("COMMIT")?;
                *open = false;
                Ok(())
            }
            Self::Orm(tx) => match tx.take() {
                Some(tx) => Ok(tx.commit().await?),
                None => Err(closed()),
            },
        }
    }
}

impl Drop for SqlTx {
    fn drop(&mut self) {
        if let Self::Lite { conn, open, .. } = self
            && *open
        {
            // A failed statement may have ended the transaction already; nothing else to do.
            if let Err(e) = conn.batch("ROLLBACK") {
                tracing::debug!(error = %e, "rollback after a failed write");
            }
        }
    }
}

impl Exec for SqlTx {
    fn backend(&self) -> Backend {
        match self {
            Self::Lite { .. } => Backend::Sqlite,
            Self::Orm(Some(tx)) => Exec::backend(tx),
            Self::Orm(None) => Backend::Postgres,
        }
    }

    async fn rows(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        match self {
            Self::Lite { conn, .. } => conn.query(sql, args),
            Self::Orm(Some(tx)) => Exec::rows(tx, sql, args).await,
            Self::Orm(None) => Err(closed()),
        }
    }

    async fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        match self {
            Self::Lite { conn, .. } => conn.execute(sql, args),
            Self::Orm(Some(tx)) => Exec::run(tx, sql, args).await,
            Self::Orm(None) => Err(closed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_time, sqlite_placeholders, sqlite_time};
    use chrono::{TimeZone, Utc};

    #[test]
    fn placeholders_become_sqlites_numbered_ones() {
        assert_eq!(
            sqlite_placeholders("SELECT a FROM t WHERE b = $1 AND c = $12 AND d = '$x'"),
            "SELECT a FROM t WHERE b = ?1 AND c = ?12 AND d = '$x'"
        );
    }

    #[test]
    fn times_are_written_as_sqlx_writes_them_and_read_back() {
        let t = Utc.with_ymd_and_hms(2026, 11, 29, 9, 30, 0).single();
        let Some(t) = t else { panic!("a valid time") };
        assert_eq!(sqlite_time(&t), "2026-11-29T09:30:00+00:00");
        let t2 = t + chrono::Duration::microseconds(1500);
        assert_eq!(sqlite_time(&t2), "2026-11-29T09:30:00.001500+00:00");
        assert_eq!(parse_time(&sqlite_time(&t2)), Some(t2));
        assert_eq!(parse_time("2026-11-29 09:30:00"), Some(t));
    }
}

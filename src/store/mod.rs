//! SQLite history: raw batches, hourly rows holding minute and hour rollups, retention.
//!
//! All SQL of the project lives in this module. One writer task ([`writer`]) owns every write;
//! readers go through the pool concurrently (WAL).

mod advice;
mod alerts;
pub mod codec;
pub mod durable;
mod feedback;
pub mod health;
pub mod import;
pub mod incident;
mod jobs;
mod leases;
pub mod ledger;
mod notices;
mod open;
mod query;
pub mod rollup;
pub mod wal;
pub mod writer;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use sqlx::{Row, SqlitePool};

use crate::model::{Kind, SeriesMeta, Snapshot, Unit};
use crate::util::{Clock, lock};
pub use advice::{ActionRow, AdviceStateRow, ChurnRow};
pub use durable::DurableValue;
pub use feedback::{NewVote, StoredVote, VoteCounts};
pub use health::{FailureReason, StoreNotice, WriteFailure};
pub use jobs::RetentionReport;
pub use leases::LeaseRow;
pub use ledger::{WriteCounts, WriteSource};
pub use query::{History, Point, Resolution, SeriesInfo, StoreStats};

/// Consistent copy written before a backup (`resource-manager snapshot`).
pub const SNAPSHOT_FILE: &str = "history-snapshot.db";
/// Frames in the write-ahead log (pages, about 4 KB each) that make a checkpoint due: SQLite's
/// own default, now run by a task of its own instead of whichever connection commits.
pub const CHECKPOINT_FRAMES: u32 = 1000;
/// Longest time span one raw batch may cover; queries look back this far for overlaps.
pub const MAX_BATCH_SPAN_MS: i64 = 2 * 3_600_000;

/// Raw batches that may hold ticks in `[?2, ?3)`, oldest first; bind
/// `from - MAX_BATCH_SPAN_MS`, `to`, `from` (see [`overlap_query`]).
const OVERLAPPING_BATCHES: &str = "SELECT start_ms, data FROM raw_batches \
     WHERE start_ms >= ? AND start_ms < ? AND end_ms >= ? ORDER BY start_ms";

/// The query for raw batches overlapping `[from_ms, to_ms)`, bound and ready to run.
fn overlap_query<'q>(
    from_ms: i64,
    to_ms: i64,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    sqlx::query(OVERLAPPING_BATCHES)
        .bind(from_ms.saturating_sub(MAX_BATCH_SPAN_MS))
        .bind(to_ms)
        .bind(from_ms)
}

/// Everything that can go wrong in the store. Each message carries its cause in words and
/// exposes no `source()`, so a printed chain never repeats itself.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {}", describe_sqlx(.0))]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    #[error("{path} is damaged ({detail})")]
    Corrupt { path: PathBuf, detail: String },
    #[error("cannot prepare {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Codec(#[from] codec::CodecError),
    #[error("unknown series '{0}'")]
    UnknownSeries(String),
    /// The same rows were imported before: again, their values would count twice.
    #[error(
        "these rows were imported already, at {} UTC; importing them again would count their values twice, so nothing was loaded",
        crate::model::format_utc_minute(*.at_ms)
    )]
    AlreadyImported { at_ms: i64 },
}

/// Seams for tests; the default is what production uses.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// SQLite's `max_page_count`, applied to each connection before use, so a test can make
    /// the database "full" for real (SQLITE_FULL) and lift the limit again.
    pub page_limit: Option<Arc<AtomicU64>>,
    /// The clock of the store's timestamps (open, commits, failures, notices) and of the
    /// writer's retention "now".
    pub clock: Clock,
    /// A fault injected into every write of ticks while set (see [`InjectedFault`]).
    pub inject: Option<Arc<AtomicU8>>,
}

/// Faults a test can inject into the writes of ticks, as `u8` in [`StoreOptions::inject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum InjectedFault {
    None = 0,
    /// SQLite ends the transaction by itself just before the COMMIT (as it does after some
    /// SQLITE_FULL and I/O errors): the COMMIT fails and the driver still counts a transaction.
    EndedBySqlite = 1,
    /// One statement fails and the transaction stays open (as with SQLITE_BUSY).
    StatementFails = 2,
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::Database(err)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(err)
    }
}

/// A driver error in one line: the database's own message for database errors (sqlx's
/// wrapper would repeat it through its source).
fn describe_sqlx(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => db.to_string(),
        other => other.to_string(),
    }
}

/// Key in `store_state` of the newest tick on disk, as of the last rollup or clean stop.
const SAVED_UNTIL: &str = "saved_until_ms";

/// A known series: its row id and metadata.
#[derive(Debug, Clone)]
struct KnownSeries {
    id: u32,
    info: SeriesInfo,
}

/// State shared by the writer and the readers.
#[derive(Debug, Default)]
struct Shared {
    /// Snapshots received but not yet written (queries include them).
    pending: Mutex<VecDeque<Arc<Snapshot>>>,
    series: Mutex<HashMap<String, KnownSeries>>,
    status: Mutex<WriteStatus>,
    /// Storage notices of the last week, newest first.
    notices: Mutex<Vec<StoreNotice>>,
    /// Values of other parts saved with the batches.
    durable: durable::DurableValues,
}

/// What the writer did last, for the status page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WriteStatus {
    /// Unix milliseconds of the last real commit of ticks.
    pub last_flush_ms: Option<i64>,
    pub last_flush_ticks: usize,
    /// Commits of ticks that really happened.
    pub flushes: u64,
    /// Failed write attempts since start.
    pub flush_errors: u64,
    pub last_error: Option<String>,
    pub rolled_until_ms: Option<i64>,
    /// Newest tick on disk (committed); what is newer is still in memory.
    pub saved_until_ms: Option<i64>,
    /// Ticks dropped because the in-memory backlog was full while writes failed.
    pub dropped_ticks: u64,
    /// Present while writes fail.
    pub failure: Option<WriteFailure>,
}

/// Handle to the history; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    /// The clock and the test seams (all off in production).
    opts: StoreOptions,
    /// Unix milliseconds when this run opened the store (notices since then are new).
    opened_ms: i64,
    shared: Arc<Shared>,
    /// Commits and log frames per source.
    ledger: Arc<ledger::WriteLedger>,
}

/// A write transaction of one [`WriteSource`]; its commit is counted in the ledger.
pub(crate) struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    source: WriteSource,
    before: Option<ledger::WalPosition>,
    ledger: Arc<ledger::WriteLedger>,
}

impl WriteTx {
    /// Commits, and counts the commit and the log frames it wrote.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        self.ledger.committed(self.source, self.before);
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Store {
    /// Opens (creating if needed) the database, applies migrations and loads the series list.
    /// See [`open`] for what happens to a damaged file.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, StoreOptions::default()).await
    }

    /// [`Store::open`] with test seams (see [`StoreOptions`]).
    pub async fn open_with(path: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
        let opened_ms = opts.clock.now_ms();
        let opened = open::open(path, &opts).await?;
        let store = Store {
            pool: opened.pool,
            path: path.to_path_buf(),
            opts,
            opened_ms,
            shared: Arc::new(Shared::default()),
            ledger: Arc::new(ledger::WriteLedger::new(path)),
        };
        store.load_series().await?;
        let rolled = store.state("rolled_until_ms").await?;
        let saved = store.state(SAVED_UNTIL).await?;
        {
            let mut status = lock(&store.shared.status);
            status.rolled_until_ms = rolled;
            status.saved_until_ms = saved;
        }
        let mut found = opened.notices;
        if let Some(notice) = store.check_saved_marker(saved, rolled).await? {
            found.push(notice);
        }
        for notice in &found {
            tracing::error!(kind = %notice.kind, "{}", notice.message);
            store.record_notice(notice).await?;
        }
        store.load_notices(store.clock().now_ms()).await?;
        Ok(store)
    }

    /// A write transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`), so a
    /// busy database is waited for (busy timeout) instead of failing at the first write of a
    /// transaction that had already read.
    async fn begin_write(&self, source: WriteSource) -> Result<WriteTx, StoreError> {
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Read under the write lock: no other commit moves the log until ours.
        let before = self.ledger.position();
        Ok(WriteTx {
            tx,
            source,
            before,
            ledger: self.ledger.clone(),
        })
    }

    /// Copies the write-ahead log into the database file once it holds
    /// [`CHECKPOINT_FRAMES`] frames not yet copied: each page is then written once for all
    /// the commits that changed it since the last checkpoint. Passive: it never waits for
    /// readers or blocks writers. Returns whether one ran.
    pub async fn checkpoint_if_due(&self) -> Result<bool, StoreError> {
        let before = self.ledger.position();
        if before.is_some_and(|at| at.pending() < CHECKPOINT_FRAMES) {
            return Ok(false);
        }
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await?;
        self.ledger.checkpointed(before);
        Ok(true)
    }

    /// Runs checkpoints until `stop`: one each time a commit leaves [`CHECKPOINT_FRAMES`]
    /// frames in the log. In a task of its own, so no committing caller (a lease request, a
    /// vote, the writer's batch) waits for one, and the log stays bounded.
    pub async fn run_checkpoints(self, stop: tokio_util::sync::CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.ledger.checkpoint_due.notified() => {}
            }
            if let Err(err) = self.checkpoint_if_due().await {
                tracing::warn!(error = %err, "checkpoint failed; will retry after the next commits");
            }
        }
    }

    /// The store's writes since start, by source (see [`ledger`]).
    pub fn write_counts(&self) -> WriteCounts {
        self.ledger.counts()
    }

    /// Unix milliseconds when this run opened the store.
    pub fn opened_ms(&self) -> i64 {
        self.opened_ms
    }

    /// The clock this store was opened with; the web layer reads the same one.
    pub fn clock(&self) -> &Clock {
        &self.opts.clock
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the pool after checkpointing the WAL into the main file.
    pub async fn close(self) {
        let before = self.ledger.position();
        match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            Ok(_) => self.ledger.checkpointed(before),
            Err(err) => tracing::warn!(error = %err, "WAL checkpoint at close failed"),
        }
        self.pool.close().await;
    }

    /// Writer progress, for the status page.
    pub fn write_status(&self) -> WriteStatus {
        lock(&self.shared.status).clone()
    }

    /// Number of snapshots waiting for the next write.
    pub fn pending_ticks(&self) -> usize {
        lock(&self.shared.pending).len()
    }

    async fn load_series(&self) -> Result<(), StoreError> {
        let rows = sqlx::query(
            "SELECT id, key, host, family, labels, unit, kind, description FROM series",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut map = lock(&self.shared.series);
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let key: String = row.try_get("key")?;
            let labels: String = row.try_get("labels")?;
            let unit: String = row.try_get("unit")?;
            let kind: String = row.try_get("kind")?;
            let info = SeriesInfo {
                id: key.clone(),
                host: row.try_get("host")?,
                family: row.try_get("family")?,
                labels: serde_json::from_str(&labels).unwrap_or_default(),
                unit: Unit::parse(&unit).unwrap_or(Unit::Count),
                kind: if kind == "counter" {
                    Kind::Counter
                } else {
                    Kind::Gauge
                },
                description: row.try_get("description")?,
            };
            map.insert(
                key,
                KnownSeries {
                    id: id as u32,
                    info,
                },
            );
        }
        Ok(())
    }

    /// A value another part keeps in `store_state` (e.g. the energy counter), if saved.
    pub async fn saved_value(&self, key: &str) -> Result<Option<i64>, StoreError> {
        self.state(key).await
    }

    /// Saves `value` with the batches of ticks from now on (see [`durable`]); it is told what
    /// reached the disk.
    pub fn keep_durable(&self, value: Arc<dyn DurableValue>) {
        self.shared.durable.register(value);
    }

    async fn state(&self, key: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM store_state WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Writes a consistent copy of the database next to it (for backups) with `VACUUM INTO`.
    pub async fn write_snapshot(&self) -> Result<PathBuf, StoreError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let target = dir.join(SNAPSHOT_FILE);
        if target.exists() {
            std::fs::remove_file(&target).map_err(|error| StoreError::Io {
                path: target.clone(),
                error,
            })?;
        }
        sqlx::query("VACUUM INTO ?")
            .bind(target.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(target)
    }
}

impl SeriesInfo {
    fn from_meta(meta: &SeriesMeta) -> Self {
        SeriesInfo {
            id: meta.id.clone(),
            host: meta.host_name().to_string(),
            family: meta.family.clone(),
            labels: meta
                .labels
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
            unit: meta.unit,
            kind: meta.kind,
            description: meta.description.clone(),
        }
    }
}

#[cfg(test)]
mod hosts_tests;

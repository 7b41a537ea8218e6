//! SQLite history: raw batches, hourly rows holding minute and hour rollups, retention.
//!
//! All SQL of the project lives in this module. One writer task ([`writer`]) owns every write;
//! readers go through the pool concurrently (WAL).

mod alerts;
pub mod codec;
mod feedback;
mod jobs;
mod query;
pub mod rollup;
pub mod writer;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use crate::collect::lock;
use crate::model::{Kind, SeriesMeta, Snapshot, Unit};
pub use feedback::{NewVote, StoredVote, VoteCounts};
pub use jobs::RetentionReport;
pub use query::{History, Point, Resolution, SeriesInfo, StoreStats};

/// File name of the history database inside the data directory.
pub const DATABASE_FILE: &str = "history.db";
/// Consistent copy written before a backup (`resource-manager snapshot`).
pub const SNAPSHOT_FILE: &str = "history-snapshot.db";
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

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot prepare {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Codec(#[from] codec::CodecError),
    #[error("unknown series '{0}'")]
    UnknownSeries(String),
}

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
}

/// What the writer did last, for the status page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WriteStatus {
    pub last_flush_ms: Option<i64>,
    pub last_flush_ticks: usize,
    pub flushes: u64,
    pub flush_errors: u64,
    pub last_error: Option<String>,
    pub rolled_until_ms: Option<i64>,
    pub dropped_ticks: u64,
}

/// Handle to the history; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    shared: Arc<Shared>,
}

impl Store {
    /// Opens (creating if needed) the database, applies migrations and loads the series list.
    /// When the database is missing but a backup snapshot exists, the snapshot is restored first.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let snapshot = dir.join(SNAPSHOT_FILE);
        if !path.exists() && snapshot.exists() {
            tracing::warn!(snapshot = %snapshot.display(), "history missing: restoring it from the backup snapshot");
            std::fs::rename(&snapshot, path).map_err(|source| StoreError::Io {
                path: snapshot.clone(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .pragma("cache_size", "-1024")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(3)
            .min_connections(1)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let store = Store {
            pool,
            path: path.to_path_buf(),
            shared: Arc::new(Shared::default()),
        };
        store.load_series().await?;
        let rolled = store.state("rolled_until_ms").await?;
        lock(&store.shared.status).rolled_until_ms = rolled;
        Ok(store)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the pool after checkpointing the WAL into the main file.
    pub async fn close(self) {
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(error = %err, "WAL checkpoint at close failed");
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
        let rows =
            sqlx::query("SELECT id, key, family, labels, unit, kind, description FROM series")
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
            std::fs::remove_file(&target).map_err(|source| StoreError::Io {
                path: target.clone(),
                source,
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

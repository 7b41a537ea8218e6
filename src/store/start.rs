//! Starting the store: the file is opened safely (see [`open`](super::open)), then a run loads
//! what it keeps in memory (the series list, how far ticks are saved and rolled up, the
//! notices) and checks that the history still holds what the previous run saved. The app then
//! starts its tasks here: the writer with its bounded queue, and the checkpoint task that folds
//! the log into the database off every commit path.

use std::path::Path;
use std::sync::Arc;

use sqlx::Row;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::ledger::WriteLedger;
use super::series::{KnownSeries, SeriesInfo};
use super::shared::Shared;
use super::state::SAVED_UNTIL;
use super::writer::{self, WriterSettings};
use super::{Store, StoreError, StoreOptions, open};
use crate::model::{Kind, Snapshot, Unit};
use crate::util::lock;

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
            ledger: Arc::new(WriteLedger::new(path)),
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

    pub(super) async fn load_series(&self) -> Result<(), StoreError> {
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
            map.insert(key, KnownSeries::new(id as u32, info));
        }
        Ok(())
    }
}

/// Snapshots the writer may have queued before the engine counts drops (~5 h at 5 s).
const STORE_QUEUE: usize = 4096;

/// The running writer.
pub struct StoreWriter {
    /// Where the engine sends every tick.
    pub queue: mpsc::Sender<Arc<Snapshot>>,
    /// Ends once `queue` is dropped, after writing what is left; its token is the last resort.
    pub task: JoinHandle<()>,
}

/// Starts the writer; it ends when the engine drops the queue's sender (or on `stop`).
pub fn start_writer(
    tracker: &TaskTracker,
    store: &Store,
    settings: WriterSettings,
    stop: CancellationToken,
) -> StoreWriter {
    let (queue, receiver) = mpsc::channel(STORE_QUEUE);
    let task = tracker.spawn(writer::run(store.clone(), receiver, settings, stop));
    StoreWriter { queue, task }
}

/// Starts the checkpoint task, until `stop` (the store's own close checkpoints what is left).
pub fn start_checkpoints(tracker: &TaskTracker, store: &Store, stop: CancellationToken) {
    tracker.spawn(store.clone().run_checkpoints(stop));
}

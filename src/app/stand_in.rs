//! Starting on a full disk. The history cannot be opened (SQLite cannot create its log, or a
//! migration cannot write), so instead of exiting (and the Supervisor's watchdog restarting it
//! in a loop) the app opens a stand-in history in memory (a file under `/dev/shm`) and runs
//! degraded: the status, the dashboard and Home Assistant say that history is not being saved
//! and why. Every [`RETRY`] the real history is tried again; once it opens, the app stops its
//! parts in order, moves the stand-in's measurements into it, and starts again on it in the
//! same process, on the same sockets.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::AppError;
use crate::config::Config;
use crate::model::registry;
use crate::store::import::ImportRow;
use crate::store::{Resolution, StandIn, Store, StoreError, StoreOptions};
use crate::util::Clock;

/// How often the real history is tried again while the stand-in runs (a failed open on a full
/// disk costs a few system calls).
pub const RETRY: Duration = Duration::from_secs(10);

/// The history the app runs on.
pub(super) enum History {
    Real(Store),
    /// In memory, while the data disk is full; its directory goes when this does.
    StandIn {
        store: Store,
        _dir: tempfile::TempDir,
    },
}

impl History {
    pub(super) fn store(&self) -> &Store {
        match self {
            History::Real(store) | History::StandIn { store, .. } => store,
        }
    }
}

/// Opens (and if needed creates and migrates) the history on the app's clock.
pub(super) async fn open_real(config: &Config, clock: &Clock) -> Result<Store, StoreError> {
    let options = StoreOptions {
        clock: clock.clone(),
        ..StoreOptions::default()
    };
    Store::open_with(&config.database_path(), options).await
}

/// The real history, or on a full disk a stand-in in memory.
pub(super) async fn open(config: &Config, clock: &Clock) -> Result<History, AppError> {
    match open_real(config, clock).await {
        Ok(store) => Ok(History::Real(store)),
        Err(err) if err.is_disk_full() => {
            let path = config.database_path();
            tracing::warn!(path = %path.display(), error = %err,
                "the data disk is full: history is kept in memory until space returns");
            let dir = memory_dir().map_err(|error| {
                AppError::Store(StoreError::Io {
                    path: PathBuf::from(SHM),
                    error,
                })
            })?;
            let options = StoreOptions {
                clock: clock.clone(),
                stands_in_for: Some(StandIn {
                    path,
                    since_ms: clock.now_ms(),
                }),
                ..StoreOptions::default()
            };
            let store = Store::open_with(&dir.path().join("history.db"), options).await?;
            Ok(History::StandIn { store, _dir: dir })
        }
        Err(err) => Err(err.into()),
    }
}

/// Where shared memory is (Docker gives every container a 64 MB one).
const SHM: &str = "/dev/shm";

/// A private directory in shared memory, or in the temporary directory without one.
fn memory_dir() -> std::io::Result<tempfile::TempDir> {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("resource-manager-history-");
        b
    };
    if Path::new(SHM).is_dir() {
        builder.tempdir_in(SHM)
    } else {
        builder.tempdir()
    }
}

/// Resolves with the real history once it opens.
pub(super) async fn space_returned(config: &Config, clock: &Clock) -> Store {
    loop {
        tokio::time::sleep(RETRY).await;
        match open_real(config, clock).await {
            Ok(store) => return store,
            Err(err) => tracing::debug!(error = %err, "the history still cannot be opened"),
        }
    }
}

/// Moves the stand-in's measurements (every raw value of every registered series) into the
/// real history, rolled up like an import. Returns the values moved.
pub(super) async fn carry_over(from: &Store, to: &Store) -> Result<usize, StoreError> {
    let until = from.clock().now_ms() + 1;
    let mut rows = Vec::new();
    for series in from.series() {
        if registry::by_id(&series.id).is_none() {
            continue;
        }
        let history = from.history(&series.id, 0, until, Resolution::Raw).await?;
        rows.extend(history.points.iter().map(|p| ImportRow {
            ts_ms: (p.t * 1000.0).round() as i64,
            series: series.id.clone(),
            value: p.v,
        }));
    }
    rows.sort_by_key(|r| r.ts_ms);
    Ok(to.import(&rows).await?.rows)
}

/// Moves what the stand-in kept into the real history (it was closed by the shutdown: opened
/// again to be read), and lets its directory go.
pub(super) async fn move_to(history: History, real: &Store, clock: &Clock) {
    let History::StandIn { _dir: dir, .. } = history else {
        return;
    };
    let options = StoreOptions {
        clock: clock.clone(),
        ..StoreOptions::default()
    };
    let moved = match Store::open_with(&dir.path().join("history.db"), options).await {
        Ok(kept) => {
            let moved = carry_over(&kept, real).await;
            kept.close().await;
            moved
        }
        Err(err) => Err(err),
    };
    match moved {
        Ok(values) => tracing::info!(values, "the history kept in memory is on the data disk"),
        Err(err) => {
            tracing::warn!(error = %err, "the history kept in memory could not be moved to the data disk")
        }
    }
}

//! The store handle: what every clone shares (the pool, the file, the test seams, the state of
//! the writer and the readers, the write ledger) and its plain getters. The files beside this
//! one add the handle's reads, writes and jobs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::SqlitePool;

use super::ledger::{WriteCounts, WriteLedger};
use super::options::StoreOptions;
use super::shared::{Shared, WriteStatus};
use crate::util::{Clock, lock};

/// Handle to the history; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(super) pool: SqlitePool,
    pub(super) path: PathBuf,
    /// The clock and the test seams (all off in production).
    pub(super) opts: StoreOptions,
    /// Unix milliseconds when this run opened the store (notices since then are new).
    pub(super) opened_ms: i64,
    pub(super) shared: Arc<Shared>,
    /// Commits and log frames per source.
    pub(super) ledger: Arc<WriteLedger>,
}

impl Store {
    /// The store's writes since start, by source (see [`ledger`](super::ledger)).
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

    /// Writer progress, for the status page.
    pub fn write_status(&self) -> WriteStatus {
        let mut status = lock(&self.shared.status).clone();
        if status.failure.is_none()
            && let Some(stand_in) = &self.opts.stands_in_for
        {
            status.failure = Some(super::health::standing_in(stand_in, self.clock().now_ms()));
        }
        status
    }

    /// Number of snapshots waiting for the next write.
    pub fn pending_ticks(&self) -> usize {
        lock(&self.shared.pending).len()
    }
}

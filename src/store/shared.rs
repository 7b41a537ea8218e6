//! What the writer and the readers share behind the store handle: ticks not yet written, the
//! known series, the writer's status for the status page, and the storage notices.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::durable;
use super::health::{StoreNotice, WriteFailure};
use super::series::KnownSeries;
use crate::model::Snapshot;

/// State shared by the writer and the readers.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// Snapshots received but not yet written (queries include them).
    pub(super) pending: Mutex<VecDeque<Arc<Snapshot>>>,
    pub(super) series: Mutex<HashMap<String, KnownSeries>>,
    pub(super) status: Mutex<WriteStatus>,
    /// Storage notices of the last week, newest first.
    pub(super) notices: Mutex<Vec<StoreNotice>>,
    /// Values of other parts saved with the batches.
    pub(super) durable: durable::DurableValues,
    /// The last value kept of each series stored on change (`registry::Storing::OnChange`).
    pub(super) on_change: Mutex<super::on_change::OnChange>,
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

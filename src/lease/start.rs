//! The lease service, started in two steps: opened before collection (the store's jobs and the
//! analysis ask it for leases), its tasks started once the ticks flow (the timer follows the
//! snapshots; the writer saves what waits before the store closes).

use std::path::Path;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::service::Writer;
use super::{LeaseService, capacity, tasks};
use crate::config::LeaseOptions;
use crate::event::LeaseChange;
use crate::model::Snapshot;
use crate::store::{Store, StoreError};
use crate::util::{Clock, Emit};

/// An opened lease service whose tasks are not started yet.
pub struct OpenLeases {
    pub service: LeaseService,
    writer: Writer,
}

/// The running lease tasks.
pub struct LeaseTasks {
    /// Applies expiries and follows the snapshots; ends on `stop`.
    pub timer: JoinHandle<()>,
    /// Saves and announces changes; saves what waits as it ends.
    pub writer: JoinHandle<()>,
}

/// Opens the service on `store`, sized by the options and the host (`proc` for its memory).
pub async fn open(
    store: Store,
    clock: Clock,
    options: &LeaseOptions,
    proc: &Path,
    host_cores: usize,
    emit: Emit<LeaseChange>,
) -> Result<OpenLeases, StoreError> {
    let memory_mb = capacity::host_memory_mb(proc).unwrap_or_else(|| {
        tracing::warn!("host memory unknown (no /proc/meminfo): no memory can be leased");
        0
    });
    let (service, writer) = LeaseService::open(
        store,
        clock,
        capacity::capacity(options, host_cores, memory_mb),
        capacity::policy(options),
        host_cores.max(1) as f64,
        emit,
    )
    .await?;
    Ok(OpenLeases { service, writer })
}

impl OpenLeases {
    /// Starts the timer (over `latest`) and the writer, both until `stop`.
    pub fn start(
        self,
        tracker: &TaskTracker,
        latest: watch::Receiver<Arc<Snapshot>>,
        overruns: Emit<LeaseChange>,
        stop: &CancellationToken,
    ) -> LeaseTasks {
        let timer = tracker.spawn(tasks::run(self.service, latest, overruns, stop.clone()));
        let writer = tracker.spawn(self.writer.run(stop.clone()));
        LeaseTasks { timer, writer }
    }
}

//! Collection, started: the engine's tick loop over the collectors and the derivers, and the
//! self-scaling task that sets its pace. The readers of the ticks (the alert service, the store
//! writer, the bus) are started first by their owners and handed in as senders.

use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::derive::Derive;
use super::{Collector, Engine, Outputs, TickStats, run, scaling};
use crate::config::{Options, SysRoot};
use crate::model::Snapshot;
use crate::util::{Clock, Emit, PaceWatch};

/// What the engine is built from and where its ticks go.
pub struct CollectionParts<'a> {
    pub collectors: Vec<Box<dyn Collector>>,
    pub derivers: Vec<Box<dyn Derive>>,
    pub options: &'a Options,
    pub sys_root: &'a SysRoot,
    /// Every tick, for the alert service.
    pub alerts: broadcast::Sender<Arc<Snapshot>>,
    /// Every tick, for the store writer's queue.
    pub store: mpsc::Sender<Arc<Snapshot>>,
    /// Every tick onto the bus (`Emit::none()` while nothing consumes it, ADR 0008).
    pub bus: Emit<Arc<Snapshot>>,
    pub pace: &'a PaceWatch,
    pub clock: Clock,
}

/// The collecting side, running.
pub struct Collection {
    pub latest: watch::Receiver<Arc<Snapshot>>,
    pub tick_stats: Arc<Mutex<TickStats>>,
    /// Ends on `stop`, dropping the senders, so the alert service and the store writer end.
    pub engine: JoinHandle<()>,
}

/// Starts the tick loop and self-scaling until `stop`.
pub fn start(
    tracker: &TaskTracker,
    parts: CollectionParts<'_>,
    stop: &CancellationToken,
) -> Collection {
    let options = parts.options;
    let (latest_tx, latest) = watch::channel(Arc::new(Snapshot::default()));
    let tick_stats = Arc::new(Mutex::new(TickStats::default()));
    let engine = Engine::new(parts.collectors, parts.sys_root).with_derived(parts.derivers);
    let outputs = Outputs {
        latest: latest_tx,
        events: parts.alerts,
        store: parts.store,
        stats: tick_stats.clone(),
        bus: parts.bus,
    };
    tracker.spawn(scaling::run(
        scaling::Scaler::new(options.self_scaling, options.sample_interval()),
        scaling::LoadProbe::new(parts.sys_root),
        parts.pace.clone(),
        tick_stats.clone(),
        parts.clock.clone(),
        stop.clone(),
    ));
    let engine = tracker.spawn(run(
        engine,
        options.sample_interval(),
        options.process_interval(),
        parts.pace.subscribe(),
        outputs,
        parts.clock,
        stop.clone(),
    ));
    Collection {
        latest,
        tick_stats,
        engine,
    }
}

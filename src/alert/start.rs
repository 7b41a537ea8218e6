//! The alert side, started: the engine's handle (open incidents resumed from the store) and the
//! service task that evaluates every tick. The task owns its own tick channel, so it sees every
//! tick whatever else is on the bus (ADR 0008); it ends when the engine drops the sender.

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{AlertHandle, AlertTransition, RuleSet, service};
use crate::model::Snapshot;
use crate::store::{Store, StoreError};
use crate::util::Emit;

/// Ticks the alert service may fall behind by before it skips (and counts) some.
const TICK_QUEUE: usize = 64;

/// The running alert side.
pub struct Alerts {
    pub handle: AlertHandle,
    /// Where the engine sends every tick.
    pub ticks: broadcast::Sender<Arc<Snapshot>>,
    /// Ends once `ticks` is dropped (after storing what is open); `stop` is the last resort.
    pub task: JoinHandle<()>,
}

/// Opens the alert engine on `store` at `now_ms` and starts its service.
pub async fn start(
    tracker: &TaskTracker,
    rules: RuleSet,
    store: Store,
    now_ms: i64,
    transitions: Emit<AlertTransition>,
    stop: CancellationToken,
) -> Result<Alerts, StoreError> {
    let handle = AlertHandle::start(rules, store, now_ms, transitions).await?;
    let (ticks, receiver) = broadcast::channel(TICK_QUEUE);
    let task = tracker.spawn(service::run(handle.clone(), receiver, stop));
    Ok(Alerts {
        handle,
        ticks,
        task,
    })
}

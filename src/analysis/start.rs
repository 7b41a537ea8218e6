//! The analysis runner, started: off the tick path, on the stored history. It stops with
//! collection (its values ride on the ticks, so it has nothing to say once they end).

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::runner::{Analysis, Parts, run};

/// Starts the runner over `parts` until `stop`; its latest report is read through the handle.
pub fn start(tracker: &TaskTracker, parts: Parts, stop: &CancellationToken) -> Analysis {
    let analysis = Analysis::default();
    tracker.spawn(run(analysis.clone(), parts, stop.clone()));
    analysis
}

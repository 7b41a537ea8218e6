//! The engine's pace: how far every periodic part of the engine stretches its interval now,
//! and whether its background jobs wait. The self-scaling controller (`collect::scaling`) sets
//! it; the sampling loop, the Supervisor poller, the analysis runner and the jobs' gate read
//! it. One value behind a `watch`, so a change reaches every loop at once.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

/// How the engine paces itself now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pace {
    /// 0: normal; each level stretches further.
    pub level: u32,
    /// Factor on every interval (1 at level 0).
    pub stretch: f64,
    /// Background jobs (rollups, retention, backtests) are put off.
    pub defer_jobs: bool,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            level: 0,
            stretch: 1.0,
            defer_jobs: false,
        }
    }
}

impl Pace {
    /// `base` stretched by this pace.
    pub fn apply(&self, base: Duration) -> Duration {
        base.mul_f64(self.stretch.max(1.0))
    }
}

/// The shared pace: one writer (the controller), any number of readers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PaceWatch {
    tx: Arc<watch::Sender<Pace>>,
}

impl Default for PaceWatch {
    fn default() -> Self {
        PaceWatch {
            tx: Arc::new(watch::Sender::new(Pace::default())),
        }
    }
}

impl PaceWatch {
    /// The pace now.
    pub fn get(&self) -> Pace {
        *self.tx.borrow()
    }

    /// Sets the pace every reader follows.
    pub fn set(&self, pace: Pace) {
        self.tx.send_replace(pace);
    }

    /// A receiver that wakes on each change.
    pub fn subscribe(&self) -> watch::Receiver<Pace> {
        self.tx.subscribe()
    }
}

/// An interval of `period` whose first tick is `period` after `last` (at once if that passed),
/// skipping missed ticks: how a loop follows a change of pace.
pub fn restarted(last: tokio::time::Instant, period: Duration) -> tokio::time::Interval {
    let start = (last + period).max(tokio::time::Instant::now());
    let mut interval = tokio::time::interval_at(start, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    interval
}

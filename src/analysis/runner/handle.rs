//! The handle the app, the API and the Home Assistant side hold: the latest report, and a way
//! to ask for a run.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::Notify;

use super::super::accuracy::Backtests;
use super::super::findings::Findings;
use crate::util::lock;

/// The latest run, as the API, the dashboard and the report show it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Unix ms of the run; 0 before the first.
    pub made_ms: i64,
    pub runs: u64,
    /// CPU time of the last run's arithmetic (loading excluded), milliseconds.
    pub cpu_ms: f64,
    /// Wall time of loading the history, milliseconds.
    pub load_ms: f64,
    #[serde(flatten)]
    pub findings: Findings,
    pub backtests: Backtests,
    /// Why the last run failed, if it did.
    pub error: Option<String>,
}

/// Handle to the analysis: the latest report, and a way to ask for a run. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    report: Mutex<Arc<Report>>,
    pub(super) wake: Notify,
    pub(super) backtest_wanted: std::sync::atomic::AtomicBool,
    pub(super) run_wanted: std::sync::atomic::AtomicBool,
}

impl Analysis {
    /// The latest report (the default one before the first run).
    pub fn report(&self) -> Arc<Report> {
        lock(&self.inner.report).clone()
    }

    /// Asks for a run (and the backtests) now, e.g. after history was imported.
    pub fn run_soon(&self) {
        self.inner
            .backtest_wanted
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.inner.wake.notify_one();
    }

    /// Marks a run (with backtests) as wanted at the next look.
    pub(super) fn run_soon_flag(&self) {
        self.inner
            .backtest_wanted
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.inner
            .run_wanted
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub(super) fn set(&self, report: Report) {
        *lock(&self.inner.report) = Arc::new(report);
    }
}

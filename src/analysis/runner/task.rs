//! The runner's task: when to run (the schedule, the pace, the lease gate, an import seen in
//! the store), and one run: load the history, then analyse on a blocking thread whose CPU time
//! is measured.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::super::accuracy;
use super::super::processes::ProcessMemory;
use super::super::report::{self, Context};
use super::handle::{Analysis, Report};
use super::load::{BUCKET_SECONDS, load_all};
use super::throttle::Throttle;
use super::values::derived;
use crate::collect::derive::AnalysisValues;
use crate::collect::thread_cpu_time;
use crate::model::Snapshot;
use crate::store::{Store, StoreError};
use crate::util::Clock;

/// When the runner runs.
#[derive(Debug, Clone, Copy)]
pub struct AnalysisSchedule {
    /// Delay of the first run after start (within a minute, so forecasts appear soon).
    pub first: Duration,
    pub every: Duration,
    pub backtests_every: Duration,
    /// How often the store is asked whether history was imported (by `resource-manager
    /// import` in another process), which triggers a run with backtests.
    pub import_check: Duration,
}

impl Default for AnalysisSchedule {
    fn default() -> Self {
        AnalysisSchedule {
            first: Duration::from_secs(10),
            every: Duration::from_secs(300),
            backtests_every: Duration::from_secs(6 * 3600),
            import_check: Duration::from_secs(60),
        }
    }
}

/// Counts of active alerts by severity (warning, error, critical); the alert engine sits in
/// the same layer, so `app.rs` hands this in.
pub type AlertCounts = Box<dyn Fn() -> (usize, usize, usize) + Send + Sync>;

/// What the runner reads and writes.
pub struct Parts {
    pub store: Store,
    pub clock: Clock,
    pub values: AnalysisValues,
    pub alerts: AlertCounts,
    pub latest: watch::Receiver<Arc<Snapshot>>,
    /// `/sys` (for thermal throttling counters).
    pub sys: PathBuf,
    pub schedule: AnalysisSchedule,
    /// The engine's pace (self-scaling): runs are further apart while it is stretched, and
    /// backtests (a background job) wait until it is normal again unless asked for.
    pub pace: crate::util::PaceWatch,
    /// Asked before each run (`analysis`, or `backtests` with them): the app plugs in the lease
    /// manager so the engine's own heavy work yields to user jobs; `None` runs at once.
    pub gate: Option<Arc<dyn crate::store::writer::JobGate>>,
}

/// Runs until `stop` is cancelled. It wakes at least every `import_check`, which also samples
/// the process list's memory for per-process leak suspicion.
pub async fn run(handle: Analysis, parts: Parts, stop: CancellationToken) {
    let mut throttle = Throttle::new(parts.sys.join("devices/system/cpu"));
    let mut last_backtest: Option<tokio::time::Instant> = None;
    let mut next_run = tokio::time::Instant::now() + parts.schedule.first;
    let mut runs = 0u64;
    let mut imported = parts.store.last_import_ms().await.ok().flatten();
    let mut process_memory = ProcessMemory::default();
    loop {
        let check = tokio::time::Instant::now() + parts.schedule.import_check;
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(next_run.min(check)) => {}
            _ = handle.inner.wake.notified() => handle.run_soon_flag(),
        }
        process_memory.observe(&parts.latest.borrow().processes);
        let marker = parts.store.last_import_ms().await.ok().flatten();
        if marker != imported {
            imported = marker;
            if let Err(err) = parts.store.reload_after_import().await {
                tracing::warn!(error = %err, "cannot reload the history after an import");
            }
            handle.run_soon_flag();
        }
        let woken = handle
            .inner
            .run_wanted
            .swap(false, std::sync::atomic::Ordering::Relaxed);
        if !woken && tokio::time::Instant::now() < next_run {
            continue;
        }
        let pace = parts.pace.get();
        next_run = tokio::time::Instant::now() + pace.apply(parts.schedule.every);
        let wanted = handle
            .inner
            .backtest_wanted
            .swap(false, std::sync::atomic::Ordering::Relaxed);
        let due = last_backtest.is_none_or(|at| at.elapsed() >= parts.schedule.backtests_every);
        let mut backtest = wanted || (due && !pace.defer_jobs);
        // Job names as the app's gate knows them (`lease::jobs::ANALYSIS_JOB` for the run).
        let mut permit = None;
        if let Some(gate) = &parts.gate {
            if backtest {
                permit = gate.start("backtests").await;
                // No room for the backtests now: the regular run goes on without them (asked
                // for ones are asked again next time).
                backtest = permit.is_some();
                if wanted && !backtest {
                    handle
                        .inner
                        .backtest_wanted
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            if permit.is_none() {
                permit = gate.start("analysis").await;
            }
            if permit.is_none() {
                // Put off: user work holds the CPU; try again at the next check.
                next_run = tokio::time::Instant::now() + parts.schedule.import_check;
                if wanted {
                    handle
                        .inner
                        .backtest_wanted
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
                continue;
            }
        }
        runs += 1;
        let previous = handle.report();
        let report =
            match run_once(&parts, &mut throttle, backtest, &previous, &process_memory).await {
                Ok(report) => report,
                Err(err) => {
                    tracing::warn!(error = %err, "analysis run failed");
                    Report {
                        error: Some(err.to_string()),
                        ..(*previous).clone()
                    }
                }
            };
        if backtest && report.error.is_none() {
            last_backtest = Some(tokio::time::Instant::now());
        }
        if let (Some(gate), Some(permit)) = (&parts.gate, permit) {
            gate.finish(permit).await;
        }
        parts.values.set(derived(&report.findings));
        handle.set(Report { runs, ..report });
    }
}

async fn run_once(
    parts: &Parts,
    throttle: &mut Throttle,
    backtest: bool,
    previous: &Report,
    process_memory: &ProcessMemory,
) -> Result<Report, StoreError> {
    let now_ms = parts.clock.now_ms();
    let started = std::time::Instant::now();
    let series = load_all(&parts.store, now_ms).await?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (warning, error, critical) = (parts.alerts)();
    let processes = parts
        .latest
        .borrow()
        .processes
        .by_cpu
        .iter()
        .take(5)
        .map(|p| (p.name.clone(), p.cpu_percent))
        .collect();
    let ctx = Context {
        now: now_ms as f64 / 1000.0,
        alerts_warning: warning,
        alerts_error: error,
        alerts_critical: critical,
        throttled: throttle.check(),
        processes,
        process_memory: process_memory.series(),
        calibrations: Default::default(),
    };
    let old_backtests = previous.backtests.clone();
    let computed = tokio::task::spawn_blocking(move || {
        // The backtests first when due: the forecasts' bands are calibrated on them.
        let backtests = if backtest {
            accuracy::backtests(&series, BUCKET_SECONDS, now_ms)
        } else {
            old_backtests
        };
        let ctx = Context {
            calibrations: std::sync::Arc::new(backtests.calibrations()),
            ..ctx
        };
        let cpu = thread_cpu_time();
        let findings = report::analyze(&series, &ctx);
        let cpu_ms = thread_cpu_time().saturating_sub(cpu).as_secs_f64() * 1000.0;
        (findings, backtests, cpu_ms)
    })
    .await;
    let (findings, backtests, cpu_ms) = match computed {
        Ok(done) => done,
        Err(err) => {
            tracing::error!(error = %err, "analysis panicked");
            return Ok(Report {
                error: Some("the analysis stopped unexpectedly".into()),
                ..previous.clone()
            });
        }
    };
    Ok(Report {
        made_ms: now_ms,
        runs: previous.runs,
        cpu_ms,
        load_ms,
        findings,
        backtests,
        error: None,
    })
}

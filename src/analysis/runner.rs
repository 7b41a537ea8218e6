//! The runner: applies the analyses to the stored history off the tick path. It first runs
//! shortly after start, then every few minutes, at once when asked (after an import), and runs
//! the backtests on their own, slower schedule. Loading is async (the store); the arithmetic
//! runs on a blocking thread whose CPU time is measured and shown in Diagnostics.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::Obs;
use super::accuracy::{self, Backtests};
use super::report::{self, Context, Findings, SeriesData};
use crate::collect::derive::AnalysisValues;
use crate::collect::thread_cpu_time;
use crate::model::{Kind, Sample, Snapshot, registry};
use crate::store::{Point, Resolution, SeriesInfo, Store, StoreError};
use crate::util::{Clock, lock};

/// Width of the buckets the analyses see (means, minima and maxima of the minutes).
pub const BUCKET_SECONDS: f64 = 300.0;
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// History looked at: hours beyond two days, 5-minute buckets of minutes within them.
const HISTORY_DAYS: i64 = 30;
const MINUTE_DAYS: i64 = 2;

/// When the runner runs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Delay of the first run after start (within a minute, so forecasts appear soon).
    pub first: Duration,
    pub every: Duration,
    pub backtests_every: Duration,
    /// How often the store is asked whether history was imported (by `resource-manager
    /// import` in another process), which triggers a run with backtests.
    pub import_check: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            first: Duration::from_secs(10),
            every: Duration::from_secs(300),
            backtests_every: Duration::from_secs(6 * 3600),
            import_check: Duration::from_secs(60),
        }
    }
}

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
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    report: Mutex<Arc<Report>>,
    wake: Notify,
    backtest_wanted: std::sync::atomic::AtomicBool,
    run_wanted: std::sync::atomic::AtomicBool,
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
    fn run_soon_flag(&self) {
        self.inner
            .backtest_wanted
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.inner
            .run_wanted
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn set(&self, report: Report) {
        *lock(&self.inner.report) = Arc::new(report);
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
    pub schedule: Schedule,
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
    let mut process_memory = super::processes::ProcessMemory::default();
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
    process_memory: &super::processes::ProcessMemory,
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
    };
    let old_backtests = previous.backtests.clone();
    let computed = tokio::task::spawn_blocking(move || {
        let cpu = thread_cpu_time();
        let findings = report::analyze(&series, &ctx);
        let cpu_ms = thread_cpu_time().saturating_sub(cpu).as_secs_f64() * 1000.0;
        let backtests = if backtest {
            accuracy::backtests(&series, BUCKET_SECONDS, now_ms)
        } else {
            old_backtests
        };
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

/// Every stored gauge, bucketed (the per-core CPU series only counted, not loaded).
pub async fn load_all(store: &Store, now_ms: i64) -> Result<Vec<SeriesData>, StoreError> {
    let mut out = Vec::new();
    for info in store.series() {
        if info.kind == Kind::Counter {
            continue;
        }
        if info.family == registry::CPU_CORE_USAGE.family {
            out.push(empty(&info));
            continue;
        }
        out.push(load(store, &info, now_ms).await?);
    }
    Ok(out)
}

fn empty(info: &SeriesInfo) -> SeriesData {
    SeriesData {
        id: info.id.clone(),
        family: info.family.clone(),
        unit: info.unit,
        kind: info.kind,
        mean: Vec::new(),
        min: Vec::new(),
        max: Vec::new(),
    }
}

/// One series: hours for the older part, 5-minute buckets of minutes for the last two days.
async fn load(store: &Store, info: &SeriesInfo, now_ms: i64) -> Result<SeriesData, StoreError> {
    let split = (now_ms - MINUTE_DAYS * DAY_MS).div_euclid(HOUR_MS) * HOUR_MS;
    let hours = store
        .history(
            &info.id,
            now_ms - HISTORY_DAYS * DAY_MS,
            split,
            Resolution::Hour,
        )
        .await?;
    let minutes = store
        .history(&info.id, split, now_ms + 1, Resolution::Minute)
        .await?;
    let mut data = empty(info);
    for p in &hours.points {
        push(&mut data, p.t, p.v, p);
    }
    bucket(&minutes.points, BUCKET_SECONDS, &mut data);
    Ok(data)
}

fn push(data: &mut SeriesData, t: f64, mean: f64, p: &Point) {
    data.mean.push(Obs::new(t, mean));
    data.min.push(Obs::new(t, p.min.unwrap_or(mean)));
    data.max.push(Obs::new(t, p.max.unwrap_or(mean)));
}

/// Adds `points` to `data` in buckets of `width` seconds (means, minima, maxima).
pub fn bucket(points: &[Point], width: f64, data: &mut SeriesData) {
    let mut current: Option<(f64, f64, usize, f64, f64)> = None;
    let flush = |c: (f64, f64, usize, f64, f64), data: &mut SeriesData| {
        let (start, sum, n, min, max) = c;
        let t = start;
        data.mean.push(Obs::new(t, sum / n as f64));
        data.min.push(Obs::new(t, min));
        data.max.push(Obs::new(t, max));
    };
    for p in points {
        let start = (p.t / width).floor() * width;
        let (lo, hi) = (p.min.unwrap_or(p.v), p.max.unwrap_or(p.v));
        current = match current {
            Some((s, sum, n, min, max)) if s == start => {
                Some((s, sum + p.v, n + 1, min.min(lo), max.max(hi)))
            }
            Some(done) => {
                flush(done, data);
                Some((start, p.v, 1, lo, hi))
            }
            None => Some((start, p.v, 1, lo, hi)),
        };
    }
    if let Some(done) = current {
        flush(done, data);
    }
}

/// The values that join every tick (see [`AnalysisValues`]).
pub fn derived(findings: &Findings) -> Vec<Sample> {
    let mut out = Vec::new();
    for f in &findings.forecasts {
        if let ("disk", Some(eta)) = (f.resource, f.eta_seconds) {
            out.push(Sample {
                series: Arc::new(
                    registry::DISK_DAYS_UNTIL_FULL.instance(&f.instance, &[f.instance.as_str()]),
                ),
                value: eta / 86_400.0,
            });
        }
    }
    if let Some(health) = &findings.health {
        out.push(Sample {
            series: Arc::new(registry::HEALTH_SCORE.global()),
            value: health.score.round(),
        });
    }
    if findings.series_analysed > 0 {
        out.push(Sample {
            series: Arc::new(registry::ANOMALY_SCORE.global()),
            value: findings.anomaly_score,
        });
    }
    for leak in &findings.leaks {
        let instance = id_safe(&leak.suspect);
        out.push(Sample {
            series: Arc::new(registry::LEAK_RATE.instance(&instance, &[leak.suspect.as_str()])),
            value: leak.leak.rate_per_day / 86_400.0,
        });
    }
    out
}

/// A suspect as a series instance: `process node (pid 7)` becomes `process_node_pid_7`; add-on
/// slugs and `host` stay as they are.
fn id_safe(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    mapped
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// Thermal throttling: whether the CPUs' throttle counters grew since the last look.
struct Throttle {
    dir: PathBuf,
    last: Option<u64>,
}

impl Throttle {
    fn new(dir: PathBuf) -> Throttle {
        Throttle { dir, last: None }
    }

    /// `None` where the kernel exposes no counters (most ARM boards, containers).
    fn check(&mut self) -> Option<bool> {
        let mut total = 0u64;
        let mut found = false;
        let entries = std::fs::read_dir(&self.dir).ok()?;
        for entry in entries.flatten() {
            let dir = entry.path().join("thermal_throttle");
            for file in ["core_throttle_count", "package_throttle_count"] {
                if let Ok(text) = std::fs::read_to_string(dir.join(file))
                    && let Ok(n) = text.trim().parse::<u64>()
                {
                    total += n;
                    found = true;
                }
            }
        }
        if !found {
            return None;
        }
        let grew = self.last.is_some_and(|last| total > last);
        self.last = Some(total);
        Some(grew)
    }
}

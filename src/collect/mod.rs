//! Collectors and the engine that ticks them.
//!
//! Collectors are pure readers: they own no loop, no storage and no policy. The engine owns the
//! intervals, stamps every sample of a tick with one timestamp, marks failing sources degraded
//! adds the derived series ([`derive`]) and hands the snapshot to its subscribers without ever
//! waiting on them.

pub mod cpu;
pub mod derive;
pub mod disk;
pub mod memory;
pub mod network;
pub mod own_writes;
pub mod power;
pub mod processes;
pub mod procfs;
pub mod remote;
pub mod scaling;
pub mod supervisor;
pub mod system;
pub mod thermal;
pub mod views;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::config::SysRoot;
use crate::model::{Sample, Snapshot, SourceHealth, TopProcesses};
use crate::util::{Clock, Pace, lock, p50_p99};
use derive::Derive;

/// Why a source could not be read in a tick.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("unexpected content in {path}: {detail}")]
    Parse { path: PathBuf, detail: String },
    /// A remote source (the Supervisor) failed; samples it still had may have been kept.
    #[error("{0}")]
    Remote(String),
}

/// The moment of one tick, injected so rates can be tested without sleeping.
#[derive(Debug, Clone, Copy)]
pub struct Tick {
    pub now: Instant,
}

impl Tick {
    /// The current instant.
    pub fn now() -> Self {
        Tick {
            now: Instant::now(),
        }
    }

    /// A tick `seconds` after this one (tests).
    pub fn later(&self, seconds: f64) -> Self {
        Tick {
            now: self.now + Duration::from_secs_f64(seconds),
        }
    }
}

/// One source of samples, read once per tick.
pub trait Collector: Send {
    /// Short name of the source (`cpu`, `disk`, …), shown in health reports.
    fn source(&self) -> &'static str;
    /// Appends this tick's samples to `out`.
    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError>;
}

/// The host collectors, in the order they run.
pub fn host_collectors(root: &SysRoot) -> Vec<Box<dyn Collector>> {
    vec![
        Box::new(cpu::CpuCollector::new(root)),
        Box::new(memory::MemoryCollector::new(root)),
        Box::new(system::SystemCollector::new(root)),
        Box::new(disk::DiskCollector::new(root)),
        Box::new(network::NetworkCollector::new(root)),
        Box::new(thermal::ThermalCollector::new(root)),
    ]
}

/// CPU time this thread has used, for measuring the cost of a tick.
pub fn thread_cpu_time() -> Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Rolling record of what ticks cost, for diagnostics and benchmarks.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TickStats {
    pub ticks: u64,
    pub last_tick_cpu_micros: u64,
    pub last_process_scan_cpu_micros: u64,
    /// CPU microseconds of the most recent ticks, oldest first (bounded).
    #[serde(skip)]
    pub recent_cpu_micros: std::collections::VecDeque<u64>,
    pub store_queue_full_drops: u64,
    /// CPU microseconds the engine's own work used since start: ticks, process scans and the
    /// self-scaling probe (what self-scaling reduces; its rate is the engine's CPU use).
    pub cpu_micros_total: u64,
    /// Self-scaling: the engine's mode, pace and last change.
    pub scaling: scaling::ScalingStatus,
}

impl TickStats {
    const KEEP: usize = 256;

    fn record(&mut self, micros: u64) {
        self.ticks += 1;
        self.cpu_micros_total += micros;
        self.last_tick_cpu_micros = micros;
        if self.recent_cpu_micros.len() == Self::KEEP {
            self.recent_cpu_micros.pop_front();
        }
        self.recent_cpu_micros.push_back(micros);
    }

    /// Median and 99th percentile of the recent ticks' CPU time.
    pub fn percentiles(&self) -> (u64, u64) {
        p50_p99(self.recent_cpu_micros.iter().copied()).unwrap_or((0, 0))
    }
}

/// Runs the collectors of one tick.
pub struct Engine {
    collectors: Vec<Box<dyn Collector>>,
    derivers: Vec<Box<dyn Derive>>,
    processes: processes::ProcessCollector,
    top: Arc<TopProcesses>,
    views: views::ViewDetector,
    capacity_hint: usize,
}

impl Engine {
    /// An engine over the given collectors; processes and views are read from `root`.
    pub fn new(collectors: Vec<Box<dyn Collector>>, root: &SysRoot) -> Self {
        Engine {
            collectors,
            derivers: Vec::new(),
            processes: processes::ProcessCollector::new(root),
            top: Arc::new(TopProcesses::default()),
            views: views::ViewDetector::new(root),
            capacity_hint: 64,
        }
    }

    /// Adds derived series to every tick, computed after the collectors in this order.
    pub fn with_derived(mut self, derivers: Vec<Box<dyn Derive>>) -> Self {
        self.derivers = derivers;
        self
    }

    /// Reads every collector once, then adds the derived series. A failing collector marks its source degraded; the rest go on.
    pub fn tick(&mut self, tick: &Tick, ts_ms: i64) -> Snapshot {
        let mut samples = Vec::with_capacity(self.capacity_hint);
        let mut sources = Vec::with_capacity(self.collectors.len());
        for collector in &mut self.collectors {
            let started = Instant::now();
            let result = collector.collect(tick, &mut samples);
            let micros = started.elapsed().as_micros() as u64;
            let error = result.err().map(|e| e.to_string());
            sources.push(SourceHealth {
                source: collector.source(),
                ok: error.is_none(),
                error,
                micros,
            });
        }
        samples.retain(|s| s.value.is_finite());
        let mut snapshot = Snapshot {
            ts_ms,
            samples,
            sources,
            processes: self.top.clone(),
            views: self.views.current(tick.now),
        };
        derive::apply(&mut self.derivers, &mut snapshot);
        self.capacity_hint = self.capacity_hint.max(snapshot.samples.len());
        snapshot
    }

    /// Refreshes the top-process lists (slower cadence than ticks).
    pub fn scan_processes(&mut self, now: Instant, ts_ms: i64) -> Result<(), CollectError> {
        self.top = Arc::new(self.processes.collect(now, ts_ms)?);
        Ok(())
    }
}

/// Where each snapshot goes.
pub struct Outputs {
    /// Latest snapshot, for readers that only want "now".
    pub latest: watch::Sender<Arc<Snapshot>>,
    /// Every snapshot, for the alert engine (it may lag; it handles `Lagged`).
    pub events: broadcast::Sender<Arc<Snapshot>>,
    /// The store writer's own queue: it must not lose data, so a full queue is counted and logged.
    pub store: mpsc::Sender<Arc<Snapshot>>,
    pub stats: Arc<Mutex<TickStats>>,
    /// Every snapshot onto the event bus (`Event::Tick`), for consumers off the tick path
    /// such as remote write; a no-op sink while nothing consumes it (ADR 0008).
    pub bus: crate::util::Emit<Arc<Snapshot>>,
}

/// Delay before the second tick, so rates (CPU, I/O) exist within a second of start.
const PRIMING_DELAY: Duration = Duration::from_millis(250);

/// Ticks until cancelled; `clock` stamps each snapshot and times the rates.
///
/// Both intervals follow `pace` (self-scaling): a change restarts them at the new period,
/// counted from the last tick, so no gap between samples exceeds the new sample interval.
pub async fn run(
    mut engine: Engine,
    sample_interval: Duration,
    process_interval: Duration,
    mut pace: watch::Receiver<Pace>,
    outputs: Outputs,
    clock: Clock,
    cancel: CancellationToken,
) {
    let now = pace.borrow_and_update().to_owned();
    let mut samples = tokio::time::interval_at(
        tokio::time::Instant::now() + PRIMING_DELAY,
        now.apply(sample_interval),
    );
    samples.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut process_scans = tokio::time::interval(now.apply(process_interval));
    process_scans.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_tick = tokio::time::Instant::now();
    let mut last_scan = tokio::time::Instant::now();
    let mut pace_alive = true;

    // First reading at once: gauges appear immediately, counters get their baseline.
    let mut first = true;
    loop {
        if !first {
            tokio::select! {
                _ = cancel.cancelled() => break,
                changed = pace.changed(), if pace_alive => {
                    if changed.is_err() {
                        // The controller is gone: keep the pace last set.
                        pace_alive = false;
                        continue;
                    }
                    let now = *pace.borrow_and_update();
                    samples = crate::util::pace::restarted(last_tick, now.apply(sample_interval));
                    process_scans = crate::util::pace::restarted(last_scan, now.apply(process_interval));
                    continue;
                }
                _ = samples.tick() => {}
                _ = process_scans.tick() => {
                    last_scan = tokio::time::Instant::now();
                    let cpu_before = thread_cpu_time();
                    if let Err(err) = engine.scan_processes(clock.now(), clock.now_ms()) {
                        tracing::warn!(error = %err, "process scan failed");
                    }
                    let micros = thread_cpu_time().saturating_sub(cpu_before).as_micros() as u64;
                    let mut stats = lock(&outputs.stats);
                    stats.last_process_scan_cpu_micros = micros;
                    stats.cpu_micros_total += micros;
                    continue;
                }
            }
        }
        first = false;
        last_tick = tokio::time::Instant::now();
        let cpu_before = thread_cpu_time();
        let tick = Tick { now: clock.now() };
        let snapshot = Arc::new(engine.tick(&tick, clock.now_ms()));
        let micros = thread_cpu_time().saturating_sub(cpu_before).as_micros() as u64;
        for source in snapshot.degraded() {
            tracing::debug!(source = source.source, error = ?source.error, "source degraded");
        }
        outputs.latest.send_replace(snapshot.clone());
        // No live subscriber is fine.
        let _ = outputs.events.send(snapshot.clone());
        outputs.bus.emit(snapshot.clone());
        let mut stats = lock(&outputs.stats);
        stats.record(micros);
        if let Err(err) = outputs.store.try_send(snapshot.clone()) {
            stats.store_queue_full_drops += 1;
            tracing::error!(error = %err, drops = stats.store_queue_full_drops, "store queue full: a sample batch was dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::alert_rules::catalog;
    use crate::model::registry;

    struct Failing;
    impl Collector for Failing {
        fn source(&self) -> &'static str {
            "failing"
        }
        fn collect(&mut self, _: &Tick, _: &mut Vec<Sample>) -> Result<(), CollectError> {
            Err(CollectError::Parse {
                path: "/x".into(),
                detail: "broken".into(),
            })
        }
    }

    #[test]
    fn a_failing_collector_degrades_its_source_and_the_tick_goes_on() {
        let root = SysRoot::default();
        let mut collectors: Vec<Box<dyn Collector>> = vec![Box::new(Failing)];
        collectors.push(Box::new(memory::MemoryCollector::new(&root)));
        let mut engine = Engine::new(collectors, &root);
        let snapshot = engine.tick(&Tick::now(), 1);
        assert_eq!(
            snapshot.degraded().map(|s| s.source).collect::<Vec<_>>(),
            vec!["failing"]
        );
        assert!(
            snapshot
                .value("memory.total_bytes")
                .is_some_and(|v| v > 0.0)
        );
    }

    #[test]
    fn this_machine_gives_cpu_usage_on_the_second_tick() {
        let root = SysRoot::default();
        let mut engine = Engine::new(host_collectors(&root), &root);
        let first = engine.tick(&Tick::now(), 1);
        assert!(first.value("cpu.usage").is_none());
        std::thread::sleep(Duration::from_millis(50));
        let second = engine.tick(&Tick::now(), 2);
        let usage = second.value("cpu.usage").expect("cpu usage");
        assert!((0.0..=100.0).contains(&usage));
        assert!(second.degraded().next().is_none(), "{:?}", second.sources);
    }

    #[test]
    fn every_series_this_machine_produces_is_in_the_registry_with_its_unit_and_kind() {
        let root = SysRoot::default();
        let mut engine =
            Engine::new(host_collectors(&root), &root).with_derived(derive::standard());
        let first = Tick::now();
        engine.tick(&first, 1);
        let snapshot = engine.tick(&first.later(0.2), 2);
        assert!(!snapshot.samples.is_empty());
        for sample in &snapshot.samples {
            let id = &sample.series.id;
            let family = registry::by_id(id)
                .unwrap_or_else(|| panic!("series '{id}' is not in model::registry"));
            assert_eq!(registry::of(&sample.series), Some(family), "{id}");
            assert_eq!(family.unit, sample.series.unit, "{id}");
            assert_eq!(family.kind, sample.series.kind, "{id}");
            // Rules name the same families: the alert catalog is a view over the registry.
            let (known, _) = catalog::lookup(id).unwrap_or_else(|| panic!("{id}"));
            assert_eq!(known, family, "{id}");
        }
    }
}

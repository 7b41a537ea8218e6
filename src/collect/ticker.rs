//! The tick loop: ticks and scans processes at their (self-scaled) intervals until cancelled,
//! and hands every snapshot to its readers, the alert engine, the event bus and the store.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::collector::Tick;
use super::engine::Engine;
use super::stats::{TickStats, thread_cpu_time};
use crate::model::Snapshot;
use crate::util::{Clock, Pace, lock};

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
                    stats.process_scans += 1;
                    stats.process_scan_cpu_micros_total += micros;
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

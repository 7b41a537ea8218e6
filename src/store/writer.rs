//! The store's single writer: buffers snapshots and writes them as one batch every
//! `write_batch` (few, large, append-only writes spare SD cards), then runs the rollup and
//! retention jobs. A failed write keeps the ticks in memory (bounded), says why everywhere,
//! and is retried with back-off until it commits.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Store;
use super::health::{self, FailureReason, WriteFailure};
use crate::config::Retention;
use crate::model::Snapshot;
use crate::util::lock;

/// Most snapshots kept in memory while the disk refuses writes (~1 day at 5 s, about 2 kB
/// each); older ones go first and are counted.
const MAX_PENDING: usize = 20_000;
/// How often retention runs.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// While writes keep failing, the log repeats the error at most this often.
const FAILURE_LOG_EVERY_MS: i64 = 60_000;

/// Settings of the writer task.
#[derive(Clone)]
pub struct WriterSettings {
    pub batch: Duration,
    pub retention: Retention,
    /// Asked before the rollup and retention jobs run (the app plugs in the lease manager,
    /// so they yield to user work); `None` runs them at once.
    pub gate: Option<Arc<dyn JobGate>>,
}

/// A future the gate returns.
pub type GateFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Whether one of the store's heavy jobs may run now. The store sits below the lease manager,
/// so the manager reaches it through this trait (wired in `app`).
pub trait JobGate: Send + Sync {
    /// A permit to run `job` now, or `None` to put it off until the next batch.
    fn start(&self, job: &'static str) -> GateFuture<'_, Option<String>>;
    /// `job` ended; the permit is given back.
    fn finish(&self, permit: String) -> GateFuture<'_, ()>;
}

/// Runs until cancelled, then writes what is left.
pub async fn run(
    store: Store,
    mut rx: mpsc::Receiver<Arc<Snapshot>>,
    settings: WriterSettings,
    cancel: CancellationToken,
) {
    let mut next_flush = Instant::now() + settings.batch;
    // On the store's clock (monotonic reading), so tests can move it.
    let mut last_retention: Option<std::time::Instant> = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            received = rx.recv() => match received {
                Some(snapshot) => store.enqueue(snapshot),
                None => break,
            },
            _ = tokio::time::sleep_until(next_flush) => {
                let flushed = store.flush_gated(settings.gate.as_deref()).await;
                let wait = match flushed {
                    Ok(()) => settings.batch,
                    Err(attempts) => health::retry_delay(attempts, settings.batch),
                };
                next_flush = Instant::now() + wait;
                if flushed.is_err() {
                    store.retry_in(wait);
                    continue;
                }
                let now = store.clock().now();
                if last_retention.is_none_or(|at| now.saturating_duration_since(at) >= RETENTION_EVERY) {
                    let Some(permit) = start(settings.gate.as_deref(), "retention").await else {
                        // Put off to the next batch.
                        continue;
                    };
                    last_retention = Some(now);
                    match store.apply_retention(store.clock().now_ms(), &settings.retention).await {
                        Ok(report) => tracing::debug!(?report, "retention done"),
                        Err(err) => tracing::warn!(error = %err, "retention failed"),
                    }
                    finish(settings.gate.as_deref(), permit).await;
                }
            }
        }
    }
    while let Ok(snapshot) = rx.try_recv() {
        store.enqueue(snapshot);
    }
    let flushed = store.flush().await;
    if let Err(err) = store.mark_saved().await {
        tracing::warn!(error = %err, "could not record what was saved");
    }
    if flushed.is_err() {
        tracing::error!(
            ticks = store.pending_ticks(),
            "stopping with history that could not be written; those samples are lost"
        );
    }
}

/// A permit from the gate (`Some(None)` without a gate), or `None`: put the job off.
async fn start(gate: Option<&dyn JobGate>, job: &'static str) -> Option<Option<String>> {
    match gate {
        None => Some(None),
        Some(gate) => gate.start(job).await.map(Some),
    }
}

async fn finish(gate: Option<&dyn JobGate>, permit: Option<String>) {
    if let (Some(gate), Some(permit)) = (gate, permit) {
        gate.finish(permit).await;
    }
}

impl Store {
    /// Queues a snapshot for the next write.
    pub fn enqueue(&self, snapshot: Arc<Snapshot>) {
        let mut pending = lock(&self.shared.pending);
        pending.push_back(snapshot);
        if pending.len() > MAX_PENDING {
            pending.pop_front();
            let mut status = lock(&self.shared.status);
            status.dropped_ticks += 1;
            if status.dropped_ticks.is_power_of_two() {
                tracing::error!(
                    dropped = status.dropped_ticks,
                    "history cannot be written and the memory backlog is full: oldest samples dropped"
                );
            }
        }
    }

    /// Notes when the writer tries again, for the status page.
    pub fn retry_in(&self, wait: Duration) {
        if let Some(failure) = lock(&self.shared.status).failure.as_mut() {
            failure.next_attempt_ms = self.clock().now_ms() + wait.as_millis() as i64;
        }
    }

    /// Writes everything queued as one transaction, then rolls up complete hours. `Err` holds
    /// the number of failed attempts in a row, for the back-off.
    pub async fn flush(&self) -> Result<(), u64> {
        self.flush_gated(None).await
    }

    /// [`Self::flush`], with the rollup only when `gate` allows it now (a rollup put off is
    /// caught up by the next one: it rolls up every complete hour not yet rolled up).
    pub async fn flush_gated(&self, gate: Option<&dyn JobGate>) -> Result<(), u64> {
        let batch: Vec<Arc<Snapshot>> = lock(&self.shared.pending).iter().cloned().collect();
        let Some(last) = batch.last().map(|s| s.ts_ms) else {
            return Ok(());
        };
        match self.write_batch(&batch).await {
            Ok(written) => {
                self.committed(written, last);
                log_write(&batch[..written.min(batch.len())]);
            }
            Err(err) => return Err(self.write_failed(&err, batch.len())),
        }
        if !self.rollup_due(last + 1) {
            return Ok(());
        }
        let Some(permit) = start(gate, "rollup").await else {
            return Ok(());
        };
        if let Err(err) = self.roll_up(last + 1).await {
            tracing::warn!(error = %err, "rollup failed; will retry");
            lock(&self.shared.status).last_error = Some(err.to_string());
        }
        finish(gate, permit).await;
        Ok(())
    }

    /// A commit really happened: drop the ticks it holds from the queue, clear any failure.
    fn committed(&self, written: usize, last_ts: i64) {
        {
            let mut pending = lock(&self.shared.pending);
            let drain = written.min(pending.len());
            pending.drain(..drain);
        }
        let now = self.clock().now_ms();
        let mut status = lock(&self.shared.status);
        status.last_flush_ms = Some(now);
        status.last_flush_ticks = written;
        status.flushes += 1;
        status.saved_until_ms = Some(last_ts);
        if let Some(failure) = status.failure.take() {
            tracing::warn!(
                after_seconds = (now - failure.since_ms) / 1000,
                attempts = failure.attempts,
                ticks = written,
                "history is being saved again; the buffered samples were written"
            );
        }
    }

    /// Records a failed attempt; returns the failed attempts in a row.
    fn write_failed(&self, err: &super::StoreError, queued: usize) -> u64 {
        let now = self.clock().now_ms();
        let reason = FailureReason::of(err);
        let free_bytes = self.path.parent().and_then(health::free_bytes);
        let mut status = lock(&self.shared.status);
        status.flush_errors += 1;
        status.last_error = Some(err.to_string());
        let previous = status.failure.take();
        let attempts = previous.as_ref().map_or(0, |f| f.attempts) + 1;
        let since_ms = previous.as_ref().map_or(now, |f| f.since_ms);
        let log_now = previous
            .as_ref()
            .is_none_or(|p| p.reason != reason || now - p.logged_ms >= FAILURE_LOG_EVERY_MS);
        let failure = WriteFailure {
            since_ms,
            reason,
            error: err.to_string(),
            free_bytes,
            attempts,
            next_attempt_ms: now,
            logged_ms: if log_now {
                now
            } else {
                previous.as_ref().map_or(now, |p| p.logged_ms)
            },
        };
        if log_now {
            tracing::error!(
                error = %err,
                queued,
                attempts,
                "{} Retrying with back-off; the samples are kept in memory.",
                failure.summary()
            );
        } else {
            tracing::debug!(error = %err, queued, attempts, "writing history failed again");
        }
        status.failure = Some(failure);
        attempts
    }
}

/// One debug line per committed batch, under its id (`write-<last sample's ms>`), with the
/// resource figures of its newest tick.
fn log_write(written: &[Arc<Snapshot>]) {
    let Some(newest) = written.last() else {
        return;
    };
    tracing::debug!(
        resource_management_id = %format!("write-{}", newest.ts_ms),
        ticks = written.len(),
        samples = written.iter().map(|s| s.samples.len()).sum::<usize>(),
        memory_usage_mb = newest.value("memory.used_bytes").map(|b| (b / 1_048_576.0).round()),
        cpu_usage_percentage = newest.value("cpu.usage"),
        power_consumption_watts = newest.value("power.watts"),
        "history written"
    );
}

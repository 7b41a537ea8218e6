//! The store's single writer: buffers snapshots and writes them as one batch every
//! `write_batch` (few, large, append-only writes spare SD cards), then runs the rollup and
//! retention jobs. A failed write keeps the batch and retries at the next turn.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::Store;
use crate::collect::{lock, unix_ms};
use crate::config::Retention;
use crate::model::Snapshot;

/// Most snapshots kept in memory while the disk refuses writes (~1 day at 5 s); older ones go.
const MAX_PENDING: usize = 20_000;
/// How often retention runs.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// Settings of the writer task.
#[derive(Debug, Clone)]
pub struct WriterSettings {
    pub batch: Duration,
    pub retention: Retention,
}

/// Runs until cancelled, then writes what is left.
pub async fn run(
    store: Store,
    mut rx: mpsc::Receiver<Arc<Snapshot>>,
    settings: WriterSettings,
    cancel: CancellationToken,
) {
    let mut flush = tokio::time::interval(settings.batch);
    flush.set_missed_tick_behavior(MissedTickBehavior::Delay);
    flush.tick().await;
    let mut last_retention: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            received = rx.recv() => match received {
                Some(snapshot) => store.enqueue(snapshot),
                None => break,
            },
            _ = flush.tick() => {
                store.flush().await;
                if last_retention.is_none_or(|at| at.elapsed() >= RETENTION_EVERY) {
                    last_retention = Some(tokio::time::Instant::now());
                    match store.apply_retention(unix_ms(), &settings.retention).await {
                        Ok(report) => tracing::debug!(?report, "retention done"),
                        Err(err) => tracing::warn!(error = %err, "retention failed"),
                    }
                }
            }
        }
    }
    while let Ok(snapshot) = rx.try_recv() {
        store.enqueue(snapshot);
    }
    store.flush().await;
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
            tracing::error!(
                dropped = status.dropped_ticks,
                "history cannot be written: oldest buffered sample dropped"
            );
        }
    }

    /// Writes everything queued as one transaction, then rolls up complete hours.
    pub async fn flush(&self) {
        let batch: Vec<Arc<Snapshot>> = lock(&self.shared.pending).iter().cloned().collect();
        let Some(last) = batch.last().map(|s| s.ts_ms) else {
            return;
        };
        if !self.write_one(&batch).await {
            return;
        }
        if let Err(err) = self.roll_up(last + 1).await {
            tracing::warn!(error = %err, "rollup failed; will retry");
            lock(&self.shared.status).last_error = Some(err.to_string());
        }
    }

    /// Writes one batch; on success removes it from the queue.
    async fn write_one(&self, batch: &[Arc<Snapshot>]) -> bool {
        match self.write_batch(batch).await {
            Ok(written) => {
                {
                    let mut pending = lock(&self.shared.pending);
                    let drain = written.min(pending.len());
                    pending.drain(..drain);
                }
                let mut status = lock(&self.shared.status);
                status.last_flush_ms = Some(unix_ms());
                status.last_flush_ticks = written;
                status.flushes += 1;
                true
            }
            Err(err) => {
                let mut status = lock(&self.shared.status);
                status.flush_errors += 1;
                status.last_error = Some(err.to_string());
                tracing::error!(error = %err, queued = batch.len(), "writing history failed; will retry");
                false
            }
        }
    }
}

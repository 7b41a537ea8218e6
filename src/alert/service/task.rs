//! The alert task: feeds every snapshot to the engine, prunes old incidents daily, and writes
//! the open ones when it stops.

use crate::util::time::DAY_MS;
use std::sync::Arc;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::super::engine;
use super::handle::AlertHandle;
use crate::model::Snapshot;

/// Resolved incidents older than this are deleted (checked daily).
const KEEP_INCIDENTS_MS: i64 = 365 * DAY_MS;
const PRUNE_EVERY_MS: i64 = DAY_MS;

/// Evaluates every snapshot until the engine's channel closes (or `cancel`), then writes open
/// incidents.
pub async fn run(
    handle: AlertHandle,
    mut snapshots: broadcast::Receiver<Arc<Snapshot>>,
    cancel: CancellationToken,
) {
    let mut last_prune_ms: Option<i64> = None;
    let mut skipped_total: u64 = 0;
    loop {
        let snapshot = tokio::select! {
            _ = cancel.cancelled() => break,
            received = snapshots.recv() => match received {
                Ok(snapshot) => snapshot,
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    // Windows are judged on time, not on sample counts: fewer samples only.
                    skipped_total += skipped;
                    tracing::warn!(skipped, skipped_total, "alert engine fell behind; snapshots skipped");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
        };
        handle
            .evaluate(snapshot.ts_ms, engine::readings(&snapshot))
            .await;
        if last_prune_ms.is_none_or(|at| snapshot.ts_ms - at >= PRUNE_EVERY_MS) {
            last_prune_ms = Some(snapshot.ts_ms);
            match handle
                .inner
                .store
                .prune_incidents(snapshot.ts_ms - KEEP_INCIDENTS_MS)
                .await
            {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "old alert incidents deleted"),
                Err(err) => tracing::warn!(error = %err, "pruning alert incidents failed"),
            }
        }
    }
    handle.flush().await;
}

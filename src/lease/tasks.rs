//! The lease service's two tasks: the writer that saves groups of changes (then announces
//! them), and the timer that applies expiries, follows the snapshots and trims old leases.

use crate::util::time::DAY_MS;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::LeaseUpdate;
use super::overrun::Overrun;
use super::rows;
use super::service::{Job, LeaseService, Writer, announcement};
use crate::event::{LeaseChange, LeaseChangeKind};
use crate::model::Snapshot;
use crate::store::LeaseRow;
use crate::util::Emit;

/// The timer checks at least this often (expiries are applied by the next call anyway).
const TIMER_MAX_SLEEP: Duration = Duration::from_secs(1);

impl Writer {
    /// Saves groups of changes until cancelled (then saves what is waiting and ends). Changes
    /// are announced only once saved: a group that fails waits, unannounced, for the next
    /// one (its callers hear of the failure), and the leases taken back meanwhile are dropped
    /// from it.
    pub async fn run(mut self, cancel: CancellationToken) {
        // Changes whose write failed: written (and announced) with the next group.
        let mut retry: Vec<LeaseUpdate> = Vec::new();
        loop {
            let first = tokio::select! {
                job = self.jobs.recv() => job,
                _ = cancel.cancelled() => None,
            };
            let mut jobs: Vec<Job> = first.into_iter().collect();
            while let Ok(job) = self.jobs.try_recv() {
                jobs.push(job);
            }
            if jobs.is_empty() && retry.is_empty() {
                break;
            }
            let withdrawn: Vec<&String> = jobs.iter().flat_map(|j| j.withdrawn.iter()).collect();
            let mut group = std::mem::take(&mut retry);
            group.retain(|c| !withdrawn.contains(&&c.lease.id));
            group.extend(jobs.iter().flat_map(|j| j.changes.iter().cloned()));
            // The engine's own job leases are not stored: they live for one job, and after a
            // crash the job simply asks again (two commits saved per job).
            let rows: Vec<LeaseRow> = group
                .iter()
                .filter(|c| !super::jobs::is_engine_holder(&c.lease.holder))
                .map(|c| rows::to_row(&c.lease))
                .collect();
            let result = self
                .store
                .save_leases(&rows)
                .await
                .map_err(|e| e.to_string());
            match &result {
                Ok(()) => {
                    let at_ms = self.store.clock().now_ms();
                    for change in &group {
                        log_change(change);
                        self.emit.emit(announcement(change, at_ms));
                    }
                }
                Err(err) => {
                    tracing::error!(error = %err, rows = rows.len(), "lease changes could not be saved; retrying with the next ones");
                    retry = group;
                }
            }
            for job in jobs {
                let _ = job.done.send(result.clone());
            }
            if cancel.is_cancelled() && retry.is_empty() && self.jobs.is_empty() {
                break;
            }
            if cancel.is_cancelled() && !retry.is_empty() {
                // One last attempt happened above; do not spin at shutdown.
                tracing::error!(
                    changes = retry.len(),
                    "stopping with lease changes not saved"
                );
                break;
            }
        }
    }
}

/// One log line per lease change, under the lease's id; the engine's own hourly jobs at debug.
fn log_change(change: &LeaseUpdate) {
    let lease = &change.lease;
    let engine_job = lease.holder.starts_with("resource_manager.");
    macro_rules! line {
        ($level:expr) => {
            tracing::event!(
                $level,
                resource_management_id = %lease.id,
                holder = %lease.holder,
                change = ?change.kind,
                state = ?lease.state,
                cpu_milli = lease.amounts.cpu_milli,
                memory_mb = lease.amounts.memory_mb,
                "lease changed"
            )
        };
    }
    if engine_job {
        line!(tracing::Level::DEBUG);
    } else {
        line!(tracing::Level::INFO);
    }
}

/// Applies expiries as they fall due, follows the snapshots (memory available now, add-on
/// use) and trims old leases daily, until cancelled.
pub async fn run(
    service: LeaseService,
    mut latest: watch::Receiver<Arc<Snapshot>>,
    overrun_emit: Emit<LeaseChange>,
    cancel: CancellationToken,
) {
    let mut last_prune: Option<i64> = None;
    loop {
        let now = service.now();
        let sleep = service
            .next_deadline()
            .map(|d| {
                Duration::from_millis((d - now).clamp(0, TIMER_MAX_SLEEP.as_millis() as i64) as u64)
            })
            .unwrap_or(TIMER_MAX_SLEEP);
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(sleep) => {
                if let Err(err) = service.settle().await {
                    tracing::warn!(error = %err, "lease expiries not saved");
                }
            }
            changed = latest.changed() => {
                if changed.is_err() {
                    // The engine stopped: keep applying expiries without readings.
                    latest = watch::channel(Arc::new(Snapshot::default())).1;
                    continue;
                }
                let snapshot = latest.borrow_and_update().clone();
                match service.observe(&snapshot).await {
                    Ok(new) => {
                        for o in new {
                            announce_overrun(&service, &o, &overrun_emit);
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "lease reading not applied"),
                }
            }
        }
        let now = service.now();
        if last_prune.is_none_or(|at| now - at >= DAY_MS) {
            last_prune = Some(now);
            if let Err(err) = service.prune().await {
                tracing::warn!(error = %err, "old leases not trimmed");
            }
        }
    }
}

fn announce_overrun(service: &LeaseService, overrun: &Overrun, emit: &Emit<LeaseChange>) {
    tracing::warn!(holder = %overrun.holder, "lease overrun: {}", overrun.describe());
    for lease in service.granted_of(&overrun.holder) {
        emit.emit(LeaseChange {
            lease_id: lease.id,
            holder: lease.holder,
            request_id: lease.request_id,
            at_ms: service.now(),
            kind: LeaseChangeKind::Overrun,
            state: super::LeaseState::Granted,
            expires_ms: lease.expires_at.map(|s| s * 1000),
            revoke_ms: None,
            position: None,
            reason: Some(overrun.describe()),
            code: Some("overrun"),
        });
    }
}

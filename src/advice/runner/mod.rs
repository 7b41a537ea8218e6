//! The advisor's loop: every pass it gathers what the rules need (the analysis' findings, the
//! latest readings, the add-ons' use over the idle window and their roles, backups, the
//! recorder database's size, what takes the data disk), runs them, asks for automatic
//! recovery where allowed, measures the effects that are due and stores the recorder churn.
//! Slow inputs (history, roles, backups) are refreshed every few passes only; the data disk
//! is walked at most hourly by `collect::storage`, in a task the pass never waits for.

use std::collections::HashMap;

use tokio_util::sync::CancellationToken;

mod inputs;
mod parts;
mod recovery;
mod supervisor;

pub use inputs::latest_values;
pub use parts::{AdviceSchedule, RECORDER_DB_PATHS, RunnerParts, recorder_db_bytes};
pub use recovery::{hung_restarts, recovery_requests};
pub use supervisor::parse_backups;

use crate::advice::recommend::{AdviceInputs, hung_series};
use inputs::SlowInputs;
use recovery::{recover, stopped_unexpectedly};
use supervisor::learn_own_slug;

/// Runs until `stop`.
pub async fn run(parts: RunnerParts, stop: CancellationToken) {
    let mut tick = tokio::time::interval(parts.schedule.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut slow = SlowInputs::default();
    let mut states: HashMap<String, String> = HashMap::new();
    let mut passes = 0u64;
    let mut own_slug_known = false;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        if passes.is_multiple_of(parts.schedule.slow_every.max(1)) {
            slow = SlowInputs::load(&parts).await;
        }
        // The hourly walk runs in a task of its own (collect::storage): never waited for.
        slow.disk.walk = parts
            .storage
            .as_ref()
            .and_then(|walks| walks.latest())
            .map(|walk| (*walk).clone());
        passes += 1;
        if !own_slug_known && let Some(client) = &parts.supervisor {
            own_slug_known = learn_own_slug(client, &parts.advisor, passes == 1).await;
        }
        let latest = latest_values(&parts.latest.borrow());
        let report = parts.analysis.report();
        let now_ms = parts.advisor.clock().now_ms();
        let list = parts.advisor.pass(AdviceInputs {
            now_ms,
            findings: &report.findings,
            latest: &latest,
            addons: &slow.addons(&latest),
            disk: &slow.disk,
        });
        parts.verdicts.set(hung_series(&list, &latest));
        let options = parts.advisor.options();
        let stopped = match &parts.supervisor {
            Some(client) => stopped_unexpectedly(client, &mut states).await,
            None => Vec::new(),
        };
        if options.auto_recovery {
            recover(&parts.advisor, &options, &list, &report.findings, &stopped).await;
        }
        if let Err(err) = parts.advisor.measure_due().await {
            tracing::warn!(error = %err, "cannot measure the effect of actions");
        }
        if let Err(err) = parts.advisor.save_churn().await {
            tracing::warn!(error = %err, "cannot store the recorder churn");
        }
    }
    parts.advisor.save_churn().await.ok();
}

#[cfg(test)]
mod tests;

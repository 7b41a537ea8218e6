//! The measured effect of actions: the add-on's memory and CPU before and some minutes after,
//! against the recommendation's estimate, and the share of actions that were effective.

use serde::Serialize;

use super::advisor::Advisor;
use crate::model::registry;
use crate::store::StoreError;

/// The effect of an action is measured this long after it.
pub const MEASURE_AFTER_MS: i64 = 10 * 60_000;
/// An action counts as effective when it reached this share of its estimate.
pub const EFFECTIVE_SHARE: f64 = 0.5;

/// The share of measured actions whose effect reached half the estimate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Effectiveness {
    pub measured: u64,
    pub effective: u64,
    /// `effective / measured`; `None` before the first measurement.
    pub share: Option<f64>,
}

impl Advisor {
    /// The add-on's memory (bytes) and CPU (percent of the host) in the latest snapshot.
    pub(super) fn readings(&self, slug: &str) -> (Option<f64>, Option<f64>) {
        let snapshot = self.inner.latest.borrow().clone();
        (
            snapshot.value(&registry::ADDON_MEMORY.instance(slug, &[]).id),
            snapshot.value(&registry::ADDON_CPU.instance(slug, &[]).id),
        )
    }

    /// Measures the effect of every action whose time has come; returns how many.
    pub async fn measure_due(&self) -> Result<usize, StoreError> {
        let now = self.inner.clock.now_ms();
        let due = self.inner.store.unmeasured_actions(now).await?;
        for row in &due {
            let (after_memory, after_cpu) = self.readings(&row.addon);
            // A stopped add-on reports nothing: it uses nothing.
            let stopped = row.kind == "stop";
            let after_memory = after_memory.or(stopped.then_some(0.0));
            let after_cpu = after_cpu.or(stopped.then_some(0.0));
            let freed = match (row.before_memory, after_memory) {
                (Some(b), Some(a)) => b - a,
                _ => 0.0,
            };
            let saved = match (row.before_cpu, after_cpu) {
                (Some(b), Some(a)) => b - a,
                _ => 0.0,
            };
            let effective = match (row.estimate_memory, row.estimate_cpu) {
                (Some(e), _) if e > 0.0 => Some(freed >= EFFECTIVE_SHARE * e),
                (_, Some(e)) if e > 0.0 => Some(saved >= EFFECTIVE_SHARE * e),
                _ => None,
            };
            self.inner
                .store
                .set_action_effect(row.id, freed, saved, effective)
                .await?;
        }
        Ok(due.len())
    }

    /// The measured effectiveness so far.
    pub async fn effectiveness(&self) -> Result<Effectiveness, StoreError> {
        let (measured, effective) = self.inner.store.action_effectiveness().await?;
        Ok(Effectiveness {
            measured,
            effective,
            share: (measured > 0).then(|| effective as f64 / measured as f64),
        })
    }
}

//! The recorder churn the advisor counts: one state change at a time from the subscription,
//! ranked on request, and stored by day.

use super::advisor::Advisor;
use crate::advice::recorder::ChurnReport;
use crate::store::StoreError;
use crate::util::lock;
use crate::util::time::DAY_MS;

impl Advisor {
    /// The recorder ranking now.
    pub fn churn_report(&self) -> ChurnReport {
        lock(&self.inner.churn).report(self.inner.clock.now_ms())
    }

    /// Counts one recorded state change (from the `state_changed` subscription).
    pub fn observe_state_change(&self, entity_id: &str, at_ms: i64, bytes: u64) {
        lock(&self.inner.churn).observe(entity_id, at_ms, bytes);
    }

    /// Stores the churn counted since the last call.
    pub async fn save_churn(&self) -> Result<(), StoreError> {
        let rows = lock(&self.inner.churn).take_dirty();
        if rows.is_empty() {
            return Ok(());
        }
        let today = self.inner.clock.now_ms().div_euclid(DAY_MS);
        self.inner
            .store
            .save_churn(&rows, today - crate::advice::recorder::DAYS_KEPT + 1)
            .await
    }
}

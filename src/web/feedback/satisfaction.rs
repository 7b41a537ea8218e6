//! The satisfaction numbers over 7 and 30 days, counted in SQLite and reused for a minute.

use super::state::FeedbackSummary;
use crate::store::StoreError;
use crate::util::lock;
use crate::web::state::AppState;

use crate::util::time::DAY_MS;
/// How long the satisfaction numbers are reused before SQLite is asked again.
const SUMMARY_TTL_MS: i64 = 60_000;

impl AppState {
    /// Satisfaction numbers, reused for a minute.
    pub async fn feedback_summary(&self) -> Result<FeedbackSummary, StoreError> {
        let now = self.clock().now_ms();
        if let Some((at, summary)) = *lock(&self.inner.feedback.cached)
            && now - at < SUMMARY_TTL_MS
        {
            return Ok(summary);
        }
        let store = &self.inner.parts.store;
        let (week, _) = store.votes_since(now - 7 * DAY_MS).await?;
        let (month, _) = store.votes_since(now - 30 * DAY_MS).await?;
        let round = |v: Option<f64>| v.map(|p| (p * 10.0).round() / 10.0);
        let summary = FeedbackSummary {
            satisfaction_7d: round(week.satisfaction_percent()),
            satisfaction_30d: round(month.satisfaction_percent()),
            votes_7d: week.votes,
            votes_30d: month.votes,
        };
        *lock(&self.inner.feedback.cached) = Some((now, summary));
        Ok(summary)
    }
}

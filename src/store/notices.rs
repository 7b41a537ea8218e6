//! Storage notices: kept in the database for a week so a restart does not hide them, and the
//! check that the history still holds what the previous run saved.

use super::health::StoreNotice;
use super::{Store, StoreError, WriteSource};
use crate::util::lock;

/// How long a notice is shown.
pub const NOTICE_DAYS: i64 = 7;
use crate::util::time::DAY_MS;

impl Store {
    /// Storage notices of the last week, newest first.
    pub fn notices(&self) -> Vec<StoreNotice> {
        lock(&self.shared.notices).clone()
    }

    pub(super) async fn record_notice(&self, notice: &StoreNotice) -> Result<(), StoreError> {
        let mut tx = self.begin_write(WriteSource::Notices).await?;
        sqlx::query("INSERT INTO store_notices (ts_ms, kind, message) VALUES (?, ?, ?)")
            .bind(notice.ts_ms)
            .bind(&notice.kind)
            .bind(&notice.message)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Loads the notices of the last week and deletes older ones.
    pub(super) async fn load_notices(&self, now_ms: i64) -> Result<(), StoreError> {
        let since = now_ms - NOTICE_DAYS * DAY_MS;
        sqlx::query("DELETE FROM store_notices WHERE ts_ms < ?")
            .bind(since)
            .execute(&self.pool)
            .await?;
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT ts_ms, kind, message FROM store_notices ORDER BY ts_ms DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        *lock(&self.shared.notices) = rows
            .into_iter()
            .map(|(ts_ms, kind, message)| StoreNotice {
                ts_ms,
                kind,
                message,
            })
            .collect();
        Ok(())
    }

    /// Compares the newest tick the previous run committed (a marker written in the same
    /// transaction as the ticks) with what the tables hold. Raw rows leave only once rolled up,
    /// so a marker newer than both the raw rows and the rollup progress means lost data.
    pub(super) async fn check_saved_marker(
        &self,
        saved: Option<i64>,
        rolled: Option<i64>,
    ) -> Result<Option<StoreNotice>, StoreError> {
        let Some(saved) = saved else {
            return Ok(None);
        };
        let newest: Option<i64> =
            sqlx::query_scalar("SELECT end_ms FROM raw_batches ORDER BY start_ms DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await?;
        let held = newest
            .unwrap_or(i64::MIN)
            .max(rolled.map_or(i64::MIN, |r| r - 1));
        if saved <= held {
            return Ok(None);
        }
        let from = match newest {
            Some(n) => format!("from {}", crate::model::format_utc_minute(n)),
            None => "up to".to_string(),
        };
        Ok(Some(StoreNotice {
            ts_ms: self.clock().now_ms(),
            kind: "lost_data".into(),
            message: format!(
                "History {from} {} is missing: the previous run had saved it, but the database no longer holds it (the file was damaged or replaced).",
                crate::model::format_utc_minute(saved)
            ),
        }))
    }
}

//! Values kept in the `store_state` table: the store's own markers (how far ticks are saved
//! and rolled up) and the values other parts save with the batches of ticks.

use std::sync::Arc;

use super::{DurableValue, Store, StoreError};

/// Key in `store_state` of the newest tick on disk, as of the last rollup or clean stop.
pub(super) const SAVED_UNTIL: &str = "saved_until_ms";

impl Store {
    /// A value another part keeps in `store_state` (e.g. the energy counter), if saved.
    pub async fn saved_value(&self, key: &str) -> Result<Option<i64>, StoreError> {
        self.state(key).await
    }

    /// Saves `value` with the batches of ticks from now on (see [`durable`](super::durable));
    /// it is told what reached the disk.
    pub fn keep_durable(&self, value: Arc<dyn DurableValue>) {
        self.shared.durable.register(value);
    }

    pub(super) async fn state(&self, key: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM store_state WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

/// Sets `key` to `value` in `tx`.
pub(super) async fn set_state(
    tx: &mut sqlx::SqliteConnection,
    key: &str,
    value: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO store_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(tx)
        .await?;
    Ok(())
}

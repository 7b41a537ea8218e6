//! The recorder churn: how many writes and bytes each entity cost Home Assistant's recorder
//! per day, kept for the days the advisor looks back on.

use sqlx::Row;

use crate::store::{Store, StoreError, WriteSource};

/// Writes of one entity on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChurnRow {
    pub day: i64,
    pub entity_id: String,
    pub writes: i64,
    pub bytes: i64,
}

impl Store {
    /// Stores the day totals in `rows` (replacing what a day held for an entity) and drops
    /// days before `keep_from_day`, in one transaction.
    pub async fn save_churn(
        &self,
        rows: &[ChurnRow],
        keep_from_day: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write(WriteSource::Advice).await?;
        for row in rows {
            sqlx::query(
                "INSERT INTO recorder_churn (day, entity_id, writes, bytes) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (day, entity_id) DO UPDATE SET writes = excluded.writes, \
                 bytes = excluded.bytes",
            )
            .bind(row.day)
            .bind(&row.entity_id)
            .bind(row.writes)
            .bind(row.bytes)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM recorder_churn WHERE day < ?")
            .bind(keep_from_day)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The churn of days from `from_day` on.
    pub async fn load_churn(&self, from_day: i64) -> Result<Vec<ChurnRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, entity_id, writes, bytes FROM recorder_churn WHERE day >= ? ORDER BY day",
        )
        .bind(from_day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ChurnRow {
                    day: r.try_get(0)?,
                    entity_id: r.try_get(1)?,
                    writes: r.try_get(2)?,
                    bytes: r.try_get(3)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

//! What the user did with recommendations (snoozed, dismissed or done), one row per
//! recommendation.

use sqlx::Row;

use crate::store::{Store, StoreError, WriteSource};

/// One recommendation's state as the user set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceStateRow {
    pub id: String,
    pub state: String,
    pub until_ms: Option<i64>,
    pub changed_ms: i64,
}

impl Store {
    /// Every recommendation state the user set.
    pub async fn advice_states(&self) -> Result<Vec<AdviceStateRow>, StoreError> {
        let rows = sqlx::query("SELECT id, state, until_ms, changed_ms FROM advice_states")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AdviceStateRow {
                    id: r.try_get(0)?,
                    state: r.try_get(1)?,
                    until_ms: r.try_get(2)?,
                    changed_ms: r.try_get(3)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Sets (or with `None`, clears: open again) a recommendation's state.
    pub async fn set_advice_state(
        &self,
        id: &str,
        state: Option<(&str, Option<i64>)>,
        changed_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write(WriteSource::Advice).await?;
        match state {
            Some((state, until_ms)) => {
                sqlx::query(
                    "INSERT INTO advice_states (id, state, until_ms, changed_ms) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
                     until_ms = excluded.until_ms, changed_ms = excluded.changed_ms",
                )
                .bind(id)
                .bind(state)
                .bind(until_ms)
                .bind(changed_ms)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM advice_states WHERE id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

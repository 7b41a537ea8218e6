//! The advisor's rows: the action audit (every decision, dry runs included, and the effect
//! measured later), what the user did with recommendations, and the recorder churn per entity
//! and day. `crate::advice` owns their meaning; this file only stores them.

use sqlx::Row;

use super::{Store, StoreError, WriteSource};

/// One audited decision.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActionRow {
    pub id: i64,
    pub at_ms: i64,
    pub kind: String,
    pub addon: String,
    pub origin: String,
    pub recommendation_id: Option<String>,
    pub reason: String,
    /// JSON list of evidence items.
    pub evidence: String,
    pub result: String,
    pub detail: Option<String>,
    pub estimate_memory: Option<f64>,
    pub estimate_cpu: Option<f64>,
    pub before_memory: Option<f64>,
    pub before_cpu: Option<f64>,
    pub measure_at_ms: Option<i64>,
    pub freed_memory: Option<f64>,
    pub saved_cpu: Option<f64>,
    pub effective: Option<bool>,
}

/// One recommendation's state as the user set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceStateRow {
    pub id: String,
    pub state: String,
    pub until_ms: Option<i64>,
    pub changed_ms: i64,
}

/// Writes of one entity on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChurnRow {
    pub day: i64,
    pub entity_id: String,
    pub writes: i64,
    pub bytes: i64,
}

macro_rules! action_columns {
    () => {
        "id, at_ms, kind, addon, origin, recommendation_id, reason, evidence, result, detail, \
         estimate_memory, estimate_cpu, before_memory, before_cpu, measure_at_ms, freed_memory, \
         saved_cpu, effective"
    };
}

impl Store {
    /// Appends a decision; returns its id (the row's `id` is ignored).
    pub async fn insert_action(&self, row: &ActionRow) -> Result<i64, StoreError> {
        let mut tx = self.begin_write(WriteSource::Advice).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO advice_actions (at_ms, kind, addon, origin, recommendation_id, reason, \
             evidence, result, detail, estimate_memory, estimate_cpu, before_memory, before_cpu, \
             measure_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(row.at_ms)
        .bind(&row.kind)
        .bind(&row.addon)
        .bind(&row.origin)
        .bind(row.recommendation_id.as_deref())
        .bind(&row.reason)
        .bind(&row.evidence)
        .bind(&row.result)
        .bind(row.detail.as_deref())
        .bind(row.estimate_memory)
        .bind(row.estimate_cpu)
        .bind(row.before_memory)
        .bind(row.before_cpu)
        .bind(row.measure_at_ms)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records how a pending action ended.
    pub async fn finish_action(
        &self,
        id: i64,
        result: &str,
        detail: Option<&str>,
        measure_at_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write(WriteSource::Advice).await?;
        sqlx::query(
            "UPDATE advice_actions SET result = ?, detail = ?, measure_at_ms = ? WHERE id = ?",
        )
        .bind(result)
        .bind(detail)
        .bind(measure_at_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The `limit` latest decisions, newest first.
    pub async fn actions(&self, limit: u32) -> Result<Vec<ActionRow>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            action_columns!(),
            " FROM advice_actions ORDER BY id DESC LIMIT ?"
        );
        let rows = sqlx::query(SQL)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(action_from_row).collect::<Result<_, _>>()?)
    }

    /// Actions carried out (done or failed) since `from_ms`, oldest first: the cap and the
    /// cooldown count them again after a restart.
    pub async fn attempted_actions_since(
        &self,
        from_ms: i64,
    ) -> Result<Vec<ActionRow>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            action_columns!(),
            " FROM advice_actions WHERE at_ms >= ? AND result IN ('pending', 'done', 'failed') \
             ORDER BY id"
        );
        let rows = sqlx::query(SQL).bind(from_ms).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(action_from_row).collect::<Result<_, _>>()?)
    }

    /// Actions carried out whose effect is due by `now_ms` and not measured yet.
    pub async fn unmeasured_actions(&self, now_ms: i64) -> Result<Vec<ActionRow>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            action_columns!(),
            " FROM advice_actions WHERE measure_at_ms IS NOT NULL AND measure_at_ms <= ? \
             AND freed_memory IS NULL AND saved_cpu IS NULL ORDER BY id"
        );
        let rows = sqlx::query(SQL).bind(now_ms).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(action_from_row).collect::<Result<_, _>>()?)
    }

    /// Records the measured effect of action `id`.
    pub async fn set_action_effect(
        &self,
        id: i64,
        freed_memory: f64,
        saved_cpu: f64,
        effective: Option<bool>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write(WriteSource::Advice).await?;
        sqlx::query(
            "UPDATE advice_actions SET freed_memory = ?, saved_cpu = ?, effective = ? WHERE id = ?",
        )
        .bind(freed_memory)
        .bind(saved_cpu)
        .bind(effective)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// (measured with an estimate, of which effective) over every action carried out.
    pub async fn action_effectiveness(&self) -> Result<(u64, u64), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(effective), 0) FROM advice_actions \
             WHERE effective IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        let measured: i64 = row.try_get(0)?;
        let effective: i64 = row.try_get(1)?;
        Ok((measured.max(0) as u64, effective.max(0) as u64))
    }

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

fn action_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<ActionRow, sqlx::Error> {
    Ok(ActionRow {
        id: r.try_get(0)?,
        at_ms: r.try_get(1)?,
        kind: r.try_get(2)?,
        addon: r.try_get(3)?,
        origin: r.try_get(4)?,
        recommendation_id: r.try_get(5)?,
        reason: r.try_get(6)?,
        evidence: r.try_get(7)?,
        result: r.try_get(8)?,
        detail: r.try_get(9)?,
        estimate_memory: r.try_get(10)?,
        estimate_cpu: r.try_get(11)?,
        before_memory: r.try_get(12)?,
        before_cpu: r.try_get(13)?,
        measure_at_ms: r.try_get(14)?,
        freed_memory: r.try_get(15)?,
        saved_cpu: r.try_get(16)?,
        effective: r.try_get::<Option<i64>, _>(17)?.map(|v| v != 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at_ms: i64, result: &str) -> ActionRow {
        ActionRow {
            id: 0,
            at_ms,
            kind: "restart".into(),
            addon: "core_mosquitto".into(),
            origin: "user".into(),
            recommendation_id: Some("leak-core_mosquitto".into()),
            reason: "leaks".into(),
            evidence: "[]".into(),
            result: result.into(),
            detail: None,
            estimate_memory: Some(100.0),
            estimate_cpu: None,
            before_memory: Some(500.0),
            before_cpu: Some(1.0),
            measure_at_ms: (result == "done").then_some(at_ms + 600_000),
            freed_memory: None,
            saved_cpu: None,
            effective: None,
        }
    }

    #[tokio::test]
    async fn audit_rows_round_trip_and_effects_are_counted() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("h.db")).await.expect("open");
        let a = store.insert_action(&row(1_000, "done")).await.expect("a");
        let b = store
            .insert_action(&row(2_000, "dry_run"))
            .await
            .expect("b");
        assert!(b > a);
        let listed = store.actions(10).await.expect("list");
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].id, b, "newest first");
        assert_eq!(
            store.attempted_actions_since(0).await.expect("since").len(),
            1
        );
        assert!(
            store
                .unmeasured_actions(1_000)
                .await
                .expect("due")
                .is_empty()
        );
        let due = store.unmeasured_actions(601_000).await.expect("due");
        assert_eq!(due.len(), 1);
        store
            .set_action_effect(a, 80.0, 0.0, Some(true))
            .await
            .expect("effect");
        assert!(
            store
                .unmeasured_actions(601_000)
                .await
                .expect("due")
                .is_empty()
        );
        assert_eq!(store.action_effectiveness().await.expect("eff"), (1, 1));
    }

    #[tokio::test]
    async fn states_and_churn_are_kept_and_trimmed() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("h.db")).await.expect("open");
        store
            .set_advice_state("idle-core_samba", Some(("snoozed", Some(9))), 1)
            .await
            .expect("set");
        assert_eq!(
            store.advice_states().await.expect("states")[0].until_ms,
            Some(9)
        );
        store
            .set_advice_state("idle-core_samba", None, 2)
            .await
            .expect("clear");
        assert!(store.advice_states().await.expect("states").is_empty());
        let churn = |day, writes| ChurnRow {
            day,
            entity_id: "sensor.power".into(),
            writes,
            bytes: writes * 150,
        };
        store
            .save_churn(&[churn(10, 5), churn(11, 7)], 0)
            .await
            .expect("save");
        store.save_churn(&[churn(11, 9)], 11).await.expect("save");
        assert_eq!(store.load_churn(0).await.expect("load"), vec![churn(11, 9)]);
    }
}

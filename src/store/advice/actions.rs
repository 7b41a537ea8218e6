//! The action audit: every decision the advisor took, dry runs included, how it ended, and
//! the effect measured later.

use sqlx::Row;

use crate::store::{Store, StoreError, WriteSource};

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

//! Resource leases as rows: written as they change (one transaction per group of changes),
//! read back at start, ended ones trimmed after a week. The lease module owns their meaning;
//! this file only stores them.

use sqlx::Row;

use super::{Store, StoreError, WriteSource};

/// One lease as stored; the fields mirror `crate::lease::Lease` with plain types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub id: String,
    pub seq: i64,
    pub holder: String,
    pub request_id: Option<String>,
    pub priority: String,
    pub state: String,
    pub cpu_milli: i64,
    pub memory_mb: i64,
    /// JSON object of pool name to count.
    pub slots: String,
    pub ttl_ms: i64,
    pub created_ms: i64,
    pub wait_until_ms: i64,
    pub granted_ms: Option<i64>,
    pub expires_ms: Option<i64>,
    pub revoke_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    pub reason: Option<String>,
}

/// The columns, in the order [`from_row`] reads them (a macro so the queries stay static).
macro_rules! columns {
    () => {
        "id, seq, holder, request_id, priority, state, cpu_milli, memory_mb, slots, ttl_ms, \
         created_ms, wait_until_ms, granted_ms, expires_ms, revoke_ms, ended_ms, reason"
    };
}

impl Store {
    /// Writes the rows (new or changed) in one transaction, in order: a later version of a
    /// lease in the same call wins.
    pub async fn save_leases(&self, rows: &[LeaseRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write(WriteSource::Leases).await?;
        const SQL: &str = concat!(
            "INSERT INTO leases (",
            columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, ttl_ms = excluded.ttl_ms, \
             granted_ms = excluded.granted_ms, expires_ms = excluded.expires_ms, \
             revoke_ms = excluded.revoke_ms, ended_ms = excluded.ended_ms, reason = excluded.reason"
        );
        for row in rows {
            sqlx::query(SQL)
                .bind(&row.id)
                .bind(row.seq)
                .bind(&row.holder)
                .bind(row.request_id.as_deref())
                .bind(&row.priority)
                .bind(&row.state)
                .bind(row.cpu_milli)
                .bind(row.memory_mb)
                .bind(&row.slots)
                .bind(row.ttl_ms)
                .bind(row.created_ms)
                .bind(row.wait_until_ms)
                .bind(row.granted_ms)
                .bind(row.expires_ms)
                .bind(row.revoke_ms)
                .bind(row.ended_ms)
                .bind(row.reason.as_deref())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every live lease and the `recent` most recently ended, in arrival order, and the
    /// highest sequence number ever used (so ids are never reused).
    pub async fn load_leases(&self, recent: u32) -> Result<(Vec<LeaseRow>, i64), StoreError> {
        const SQL: &str = concat!(
            "SELECT * FROM (SELECT ",
            columns!(),
            " FROM leases WHERE state IN ('queued', 'granted') \
             UNION ALL SELECT * FROM (SELECT ",
            columns!(),
            " FROM leases WHERE state NOT IN ('queued', 'granted') ORDER BY seq DESC LIMIT ?)) \
             ORDER BY seq"
        );
        let rows = sqlx::query(SQL)
            .bind(i64::from(recent))
            .fetch_all(&self.pool)
            .await?;
        let rows = rows
            .into_iter()
            .map(|r| from_row(&r))
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let max_seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM leases")
            .fetch_one(&self.pool)
            .await?;
        Ok((rows, max_seq.unwrap_or(0)))
    }

    /// One stored lease by id (also one ended long ago).
    pub async fn load_lease(&self, id: &str) -> Result<Option<LeaseRow>, StoreError> {
        const SQL: &str = concat!("SELECT ", columns!(), " FROM leases WHERE id = ?");
        let row = sqlx::query(SQL).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| from_row(&r)).transpose()?)
    }

    /// Removes leases that ended before `before_ms`; returns how many.
    pub async fn prune_leases(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write(WriteSource::Retention).await?;
        let done = sqlx::query("DELETE FROM leases WHERE ended_ms IS NOT NULL AND ended_ms < ?")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

fn from_row(r: &sqlx::sqlite::SqliteRow) -> Result<LeaseRow, sqlx::Error> {
    Ok(LeaseRow {
        id: r.try_get(0)?,
        seq: r.try_get(1)?,
        holder: r.try_get(2)?,
        request_id: r.try_get(3)?,
        priority: r.try_get(4)?,
        state: r.try_get(5)?,
        cpu_milli: r.try_get(6)?,
        memory_mb: r.try_get(7)?,
        slots: r.try_get(8)?,
        ttl_ms: r.try_get(9)?,
        created_ms: r.try_get(10)?,
        wait_until_ms: r.try_get(11)?,
        granted_ms: r.try_get(12)?,
        expires_ms: r.try_get(13)?,
        revoke_ms: r.try_get(14)?,
        ended_ms: r.try_get(15)?,
        reason: r.try_get(16)?,
    })
}

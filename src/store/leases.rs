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

/// Rows per INSERT: 17 values each stays far below SQLite's 32766 bound variables.
const ROWS_PER_STATEMENT: usize = 256;

impl Store {
    /// Writes the rows (new or changed) in one transaction, in order: a later version of a
    /// lease in the same call wins.
    pub async fn save_leases(&self, rows: &[LeaseRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write(WriteSource::Leases).await?;
        // One statement per chunk, not per row: each statement is a round trip to SQLite's
        // worker thread, and a group commit under load carries tens of rows. SQLite applies
        // the rows of one INSERT in order, so a later version of a lease still wins.
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut insert =
                sqlx::QueryBuilder::new(concat!("INSERT INTO leases (", columns!(), ") "));
            insert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(&row.id)
                    .push_bind(row.seq)
                    .push_bind(&row.holder)
                    .push_bind(row.request_id.as_deref())
                    .push_bind(&row.priority)
                    .push_bind(&row.state)
                    .push_bind(row.cpu_milli)
                    .push_bind(row.memory_mb)
                    .push_bind(&row.slots)
                    .push_bind(row.ttl_ms)
                    .push_bind(row.created_ms)
                    .push_bind(row.wait_until_ms)
                    .push_bind(row.granted_ms)
                    .push_bind(row.expires_ms)
                    .push_bind(row.revoke_ms)
                    .push_bind(row.ended_ms)
                    .push_bind(row.reason.as_deref());
            });
            insert.push(
                " ON CONFLICT (id) DO UPDATE SET state = excluded.state, ttl_ms = excluded.ttl_ms, \
                 granted_ms = excluded.granted_ms, expires_ms = excluded.expires_ms, \
                 revoke_ms = excluded.revoke_ms, ended_ms = excluded.ended_ms, reason = excluded.reason",
            );
            insert.build().execute(&mut *tx).await?;
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

#[cfg(test)]
mod tests {
    use super::{LeaseRow, ROWS_PER_STATEMENT, Store};

    fn row(n: usize, state: &str, ended: Option<i64>) -> LeaseRow {
        LeaseRow {
            id: format!("lease-{n}"),
            seq: n as i64,
            holder: format!("holder-{n}"),
            request_id: None,
            priority: "normal".into(),
            state: state.into(),
            cpu_milli: 500,
            memory_mb: 16,
            slots: "{}".into(),
            ttl_ms: 60_000,
            created_ms: 1_000 + n as i64,
            wait_until_ms: 1_000,
            granted_ms: Some(1_000),
            expires_ms: Some(61_000),
            revoke_ms: None,
            ended_ms: ended,
            reason: ended.map(|_| "released".to_string()),
        }
    }

    /// Rows written in chunks keep the order of one call: the later version of a lease wins,
    /// in the same chunk and across chunks, and every row arrives.
    #[tokio::test]
    async fn a_later_version_wins_within_and_across_statements() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("h.db")).await.expect("open");
        let count = ROWS_PER_STATEMENT + 10;
        let mut rows: Vec<LeaseRow> = (0..count).map(|n| row(n, "granted", None)).collect();
        // Lease 1 ends in the same chunk it was granted in; the last lease of the first chunk
        // ends in the second chunk.
        rows.insert(2, row(1, "released", Some(2_000)));
        rows.push(row(ROWS_PER_STATEMENT - 1, "released", Some(3_000)));
        store.save_leases(&rows).await.expect("saved");
        let (stored, max_seq) = store.load_leases(u32::MAX).await.expect("loaded");
        assert_eq!(stored.len(), count);
        assert_eq!(max_seq, count as i64 - 1);
        let by_id = |n: usize| {
            stored
                .iter()
                .find(|r| r.id == format!("lease-{n}"))
                .cloned()
                .expect("stored")
        };
        assert_eq!(by_id(1), row(1, "released", Some(2_000)));
        assert_eq!(
            by_id(ROWS_PER_STATEMENT - 1),
            row(ROWS_PER_STATEMENT - 1, "released", Some(3_000))
        );
        assert_eq!(by_id(0), row(0, "granted", None));
    }
}

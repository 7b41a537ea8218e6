//! Alert incidents: one row per incident, written on transitions only (SD cards), read by the
//! API and by the alert engine when it resumes after a restart.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::incident::{Incident, IncidentResolution};
use super::{Store, StoreError, WriteSource};
use crate::config::alert_rules::rule::{Level, Severity};
use crate::model::Unit;

/// The columns of `alert_incidents`, as a literal so queries stay `&'static str`.
macro_rules! columns {
    () => {
        "id, rule, series, target, label, unit, level, peak_level, severity, threshold, \
         pending_ms, fired_ms, resolved_ms, resolution, acknowledged_ms, ack_note, peak, value, \
         notifications, last_notified_ms"
    };
}

impl Store {
    /// Writes incidents as they are now (insert or replace), in one transaction.
    pub async fn save_incidents(&self, incidents: &[Incident]) -> Result<(), StoreError> {
        if incidents.is_empty() {
            return Ok(());
        }
        let sql = concat!(
            "INSERT OR REPLACE INTO alert_incidents (",
            columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        );
        let mut tx = self.begin_write(WriteSource::Alerts).await?;
        for i in incidents {
            sqlx::query(sql)
                .bind(i.id)
                .bind(&i.rule)
                .bind(&i.series)
                .bind(&i.target)
                .bind(&i.label)
                .bind(i.unit.as_str())
                .bind(i.level.as_str())
                .bind(i.peak_level.as_str())
                .bind(i.severity.as_str())
                .bind(i.threshold)
                .bind(i.pending_ms)
                .bind(i.fired_ms)
                .bind(i.resolved_ms)
                .bind(i.resolution.map(IncidentResolution::as_str))
                .bind(i.acknowledged_ms)
                .bind(i.ack_note.as_deref())
                .bind(i.peak)
                .bind(i.value)
                .bind(i64::from(i.notifications))
                .bind(i.last_notified_ms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One incident.
    pub async fn incident(&self, id: i64) -> Result<Option<Incident>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM alert_incidents WHERE id = ?");
        let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(decode).transpose()
    }

    /// The latest incidents, newest first.
    pub async fn recent_incidents(&self, limit: u32) -> Result<Vec<Incident>, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM alert_incidents ORDER BY fired_ms DESC, id DESC LIMIT ?"
        );
        let rows = sqlx::query(sql)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// What the engine needs to carry on: open incidents, and those that notified since
    /// `notified_since_ms` (their cooldowns still run).
    pub async fn incidents_to_resume(
        &self,
        notified_since_ms: i64,
    ) -> Result<Vec<Incident>, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM alert_incidents WHERE resolved_ms IS NULL OR last_notified_ms >= ? ORDER BY id"
        );
        let rows = sqlx::query(sql)
            .bind(notified_since_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// The highest incident id ever stored (0 when none).
    pub async fn max_incident_id(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM alert_incidents")
                .fetch_one(&self.pool)
                .await?
                .unwrap_or(0),
        )
    }

    /// Acknowledges a stored (resolved) incident if it is not already; returns it as stored.
    pub async fn acknowledge_incident(
        &self,
        id: i64,
        at_ms: i64,
        note: Option<&str>,
    ) -> Result<Option<Incident>, StoreError> {
        let mut tx = self.begin_write(WriteSource::Alerts).await?;
        sqlx::query(
            "UPDATE alert_incidents SET acknowledged_ms = ?, ack_note = ? \
             WHERE id = ? AND acknowledged_ms IS NULL",
        )
        .bind(at_ms)
        .bind(note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.incident(id).await
    }

    /// Deletes incidents resolved before `before_ms`; returns how many.
    pub async fn prune_incidents(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write(WriteSource::Retention).await?;
        let done = sqlx::query("DELETE FROM alert_incidents WHERE resolved_ms < ?")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

fn decode(row: &SqliteRow) -> Result<Incident, StoreError> {
    let text = |name: &str| row.try_get::<String, _>(name);
    let notifications: i64 = row.try_get("notifications")?;
    Ok(Incident {
        id: row.try_get("id")?,
        rule: text("rule")?,
        series: text("series")?,
        target: text("target")?,
        label: text("label")?,
        unit: Unit::parse(&text("unit")?).unwrap_or(Unit::Count),
        level: Level::parse(&text("level")?).unwrap_or(Level::Warn),
        peak_level: Level::parse(&text("peak_level")?).unwrap_or(Level::Warn),
        severity: Severity::parse(&text("severity")?).unwrap_or(Severity::Warning),
        threshold: row.try_get("threshold")?,
        pending_ms: row.try_get("pending_ms")?,
        fired_ms: row.try_get("fired_ms")?,
        resolved_ms: row.try_get("resolved_ms")?,
        resolution: row
            .try_get::<Option<String>, _>("resolution")?
            .as_deref()
            .and_then(IncidentResolution::parse),
        acknowledged_ms: row.try_get("acknowledged_ms")?,
        ack_note: row.try_get("ack_note")?,
        peak: row.try_get("peak")?,
        value: row.try_get("value")?,
        notifications: u32::try_from(notifications).unwrap_or(0),
        last_notified_ms: row.try_get("last_notified_ms")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(id: i64, fired_ms: i64) -> Incident {
        Incident {
            id,
            rule: "disk_used_percent".into(),
            series: "disk./data.used_percent".into(),
            target: "/data".into(),
            label: "Space used on /data".into(),
            unit: Unit::Percent,
            level: Level::Warn,
            peak_level: Level::Critical,
            severity: Severity::Critical,
            threshold: 85.0,
            pending_ms: fired_ms - 1000,
            fired_ms,
            resolved_ms: None,
            resolution: None,
            acknowledged_ms: None,
            ack_note: None,
            peak: 96.5,
            value: 90.0,
            notifications: 1,
            last_notified_ms: Some(fired_ms),
        }
    }

    #[tokio::test]
    async fn incidents_round_trip_and_one_row_stays_one_row_across_transitions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("h.db")).await.expect("open");
        assert_eq!(store.max_incident_id().await.expect("max"), 0);
        let mut first = incident(3, 10_000);
        store
            .save_incidents(std::slice::from_ref(&first))
            .await
            .expect("save");
        first.resolved_ms = Some(20_000);
        first.resolution = Some(IncidentResolution::Recovered);
        store
            .save_incidents(std::slice::from_ref(&first))
            .await
            .expect("save");
        let second = incident(7, 30_000);
        store
            .save_incidents(std::slice::from_ref(&second))
            .await
            .expect("save");
        assert_eq!(store.incident(3).await.expect("read"), Some(first.clone()));
        let recent = store.recent_incidents(10).await.expect("recent");
        assert_eq!(recent, vec![second.clone(), first.clone()]);
        assert_eq!(store.max_incident_id().await.expect("max"), 7);

        let resume = store.incidents_to_resume(15_000).await.expect("resume");
        assert_eq!(resume.iter().map(|i| i.id).collect::<Vec<_>>(), vec![7]);
        let acked = store
            .acknowledge_incident(3, 40_000, Some("seen"))
            .await
            .expect("ack")
            .expect("exists");
        assert_eq!(acked.acknowledged_ms, Some(40_000));
        let again = store
            .acknowledge_incident(3, 50_000, None)
            .await
            .expect("ack");
        assert_eq!(
            again.and_then(|i| i.acknowledged_ms),
            Some(40_000),
            "first ack kept"
        );
        assert_eq!(store.prune_incidents(25_000).await.expect("prune"), 1);
        assert_eq!(store.incident(3).await.expect("read"), None);
        store.close().await;
    }
}

//! Writes: raw batches, the hourly rollup job and retention.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use sqlx::Row;

use super::batches::{MAX_BATCH_SPAN_MS, overlap_query};
use super::codec::{BatchEncoder, decode_batch, encode_minutes};
use super::rollup::{HourAggregator, floor_to};
use super::series::{KnownSeries, SeriesInfo, insert_series};
use super::state::{SAVED_UNTIL, set_state};
use super::{InjectedFault, Store, StoreError, WriteSource};
use crate::config::Retention;
use crate::model::{SeriesMeta, Snapshot};
use crate::util::lock;
use crate::util::time::HOUR_MS;

/// Most hours rolled up in one call, so catching up never blocks the writer for long.
const MAX_HOURS_PER_ROLLUP: usize = 24;
use crate::util::time::DAY_MS;

/// What a retention run removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    pub raw_batches_deleted: u64,
    pub minute_rows_trimmed: u64,
    pub hour_rows_deleted: u64,
}

impl Store {
    /// Writes snapshots as one raw batch in one transaction; new series are registered in it.
    /// Returns the number of ticks written.
    pub async fn write_batch(&self, snapshots: &[Arc<Snapshot>]) -> Result<usize, StoreError> {
        self.write_ticks(snapshots, false).await
    }

    /// [`Store::write_batch`] keeping the snapshots' own times even when older than the newest
    /// batch (the importer's history); the snapshots must be in time order.
    pub(super) async fn write_batch_at(
        &self,
        snapshots: &[Arc<Snapshot>],
    ) -> Result<usize, StoreError> {
        self.write_ticks(snapshots, true).await
    }

    async fn write_ticks(
        &self,
        snapshots: &[Arc<Snapshot>],
        keep_times: bool,
    ) -> Result<usize, StoreError> {
        let Some(first) = snapshots.first() else {
            return Ok(0);
        };
        let mut unknown: Vec<Arc<SeriesMeta>> = Vec::new();
        {
            let known = lock(&self.shared.series);
            for sample in snapshots.iter().flat_map(|s| s.samples.iter()) {
                if !known.contains_key(&sample.series.id)
                    && !unknown.iter().any(|m| m.id == sample.series.id)
                {
                    unknown.push(sample.series.clone());
                }
            }
        }
        let mut tx = self.begin_write(WriteSource::RawBatches).await?;
        let mut new_series: HashMap<String, KnownSeries> = HashMap::new();
        for meta in &unknown {
            let id = insert_series(&mut tx, meta, first.ts_ms).await?;
            new_series.insert(
                meta.id.clone(),
                KnownSeries::new(id, SeriesInfo::from_meta(meta)),
            );
        }

        // The newest row by primary key (an index seek; MAX(end_ms) would scan the table).
        let last_end: Option<i64> =
            sqlx::query_scalar("SELECT end_ms FROM raw_batches ORDER BY start_ms DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        // Clocks can step back; keep batches strictly ordered instead of overwriting history.
        let start = if keep_times {
            first.ts_ms
        } else {
            first.ts_ms.max(last_end.map_or(i64::MIN, |e| e + 1))
        };
        // One row per span of at most half MAX_BATCH_SPAN_MS, so range queries find every row.
        let mut rows: Vec<BatchEncoder> = Vec::new();
        // Updated only once the batch is committed: a failed write keeps them for the retry.
        let mut on_change = lock(&self.shared.on_change).clone();
        {
            let known = lock(&self.shared.series);
            let mut pairs: Vec<(u32, f32)> = Vec::new();
            for snapshot in snapshots {
                pairs.clear();
                let ts = snapshot.ts_ms.max(start);
                for sample in &snapshot.samples {
                    let series = known
                        .get(&sample.series.id)
                        .or_else(|| new_series.get(&sample.series.id));
                    let Some(series) = series else { continue };
                    let (id, value) = (series.id, sample.value as f32);
                    if series.on_change && !on_change.keep(id, value, ts) {
                        continue;
                    }
                    pairs.push((id, value));
                }
                pairs.sort_unstable_by_key(|p| p.0);
                pairs.dedup_by_key(|p| p.0);
                let needs_new_row = rows
                    .last()
                    .is_none_or(|row| ts - row.start_ms() >= MAX_BATCH_SPAN_MS / 2);
                if needs_new_row {
                    let row_start = rows.last().map_or(start, |row| row.last_ms() + 1).max(ts);
                    rows.push(BatchEncoder::new(row_start));
                }
                if let Some(row) = rows.last_mut() {
                    row.push(ts, &pairs);
                }
            }
        }
        for row in rows {
            let (start_ms, end_ms, ticks, data) = row.finish();
            sqlx::query(
                "INSERT INTO raw_batches (start_ms, end_ms, ticks, data) VALUES (?, ?, ?, ?)",
            )
            .bind(start_ms)
            .bind(end_ms)
            .bind(i64::from(ticks))
            .bind(data)
            .execute(&mut *tx)
            .await?;
        }
        // Values of other parts ride on the live batches (not on imported history), with the
        // restart marker on the same page.
        let now_ms = self.clock().now_ms();
        let durable = if keep_times {
            Vec::new()
        } else {
            self.shared.durable.due(now_ms, false)
        };
        if !durable.is_empty() {
            for (value, current) in &durable {
                set_state(&mut tx, value.key(), *current).await?;
            }
            if let Some(last) = snapshots.last() {
                set_state(&mut tx, SAVED_UNTIL, last.ts_ms).await?;
            }
        }
        if let Some(fault) = &self.opts.inject {
            let fault = fault.load(std::sync::atomic::Ordering::Relaxed);
            if fault == InjectedFault::EndedBySqlite as u8 {
                sqlx::query("ROLLBACK").execute(&mut *tx).await?;
            } else if fault == InjectedFault::StatementFails as u8 {
                sqlx::query("INSERT INTO store_state (key, value) VALUES (NULL, NULL)")
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        self.shared.durable.committed(&durable, now_ms);
        lock(&self.shared.series).extend(new_series);
        *lock(&self.shared.on_change) = on_change;
        let last_ts = snapshots.last().map(|s| s.ts_ms);
        let mut status = lock(&self.shared.status);
        status.saved_until_ms = status.saved_until_ms.max(last_ts);
        Ok(snapshots.len())
    }

    /// Records the newest tick on disk as the marker a restart compares the tables with (see
    /// `check_saved_marker`), and the values kept durable, at a clean stop. While running both
    /// ride on a batch every ten minutes and on the hourly rollup: one more page per batch
    /// would add about 3 MB a day of disk writes.
    pub async fn mark_saved(&self) -> Result<(), StoreError> {
        let saved = lock(&self.shared.status).saved_until_ms;
        let now_ms = self.clock().now_ms();
        let durable = self.shared.durable.due(now_ms, true);
        if saved.is_none() && durable.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write(WriteSource::State).await?;
        if let Some(saved) = saved {
            set_state(&mut tx, SAVED_UNTIL, saved).await?;
        }
        for (value, current) in &durable {
            set_state(&mut tx, value.key(), *current).await?;
        }
        tx.commit().await?;
        self.shared.durable.committed(&durable, now_ms);
        Ok(())
    }

    /// Whether a complete hour before `upto_ms` waits for its rollup (so the writer asks for
    /// a lease only when there is work: an idle ask costs two lease commits).
    pub fn rollup_due(&self, upto_ms: i64) -> bool {
        lock(&self.shared.status)
            .rolled_until_ms
            .is_none_or(|rolled| rolled < floor_to(upto_ms, HOUR_MS))
    }

    /// Rolls up every complete hour before `upto_ms` not rolled yet. Returns the hours written.
    pub async fn roll_up(&self, upto_ms: i64) -> Result<usize, StoreError> {
        let limit = floor_to(upto_ms, HOUR_MS);
        let mut rolled = match self.state("rolled_until_ms").await? {
            Some(v) => v,
            None => {
                match sqlx::query_scalar::<_, Option<i64>>("SELECT MIN(start_ms) FROM raw_batches")
                    .fetch_one(&self.pool)
                    .await?
                {
                    Some(min) => floor_to(min, HOUR_MS),
                    None => return Ok(0),
                }
            }
        };
        let mut written = 0;
        while rolled < limit && written < MAX_HOURS_PER_ROLLUP {
            let mut aggregator = HourAggregator::new(rolled);
            for (start_ms, data) in self.batches_overlapping(rolled, rolled + HOUR_MS).await? {
                decode_batch(start_ms, &data, |ts, id, v| {
                    aggregator.add(ts, id, f64::from(v))
                })?;
            }
            let next = if aggregator.is_empty() {
                // A gap (host was off): jump to the hour of the next batch.
                let next: Option<i64> =
                    sqlx::query_scalar("SELECT MIN(start_ms) FROM raw_batches WHERE start_ms >= ?")
                        .bind(rolled + HOUR_MS)
                        .fetch_one(&self.pool)
                        .await?;
                next.map_or(limit, |n| floor_to(n, HOUR_MS).min(limit))
                    .max(rolled + HOUR_MS)
            } else {
                rolled + HOUR_MS
            };
            let mut tx = self.begin_write(WriteSource::Rollups).await?;
            for hour in aggregator.finish() {
                sqlx::query("INSERT OR REPLACE INTO rollups (series_id, hour, count, min, max, sum, minutes) VALUES (?, ?, ?, ?, ?, ?, ?)")
                    .bind(i64::from(hour.series_id))
                    .bind(hour.hour_ms / 1000)
                    .bind(i64::from(hour.total.count))
                    .bind(hour.total.min)
                    .bind(hour.total.max)
                    .bind(hour.total.sum)
                    .bind(encode_minutes(&hour.minutes))
                    .execute(&mut *tx)
                    .await?;
            }
            set_state(&mut tx, "rolled_until_ms", next).await?;
            // The restart check's marker rides along: same page, so no extra write.
            let saved = lock(&self.shared.status).saved_until_ms;
            if let Some(saved) = saved {
                set_state(&mut tx, SAVED_UNTIL, saved).await?;
            }
            tx.commit().await?;
            rolled = next;
            written += 1;
        }
        lock(&self.shared.status).rolled_until_ms = Some(rolled);
        Ok(written)
    }

    /// Raw batches that may hold ticks in `[from_ms, to_ms)`, oldest first.
    pub(super) async fn batches_overlapping(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let rows = overlap_query(from_ms, to_ms).fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Vec<u8>, _>(1)?)))
            .collect()
    }

    /// Trims every tier to its window. Never deletes a value inside its window, and never
    /// deletes raw data that has not been rolled up. The rollup tiers are trimmed at most daily
    /// (one pass touches every series), so they may keep up to a day more than asked.
    pub async fn apply_retention(
        &self,
        now_ms: i64,
        retention: &Retention,
    ) -> Result<RetentionReport, StoreError> {
        let mut report = RetentionReport::default();
        let rolled = self.state("rolled_until_ms").await?.unwrap_or(i64::MIN);
        let raw_cutoff = (now_ms - i64::from(retention.raw_hours) * HOUR_MS).min(rolled);
        let mut tx = self.begin_write(WriteSource::Retention).await?;
        report.raw_batches_deleted = sqlx::query("DELETE FROM raw_batches WHERE end_ms < ?")
            .bind(raw_cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;

        let last_trim = self.state("rollups_trimmed_ms").await?.unwrap_or(i64::MIN);
        if now_ms.saturating_sub(last_trim) < DAY_MS {
            return Ok(report);
        }
        // Only whole hours that end before the cutoff go.
        let minute_limit_s = (now_ms - i64::from(retention.minute_days) * DAY_MS) / 1000 - 3600;
        // A row carries both tiers: it goes only when both windows have passed it.
        let hour_limit_s =
            ((now_ms - i64::from(retention.hour_days) * DAY_MS) / 1000 - 3600).min(minute_limit_s);
        let ids: Vec<u32> = lock(&self.shared.series).values().map(|k| k.id).collect();
        let mut tx = self.begin_write(WriteSource::Retention).await?;
        for id in ids {
            report.minute_rows_trimmed += sqlx::query("UPDATE rollups SET minutes = NULL WHERE series_id = ? AND hour <= ? AND minutes IS NOT NULL")
                .bind(i64::from(id))
                .bind(minute_limit_s)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            report.hour_rows_deleted +=
                sqlx::query("DELETE FROM rollups WHERE series_id = ? AND hour <= ?")
                    .bind(i64::from(id))
                    .bind(hour_limit_s)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
        }
        set_state(&mut tx, "rollups_trimmed_ms", now_ms).await?;
        tx.commit().await?;
        Ok(report)
    }
}

//! Loading checked rows: hours already rolled up are merged into their rollup rows, newer
//! hours written as raw batches and rolled up like live data; the same rows are never loaded
//! twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::Row;

use super::check::ImportRow;
use crate::model::{Sample, SeriesMeta, Snapshot, registry};
use crate::store::codec::{Bucket, decode_minutes, encode_minutes};
use crate::store::rollup::{aggregate_hour, floor_to};
use crate::store::series::{KnownSeries, SeriesInfo, insert_series};
use crate::store::state::set_state;
use crate::store::{Store, StoreError, WriteSource};
use crate::util::lock;
use crate::util::time::HOUR_MS;

/// Key in `store_state` of the last import's time (Unix ms).
const IMPORTED_AT: &str = "imported_at_ms";

/// What an import loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub series: usize,
    /// Hour rollup rows written or merged directly.
    pub hours_merged: usize,
    /// Values written as raw batches (rolled up afterwards).
    pub raw_values: usize,
}

/// FNV-1a over the rows (time, series, value bits): the same file, or the same rows in
/// another file, gives the same value, so a second import of them is refused.
fn fingerprint(rows: &[ImportRow]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01B3;
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for row in rows {
        feed(&row.ts_ms.to_le_bytes());
        feed(row.series.as_bytes());
        feed(&[0]);
        feed(&row.value.to_bits().to_le_bytes());
    }
    hash
}

impl Store {
    /// Loads checked rows (see [`parse`](super::parse)) and rolls them up.
    pub async fn import(&self, rows: &[ImportRow]) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport {
            rows: rows.len(),
            ..ImportReport::default()
        };
        if rows.is_empty() {
            return Ok(report);
        }
        let mut metas: BTreeMap<&str, Arc<SeriesMeta>> = BTreeMap::new();
        for row in rows {
            if !metas.contains_key(row.series.as_str()) {
                let meta = registry::meta_for_id(&row.series)
                    .ok_or_else(|| StoreError::UnknownSeries(row.series.clone()))?;
                metas.insert(&row.series, Arc::new(meta));
            }
        }
        report.series = metas.len();
        let fingerprint_key = format!("imported_{:016x}", fingerprint(rows));
        if let Some(at_ms) = self.state(&fingerprint_key).await? {
            return Err(StoreError::AlreadyImported { at_ms });
        }
        let rolled = self.state("rolled_until_ms").await?;
        let first_unrolled: Option<i64> =
            sqlx::query_scalar("SELECT MIN(start_ms) FROM raw_batches WHERE start_ms >= ?")
                .bind(rolled.unwrap_or(i64::MIN))
                .fetch_one(&self.pool)
                .await?;
        let now = self.clock().now_ms();
        let boundary = floor_to(first_unrolled.unwrap_or(now).min(now), HOUR_MS);
        let (direct, raw): (Vec<&ImportRow>, Vec<&ImportRow>) =
            rows.iter().partition(|r| r.ts_ms < boundary);

        // Newer hours: raw batches at their own times, rolled up below.
        let mut by_ts: BTreeMap<i64, Vec<Sample>> = BTreeMap::new();
        for row in &raw {
            by_ts.entry(row.ts_ms).or_default().push(Sample {
                series: metas[row.series.as_str()].clone(),
                value: row.value,
            });
        }
        let snapshots: Vec<Arc<Snapshot>> = by_ts
            .into_iter()
            .map(|(ts_ms, samples)| {
                Arc::new(Snapshot {
                    ts_ms,
                    samples,
                    ..Snapshot::default()
                })
            })
            .collect();
        report.raw_values = raw.len();
        self.register(metas.values().cloned().collect()).await?;
        if !snapshots.is_empty() {
            self.write_batch_at(&snapshots).await?;
        }

        // Older hours: merged into their rollup rows.
        let ids: BTreeMap<String, u32> = lock(&self.shared.series)
            .iter()
            .map(|(k, v)| (k.clone(), v.id))
            .collect();
        let mut hours: BTreeMap<i64, Vec<(i64, u32, f64)>> = BTreeMap::new();
        for row in &direct {
            if let Some(id) = ids.get(&row.series) {
                hours
                    .entry(floor_to(row.ts_ms, HOUR_MS))
                    .or_default()
                    .push((row.ts_ms, *id, row.value));
            }
        }
        let mut tx = self.begin_write(WriteSource::Import).await?;
        let mut last_hour = None;
        for (hour, values) in hours {
            for rollup in aggregate_hour(hour, values) {
                let existing = sqlx::query(
                    "SELECT count, min, max, sum, minutes FROM rollups WHERE series_id = ? AND hour = ?",
                )
                .bind(i64::from(rollup.series_id))
                .bind(hour / 1000)
                .fetch_optional(&mut *tx)
                .await?;
                let (mut total, mut minutes) = (rollup.total, rollup.minutes);
                if let Some(row) = existing {
                    let count: i64 = row.try_get(0)?;
                    merge(
                        &mut total,
                        Bucket {
                            count: count as u32,
                            min: row.try_get(1)?,
                            max: row.try_get(2)?,
                            sum: row.try_get(3)?,
                        },
                    );
                    let blob: Option<Vec<u8>> = row.try_get(4)?;
                    if let Some(blob) = blob {
                        for (m, count, min, max, mean) in decode_minutes(&blob)? {
                            let old = Bucket {
                                count: u32::from(count),
                                min: f64::from(min),
                                max: f64::from(max),
                                sum: f64::from(mean) * f64::from(count),
                            };
                            match &mut minutes[usize::from(m)] {
                                Some(b) => merge(b, old),
                                slot => *slot = Some(old),
                            }
                        }
                    }
                }
                sqlx::query("INSERT OR REPLACE INTO rollups (series_id, hour, count, min, max, sum, minutes) VALUES (?, ?, ?, ?, ?, ?, ?)")
                    .bind(i64::from(rollup.series_id))
                    .bind(hour / 1000)
                    .bind(i64::from(total.count))
                    .bind(total.min)
                    .bind(total.max)
                    .bind(total.sum)
                    .bind(encode_minutes(&minutes))
                    .execute(&mut *tx)
                    .await?;
                report.hours_merged += 1;
            }
            last_hour = Some(hour);
        }
        // Everything before the boundary is now rolled up: queries read those hours from the
        // rollups, and the rollup job does not redo them.
        // Tells a running add-on (the CLI imports from another process) to analyse again.
        set_state(&mut tx, IMPORTED_AT, now).await?;
        set_state(&mut tx, &fingerprint_key, now).await?;
        let mut new_rolled = rolled;
        if let Some(hour) = last_hour {
            let until = (hour + HOUR_MS)
                .min(boundary)
                .max(rolled.unwrap_or(i64::MIN));
            set_state(&mut tx, "rolled_until_ms", until).await?;
            new_rolled = Some(until);
        }
        tx.commit().await?;
        if new_rolled != rolled {
            lock(&self.shared.status).rolled_until_ms = new_rolled;
        }
        while self.roll_up(now).await? > 0 {}
        Ok(report)
    }

    /// Re-reads what another process may have changed by importing: the series list and how
    /// far the rollups reach.
    pub async fn reload_after_import(&self) -> Result<(), StoreError> {
        self.load_series().await?;
        let rolled = self.state("rolled_until_ms").await?;
        lock(&self.shared.status).rolled_until_ms = rolled;
        Ok(())
    }

    /// When history was last imported (by this process or another), Unix ms.
    pub async fn last_import_ms(&self) -> Result<Option<i64>, StoreError> {
        self.state(IMPORTED_AT).await
    }

    /// Registers series not known yet, without writing any value.
    async fn register(&self, metas: Vec<Arc<SeriesMeta>>) -> Result<(), StoreError> {
        let unknown: Vec<Arc<SeriesMeta>> = {
            let known = lock(&self.shared.series);
            metas
                .into_iter()
                .filter(|m| !known.contains_key(&m.id))
                .collect()
        };
        if unknown.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write(WriteSource::Import).await?;
        let now = self.clock().now_ms();
        let mut added = Vec::new();
        for meta in unknown {
            let id = insert_series(&mut tx, &meta, now).await?;
            added.push((meta, id));
        }
        tx.commit().await?;
        let mut known = lock(&self.shared.series);
        for (meta, id) in added {
            known.insert(
                meta.id.clone(),
                KnownSeries::new(id, SeriesInfo::from_meta(&meta)),
            );
        }
        Ok(())
    }
}

/// Adds `other` into `into`.
fn merge(into: &mut Bucket, other: Bucket) {
    into.count += other.count;
    into.min = into.min.min(other.min);
    into.max = into.max.max(other.max);
    into.sum += other.sum;
}

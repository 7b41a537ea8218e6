//! Reads: series list, history at a resolution, and store statistics.

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::batches::overlap_query;
use super::codec::{decode_minutes, decode_series};
use super::held;
use super::point::Point;
use super::rollup::{aggregate_points, floor_to};
use super::series::SeriesInfo;
use super::{Store, StoreError};
use crate::model::registry;
use crate::util::lock;
use crate::util::time::{HOUR_MS, MINUTE_MS};

/// Storage tier a history is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resolution {
    #[serde(rename = "raw")]
    Raw,
    #[serde(rename = "1m")]
    Minute,
    #[serde(rename = "1h")]
    Hour,
}

impl Resolution {
    /// Parses `raw`, `1m` or `1h`.
    pub fn parse(text: &str) -> Option<Resolution> {
        match text {
            "raw" => Some(Resolution::Raw),
            "1m" => Some(Resolution::Minute),
            "1h" => Some(Resolution::Hour),
            _ => None,
        }
    }

    /// The tier that fits a span: raw up to 3 hours (while raw data still exists),
    /// minutes up to 3 days, hours beyond.
    pub fn for_span(from_ms: i64, to_ms: i64, now_ms: i64, raw_hours: u32) -> Resolution {
        let span = to_ms - from_ms;
        let raw_kept_from = now_ms - i64::from(raw_hours) * HOUR_MS;
        if span <= 3 * HOUR_MS && from_ms >= raw_kept_from {
            Resolution::Raw
        } else if span <= 3 * 24 * HOUR_MS {
            Resolution::Minute
        } else {
            Resolution::Hour
        }
    }
}

/// A series' values over a time range.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    pub series: SeriesInfo,
    pub resolution: Resolution,
    pub from: i64,
    pub to: i64,
    pub points: Vec<Point>,
}

/// Sizes and row counts, for diagnostics.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoreStats {
    pub database_bytes: u64,
    pub wal_bytes: u64,
    pub series: usize,
    pub raw_batches: i64,
    pub raw_ticks: i64,
    pub hour_rows: i64,
    pub minute_rows: i64,
}

impl Store {
    /// Every series ever stored, plus any seen but not written yet.
    pub fn series(&self) -> Vec<SeriesInfo> {
        let mut list: Vec<SeriesInfo> = lock(&self.shared.series)
            .values()
            .map(|k| k.info.clone())
            .collect();
        if let Some(latest) = lock(&self.shared.pending).back() {
            for sample in &latest.samples {
                if !list.iter().any(|s| s.id == sample.series.id) {
                    list.push(SeriesInfo::from_meta(&sample.series));
                }
            }
        }
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list
    }

    /// Values of `key` in `[from_ms, to_ms)` at `resolution`.
    pub async fn history(
        &self,
        key: &str,
        from_ms: i64,
        to_ms: i64,
        resolution: Resolution,
    ) -> Result<History, StoreError> {
        let known = lock(&self.shared.series)
            .get(key)
            .map(|k| (k.id, k.info.clone(), k.on_change));
        let (id, series, on_change) = match known {
            Some((id, info, on_change)) => (Some(id), info, on_change),
            None => match self.series().into_iter().find(|s| s.id == key) {
                Some(info) => {
                    let on_change = registry::stored_on_change(&info.family);
                    (None, info, on_change)
                }
                None => return Err(StoreError::UnknownSeries(key.to_string())),
            },
        };
        let rolled = lock(&self.shared.status)
            .rolled_until_ms
            .unwrap_or(i64::MIN);
        let points =
            match resolution {
                Resolution::Raw => {
                    let mut raw = self.raw_points(id, key, from_ms, to_ms).await?;
                    if on_change {
                        held::thin_raw(&mut raw);
                    }
                    raw.into_iter()
                        .map(|(t, v)| Point {
                            t: t as f64 / 1000.0,
                            v,
                            min: None,
                            max: None,
                            n: None,
                        })
                        .collect()
                }
                Resolution::Minute | Resolution::Hour => {
                    let step = if resolution == Resolution::Minute {
                        MINUTE_MS
                    } else {
                        HOUR_MS
                    };
                    let from_bucket = floor_to(from_ms, step);
                    let mut points = match id {
                        Some(id) if from_bucket < rolled => {
                            self.rolled_points(id, from_bucket, to_ms.min(rolled), resolution)
                                .await?
                        }
                        _ => Vec::new(),
                    };
                    let tail_from = from_bucket.max(rolled);
                    if tail_from < to_ms {
                        let raw = self.raw_points(id, key, tail_from, to_ms).await?;
                        points.extend(aggregate_points(&raw, step).into_iter().map(|(t, b)| {
                            Point {
                                t: t as f64 / 1000.0,
                                v: b.mean(),
                                min: Some(b.min),
                                max: Some(b.max),
                                n: Some(b.count),
                            }
                        }));
                    }
                    if on_change {
                        points = held::fill_buckets(points, step, to_ms.min(self.newest_tick_ms()));
                    }
                    points
                }
            };
        Ok(History {
            series,
            resolution,
            from: from_ms,
            to: to_ms,
            points,
        })
    }

    /// The newest tick the store has, on disk or in memory.
    fn newest_tick_ms(&self) -> i64 {
        let pending = lock(&self.shared.pending).back().map(|s| s.ts_ms);
        let saved = lock(&self.shared.status).saved_until_ms;
        pending.max(saved).unwrap_or(i64::MIN)
    }

    /// Raw values from the database and from snapshots not yet written.
    async fn raw_points(
        &self,
        id: Option<u32>,
        key: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        let mut points = Vec::new();
        if let Some(id) = id {
            // Streamed and decoded row by row: no copy of every blob held at once.
            let mut rows = overlap_query(from_ms, to_ms).fetch(&self.pool);
            while let Some(row) = rows.try_next().await? {
                let start: i64 = row.try_get(0)?;
                let data: &[u8] = row.try_get(1)?;
                decode_series(start, data, id, |ts, v| {
                    if ts >= from_ms && ts < to_ms {
                        points.push((ts, f64::from(v)));
                    }
                })?;
            }
        }
        // Imported history may overlap live batches: buckets need time order.
        if !points.is_sorted_by_key(|p| p.0) {
            points.sort_by_key(|p| p.0);
        }
        let last_written = points.last().map_or(i64::MIN, |p| p.0);
        let pending = lock(&self.shared.pending);
        for snapshot in pending
            .iter()
            .filter(|s| s.ts_ms > last_written && s.ts_ms >= from_ms && s.ts_ms < to_ms)
        {
            if let Some(v) = snapshot.value(key) {
                // Stored values are f32: round pending ones alike so a point does not change when written.
                points.push((snapshot.ts_ms, f64::from(v as f32)));
            }
        }
        Ok(points)
    }

    async fn rolled_points(
        &self,
        id: u32,
        from_ms: i64,
        to_ms: i64,
        resolution: Resolution,
    ) -> Result<Vec<Point>, StoreError> {
        let from_hour_s = floor_to(from_ms, HOUR_MS) / 1000;
        let to_s = to_ms.div_euclid(1000) + i64::from(to_ms.rem_euclid(1000) != 0);
        let mut points = Vec::new();
        if resolution == Resolution::Hour {
            let rows = sqlx::query("SELECT hour, count, min, max, sum FROM rollups WHERE series_id = ? AND hour >= ? AND hour < ? ORDER BY hour")
                .bind(i64::from(id))
                .bind(from_hour_s)
                .bind(to_s)
                .fetch_all(&self.pool)
                .await?;
            for row in rows {
                let count: i64 = row.try_get(1)?;
                let sum: f64 = row.try_get(4)?;
                points.push(Point {
                    t: row.try_get::<i64, _>(0)? as f64,
                    v: sum / count.max(1) as f64,
                    min: Some(row.try_get(2)?),
                    max: Some(row.try_get(3)?),
                    n: Some(count as u32),
                });
            }
        } else {
            let rows = sqlx::query("SELECT hour, minutes FROM rollups WHERE series_id = ? AND hour >= ? AND hour < ? AND minutes IS NOT NULL ORDER BY hour")
                .bind(i64::from(id))
                .bind(from_hour_s)
                .bind(to_s)
                .fetch_all(&self.pool)
                .await?;
            for row in rows {
                let hour: i64 = row.try_get(0)?;
                let blob: Vec<u8> = row.try_get(1)?;
                for (minute, count, min, max, mean) in decode_minutes(&blob)? {
                    let t_ms = hour * 1000 + i64::from(minute) * MINUTE_MS;
                    if t_ms >= from_ms && t_ms < to_ms {
                        points.push(Point {
                            t: t_ms as f64 / 1000.0,
                            v: f64::from(mean),
                            min: Some(f64::from(min)),
                            max: Some(f64::from(max)),
                            n: Some(u32::from(count)),
                        });
                    }
                }
            }
        }
        Ok(points)
    }

    /// Sizes and row counts per tier.
    pub async fn stats(&self) -> Result<StoreStats, StoreError> {
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let row = sqlx::query("SELECT COUNT(*), COALESCE(SUM(ticks), 0) FROM raw_batches")
            .fetch_one(&self.pool)
            .await?;
        let rollups = sqlx::query("SELECT COUNT(*), COUNT(minutes) FROM rollups")
            .fetch_one(&self.pool)
            .await?;
        Ok(StoreStats {
            database_bytes: size(&self.path),
            wal_bytes: size(std::path::Path::new(&wal)),
            series: lock(&self.shared.series).len(),
            raw_batches: row.try_get(0)?,
            raw_ticks: row.try_get(1)?,
            hour_rows: rollups.try_get(0)?,
            minute_rows: rollups.try_get(1)?,
        })
    }
}

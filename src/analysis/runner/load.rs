//! Loading the stored history for a run: every gauge, hours for the older part and 5-minute
//! buckets of minutes for the last two days.

use super::super::Obs;
use super::super::report::SeriesData;
use crate::model::{Kind, registry};
use crate::store::{Point, Resolution, SeriesInfo, Store, StoreError};

/// Width of the buckets the analyses see (means, minima and maxima of the minutes).
pub const BUCKET_SECONDS: f64 = 300.0;
use crate::util::time::{DAY_MS, HOUR_MS};
/// History looked at: hours beyond two days, 5-minute buckets of minutes within them.
const HISTORY_DAYS: i64 = 30;
const MINUTE_DAYS: i64 = 2;

/// Every stored gauge, bucketed (the per-core CPU series only counted, not loaded).
pub async fn load_all(store: &Store, now_ms: i64) -> Result<Vec<SeriesData>, StoreError> {
    let mut out = Vec::new();
    for info in store.series() {
        if info.kind == Kind::Counter {
            continue;
        }
        if info.family == registry::CPU_CORE_USAGE.family {
            out.push(empty(&info));
            continue;
        }
        out.push(load(store, &info, now_ms).await?);
    }
    Ok(out)
}

fn empty(info: &SeriesInfo) -> SeriesData {
    SeriesData {
        id: info.id.clone(),
        family: info.family.clone(),
        unit: info.unit,
        kind: info.kind,
        mean: Vec::new(),
        min: Vec::new(),
        max: Vec::new(),
    }
}

/// One series: hours for the older part, 5-minute buckets of minutes for the last two days.
async fn load(store: &Store, info: &SeriesInfo, now_ms: i64) -> Result<SeriesData, StoreError> {
    let split = (now_ms - MINUTE_DAYS * DAY_MS).div_euclid(HOUR_MS) * HOUR_MS;
    let hours = store
        .history(
            &info.id,
            now_ms - HISTORY_DAYS * DAY_MS,
            split,
            Resolution::Hour,
        )
        .await?;
    let minutes = store
        .history(&info.id, split, now_ms + 1, Resolution::Minute)
        .await?;
    let mut data = empty(info);
    for p in &hours.points {
        push(&mut data, p.t, p.v, p);
    }
    bucket(&minutes.points, BUCKET_SECONDS, &mut data);
    Ok(data)
}

fn push(data: &mut SeriesData, t: f64, mean: f64, p: &Point) {
    data.mean.push(Obs::new(t, mean));
    data.min.push(Obs::new(t, p.min.unwrap_or(mean)));
    data.max.push(Obs::new(t, p.max.unwrap_or(mean)));
}

/// Adds `points` to `data` in buckets of `width` seconds (means, minima, maxima).
pub fn bucket(points: &[Point], width: f64, data: &mut SeriesData) {
    let mut current: Option<(f64, f64, usize, f64, f64)> = None;
    let flush = |c: (f64, f64, usize, f64, f64), data: &mut SeriesData| {
        let (start, sum, n, min, max) = c;
        let t = start;
        data.mean.push(Obs::new(t, sum / n as f64));
        data.min.push(Obs::new(t, min));
        data.max.push(Obs::new(t, max));
    };
    for p in points {
        let start = (p.t / width).floor() * width;
        let (lo, hi) = (p.min.unwrap_or(p.v), p.max.unwrap_or(p.v));
        current = match current {
            Some((s, sum, n, min, max)) if s == start => {
                Some((s, sum + p.v, n + 1, min.min(lo), max.max(hi)))
            }
            Some(done) => {
                flush(done, data);
                Some((start, p.v, 1, lo, hi))
            }
            None => Some((start, p.v, 1, lo, hi)),
        };
    }
    if let Some(done) = current {
        flush(done, data);
    }
}

//! Pure aggregation of raw values into minute and hour buckets (no I/O).
//!
//! The rollup job and the query path (for the part not rolled up yet) share these functions,
//! so a bucket looks the same whichever way it was computed.

use std::collections::BTreeMap;

use super::codec::Bucket;

use crate::util::time::{HOUR_MS, MINUTE_MS};

/// Start of the bucket of width `step_ms` that holds `ts_ms`.
pub fn floor_to(ts_ms: i64, step_ms: i64) -> i64 {
    ts_ms.div_euclid(step_ms) * step_ms
}

/// One series' aggregate over one hour.
#[derive(Debug, Clone, PartialEq)]
pub struct HourRollup {
    pub series_id: u32,
    pub hour_ms: i64,
    pub total: Bucket,
    pub minutes: [Option<Bucket>; 60],
}

/// Adds a value to an optional bucket, creating it on the first value.
pub fn add_to(slot: &mut Option<Bucket>, value: f64) {
    match slot {
        Some(bucket) => bucket.add(value),
        None => *slot = Some(Bucket::of(value)),
    }
}

/// Aggregates the values of the hour starting at `hour_ms`; values outside it are ignored.
pub fn aggregate_hour(
    hour_ms: i64,
    values: impl IntoIterator<Item = (i64, u32, f64)>,
) -> Vec<HourRollup> {
    let mut hour = HourAggregator::new(hour_ms);
    for (ts, id, value) in values {
        hour.add(ts, id, value);
    }
    hour.finish()
}

/// One hour's aggregation, fed a value at a time, so the rollup job never holds an hour of
/// raw values at once (at 1 s ticks that was megabytes the allocator then kept).
#[derive(Debug)]
pub struct HourAggregator {
    hour_ms: i64,
    by_series: BTreeMap<u32, (Option<Bucket>, [Option<Bucket>; 60])>,
    seen: usize,
}

impl HourAggregator {
    /// An empty aggregation of the hour starting at `hour_ms`.
    pub fn new(hour_ms: i64) -> Self {
        HourAggregator {
            hour_ms,
            by_series: BTreeMap::new(),
            seen: 0,
        }
    }

    /// Adds one raw value; one outside the hour or not finite is counted as seen, not kept.
    pub fn add(&mut self, ts: i64, id: u32, value: f64) {
        self.seen += 1;
        if ts < self.hour_ms || ts >= self.hour_ms + HOUR_MS || !value.is_finite() {
            return;
        }
        let minute = ((ts - self.hour_ms) / MINUTE_MS) as usize;
        let (total, minutes) = self.by_series.entry(id).or_insert((None, [None; 60]));
        add_to(total, value);
        add_to(&mut minutes[minute], value);
    }

    /// Whether no value at all was added (a gap in the history).
    pub fn is_empty(&self) -> bool {
        self.seen == 0
    }

    /// The hour's rollups, by series id.
    pub fn finish(self) -> Vec<HourRollup> {
        let hour_ms = self.hour_ms;
        self.by_series
            .into_iter()
            .filter_map(|(series_id, (total, minutes))| {
                total.map(|total| HourRollup {
                    series_id,
                    hour_ms,
                    total,
                    minutes,
                })
            })
            .collect()
    }
}

/// Buckets a time-ordered series into steps of `step_ms` (for the part not rolled up yet).
pub fn aggregate_points(points: &[(i64, f64)], step_ms: i64) -> Vec<(i64, Bucket)> {
    let mut out: Vec<(i64, Bucket)> = Vec::new();
    for &(ts, value) in points {
        if !value.is_finite() {
            continue;
        }
        let start = floor_to(ts, step_ms);
        match out.last_mut() {
            Some((s, bucket)) if *s == start => bucket.add(value),
            _ => out.push((start, Bucket::of(value))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_and_minute_buckets() {
        let h = 10 * HOUR_MS;
        let rolled = aggregate_hour(
            h,
            [
                (h, 1, 1.0),
                (h + 1_000, 1, 3.0),
                (h + MINUTE_MS, 1, 5.0),
                (h + HOUR_MS, 1, 99.0),
                (h, 2, 7.0),
            ],
        );
        assert_eq!(rolled.len(), 2);
        let one = &rolled[0];
        assert_eq!(
            one.total,
            Bucket {
                count: 3,
                min: 1.0,
                max: 5.0,
                sum: 9.0
            }
        );
        assert_eq!(
            one.minutes[0],
            Some(Bucket {
                count: 2,
                min: 1.0,
                max: 3.0,
                sum: 4.0
            })
        );
        assert_eq!(one.minutes[1], Some(Bucket::of(5.0)));
        assert_eq!(rolled[1].total, Bucket::of(7.0));
    }

    #[test]
    fn points_bucket_by_step() {
        let b = aggregate_points(&[(0, 1.0), (59_999, 2.0), (60_000, 4.0)], MINUTE_MS);
        assert_eq!(
            b,
            vec![
                (
                    0,
                    Bucket {
                        count: 2,
                        min: 1.0,
                        max: 2.0,
                        sum: 3.0
                    }
                ),
                (60_000, Bucket::of(4.0))
            ]
        );
    }
}

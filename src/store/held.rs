//! Histories of series stored on change (`registry::Storing::OnChange`). The disk holds a value
//! when it changed or an hour after the last one kept, so between two kept values the series
//! held the first. Readers get what the collector saw: minute and hour buckets are filled with
//! the held value (charts break their lines at missing buckets, which would draw a steady
//! series as scattered dots), and raw points from memory are thinned like the disk's so a
//! history does not switch from sparse to dense at the last write.

use super::on_change::OnChange;
use super::point::Point;
use crate::util::time::HOUR_MS;

/// The longest time between two kept values of a live series: an hour, plus a tick's slack.
/// A longer silence is downtime (or a series that went away), never filled.
const LONGEST_HOLD_MS: i64 = HOUR_MS + 60_000;

/// Rollup `points` (in time order, `step_ms` apart where the series was kept) with each empty
/// bucket between two kept values, and after the last one up to `until_ms`, filled with the
/// value held. A filled bucket has `n: 0`: no sample was taken in it.
pub(super) fn fill_buckets(points: Vec<Point>, step_ms: i64, until_ms: i64) -> Vec<Point> {
    let step = step_ms as f64 / 1000.0;
    let longest = LONGEST_HOLD_MS as f64 / 1000.0;
    let until = until_ms as f64 / 1000.0;
    let mut out: Vec<Point> = Vec::with_capacity(points.len());
    let mut points = points.into_iter().peekable();
    while let Some(point) = points.next() {
        let next_t = points.peek().map(|next| next.t);
        let held = point.v;
        let start = point.t;
        out.push(point);
        // Up to the next kept value, or for the last one up to `until`.
        let end = match next_t {
            Some(next) if next - start <= longest => next,
            Some(_) => continue,
            None => until.min(start + longest),
        };
        let mut t = start + step;
        while t < end {
            out.push(Point {
                t,
                v: held,
                min: Some(held),
                max: Some(held),
                n: Some(0),
            });
            t += step;
        }
    }
    out
}

/// Raw `points` (in time order) thinned to what the disk would keep: a value when it differs
/// from the last one kept, or an hour after it.
pub(super) fn thin_raw(points: &mut Vec<(i64, f64)>) {
    // The writer's own rule, for the one series read (its id does not matter here).
    let mut kept = OnChange::default();
    points.retain(|&(ts, v)| kept.keep(0, v as f32, ts));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::time::MINUTE_MS;

    fn point(t_min: i64, v: f64) -> Point {
        Point {
            t: (t_min * MINUTE_MS) as f64 / 1000.0,
            v,
            min: Some(v),
            max: Some(v),
            n: Some(12),
        }
    }

    fn minutes(points: &[Point]) -> Vec<(i64, f64, u32)> {
        points
            .iter()
            .map(|p| ((p.t * 1000.0) as i64 / MINUTE_MS, p.v, p.n.unwrap_or(99)))
            .collect()
    }

    #[test]
    fn empty_minutes_between_kept_values_hold_the_first() {
        let filled = fill_buckets(vec![point(0, 1.0), point(3, 2.0)], MINUTE_MS, 4 * MINUTE_MS);
        assert_eq!(
            minutes(&filled),
            [(0, 1.0, 12), (1, 1.0, 0), (2, 1.0, 0), (3, 2.0, 12)]
        );
    }

    #[test]
    fn the_last_value_holds_until_the_newest_tick_and_at_most_an_hour() {
        let filled = fill_buckets(vec![point(0, 5.0)], MINUTE_MS, 3 * MINUTE_MS);
        assert_eq!(minutes(&filled), [(0, 5.0, 12), (1, 5.0, 0), (2, 5.0, 0)]);
        let long = fill_buckets(vec![point(0, 5.0)], MINUTE_MS, 10 * HOUR_MS);
        assert_eq!(
            long.len() as i64,
            LONGEST_HOLD_MS / MINUTE_MS,
            "an hour and a minute"
        );
    }

    #[test]
    fn a_silence_longer_than_the_hourly_keep_is_downtime_and_stays_empty() {
        let filled = fill_buckets(
            vec![point(0, 1.0), point(120, 1.0)],
            MINUTE_MS,
            121 * MINUTE_MS,
        );
        assert_eq!(minutes(&filled), [(0, 1.0, 12), (120, 1.0, 12)]);
    }

    #[test]
    fn raw_points_are_thinned_like_the_disk_keeps_them() {
        let mut points: Vec<(i64, f64)> = (0..(2 * HOUR_MS / 5_000))
            .map(|i| {
                (
                    i * 5_000,
                    if i * 5_000 < 90 * MINUTE_MS { 1.0 } else { 2.0 },
                )
            })
            .collect();
        thin_raw(&mut points);
        assert_eq!(points, [(0, 1.0), (HOUR_MS, 1.0), (90 * MINUTE_MS, 2.0)]);
    }
}

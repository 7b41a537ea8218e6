//! The trailing mean a rule's `for` is judged on (ADR 0003).
//!
//! Samples are summed into at most [`BUCKETS`] time-aligned buckets, so memory and the cost of
//! a mean do not grow with `for` or the sample rate. A bucket only counts while it starts inside
//! the window, so once a signal has been past a threshold for `for`, every counted sample is.

use std::collections::VecDeque;

/// Buckets per window (the window's edge is accurate to 1/BUCKETS of `for`).
pub const BUCKETS: i64 = 30;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    start_ms: i64,
    sum: f64,
    count: u32,
    min: f64,
    max: f64,
}

/// A trailing window of `for` milliseconds over one series.
#[derive(Debug, Clone)]
pub struct Window {
    for_ms: i64,
    bucket_ms: i64,
    buckets: VecDeque<Bucket>,
    /// Totals of `buckets`, kept so a mean costs nothing per tick; recomputed when a bucket
    /// leaves (once per bucket, not per sample), so rounding never accumulates.
    sum: f64,
    count: u64,
    /// Start of the current unbroken run of samples.
    since_ms: Option<i64>,
    last_ms: i64,
    last: f64,
}

impl Window {
    /// An empty window; `for_ms == 0` means "the latest value".
    pub fn new(for_ms: i64) -> Self {
        let for_ms = for_ms.max(0);
        Window {
            for_ms,
            bucket_ms: (for_ms / BUCKETS).max(1),
            buckets: VecDeque::with_capacity(if for_ms == 0 { 0 } else { BUCKETS as usize + 2 }),
            sum: 0.0,
            count: 0,
            since_ms: None,
            last_ms: i64::MIN,
            last: f64::NAN,
        }
    }

    /// Adds a sample. A gap longer than `gap_ms` (or time going backwards) restarts the run:
    /// the mean must be earned again from fresh samples.
    pub fn push(&mut self, ts_ms: i64, value: f64, gap_ms: i64) {
        if self.since_ms.is_none() || ts_ms < self.last_ms || ts_ms - self.last_ms > gap_ms {
            self.clear();
            self.since_ms = Some(ts_ms);
        }
        self.last_ms = ts_ms;
        self.last = value;
        if self.for_ms == 0 {
            return;
        }
        let start = ts_ms - ts_ms.rem_euclid(self.bucket_ms);
        self.sum += value;
        self.count += 1;
        match self.buckets.back_mut() {
            Some(b) if b.start_ms == start => {
                b.sum += value;
                b.count += 1;
                b.min = b.min.min(value);
                b.max = b.max.max(value);
            }
            _ => self.buckets.push_back(Bucket {
                start_ms: start,
                sum: value,
                count: 1,
                min: value,
                max: value,
            }),
        }
        let from = ts_ms - self.for_ms;
        let mut evicted = false;
        while self.buckets.front().is_some_and(|b| b.start_ms < from) {
            self.buckets.pop_front();
            evicted = true;
        }
        if evicted {
            (self.sum, self.count) = self
                .buckets
                .iter()
                .fold((0.0, 0), |(s, c), b| (s + b.sum, c + u64::from(b.count)));
        }
    }

    fn clear(&mut self) {
        self.buckets.clear();
        self.sum = 0.0;
        self.count = 0;
    }

    /// Mean of the samples in the window (the latest value when `for` is 0).
    pub fn mean(&self) -> Option<f64> {
        self.since_ms?;
        if self.for_ms == 0 {
            return Some(self.last);
        }
        // The newest bucket never leaves, so count > 0 after a push; guard anyway.
        if self.count == 0 {
            Some(self.last)
        } else {
            Some(self.sum / self.count as f64)
        }
    }

    /// Lowest and highest sample in the window (for the peak of an incident; not per tick).
    pub fn extremes(&self) -> Option<(f64, f64)> {
        self.since_ms?;
        if self.for_ms == 0 || self.buckets.is_empty() {
            return Some((self.last, self.last));
        }
        Some(
            self.buckets
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), b| {
                    (lo.min(b.min), hi.max(b.max))
                }),
        )
    }

    /// Whether the samples have run unbroken for the whole window at `now_ms`.
    pub fn covered(&self, now_ms: i64) -> bool {
        self.since_ms
            .is_some_and(|since| now_ms - since >= self.for_ms)
    }

    /// The latest value.
    pub fn last(&self) -> Option<f64> {
        self.since_ms.map(|_| self.last)
    }

    /// When the latest sample came (`None` before the first).
    pub fn last_ms(&self) -> Option<i64> {
        self.since_ms.map(|_| self.last_ms)
    }

    /// Forgets everything (the series went away).
    pub fn reset(&mut self) {
        self.clear();
        self.since_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_mean_covers_the_window_and_drops_older_buckets() {
        let mut w = Window::new(60_000);
        for i in 0..12 {
            w.push(i * 5000, 10.0, 60_000);
        }
        assert!(!w.covered(55_000));
        for i in 12..24 {
            w.push(i * 5000, 50.0, 60_000);
        }
        assert!(w.covered(115_000));
        assert_eq!(w.mean(), Some(50.0));
        w.push(120_000, 80.0, 60_000);
        assert_eq!(w.extremes(), Some((50.0, 80.0)));
    }

    #[test]
    fn a_gap_restarts_the_run_and_zero_for_is_the_latest_value() {
        let mut w = Window::new(60_000);
        w.push(0, 99.0, 30_000);
        w.push(100_000, 1.0, 30_000);
        assert_eq!(w.mean(), Some(1.0));
        assert!(!w.covered(100_000));
        let mut now = Window::new(0);
        assert_eq!(now.mean(), None);
        now.push(5, 3.0, 1);
        now.push(6, 4.0, 1);
        assert_eq!(now.mean(), Some(4.0));
        assert!(now.covered(6));
    }

    proptest! {
        /// After `for` past a level, every counted sample is past it, whatever came before.
        #[test]
        fn after_for_above_a_level_the_mean_is_above_it(
            before in proptest::collection::vec(0.0f64..100.0, 0..200),
            above in proptest::collection::vec(90.0f64..100.0, 1..10),
            step_ms in 1000i64..10_000,
            for_ms in 0i64..1_000_000,
        ) {
            let mut w = Window::new(for_ms);
            let mut t = 0;
            for v in &before {
                w.push(t, *v, i64::MAX);
                t += step_ms;
            }
            let start = t;
            let mut i = 0;
            while t - start < for_ms || i < above.len() {
                w.push(t, above[i % above.len()], i64::MAX);
                t += step_ms;
                i += 1;
            }
            prop_assert!(w.mean().is_some_and(|m| m >= 90.0), "{:?}", w.mean());
        }
    }
}

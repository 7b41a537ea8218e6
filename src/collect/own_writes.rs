//! `engine.disk_written_per_day`: what this process itself writes to disk, from the
//! kernel's `write_bytes` in `/proc/self/io`, as bytes a day over the last hour. SD cards and
//! eMMC wear out; this is the add-on's own share of it, beside the disk's wear.

use crate::util::time::HOUR_MS;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use super::derive::Derive;
use crate::model::{Sample, SeriesMeta, Snapshot, registry};

/// How often the counter is read (one small file; the rate needs no finer steps).
const READ_EVERY_MS: i64 = 60_000;
/// The window the rate is taken over.
const WINDOW_MS: i64 = HOUR_MS;
/// Shortest window that gives a rate (a shorter one is mostly the start-up's writes).
const MIN_WINDOW_MS: i64 = 5 * 60_000;
use crate::util::time::DAY_MS_F64;

/// Bytes written a day, from readings of a `write_bytes` counter.
#[derive(Debug, Default)]
pub struct WriteRate {
    readings: VecDeque<(i64, u64)>,
}

impl WriteRate {
    /// Adds a reading; returns the rate over the window, once it spans [`MIN_WINDOW_MS`].
    pub fn add(&mut self, ts_ms: i64, written: u64) -> Option<f64> {
        if self.readings.back().is_some_and(|(_, w)| written < *w) {
            self.readings.clear(); // a counter that went back is another process
        }
        self.readings.push_back((ts_ms, written));
        while self
            .readings
            .front()
            .is_some_and(|(t, _)| ts_ms - t > WINDOW_MS)
        {
            self.readings.pop_front();
        }
        self.rate()
    }

    /// The rate over the readings kept, if they span long enough.
    pub fn rate(&self) -> Option<f64> {
        let (t0, w0) = *self.readings.front()?;
        let (t1, w1) = *self.readings.back()?;
        (t1 - t0 >= MIN_WINDOW_MS).then(|| (w1 - w0) as f64 * DAY_MS_F64 / (t1 - t0) as f64)
    }
}

/// The deriver: reads `/proc/self/io` once a minute and carries the rate on every tick.
pub struct OwnWrites {
    path: PathBuf,
    rate: WriteRate,
    last_read_ms: Option<i64>,
    value: Option<f64>,
    meta: Arc<SeriesMeta>,
}

impl OwnWrites {
    /// Reads this process' own counters.
    pub fn new() -> Self {
        OwnWrites::reading(PathBuf::from("/proc/self/io"))
    }

    /// Reads the counters at `path` (a fixture in tests).
    pub fn reading(path: PathBuf) -> Self {
        OwnWrites {
            path,
            rate: WriteRate::default(),
            last_read_ms: None,
            value: None,
            meta: Arc::new(registry::ENGINE_DISK_WRITES.global()),
        }
    }
}

impl Default for OwnWrites {
    fn default() -> Self {
        OwnWrites::new()
    }
}

/// `write_bytes` of an `io` file's text.
fn write_bytes(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

impl Derive for OwnWrites {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        let due = self
            .last_read_ms
            .is_none_or(|at| snapshot.ts_ms - at >= READ_EVERY_MS);
        if due {
            self.last_read_ms = Some(snapshot.ts_ms);
            // Unreadable (a kernel without task I/O accounting): no series, never a zero.
            if let Some(written) = std::fs::read_to_string(&self.path)
                .ok()
                .as_deref()
                .and_then(write_bytes)
            {
                self.value = self.rate.add(snapshot.ts_ms, written);
            }
        }
        if let Some(value) = self.value {
            out.push(Sample {
                series: self.meta.clone(),
                value,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_bytes_a_day_over_the_last_hour() {
        let mut rate = WriteRate::default();
        assert_eq!(rate.add(0, 1_000), None);
        assert_eq!(rate.add(60_000, 2_000), None, "a minute is too short");
        // 1 MB in 10 minutes: 144 MB a day.
        let r = rate.add(600_000, 1_001_000).expect("rate");
        assert!((r - 144_000_000.0).abs() < 1.0, "{r}");
        // Two hours on, nothing written: the first hour's burst has left the window.
        for minute in 11..=130 {
            rate.add(minute * 60_000, 1_001_000);
        }
        assert_eq!(rate.rate(), Some(0.0));
        // A counter that went back starts over.
        assert_eq!(rate.add(131 * 60_000, 5), None);
    }

    #[test]
    fn the_deriver_reads_the_io_file_once_a_minute_and_says_nothing_without_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let io = dir.path().join("io");
        let mut own = OwnWrites::reading(io.clone());
        let at = |ts_ms: i64, own: &mut OwnWrites| {
            let mut out = Vec::new();
            own.derive(
                &Snapshot {
                    ts_ms,
                    ..Snapshot::default()
                },
                &mut out,
            );
            out.first().map(|s| s.value)
        };
        assert_eq!(at(0, &mut own), None, "no file: no series");
        std::fs::write(
            &io,
            "rchar: 1\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n",
        )
        .expect("io");
        assert_eq!(at(60_000, &mut own), None);
        std::fs::write(&io, "write_bytes: 8192\n").expect("io");
        assert_eq!(at(90_000, &mut own), None, "read at most once a minute");
        assert_eq!(
            at(420_000, &mut own),
            Some(4096.0 * 86_400_000.0 / 360_000.0)
        );
        assert_eq!(
            at(425_000, &mut own),
            Some(4096.0 * 86_400_000.0 / 360_000.0),
            "carried on every tick"
        );
    }
}

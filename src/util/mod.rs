//! The bottom layer: time and small helpers every other module may use. It imports nothing
//! from the crate (see the layer table in `docs/architecture.md`).
//!
//! - [`backoff`]: capped exponential back-off with jitter (the HA link, the Supervisor).
//! - [`bytes`]: [`format_bytes`], the one way a size is written for people.
//! - [`clock`]: the [`Clock`] handed to everything whose logic depends on time, and `unix_ms`.
//! - [`counter`]: rates from cumulative counters (collectors and the Supervisor poller).
//! - [`emit`]: [`Emit`], the typed sink producers publish through (the event bus sits above).
//! - [`pace`]: the engine's [`Pace`] (self-scaling), shared through a [`PaceWatch`].
//! - [`time`]: the one time vocabulary (`DAY_MS`, `HOUR_SECS`, …).
//! - [`lock`] and [`p50_p99`]: a poison-tolerant mutex lock and two percentiles.

pub mod backoff;
pub mod bytes;
pub mod clock;
pub mod counter;
pub mod emit;
pub mod pace;
pub mod time;

use std::sync::Mutex;

pub use backoff::Backoff;
pub use bytes::format_bytes;
pub use clock::{Clock, ManualClock, SystemClock, TimeSource, unix_ms};
pub use emit::Emit;
pub use pace::{Pace, PaceWatch};

/// Locks a mutex, recovering the data if a panicking holder poisoned it.
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Median and 99th percentile (nearest rank) of some measurements; `None` when there are none.
pub fn p50_p99(values: impl Iterator<Item = u64>) -> Option<(u64, u64)> {
    let mut sorted: Vec<u64> = values.collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    Some((at(0.5), at(0.99)))
}

/// An error and every cause below it, `": "`-joined: reqwest's own Display leaves the cause out
/// ("error sending request"), which is the part that says what went wrong.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

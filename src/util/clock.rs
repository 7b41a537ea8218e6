//! Time, injected: logic that depends on "now" (retention, staleness, vote windows, incident
//! times) reads a [`Clock`] it was given, so tests drive it with a [`ManualClock`] instead of
//! sleeping. Production wires one [`SystemClock`] in `app.rs`.
//!
//! Two readings: `now_ms` is the wall clock (Unix milliseconds, what is stored and shown; it
//! may step back), `now` is monotonic (for "how long since", never goes back). Timers that
//! only pace a loop (`tokio::time::interval`, `sleep_until`) stay on tokio's clock, which
//! tests pause and advance with `tokio::time::pause`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Wall-clock milliseconds since the Unix epoch, read from the system. Prefer a [`Clock`]
/// where the reading drives logic.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A source of time; [`SystemClock`] and [`ManualClock`] implement it.
pub trait TimeSource: Send + Sync {
    /// Wall clock, Unix milliseconds.
    fn now_ms(&self) -> i64;
    /// Monotonic reading, for elapsed times.
    fn now(&self) -> Instant;
}

/// The system's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl TimeSource for SystemClock {
    fn now_ms(&self) -> i64 {
        unix_ms()
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock tests set and advance by hand; clones share the same time, across threads.
#[derive(Debug, Clone)]
pub struct ManualClock {
    wall_ms: Arc<AtomicI64>,
    /// Nanoseconds the monotonic reading has advanced past `origin`.
    elapsed_ns: Arc<AtomicU64>,
    origin: Instant,
}

impl ManualClock {
    /// A clock whose wall reading is `start_ms` until moved.
    pub fn new(start_ms: i64) -> Self {
        ManualClock {
            wall_ms: Arc::new(AtomicI64::new(start_ms)),
            elapsed_ns: Arc::new(AtomicU64::new(0)),
            origin: Instant::now(),
        }
    }

    /// Moves both readings forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.wall_ms
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
        self.elapsed_ns
            .fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }

    /// Sets the wall reading (it may step back, like a real clock being corrected); the
    /// monotonic reading does not move.
    pub fn set_ms(&self, wall_ms: i64) {
        self.wall_ms.store(wall_ms, Ordering::SeqCst);
    }

    /// A [`Clock`] handle reading this clock.
    pub fn clock(&self) -> Clock {
        Clock::new(self.clone())
    }
}

impl TimeSource for ManualClock {
    fn now_ms(&self) -> i64 {
        self.wall_ms.load(Ordering::SeqCst)
    }

    fn now(&self) -> Instant {
        self.origin + Duration::from_nanos(self.elapsed_ns.load(Ordering::SeqCst))
    }
}

/// The clock a component reads; cheap to clone. The default is the system clock.
#[derive(Clone)]
pub struct Clock(Arc<dyn TimeSource>);

impl Clock {
    /// A handle over any time source.
    pub fn new(source: impl TimeSource + 'static) -> Self {
        Clock(Arc::new(source))
    }

    /// The system clock.
    pub fn system() -> Self {
        Clock::new(SystemClock)
    }

    /// Wall clock, Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.0.now_ms()
    }

    /// Monotonic reading, for elapsed times.
    pub fn now(&self) -> Instant {
        self.0.now()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Clock").field(&self.now_ms()).finish()
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Clock::new(manual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_clones_follow() {
        let manual = ManualClock::new(1_000);
        let clock = manual.clock();
        let t0 = clock.now();
        assert_eq!(clock.now_ms(), 1_000);
        let other_thread = manual.clone();
        std::thread::spawn(move || other_thread.advance(Duration::from_secs(90)))
            .join()
            .expect("thread");
        assert_eq!(clock.now_ms(), 91_000);
        assert_eq!(clock.now().duration_since(t0), Duration::from_secs(90));
        manual.set_ms(5);
        assert_eq!(clock.now_ms(), 5, "the wall clock may step back");
        assert_eq!(
            clock.now().duration_since(t0),
            Duration::from_secs(90),
            "the monotonic reading does not"
        );
    }
}

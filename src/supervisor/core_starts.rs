//! Restarts of Home Assistant Core, from two sources merged: the Supervisor poller (Core's
//! container counters went back) and Core's own events over the WebSocket link
//! (`homeassistant_started`, or a session found running after a `homeassistant_stop`). One
//! restart seen by both counts once: a report is joined to the latest restart within
//! [`MERGE_WINDOW_MS`] that the other source counted and this one has not matched yet. Core
//! on a Raspberry Pi takes minutes to start, so its started event may come long after the
//! poller saw the new container.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::util::lock;

/// How far apart the two sources' reports of one restart may be, ms.
pub const MERGE_WINDOW_MS: i64 = 600_000;
const HOUR_MS: i64 = 3_600_000;

/// Who saw Core (re)start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreSource {
    /// The Supervisor poller.
    Poller,
    /// Core's events over the WebSocket link.
    Events,
}

#[derive(Default)]
struct State {
    /// Whether Core was seen running once: its first start seen is not a restart.
    seen_running: bool,
    total: u64,
    /// Recent counted restarts and which sources reported each.
    recent: VecDeque<(i64, [bool; 2])>,
}

/// Core's restarts, shared by the poller, the link and the tick; cheap to clone.
#[derive(Clone, Default)]
pub struct CoreStarts(Arc<Mutex<State>>);

fn slot(source: CoreSource) -> usize {
    match source {
        CoreSource::Poller => 0,
        CoreSource::Events => 1,
    }
}

impl CoreStarts {
    /// Core is running (its stats were read, or a session found it running): a start reported
    /// later is a restart.
    pub fn running(&self) {
        lock(&self.0).seen_running = true;
    }

    /// `source` saw Core start at `now_ms` (Unix ms); returns whether it counted as a new
    /// restart.
    pub fn started(&self, source: CoreSource, now_ms: i64) -> bool {
        let mut s = lock(&self.0);
        if !s.seen_running {
            s.seen_running = true;
            return false;
        }
        let i = slot(source);
        let joined = s
            .recent
            .iter_mut()
            .rev()
            .find(|(at, by)| !by[i] && (now_ms - *at).abs() <= MERGE_WINDOW_MS);
        if let Some((_, by)) = joined {
            by[i] = true;
            return false;
        }
        let mut by = [false; 2];
        by[i] = true;
        s.recent.push_back((now_ms, by));
        s.total += 1;
        tracing::info!(
            restarts = s.total,
            ?source,
            "Home Assistant Core restart seen"
        );
        true
    }

    /// `(restarts since this add-on started, restarts in the last hour)`; `None` until Core
    /// was seen running.
    pub fn counts(&self, now_ms: i64) -> Option<(u64, usize)> {
        let mut s = lock(&self.0);
        while s.recent.front().is_some_and(|(t, _)| now_ms - *t > HOUR_MS) {
            s.recent.pop_front();
        }
        s.seen_running.then(|| (s.total, s.recent.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_restart_seen_by_both_sources_counts_once_and_a_loop_counts_each() {
        let t0 = 1_800_000_000_000i64;
        let core = CoreStarts::default();
        assert_eq!(core.counts(t0), None, "not seen yet: no series");
        assert!(!core.started(CoreSource::Events, t0), "the first start");
        // The poller sees the new container, Core's started event follows 3 minutes later.
        let t1 = t0 + HOUR_MS;
        assert!(core.started(CoreSource::Poller, t1));
        assert!(!core.started(CoreSource::Events, t1 + 180_000));
        assert_eq!(core.counts(t1 + 200_000), Some((1, 1)));
        // A loop: two more restarts 4 minutes apart, each reported by both.
        for k in 1..=2i64 {
            let t = t1 + 240_000 * k;
            assert!(core.started(CoreSource::Events, t), "restart {k}");
            assert!(!core.started(CoreSource::Poller, t + 20_000));
        }
        assert_eq!(core.counts(t1 + 600_000), Some((3, 3)));
        // Only the link: each started event is a restart of its own.
        assert!(core.started(CoreSource::Events, t1 + 900_000));
        assert_eq!(
            core.counts(t1 + 900_001 + HOUR_MS),
            Some((4, 0)),
            "the hour forgets, the total does not"
        );
    }
}

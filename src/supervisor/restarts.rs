//! Restarts and crashes of each add-on, Home Assistant Core and the Supervisor, as the poller
//! sees them: a start after the add-on was seen stopped, or, while it stays "started",
//! container counters (network and block bytes, which Docker counts from the container's
//! start) that went back: the watchdog restarted it between two polls. A state of `error` is
//! a crash. Counted since this add-on started; the last hour's restarts feed the restart-loop
//! rule. Core's restarts go to [`CoreStarts`], which merges them with Core's own events.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ContainerStats;
use super::core_starts::{CoreSource, CoreStarts};
use crate::model::{Sample, SeriesMeta, registry};

const HOUR: Duration = Duration::from_secs(3600);

/// One container's history as far as restarts go.
struct Watched {
    /// The state at the last poll (`None` for Core and the Supervisor, which have none here).
    state: Option<String>,
    /// Whether it was seen running once: a first start seen is not a restart.
    seen_running: bool,
    counters: Option<[u64; 4]>,
    restarts: u64,
    crashes: u64,
    recent: VecDeque<Instant>,
    meta: [Arc<SeriesMeta>; 3],
}

impl Watched {
    fn new(slug: &str, name: &str) -> Self {
        Watched {
            state: None,
            seen_running: false,
            counters: None,
            restarts: 0,
            crashes: 0,
            recent: VecDeque::new(),
            meta: registry::ADDON_RESTART_FAMILIES
                .map(|family| Arc::new(family.instance(slug, &[name]))),
        }
    }

    fn restarted(&mut self, now: Instant) {
        self.restarts += 1;
        self.recent.push_back(now);
        tracing::info!(restarts = self.restarts, series = %self.meta[0].id, "restart seen");
    }
}

/// Every container's restarts and crashes, kept across polls.
#[derive(Default)]
pub struct RestartLog {
    watched: HashMap<String, Watched>,
    core: CoreStarts,
}

/// Core's slug among the poller's containers.
const CORE: &str = "homeassistant";

impl RestartLog {
    /// A log that hands Core's restarts to `core` (whose series the tick carries).
    pub fn with_core(core: CoreStarts) -> Self {
        RestartLog {
            watched: HashMap::new(),
            core,
        }
    }

    /// An add-on's state from `/addons` at this poll (`started`, `stopped`, `error`, …).
    pub fn state(&mut self, slug: &str, name: &str, state: &str, now: Instant) {
        let w = self
            .watched
            .entry(slug.to_string())
            .or_insert_with(|| Watched::new(slug, name));
        let running = state == "started";
        let was_running = w.state.as_deref() == Some("started");
        if running && !was_running && w.seen_running {
            w.restarted(now);
        }
        if state == "error" && w.state.as_deref() != Some("error") && w.state.is_some() {
            w.crashes += 1;
        }
        if running {
            w.seen_running = true;
        } else {
            // Stopped: its counters start again from zero at the next start, not a reset.
            w.counters = None;
        }
        w.state = Some(state.to_string());
    }

    /// A running container's stats at this poll: counters that went back mean it restarted.
    pub fn stats(&mut self, slug: &str, name: &str, stats: &ContainerStats, now: Instant) {
        self.stats_at(slug, name, stats, (now, crate::util::unix_ms()));
    }

    /// [`Self::stats`] with the poll's wall time as well (Core's restarts are kept in Unix ms,
    /// which the tick and the link also have).
    pub fn stats_at(
        &mut self,
        slug: &str,
        name: &str,
        stats: &ContainerStats,
        (now, now_ms): (Instant, i64),
    ) {
        let w = self
            .watched
            .entry(slug.to_string())
            .or_insert_with(|| Watched::new(slug, name));
        let counters = [
            stats.network_rx,
            stats.network_tx,
            stats.blk_read,
            stats.blk_write,
        ];
        let went_back = w
            .counters
            .is_some_and(|before| before.iter().zip(&counters).any(|(b, c)| c < b));
        if slug == CORE {
            self.core.running();
            if went_back {
                self.core.started(CoreSource::Poller, now_ms);
            }
        } else if went_back {
            w.restarted(now);
        }
        w.counters = Some(counters);
        w.seen_running = true;
    }

    /// Forgets the containers not in `installed` (an uninstalled add-on has no counters).
    pub fn keep_only(&mut self, installed: &std::collections::BTreeSet<String>) {
        self.watched.retain(|slug, _| installed.contains(slug));
    }

    /// The counters and the last hour's restarts of every container seen running.
    pub fn samples(&mut self, now: Instant, out: &mut Vec<Sample>) {
        for (slug, w) in &mut self.watched {
            if slug == CORE {
                continue;
            }
            while w
                .recent
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) > HOUR)
            {
                w.recent.pop_front();
            }
            if !w.seen_running {
                continue;
            }
            let values = [w.restarts as f64, w.recent.len() as f64, w.crashes as f64];
            for (meta, value) in w.meta.iter().zip(values) {
                out.push(Sample {
                    series: meta.clone(),
                    value,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(bytes: u64) -> ContainerStats {
        ContainerStats {
            cpu_percent: 1.0,
            memory_usage: 1,
            memory_limit: 2,
            memory_percent: 50.0,
            network_rx: 0,
            network_tx: 0,
            blk_read: bytes,
            blk_write: bytes,
        }
    }

    fn counts(log: &mut RestartLog, now: Instant, slug: &str) -> (f64, f64, f64) {
        let mut out = Vec::new();
        log.samples(now, &mut out);
        let v = |family: &str| {
            out.iter()
                .find(|s| s.series.family == family && s.label("addon") == slug)
                .map_or(f64::NAN, |s| s.value)
        };
        (
            v("addon.restarts_total"),
            v("addon.restarts_last_hour"),
            v("addon.crashes_total"),
        )
    }

    #[test]
    fn a_stop_and_start_between_polls_and_a_fast_watchdog_restart_both_count() {
        let t0 = Instant::now();
        let mut log = RestartLog::default();
        log.state("a", "A", "started", t0);
        log.stats("a", "A", &stats(100), t0);
        assert_eq!(
            counts(&mut log, t0, "a"),
            (0.0, 0.0, 0.0),
            "the first start is no restart"
        );
        // Counters only grow: no restart.
        log.state("a", "A", "started", t0 + HOUR / 60);
        log.stats("a", "A", &stats(200), t0 + HOUR / 60);
        // The watchdog restarted it between two polls: counters went back to almost nothing.
        let t1 = t0 + HOUR / 30;
        log.state("a", "A", "started", t1);
        log.stats("a", "A", &stats(5), t1);
        assert_eq!(counts(&mut log, t1, "a"), (1.0, 1.0, 0.0));
        // Crashed (error), then started again by the user: one crash, one more restart.
        log.state("a", "A", "error", t1 + HOUR / 20);
        log.state("a", "A", "started", t1 + HOUR / 10);
        log.stats("a", "A", &stats(1), t1 + HOUR / 10);
        assert_eq!(counts(&mut log, t1 + HOUR / 10, "a"), (2.0, 2.0, 1.0));
        // An hour later the loop counter has forgotten them; the totals have not.
        assert_eq!(counts(&mut log, t1 + 2 * HOUR, "a"), (2.0, 0.0, 1.0));
    }

    #[test]
    fn an_addon_never_seen_running_gives_no_series_and_a_stopped_one_resets_nothing() {
        let t0 = Instant::now();
        let mut log = RestartLog::default();
        log.state("idle", "Idle", "stopped", t0);
        let mut out = Vec::new();
        log.samples(t0, &mut out);
        assert!(out.is_empty());
        // Started for the first time by the user: not a restart.
        log.state("idle", "Idle", "started", t0 + HOUR);
        log.stats("idle", "Idle", &stats(10), t0 + HOUR);
        assert_eq!(counts(&mut log, t0 + HOUR, "idle"), (0.0, 0.0, 0.0));
        // Core has no state here: only its counters say it restarted, told to CoreStarts
        // (whose series the tick carries), not counted here too.
        let core = CoreStarts::default();
        let mut log = RestartLog::with_core(core.clone());
        log.stats("homeassistant", "Home Assistant Core", &stats(500), t0);
        log.stats(
            "homeassistant",
            "Home Assistant Core",
            &stats(20),
            t0 + HOUR / 60,
        );
        assert_eq!(core.counts(crate::util::unix_ms()), Some((1, 1)));
        let mut out = Vec::new();
        log.samples(t0 + HOUR / 60, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn an_uninstalled_addon_loses_its_counters_a_stopped_one_keeps_them() {
        let t0 = Instant::now();
        let mut log = RestartLog::default();
        for slug in ["gone", "kept"] {
            log.state(slug, slug, "started", t0);
            log.stats(slug, slug, &stats(1), t0);
        }
        log.state("kept", "kept", "stopped", t0 + HOUR);
        log.keep_only(&["kept".to_string()].into());
        assert!(counts(&mut log, t0 + HOUR, "gone").0.is_nan());
        assert_eq!(counts(&mut log, t0 + HOUR, "kept"), (0.0, 0.0, 0.0));
    }
}

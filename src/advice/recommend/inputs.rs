//! What a pass of the rules works from: the findings, the latest readings, the add-ons' use,
//! the disk's content, and since when each lasting condition holds. Shared by every rule, the
//! runner that gathers them and the service that keeps [`Sustain`] between passes.

use std::collections::HashMap;

use crate::analysis::report::Findings;
pub use crate::collect::storage::DiskWalk;
use crate::supervisor::AddonRole;

/// One add-on's use over the idle window (from hourly history) and its role in the home.
#[derive(Debug, Clone, PartialEq)]
pub struct AddonUsage {
    pub slug: String,
    /// Seconds of history the window covers.
    pub covered_seconds: f64,
    /// Highest hourly mean CPU, percent of the host.
    pub max_cpu_percent: f64,
    /// Highest hourly mean network traffic, rx + tx bytes/s; `None` when unknown (no network
    /// history, or on the host's network, where Docker counts nothing and reports 0).
    pub max_net_bytes: Option<f64>,
    /// Memory used now, bytes.
    pub memory_bytes: Option<f64>,
    /// What the Supervisor says it is to the home (`/addons/<slug>/info`); `None` when it
    /// could not say, and then no stop is proposed.
    pub role: Option<AddonRole>,
}

/// Backups as the Supervisor lists them (`GET /backups`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backups {
    /// Sizes in bytes, newest first.
    pub sizes: Vec<f64>,
}

/// What takes the space of the data disk, as far as it is known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskContent {
    pub backups: Option<Backups>,
    /// Size of `home-assistant_v2.db` (with its WAL), bytes.
    pub recorder_db_bytes: Option<f64>,
    /// The Supervisor's last walk of the data disk, when there was one.
    pub walk: Option<DiskWalk>,
}

/// The latest readings the rules look at (series id to value).
pub type Latest = HashMap<String, f64>;

/// Everything a pass works from.
#[derive(Debug, Clone, Copy)]
pub struct AdviceInputs<'a> {
    pub now_ms: i64,
    pub findings: &'a Findings,
    pub latest: &'a Latest,
    pub addons: &'a [AddonUsage],
    pub disk: &'a DiskContent,
}

/// Since when each lasting condition holds (key to Unix ms).
#[derive(Debug, Clone, Default)]
pub struct Sustain {
    since: HashMap<String, i64>,
}

impl Sustain {
    /// Records whether `key` holds at `now_ms`; returns since when it holds without a break.
    pub fn observe(&mut self, key: &str, holds: bool, now_ms: i64) -> Option<i64> {
        if holds {
            Some(*self.since.entry(key.to_string()).or_insert(now_ms))
        } else {
            self.since.remove(key);
            None
        }
    }
}

//! Self-scaling: when the host stays busy the engine gets out of its way.
//!
//! A [`Scaler`] (pure, driven by the caller's clock) watches the host's CPU use and memory
//! pressure. When the host has been busy (CPU above `high_percent`, or memory under pressure)
//! for `hold_seconds`, it goes one level up: every interval of the engine doubles (sampling,
//! process scans, Supervisor polling, analysis), capped so that sampling is never further apart
//! than `max_interval_seconds`, and background jobs (rollups, retention, backtests) are put
//! off from the first level on. When the host has been quiet (CPU below `low_percent`, no
//! memory pressure) for `hold_seconds`, it returns to normal in one step. Two changes are at
//! least `cooldown_seconds` apart. The [`run`] task checks every [`check_interval`] and
//! publishes the result as the engine's [`Pace`]; each change is logged with its
//! `resource_management_id` and shown in Diagnostics ([`ScalingStatus`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::cpu::{CpuTimes, parse_stat, usage};
use super::derive::Derive;
use super::memory::parse_meminfo;
use super::procfs;
pub use super::stats::{ChangeRecord, ScalingStatus};
use super::stats::{TickStats, thread_cpu_time};
use crate::config::{SelfScalingOptions, SysRoot};
use crate::model::{Sample, SeriesMeta, Snapshot, registry};
use crate::util::{Clock, Pace, PaceWatch, lock};

/// Memory counts as under pressure when tasks stalled on memory this share of the last 10 s
/// (`/proc/pressure/memory`, `some avg10`)…
const PSI_SOME_PERCENT: f64 = 10.0;
/// …or, without pressure stall information, when less than this share is available.
const AVAILABLE_PERCENT: f64 = 10.0;

/// One reading of the host's load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    pub cpu_percent: f64,
    pub memory_pressure: bool,
}

/// One change of level.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelChange {
    pub from: u32,
    pub to: u32,
    pub at_ms: i64,
    pub reason: &'static str,
}

impl LevelChange {
    /// The correlation id of the change in the log and in Diagnostics.
    pub fn id(&self) -> String {
        format!("scale-{}-{}-{}", self.at_ms, self.from, self.to)
    }
}

/// The self-scaling state machine (module doc).
#[derive(Debug, Clone)]
pub struct Scaler {
    options: SelfScalingOptions,
    base: Duration,
    max_stretch: f64,
    max_level: u32,
    level: u32,
    busy_since: Option<i64>,
    quiet_since: Option<i64>,
    last_change: Option<i64>,
}

impl Scaler {
    /// A scaler for an engine sampling every `base` at normal pace.
    pub fn new(options: SelfScalingOptions, base: Duration) -> Self {
        let max = Duration::from_secs(u64::from(options.max_interval_seconds));
        let max_stretch = (max.as_secs_f64() / base.as_secs_f64().max(0.001)).max(1.0);
        // At least one level: even when sampling cannot stretch, the jobs can wait.
        let max_level = (max_stretch.log2().ceil() as u32).max(1);
        Scaler {
            options,
            base,
            max_stretch,
            max_level,
            level: 0,
            busy_since: None,
            quiet_since: None,
            last_change: None,
        }
    }

    /// The highest level.
    pub fn max_level(&self) -> u32 {
        self.max_level
    }

    /// The level now.
    pub fn level(&self) -> u32 {
        self.level
    }

    /// The stretch of `level`: doubling per level, capped at the longest interval allowed.
    pub fn stretch(&self, level: u32) -> f64 {
        2f64.powi(level.min(30) as i32).min(self.max_stretch)
    }

    /// The pace of the level now.
    pub fn pace(&self) -> Pace {
        Pace {
            level: self.level,
            stretch: self.stretch(self.level),
            defer_jobs: self.level > 0,
        }
    }

    /// The sample interval at the level now.
    pub fn sample_interval(&self) -> Duration {
        self.pace().apply(self.base)
    }

    /// Feeds one reading at `now_ms`; returns the change it causes, if any.
    pub fn observe(&mut self, now_ms: i64, load: Load) -> Option<LevelChange> {
        if !self.options.enabled {
            return None;
        }
        let busy = load.cpu_percent > f64::from(self.options.high_percent) || load.memory_pressure;
        let quiet = load.cpu_percent < f64::from(self.options.low_percent) && !load.memory_pressure;
        self.busy_since = busy.then(|| self.busy_since.unwrap_or(now_ms));
        self.quiet_since = quiet.then(|| self.quiet_since.unwrap_or(now_ms));
        let hold = i64::from(self.options.hold_seconds) * 1000;
        let cooldown = i64::from(self.options.cooldown_seconds) * 1000;
        if self.last_change.is_some_and(|t| now_ms - t < cooldown) {
            return None;
        }
        let held = |since: Option<i64>| since.is_some_and(|s| now_ms - s >= hold);
        let (to, reason) = if held(self.busy_since) && self.level < self.max_level {
            let reason = if load.memory_pressure {
                "memory under pressure"
            } else {
                "CPU busy"
            };
            (self.level + 1, reason)
        } else if held(self.quiet_since) && self.level > 0 {
            (0, "host quiet again")
        } else {
            return None;
        };
        let change = LevelChange {
            from: self.level,
            to,
            at_ms: now_ms,
            reason,
        };
        self.level = to;
        self.last_change = Some(now_ms);
        // A further step needs the condition to hold again from here.
        self.busy_since = busy.then_some(now_ms);
        self.quiet_since = quiet.then_some(now_ms);
        Some(change)
    }
}

/// How often [`run`] reads the load: often enough that a change lands within a few seconds of
/// the hold time, never more than every second.
pub fn check_interval(options: &SelfScalingOptions) -> Duration {
    Duration::from_secs(u64::from(options.hold_seconds / 4).clamp(1, 5))
}

/// Reads the host's CPU use (between two reads) and memory pressure.
pub struct LoadProbe {
    stat: PathBuf,
    meminfo: PathBuf,
    psi: PathBuf,
    previous: Option<CpuTimes>,
    buf: String,
}

impl LoadProbe {
    pub fn new(root: &SysRoot) -> Self {
        LoadProbe {
            stat: root.proc.join("stat"),
            meminfo: root.proc.join("meminfo"),
            psi: root.proc.join("pressure/memory"),
            previous: None,
            buf: String::with_capacity(4096),
        }
    }

    /// The load since the last read; `None` on the first read or when `/proc/stat` fails.
    pub fn read(&mut self) -> Option<Load> {
        procfs::read_into(&self.stat, &mut self.buf).ok()?;
        let now = parse_stat(&self.buf).first().map(|(_, t)| *t)?;
        let previous = self.previous.replace(now)?;
        let (cpu_percent, _, _) = usage(previous, now)?;
        Some(Load {
            cpu_percent,
            memory_pressure: self.memory_pressure(),
        })
    }

    fn memory_pressure(&mut self) -> bool {
        if procfs::read_into(&self.psi, &mut self.buf).is_ok() {
            return psi_some_avg10(&self.buf).is_some_and(|v| v >= PSI_SOME_PERCENT);
        }
        if procfs::read_into(&self.meminfo, &mut self.buf).is_err() {
            return false;
        }
        parse_meminfo(&self.buf).is_some_and(|m| {
            m.total > 0 && (m.available as f64) < m.total as f64 * AVAILABLE_PERCENT / 100.0
        })
    }
}

/// `avg10` of the `some` line of a pressure file.
pub fn psi_some_avg10(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("some "))?;
    line.split_ascii_whitespace()
        .find_map(|f| f.strip_prefix("avg10="))?
        .parse()
        .ok()
}

/// The name of a level.
pub fn mode_name(level: u32) -> &'static str {
    if level == 0 { "normal" } else { "reduced" }
}

fn show(status: &mut ScalingStatus, scaler: &Scaler) {
    let pace = scaler.pace();
    status.mode = mode_name(pace.level);
    status.level = pace.level;
    status.max_level = scaler.max_level();
    status.sample_interval_ms = scaler.sample_interval().as_millis() as u64;
    status.jobs_deferred = pace.defer_jobs;
}

/// Checks the load every [`check_interval`] until `stop`, and sets the pace on each change.
pub async fn run(
    mut scaler: Scaler,
    mut probe: LoadProbe,
    pace: PaceWatch,
    stats: Arc<Mutex<TickStats>>,
    clock: Clock,
    stop: CancellationToken,
) {
    let enabled = scaler.options.enabled;
    {
        let mut stats = lock(&stats);
        stats.scaling.enabled = enabled;
        show(&mut stats.scaling, &scaler);
    }
    if !enabled {
        return;
    }
    let mut every = tokio::time::interval(check_interval(&scaler.options));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        let cpu_before = thread_cpu_time();
        let load = probe.read();
        let micros = thread_cpu_time().saturating_sub(cpu_before).as_micros() as u64;
        {
            let mut stats = lock(&stats);
            stats.cpu_micros_total += micros;
            stats.probe_cpu_micros_total += micros;
        }
        let Some(load) = load else {
            continue;
        };
        let change = scaler.observe(clock.now_ms(), load);
        let mut stats = lock(&stats);
        stats.scaling.cpu_percent = Some(load.cpu_percent);
        stats.scaling.memory_pressure = load.memory_pressure;
        let Some(change) = change else {
            continue;
        };
        pace.set(scaler.pace());
        show(&mut stats.scaling, &scaler);
        let id = change.id();
        tracing::info!(
            resource_management_id = %id,
            from_level = change.from,
            to_level = change.to,
            mode = mode_name(change.to),
            sample_interval_seconds = scaler.sample_interval().as_secs_f64(),
            jobs_deferred = scaler.pace().defer_jobs,
            cpu_percent = load.cpu_percent,
            memory_pressure = load.memory_pressure,
            reason = change.reason,
            "self-scaling: engine pace changed"
        );
        stats.scaling.changes += 1;
        stats.scaling.last_change = Some(ChangeRecord {
            resource_management_id: id,
            at_ms: change.at_ms,
            from_level: change.from,
            to_level: change.to,
            reason: change.reason,
        });
    }
}

/// `engine.scale_level` on every tick, so the mode is stored, charted and published (the
/// Home Assistant publisher shows it as the engine's mode).
pub struct ScaleLevel {
    pace: PaceWatch,
    meta: Arc<SeriesMeta>,
}

impl ScaleLevel {
    pub fn new(pace: PaceWatch) -> Self {
        ScaleLevel {
            pace,
            meta: Arc::new(registry::ENGINE_SCALE_LEVEL.global()),
        }
    }
}

impl Derive for ScaleLevel {
    fn derive(&mut self, _snapshot: &Snapshot, out: &mut Vec<Sample>) {
        out.push(Sample {
            series: self.meta.clone(),
            value: f64::from(self.pace.get().level),
        });
    }
}

#[cfg(test)]
mod tests;

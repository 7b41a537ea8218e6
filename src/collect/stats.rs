//! What the engine reports of itself to Diagnostics and benchmarks: the CPU its ticks cost,
//! and the self-scaling status.

use std::time::Duration;

use serde::Serialize;

use crate::util::p50_p99;

/// CPU time this thread has used, for measuring the cost of a tick.
pub fn thread_cpu_time() -> Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Rolling record of what ticks cost, for diagnostics and benchmarks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TickStats {
    pub ticks: u64,
    pub last_tick_cpu_micros: u64,
    pub last_process_scan_cpu_micros: u64,
    /// Process scans since start, and the CPU microseconds they used (part of the total):
    /// a scan costs many ticks, so a window's rate depends on whether one fell in it.
    pub process_scans: u64,
    pub process_scan_cpu_micros_total: u64,
    /// CPU microseconds the self-scaling probe used (part of the total).
    pub probe_cpu_micros_total: u64,
    /// CPU microseconds of the most recent ticks, oldest first (bounded).
    #[serde(skip)]
    pub recent_cpu_micros: std::collections::VecDeque<u64>,
    pub store_queue_full_drops: u64,
    /// CPU microseconds the engine's own work used since start: ticks, process scans and the
    /// self-scaling probe (what self-scaling reduces; its rate is the engine's CPU use).
    pub cpu_micros_total: u64,
    /// Self-scaling: the engine's mode, pace and last change.
    pub scaling: ScalingStatus,
}

impl TickStats {
    const KEEP: usize = 256;

    pub(super) fn record(&mut self, micros: u64) {
        self.ticks += 1;
        self.cpu_micros_total += micros;
        self.last_tick_cpu_micros = micros;
        if self.recent_cpu_micros.len() == Self::KEEP {
            self.recent_cpu_micros.pop_front();
        }
        self.recent_cpu_micros.push_back(micros);
    }

    /// Median and 99th percentile of the recent ticks' CPU time.
    pub fn percentiles(&self) -> (u64, u64) {
        p50_p99(self.recent_cpu_micros.iter().copied()).unwrap_or((0, 0))
    }
}

/// The last change, as Diagnostics shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRecord {
    pub resource_management_id: String,
    pub at_ms: i64,
    pub from_level: u32,
    pub to_level: u32,
    pub reason: &'static str,
}

/// Self-scaling as Diagnostics shows it (part of [`TickStats`]).
#[derive(Debug, Clone, Serialize)]
pub struct ScalingStatus {
    pub enabled: bool,
    /// `normal` or `reduced`.
    pub mode: &'static str,
    pub level: u32,
    pub max_level: u32,
    pub sample_interval_ms: u64,
    pub jobs_deferred: bool,
    /// The last reading.
    pub cpu_percent: Option<f64>,
    pub memory_pressure: bool,
    pub changes: u64,
    pub last_change: Option<ChangeRecord>,
}

impl Default for ScalingStatus {
    fn default() -> Self {
        ScalingStatus {
            enabled: false,
            mode: "normal",
            level: 0,
            max_level: 0,
            sample_interval_ms: 0,
            jobs_deferred: false,
            cpu_percent: None,
            memory_pressure: false,
            changes: 0,
            last_change: None,
        }
    }
}

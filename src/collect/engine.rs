//! The engine: runs every collector once per tick, marks failing sources degraded, adds the
//! derived series and stamps the snapshot; the host collectors it starts with.

use std::sync::Arc;
use std::time::Instant;

use super::collector::{CollectError, Collector, Tick};
use super::derive::{self, Derive};
use super::{cpu, disk, memory, network, pressure, processes, system, thermal, views};
use crate::config::SysRoot;
use crate::model::{Snapshot, SourceHealth, TopProcesses};

/// The host collectors, in the order they run.
pub fn host_collectors(root: &SysRoot) -> Vec<Box<dyn Collector>> {
    vec![
        Box::new(cpu::CpuCollector::new(root)),
        Box::new(memory::MemoryCollector::new(root)),
        Box::new(system::SystemCollector::new(root)),
        Box::new(disk::DiskCollector::new(root)),
        Box::new(network::NetworkCollector::new(root)),
        Box::new(thermal::ThermalCollector::new(root)),
        Box::new(pressure::PressureCollector::new(root)),
    ]
}

/// Runs the collectors of one tick.
pub struct Engine {
    collectors: Vec<Box<dyn Collector>>,
    derivers: Vec<Box<dyn Derive>>,
    processes: processes::ProcessCollector,
    top: Arc<TopProcesses>,
    views: views::ViewDetector,
    capacity_hint: usize,
}

impl Engine {
    /// An engine over the given collectors; processes and views are read from `root`.
    pub fn new(collectors: Vec<Box<dyn Collector>>, root: &SysRoot) -> Self {
        Engine {
            collectors,
            derivers: Vec::new(),
            processes: processes::ProcessCollector::new(root),
            top: Arc::new(TopProcesses::default()),
            views: views::ViewDetector::new(root),
            capacity_hint: 64,
        }
    }

    /// Adds derived series to every tick, computed after the collectors in this order.
    pub fn with_derived(mut self, derivers: Vec<Box<dyn Derive>>) -> Self {
        self.derivers = derivers;
        self
    }

    /// Reads every collector once, then adds the derived series. A failing collector marks its source degraded; the rest go on.
    pub fn tick(&mut self, tick: &Tick, ts_ms: i64) -> Snapshot {
        let mut samples = Vec::with_capacity(self.capacity_hint);
        let mut sources = Vec::with_capacity(self.collectors.len());
        for collector in &mut self.collectors {
            let started = Instant::now();
            let result = collector.collect(tick, &mut samples);
            let micros = started.elapsed().as_micros() as u64;
            let error = result.err().map(|e| e.to_string());
            sources.push(SourceHealth {
                source: collector.source(),
                ok: error.is_none(),
                error,
                micros,
            });
        }
        samples.retain(|s| s.value.is_finite());
        let mut snapshot = Snapshot {
            ts_ms,
            samples,
            sources,
            processes: self.top.clone(),
            views: self.views.current(tick.now),
        };
        derive::apply(&mut self.derivers, &mut snapshot);
        self.capacity_hint = self.capacity_hint.max(snapshot.samples.len());
        snapshot
    }

    /// Refreshes the top-process lists (slower cadence than ticks).
    pub fn scan_processes(&mut self, now: Instant, ts_ms: i64) -> Result<(), CollectError> {
        self.top = Arc::new(self.processes.collect(now, ts_ms)?);
        Ok(())
    }
}

//! The power side, started: the source picked once for this host, the collector when power is
//! measured, and the derivers (model, energy, add-ons, cost) around an energy counter that
//! resumes from what the last run saved.

use super::{EnergyCounter, PowerCollector, PowerSummary, SupervisorBoard, derivers, detect_on};
use crate::collect::derive::Derive;
use crate::config::{PowerOptions, SysRoot};

/// What the app wires from the power side.
pub struct PowerStart {
    /// Reads measured power each tick; `None` when power is modelled.
    pub collector: Option<PowerCollector>,
    pub derivers: Vec<Box<dyn Derive>>,
    /// How power is obtained, for the status.
    pub summary: PowerSummary,
    /// `energy.kwh_total`: the app has the store save it, and it publishes only what is saved.
    pub counter: EnergyCounter,
}

/// Picks the power source for this host (the board as the Supervisor names it, when it did)
/// and starts the energy counter at `saved_wh`.
pub fn start(
    options: &PowerOptions,
    root: &SysRoot,
    supervisor: &SupervisorBoard,
    saved_wh: f64,
) -> PowerStart {
    let mut plan = detect_on(options, root, supervisor);
    tracing::info!(
        method = plan.method,
        preset = plan.model.preset.name(),
        board = plan.board.name.as_deref().unwrap_or("unknown"),
        board_from = plan.board.from,
        reasons = plan.reasons.join("; "),
        idle_watts = plan.model.idle_watts,
        max_watts = plan.model.max_watts,
        "power source"
    );
    let counter = EnergyCounter::starting_at(saved_wh);
    // Published only as far as saved (before the first tick), so `total_increasing` never goes
    // back after a crash.
    counter.publish_only_saved();
    PowerStart {
        collector: plan.collector.take(),
        derivers: derivers(&plan, options, counter.clone()),
        summary: plan.summary(),
        counter,
    }
}

//! The host's power, energy and cost.
//!
//! Where `power.watts` comes from is decided once at start ([`detect`]), in this order (the
//! `power.source` option may pin one):
//! 1. RAPL energy counters (`<sys>/class/powercap/intel-rapl:N/energy_uj`): the package zones
//!    summed, or only the `psys` zone when there is one (it already holds the packages). The
//!    counters wrap at `max_energy_range_uj`. Since 2020 kernels let only root read them.
//! 2. A hwmon `power*_input` (microwatts), the first in sorted order.
//! 3. The model: `idle + (max − idle) × cpu.usage / 100`, with the preset's or the user's watts;
//!    `auto` takes the board's preset ([`detect_board`]: the Supervisor's board name, then
//!    `/proc/cpuinfo`, then the device tree). A virtual machine gets no estimate (`none`)
//!    unless the user gives both figures.
//!
//! In the add-on container Docker masks `/sys/devices/virtual/powercap` (so RAPL) and
//! `/sys/firmware` (so the device tree); the plan says why each source was not read.
//!
//! Measured power is read by [`PowerCollector`]; everything else is the derive stage's work
//! ([`PowerModel`], [`Energy`], [`AddonPower`], [`Cost`]), so it is stored, published,
//! charted and alertable like collected series. Every power series carries a `source` label,
//! `measured` or `modelled`, so each consumer can say which it shows.

mod board;
mod collector;
mod energy;
mod estimate;
mod meters;
mod plan;
mod preset;
mod source;
mod start;

pub use board::{
    Board, BoardKind, SupervisorBoard, cpuinfo_model, detect_board, model_kind, supervisor_kind,
};
pub use collector::PowerCollector;
pub use energy::{Energy, EnergyCounter};
pub use estimate::{AddonPower, Cost, PowerModel, addon_watts, cost_per_month};
pub use meters::{RaplZone, counter_delta, hwmon_power_input, rapl_unreadable, rapl_zones};
pub use plan::{PowerPlan, PowerSummary, derivers, detect, detect_on};
pub use preset::{PowerProfile, model, preset_for, resolve_preset};
pub use source::{MEASURED, MODELLED, source_of};
pub use start::{PowerStart, start};

#[cfg(test)]
mod tests;

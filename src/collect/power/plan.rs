//! The decision made once at start: where `power.watts` comes from on this host, what the
//! status says of it, and which derivers follow from it.

use std::path::Path;

use super::board::{Board, SupervisorBoard, detect_board, device_tree_unreadable};
use super::collector::PowerCollector;
use super::energy::{Energy, EnergyCounter};
use super::estimate::{AddonPower, Cost, PowerModel};
use super::meters::{hwmon_power_input, rapl_unreadable, rapl_zones};
use super::preset::{PowerProfile, model};
use crate::collect::derive::Derive;
use crate::config::{PowerOptions, PowerPreset, PowerSource, SysRoot};

/// What [`detect`] found.
pub struct PowerPlan {
    /// The collector of measured power, if the host has a readable meter.
    pub collector: Option<PowerCollector>,
    /// The model, used when nothing is measured (and for the idle share of add-ons).
    pub model: PowerProfile,
    /// Whether `power.watts` is modelled (no collector).
    pub modelled: bool,
    /// `rapl`, `hwmon`, `model` or `none` (a pinned meter that is not there, or a virtual
    /// machine without the user's watts).
    pub method: &'static str,
    /// The board the model's preset came from.
    pub board: Board,
    /// Why a measured source, the device tree or the Supervisor's board could not be read, or
    /// why there is no estimate.
    pub reasons: Vec<String>,
}

/// How `power.watts` is obtained, for the status: the method, the board and the model behind
/// it, and why the sources before it could not be read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PowerSummary {
    /// `rapl`, `hwmon`, `model` or `none`.
    pub method: &'static str,
    /// The model's preset (after `auto`), used when modelled and for add-ons' idle share.
    pub preset: &'static str,
    pub idle_watts: f64,
    pub max_watts: f64,
    /// The board's name as its source spells it (`rpi4-64`); `None` when none was found.
    pub board: Option<String>,
    /// Where the board was found: `os_info`, `info_machine`, `cpuinfo`, `device_tree`, `none`.
    pub board_from: &'static str,
    /// Why each source before the method (and the device tree) could not be read.
    pub reasons: Vec<String>,
}

impl PowerPlan {
    /// What the status says of this plan.
    pub fn summary(&self) -> PowerSummary {
        PowerSummary {
            method: self.method,
            preset: self.model.preset.name(),
            idle_watts: self.model.idle_watts,
            max_watts: self.model.max_watts,
            board: self.board.name.clone(),
            board_from: self.board.from,
            reasons: self.reasons.clone(),
        }
    }
}

fn readable(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok()
}

/// Picks the source of `power.watts` for these options on this host, without the Supervisor's
/// word on the board ([`power`](super) module doc).
pub fn detect(options: &PowerOptions, root: &SysRoot) -> PowerPlan {
    detect_on(options, root, &SupervisorBoard::default())
}

/// Picks the source of `power.watts`, the board known from the Supervisor first.
pub fn detect_on(
    options: &PowerOptions,
    root: &SysRoot,
    supervisor: &SupervisorBoard,
) -> PowerPlan {
    let board = detect_board(supervisor, root);
    let model = model(options, &board);
    let want = options.source;
    let mut reasons = Vec::new();
    if let Some(why) = &supervisor.missing {
        reasons.push(format!("board not from the Supervisor: {why}"));
    }
    if board.from != "device_tree"
        && let Some(why) = device_tree_unreadable(root)
    {
        reasons.push(why);
    }
    let plan = |collector: Option<PowerCollector>, modelled, method, reasons| PowerPlan {
        collector,
        model,
        modelled,
        method,
        board: board.clone(),
        reasons,
    };
    if matches!(want, PowerSource::Auto | PowerSource::Rapl) {
        let zones = rapl_zones(&root.sys);
        if !zones.is_empty() && zones.iter().all(|z| readable(&z.energy)) {
            return plan(Some(PowerCollector::rapl(zones)), false, "rapl", reasons);
        }
        reasons.extend(rapl_unreadable(&root.sys));
    }
    if matches!(want, PowerSource::Auto | PowerSource::Hwmon) {
        if let Some(input) = hwmon_power_input(&root.sys).filter(|p| readable(p)) {
            return plan(Some(PowerCollector::hwmon(input)), false, "hwmon", reasons);
        }
        reasons.push("hwmon: no readable power*_input under /sys/class/hwmon".into());
    }
    let mut modelled = matches!(want, PowerSource::Auto | PowerSource::Model);
    if modelled && options.preset == PowerPreset::Auto && board.kind.is_none() {
        let board = board.name.as_deref().unwrap_or("this board");
        reasons.push(format!(
            "no preset for {board}: the mini PC's figures are used (set power.idle_watts and \
             power.max_watts)"
        ));
    }
    let user_watts = options.idle_watts.is_some() && options.max_watts.is_some();
    if modelled && model.preset == PowerPreset::VirtualMachine && !user_watts {
        modelled = false;
        reasons.push(
            "a virtual machine: nothing inside the guest tells the host's power, so there is \
             no estimate (set power.idle_watts and power.max_watts to model it)"
                .into(),
        );
    }
    let method = if modelled { "model" } else { "none" };
    plan(None, modelled, method, reasons)
}

/// The power derivers for a plan, in order: model (when modelled), energy, add-ons, cost.
pub fn derivers(
    plan: &PowerPlan,
    options: &PowerOptions,
    counter: EnergyCounter,
) -> Vec<Box<dyn Derive>> {
    let mut out: Vec<Box<dyn Derive>> = Vec::new();
    if plan.modelled {
        out.push(Box::new(PowerModel::new(
            plan.model,
            plan.board.name.as_deref(),
            &plan.reasons,
        )));
    }
    out.push(Box::new(Energy::new(counter)));
    out.push(Box::new(AddonPower::new(plan.model.idle_watts)));
    if let Some(price) = options.energy_price {
        out.push(Box::new(Cost::new(price, &options.currency)));
    }
    out
}

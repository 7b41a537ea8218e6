//! The decision made once at start: where `power.watts` comes from on this host, what the
//! status says of it, and which derivers follow from it.

use std::path::Path;

use super::collector::PowerCollector;
use super::energy::{Energy, EnergyCounter};
use super::estimate::{AddonPower, Cost, PowerModel};
use super::meters::{hwmon_power_input, rapl_zones};
use super::preset::{PowerProfile, model};
use crate::collect::derive::Derive;
use crate::config::{PowerOptions, PowerSource, SysRoot};

/// What [`detect`] found.
pub struct PowerPlan {
    /// The collector of measured power, if the host has a readable meter.
    pub collector: Option<PowerCollector>,
    /// The model, used when nothing is measured (and for the idle share of add-ons).
    pub model: PowerProfile,
    /// Whether `power.watts` is modelled (no collector).
    pub modelled: bool,
    /// `rapl`, `hwmon`, `model` or `none` (a pinned meter that is not there).
    pub method: &'static str,
}

/// How `power.watts` is obtained, for the status: the method and the model behind it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PowerSummary {
    /// `rapl`, `hwmon`, `model` or `none`.
    pub method: &'static str,
    /// The model's preset (after `auto`), used when modelled and for add-ons' idle share.
    pub preset: &'static str,
    pub idle_watts: f64,
    pub max_watts: f64,
}

impl PowerPlan {
    /// What the status says of this plan.
    pub fn summary(&self) -> PowerSummary {
        PowerSummary {
            method: self.method,
            preset: self.model.preset.name(),
            idle_watts: self.model.idle_watts,
            max_watts: self.model.max_watts,
        }
    }
}

fn readable(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok()
}

/// Picks the source of `power.watts` for these options on this host ([`power`](super) module
/// doc).
pub fn detect(options: &PowerOptions, root: &SysRoot) -> PowerPlan {
    let model = model(options, root);
    let want = options.source;
    if matches!(want, PowerSource::Auto | PowerSource::Rapl) {
        let zones = rapl_zones(&root.sys);
        if !zones.is_empty() && zones.iter().all(|z| readable(&z.energy)) {
            return PowerPlan {
                collector: Some(PowerCollector::rapl(zones)),
                model,
                modelled: false,
                method: "rapl",
            };
        }
    }
    if matches!(want, PowerSource::Auto | PowerSource::Hwmon)
        && let Some(input) = hwmon_power_input(&root.sys).filter(|p| readable(p))
    {
        return PowerPlan {
            collector: Some(PowerCollector::hwmon(input)),
            model,
            modelled: false,
            method: "hwmon",
        };
    }
    let modelled = matches!(want, PowerSource::Auto | PowerSource::Model);
    PowerPlan {
        collector: None,
        model,
        modelled,
        method: if modelled { "model" } else { "none" },
    }
}

/// The power derivers for a plan, in order: model (when modelled), energy, add-ons, cost.
pub fn derivers(
    plan: &PowerPlan,
    options: &PowerOptions,
    counter: EnergyCounter,
) -> Vec<Box<dyn Derive>> {
    let mut out: Vec<Box<dyn Derive>> = Vec::new();
    if plan.modelled {
        out.push(Box::new(PowerModel::new(plan.model)));
    }
    out.push(Box::new(Energy::new(counter)));
    out.push(Box::new(AddonPower::new(plan.model.idle_watts)));
    if let Some(price) = options.energy_price {
        out.push(Box::new(Cost::new(price, &options.currency)));
    }
    out
}

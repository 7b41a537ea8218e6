//! The model's watts: the preset this host stands for (`auto` resolved by the device tree),
//! each figure overridden by the user's value when given.

use crate::config::{PowerOptions, PowerPreset, SysRoot};

/// The model's watts and where they came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerProfile {
    pub idle_watts: f64,
    pub max_watts: f64,
    /// The preset in use (after `auto` was resolved).
    pub preset: PowerPreset,
}

impl PowerProfile {
    /// Watts at `cpu_percent` of the whole host's CPU (clamped to 0–100).
    pub fn watts(&self, cpu_percent: f64) -> f64 {
        let busy = (cpu_percent / 100.0).clamp(0.0, 1.0);
        self.idle_watts + (self.max_watts - self.idle_watts) * busy
    }
}

/// The preset `auto` stands for on this host: a Raspberry Pi 4 or 5 by the device tree's model
/// name, else by the `Model` line of `/proc/cpuinfo` (in the add-on container Docker masks
/// `/sys/firmware`, but the Raspberry Pi kernels print the board there), else the generic mini PC.
pub fn resolve_preset(preset: PowerPreset, root: &SysRoot) -> PowerPreset {
    if preset != PowerPreset::Auto {
        return preset;
    }
    let model = [
        root.sys.join("firmware/devicetree/base/model"),
        root.proc.join("device-tree/model"),
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .or_else(|| cpuinfo_model(&root.proc))
    .unwrap_or_default();
    if model.contains("Raspberry Pi 5") {
        PowerPreset::RaspberryPi5
    } else if model.contains("Raspberry Pi 4") {
        PowerPreset::RaspberryPi4
    } else {
        PowerPreset::MiniPc
    }
}

/// The value of the `Model` line of `/proc/cpuinfo` (`Raspberry Pi 4 Model B Rev 1.5`).
fn cpuinfo_model(proc: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(proc.join("cpuinfo")).ok()?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "Model").then(|| value.trim().to_string())
    })
}

/// The model for these options on this host: the preset's watts, each overridden by the
/// user's value when given.
pub fn model(options: &PowerOptions, root: &SysRoot) -> PowerProfile {
    let preset = resolve_preset(options.preset, root);
    let (idle, max) = preset.watts().unwrap_or((10.0, 28.0));
    let idle_watts = options.idle_watts.unwrap_or(idle);
    PowerProfile {
        idle_watts,
        max_watts: options.max_watts.unwrap_or(max).max(idle_watts),
        preset,
    }
}

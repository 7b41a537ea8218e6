//! The model's watts: the preset this host stands for (`auto` resolved by the board), each
//! figure overridden by the user's value when given.

use super::board::{Board, BoardKind, SupervisorBoard, detect_board};
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

/// The preset `auto` stands for on this host, without the Supervisor's word: the board by
/// `/proc/cpuinfo`, else the device tree ([`board`](super::board)), else the generic mini PC.
pub fn resolve_preset(preset: PowerPreset, root: &SysRoot) -> PowerPreset {
    preset_for(preset, &detect_board(&SupervisorBoard::default(), root))
}

/// The preset `auto` stands for on `board`: its own, `virtual_machine` for a virtual machine,
/// else the generic mini PC.
pub fn preset_for(preset: PowerPreset, board: &Board) -> PowerPreset {
    if preset != PowerPreset::Auto {
        return preset;
    }
    match board.kind {
        Some(BoardKind::Preset(found)) => found,
        Some(BoardKind::Virtual) => PowerPreset::VirtualMachine,
        None => PowerPreset::MiniPc,
    }
}

/// The model for these options on this host: the preset's watts, each overridden by the
/// user's value when given.
pub fn model(options: &PowerOptions, board: &Board) -> PowerProfile {
    let preset = preset_for(options.preset, board);
    // A virtual machine has no figures: zero unless the user gives them (then `detect` models).
    let (idle, max) = preset.watts().unwrap_or((0.0, 0.0));
    let idle_watts = options.idle_watts.unwrap_or(idle);
    PowerProfile {
        idle_watts,
        max_watts: options.max_watts.unwrap_or(max).max(idle_watts),
        preset,
    }
}

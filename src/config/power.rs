//! The `power` option (where the host's power comes from, the price of energy) and the
//! `self_scaling` option (when the engine stretches its own cadence).

use serde::Serialize;

use super::problems::Problems;
use super::reader::{Object, describe};

/// Where `power.watts` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerSource {
    /// RAPL, else hwmon, else the model.
    Auto,
    /// RAPL energy counters only (nothing when unreadable).
    Rapl,
    /// A hwmon `power*_input` only.
    Hwmon,
    /// The model only: idle + (max − idle) × CPU use.
    Model,
}

impl PowerSource {
    pub const NAMES: &[&str] = &["auto", "rapl", "hwmon", "model"];

    fn parse(name: &str) -> Option<PowerSource> {
        Some(match name {
            "auto" => PowerSource::Auto,
            "rapl" => PowerSource::Rapl,
            "hwmon" => PowerSource::Hwmon,
            "model" => PowerSource::Model,
            _ => return None,
        })
    }
}

/// The model's idle and full-load watts for a kind of box (figures and sources in DOCS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerPreset {
    /// The board's own preset, found from the Supervisor's board name, `/proc/cpuinfo` or the
    /// device tree (`collect::power::board`), else a generic x86 mini PC.
    Auto,
    RaspberryPi3,
    RaspberryPi4,
    RaspberryPi5,
    /// Home Assistant Green (Rockchip RK3566).
    Green,
    /// Home Assistant Yellow (a Raspberry Pi Compute Module 4 on its carrier board).
    Yellow,
    /// ODROID-N2 and N2+ (Amlogic S922X).
    OdroidN2,
    /// ODROID-M1 and M1S (Rockchip RK3568, RK3566).
    OdroidM1,
    /// ODROID-C4 (Amlogic S905X3).
    OdroidC4,
    IntelNuc,
    MiniPc,
    /// Found by `auto` only: a virtual machine, whose host's power no figure describes.
    VirtualMachine,
}

impl PowerPreset {
    /// The presets a user may choose (`virtual_machine` is found, not chosen).
    pub const NAMES: &[&str] = &[
        "auto",
        "raspberry_pi_3",
        "raspberry_pi_4",
        "raspberry_pi_5",
        "green",
        "yellow",
        "odroid_n2",
        "odroid_m1",
        "odroid_c4",
        "intel_nuc",
        "mini_pc",
    ];

    const ALL: &[PowerPreset] = &[
        PowerPreset::Auto,
        PowerPreset::RaspberryPi3,
        PowerPreset::RaspberryPi4,
        PowerPreset::RaspberryPi5,
        PowerPreset::Green,
        PowerPreset::Yellow,
        PowerPreset::OdroidN2,
        PowerPreset::OdroidM1,
        PowerPreset::OdroidC4,
        PowerPreset::IntelNuc,
        PowerPreset::MiniPc,
    ];

    fn parse(name: &str) -> Option<PowerPreset> {
        Self::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// The option spelling.
    pub fn name(self) -> &'static str {
        match self {
            PowerPreset::Auto => "auto",
            PowerPreset::RaspberryPi3 => "raspberry_pi_3",
            PowerPreset::RaspberryPi4 => "raspberry_pi_4",
            PowerPreset::RaspberryPi5 => "raspberry_pi_5",
            PowerPreset::Green => "green",
            PowerPreset::Yellow => "yellow",
            PowerPreset::OdroidN2 => "odroid_n2",
            PowerPreset::OdroidM1 => "odroid_m1",
            PowerPreset::OdroidC4 => "odroid_c4",
            PowerPreset::IntelNuc => "intel_nuc",
            PowerPreset::MiniPc => "mini_pc",
            PowerPreset::VirtualMachine => "virtual_machine",
        }
    }

    /// (idle, full load) watts at the wall; `Auto` has none until resolved, and a virtual
    /// machine none at all. Each figure's source is in DOCS.md ("Power and energy").
    pub fn watts(self) -> Option<(f64, f64)> {
        match self {
            PowerPreset::Auto | PowerPreset::VirtualMachine => None,
            // fguerraz, "Raspberry Pi 3 model B power consumption" (Medium): 1.22 W idle after
            // boot, 3.95 W with four cores under sysbench and SD writes, at 5.00 V from a bench
            // supply; about 20 % added for a plug-in supply's loss.
            PowerPreset::RaspberryPi3 => Some((1.5, 4.9)),
            // chipwired.com, Pi 4 at a wall meter: idle 3.0 W, high load 6.3 W.
            PowerPreset::RaspberryPi4 => Some((3.0, 6.3)),
            // u-labs.de's Pi 5 (about 3 W idle); full load our estimate.
            PowerPreset::RaspberryPi5 => Some((3.0, 8.0)),
            // Estimates (no published measurement found; DOCS.md says so): four Cortex-A55
            // (RK3566) draw less than the Pi 4's four Cortex-A72.
            PowerPreset::Green => Some((2.0, 5.0)),
            // The Pi 4's measured figures: the Yellow carries a Compute Module 4 (the same
            // BCM2711); its own parts (radio, NVMe slot) are not counted. An estimate.
            PowerPreset::Yellow => Some((3.0, 6.3)),
            // Estimates: S922X, four Cortex-A73 and two Cortex-A53.
            PowerPreset::OdroidN2 => Some((2.0, 7.0)),
            // Estimates: RK3568 (M1) or RK3566 (M1S), four Cortex-A55.
            PowerPreset::OdroidM1 => Some((2.0, 5.0)),
            // Estimates: S905X3, four Cortex-A55.
            PowerPreset::OdroidC4 => Some((1.8, 5.0)),
            // AnandTech's NUC 12 Pro review (full load); idle our estimate.
            PowerPreset::IntelNuc => Some((8.0, 55.0)),
            // An Intel N5105 mini PC: about 14 W idle, 25-30 W at full load (ora.it.com).
            PowerPreset::MiniPc => Some((10.0, 28.0)),
        }
    }
}

/// Power source, model and price.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerOptions {
    pub source: PowerSource,
    pub preset: PowerPreset,
    /// Overrides the preset's idle watts.
    pub idle_watts: Option<f64>,
    /// Overrides the preset's full-load watts.
    pub max_watts: Option<f64>,
    /// Price of one kWh; no cost sensor without it.
    pub energy_price: Option<f64>,
    /// ISO 4217 code shown with costs.
    pub currency: String,
}

impl Default for PowerOptions {
    fn default() -> Self {
        PowerOptions {
            source: PowerSource::Auto,
            preset: PowerPreset::Auto,
            idle_watts: None,
            max_watts: None,
            energy_price: None,
            currency: "EUR".into(),
        }
    }
}

const MAX_WATTS: f64 = 5000.0;
const MAX_PRICE: f64 = 100.0;

impl PowerOptions {
    pub const KEYS: &[&str] = &[
        "source",
        "preset",
        "idle_watts",
        "max_watts",
        "energy_price",
        "currency",
    ];
    /// Keys without a default in `config.yaml`.
    pub const OPTIONAL: &[&str] = &["idle_watts", "max_watts", "energy_price"];

    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> PowerOptions {
        let d = PowerOptions::default();
        let Some(section) = options.section("power", PowerOptions::KEYS, p) else {
            return d;
        };
        let ranged = |key: &str, max: f64, p: &mut Problems| {
            let allowed = format!("a number from 0 to {max}");
            let value = section.number(key, &allowed, p)?;
            if (0.0..=max).contains(&value) {
                Some(value)
            } else {
                let got = section.get(key).map(describe).unwrap_or_default();
                p.bad(&section.at(key), got, allowed);
                None
            }
        };
        let idle_watts = ranged("idle_watts", MAX_WATTS, p);
        let max_watts = ranged("max_watts", MAX_WATTS, p);
        if let (Some(idle), Some(max)) = (idle_watts, max_watts)
            && idle > max
        {
            p.bad(
                &section.at("idle_watts"),
                idle,
                format!("at most max_watts ({max})"),
            );
        }
        PowerOptions {
            source: section
                .choice("source", PowerSource::NAMES, p)
                .and_then(PowerSource::parse)
                .unwrap_or(d.source),
            preset: section
                .choice("preset", PowerPreset::NAMES, p)
                .and_then(PowerPreset::parse)
                .unwrap_or(d.preset),
            idle_watts,
            max_watts,
            energy_price: ranged("energy_price", MAX_PRICE, p),
            currency: section
                .string(
                    "currency",
                    |s| s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase()),
                    "a three-letter currency code such as EUR",
                    p,
                )
                .map(str::to_string)
                .unwrap_or(d.currency),
        }
    }
}

/// When the engine stretches its own cadence and defers its background jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SelfScalingOptions {
    pub enabled: bool,
    /// CPU use (percent) above which the host counts as busy.
    pub high_percent: u32,
    /// CPU use below which it counts as quiet again.
    pub low_percent: u32,
    /// How long a condition must hold before the engine changes its cadence.
    pub hold_seconds: u32,
    /// Least time between two changes.
    pub cooldown_seconds: u32,
    /// Longest sample interval the engine stretches to.
    pub max_interval_seconds: u32,
}

impl Default for SelfScalingOptions {
    fn default() -> Self {
        SelfScalingOptions {
            enabled: true,
            high_percent: 80,
            low_percent: 30,
            hold_seconds: 20,
            cooldown_seconds: 60,
            max_interval_seconds: 30,
        }
    }
}

impl SelfScalingOptions {
    pub const KEYS: &[&str] = &[
        "enabled",
        "high_percent",
        "low_percent",
        "hold_seconds",
        "cooldown_seconds",
        "max_interval_seconds",
    ];

    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> SelfScalingOptions {
        let d = SelfScalingOptions::default();
        let Some(section) = options.section("self_scaling", SelfScalingOptions::KEYS, p) else {
            return d;
        };
        let mut high_percent = section.int("high_percent", 10..=100, d.high_percent, p);
        let mut low_percent = section.int("low_percent", 0..=90, d.low_percent, p);
        if low_percent >= high_percent {
            // Only a pair the user wrote is a mistake; a threshold left out makes way.
            match (
                section.contains("high_percent"),
                section.contains("low_percent"),
            ) {
                (true, true) => p.bad(
                    &section.at("low_percent"),
                    low_percent,
                    format!("below high_percent ({high_percent})"),
                ),
                (true, false) => low_percent = high_percent / 2,
                _ => high_percent = low_percent + 10,
            }
        }
        SelfScalingOptions {
            enabled: section.bool("enabled", p).unwrap_or(d.enabled),
            high_percent,
            low_percent,
            hold_seconds: section.int("hold_seconds", 1..=600, d.hold_seconds, p),
            cooldown_seconds: section.int("cooldown_seconds", 1..=3600, d.cooldown_seconds, p),
            max_interval_seconds: section.int(
                "max_interval_seconds",
                1..=600,
                d.max_interval_seconds,
                p,
            ),
        }
    }
}

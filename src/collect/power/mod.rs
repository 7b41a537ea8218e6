//! The host's power, energy and cost.
//!
//! Where `power.watts` comes from is decided once at start ([`detect`]), in this order (the
//! `power.source` option may pin one):
//! 1. RAPL energy counters (`<sys>/class/powercap/intel-rapl:N/energy_uj`): the package zones
//!    summed, or only the `psys` zone when there is one (it already holds the packages). The
//!    counters wrap at `max_energy_range_uj`. Since 2020 kernels let only root read them.
//! 2. A hwmon `power*_input` (microwatts), the first in sorted order.
//! 3. The model: `idle + (max − idle) × cpu.usage / 100`, with the preset's or the user's watts.
//!
//! Measured power is read by [`PowerCollector`]; everything else is the derive stage's work
//! ([`PowerModel`], [`Energy`], [`AddonPower`], [`Cost`]), so it is stored, published,
//! charted and alertable like collected series. Every power series carries a `source` label,
//! `measured` or `modelled`, so each consumer can say which it shows.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::derive::Derive;
use super::{CollectError, Collector, Tick, procfs};
use crate::config::{PowerOptions, PowerPreset, PowerSource, SysRoot};
use crate::model::{Sample, SeriesMeta, Snapshot, registry};

/// The `source` label of measured power.
pub const MEASURED: &str = "measured";
/// The `source` label of modelled power.
pub const MODELLED: &str = "modelled";
/// Average month used for costs (365.25 / 12 days).
pub const HOURS_PER_MONTH: f64 = 730.5;
/// A gap between two ticks longer than this is not integrated (the host slept or the engine
/// stalled): guessing the power over it would invent energy.
const MAX_GAP_MS: i64 = 15 * 60 * 1000;

/// The model's watts and where they came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    pub idle_watts: f64,
    pub max_watts: f64,
    /// The preset in use (after `auto` was resolved).
    pub preset: PowerPreset,
}

impl Model {
    /// Watts at `cpu_percent` of the whole host's CPU (clamped to 0–100).
    pub fn watts(&self, cpu_percent: f64) -> f64 {
        let busy = (cpu_percent / 100.0).clamp(0.0, 1.0);
        self.idle_watts + (self.max_watts - self.idle_watts) * busy
    }
}

/// The preset `auto` stands for on this host: a Raspberry Pi 4 or 5 by the device tree's model
/// name, else the generic mini PC.
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
    .unwrap_or_default();
    if model.contains("Raspberry Pi 5") {
        PowerPreset::RaspberryPi5
    } else if model.contains("Raspberry Pi 4") {
        PowerPreset::RaspberryPi4
    } else {
        PowerPreset::MiniPc
    }
}

/// The model for these options on this host: the preset's watts, each overridden by the
/// user's value when given.
pub fn model(options: &PowerOptions, root: &SysRoot) -> Model {
    let preset = resolve_preset(options.preset, root);
    let (idle, max) = preset.watts().unwrap_or((10.0, 28.0));
    let idle_watts = options.idle_watts.unwrap_or(idle);
    Model {
        idle_watts,
        max_watts: options.max_watts.unwrap_or(max).max(idle_watts),
        preset,
    }
}

/// One RAPL zone's counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaplZone {
    pub energy: PathBuf,
    pub max_range_uj: u64,
}

/// The RAPL zones to sum (see the module doc); empty when there are none.
pub fn rapl_zones(sys: &Path) -> Vec<RaplZone> {
    let dir = sys.join("class/powercap");
    let mut zones: Vec<(String, RaplZone)> = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Top-level zones only (`intel-rapl:0`, not the sub-zone `intel-rapl:0:0`, nor the
        // `intel-rapl-mmio` duplicate of a package).
        let Some(index) = name.strip_prefix("intel-rapl:") else {
            continue;
        };
        if index.is_empty() || !index.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let path = entry.path();
        let max_range_uj = std::fs::read_to_string(path.join("max_energy_range_uj"))
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        let label = std::fs::read_to_string(path.join("name"))
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        zones.push((
            label,
            RaplZone {
                energy: path.join("energy_uj"),
                max_range_uj,
            },
        ));
    }
    zones.sort_by(|a, b| a.1.energy.cmp(&b.1.energy));
    if let Some((_, psys)) = zones.iter().find(|(label, _)| label == "psys") {
        return vec![psys.clone()];
    }
    zones.into_iter().map(|(_, z)| z).collect()
}

/// The first hwmon `power*_input` (sorted by path), if any.
pub fn hwmon_power_input(sys: &Path) -> Option<PathBuf> {
    let mut inputs: Vec<PathBuf> = Vec::new();
    for chip in std::fs::read_dir(sys.join("class/hwmon")).ok()?.flatten() {
        let Ok(files) = std::fs::read_dir(chip.path()) else {
            continue;
        };
        for file in files.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.starts_with("power") && name.ends_with("_input") {
                inputs.push(file.path());
            }
        }
    }
    inputs.sort();
    inputs.into_iter().next()
}

/// Energy used between two readings of a counter that wraps at `max_range` (microjoules).
/// A reading that went backwards without a known range is treated as a reset: no energy.
pub fn counter_delta(previous: u64, now: u64, max_range: u64) -> u64 {
    if now >= previous {
        now - previous
    } else if max_range > previous {
        max_range - previous + now
    } else {
        0
    }
}

/// How `power.watts` is measured.
#[derive(Debug)]
enum Meter {
    Rapl {
        zones: Vec<RaplZone>,
        last: Option<(Vec<u64>, Instant)>,
    },
    Hwmon(PathBuf),
}

impl Meter {
    fn method(&self) -> &'static str {
        match self {
            Meter::Rapl { .. } => "rapl",
            Meter::Hwmon(_) => "hwmon",
        }
    }
}

/// Reads measured power each tick.
pub struct PowerCollector {
    meter: Meter,
    meta: Arc<SeriesMeta>,
    buf: String,
}

impl PowerCollector {
    fn new(meter: Meter) -> Self {
        let meta = registry::POWER_WATTS
            .global()
            .with_label("source", MEASURED)
            .with_label("method", meter.method());
        PowerCollector {
            meter,
            meta: Arc::new(meta),
            buf: String::with_capacity(32),
        }
    }

    /// A collector over RAPL zones (tests build fake trees).
    pub fn rapl(zones: Vec<RaplZone>) -> Self {
        PowerCollector::new(Meter::Rapl { zones, last: None })
    }

    /// A collector over one hwmon input.
    pub fn hwmon(input: PathBuf) -> Self {
        PowerCollector::new(Meter::Hwmon(input))
    }
}

/// One integer from a sysfs file, read into `buf` so a tick allocates nothing.
fn read_u64(path: &Path, buf: &mut String) -> Result<u64, CollectError> {
    procfs::read_into(path, buf)?;
    buf.trim()
        .parse()
        .map_err(|_| procfs::parse_error(path, "not an integer"))
}

impl Collector for PowerCollector {
    fn source(&self) -> &'static str {
        "power"
    }

    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        let PowerCollector { meter, meta, buf } = self;
        let watts = match meter {
            Meter::Hwmon(input) => Some(read_u64(input, buf)? as f64 / 1e6),
            Meter::Rapl { zones, last } => {
                // Read every zone before touching `last`: a failed read keeps the old counters.
                let mut now = Vec::with_capacity(zones.len());
                for zone in zones.iter() {
                    now.push(read_u64(&zone.energy, buf)?);
                }
                let watts = last.as_ref().and_then(|(previous, at)| {
                    let seconds = tick.now.saturating_duration_since(*at).as_secs_f64();
                    (seconds > 0.0).then(|| {
                        let uj: u64 = zones
                            .iter()
                            .zip(previous.iter().zip(&now))
                            .map(|(zone, (p, n))| counter_delta(*p, *n, zone.max_range_uj))
                            .sum();
                        uj as f64 / 1e6 / seconds
                    })
                });
                *last = Some((now, tick.now));
                watts
            }
        };
        if let Some(watts) = watts {
            out.push(Sample {
                series: meta.clone(),
                value: watts,
            });
        }
        Ok(())
    }
}

/// What [`detect`] found.
pub struct PowerPlan {
    /// The collector of measured power, if the host has a readable meter.
    pub collector: Option<PowerCollector>,
    /// The model, used when nothing is measured (and for the idle share of add-ons).
    pub model: Model,
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

/// Picks the source of `power.watts` for these options on this host (module doc).
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

/// The `source` label of a sample (`measured`/`modelled`), if it has one.
pub fn source_of(sample: &Sample) -> Option<&str> {
    sample
        .series
        .labels
        .iter()
        .find(|(k, _)| *k == "source")
        .map(|(_, v)| v.as_str())
}

/// `power.watts` from the model when nothing measures it.
pub struct PowerModel {
    model: Model,
    meta: Arc<SeriesMeta>,
}

impl PowerModel {
    pub fn new(model: Model) -> Self {
        let meta = registry::POWER_WATTS
            .global()
            .with_label("source", MODELLED)
            .with_label("method", "model")
            .with_label("preset", model.preset.name());
        PowerModel {
            model,
            meta: Arc::new(meta),
        }
    }
}

impl Derive for PowerModel {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        if snapshot.value(registry::POWER_WATTS.pattern).is_some() {
            return;
        }
        let Some(usage) = snapshot.value(registry::CPU_USAGE.pattern) else {
            return;
        };
        out.push(Sample {
            series: self.meta.clone(),
            value: self.model.watts(usage),
        });
    }
}

/// The energy counter the [`Energy`] deriver adds to, shared with the store that saves it
/// (so it survives restarts). Kept in watt-hours; cheap to clone.
///
/// Once [`EnergyCounter::publish_only_saved`] is called, the deriver publishes no more than
/// what is on disk: a crash resumes from the last saved value, so a published total must never
/// be above it (Home Assistant's `total_increasing` would see it go back).
#[derive(Debug, Clone, Default)]
pub struct EnergyCounter(Arc<std::sync::Mutex<CounterState>>);

#[derive(Debug, Default)]
struct CounterState {
    total_wh: f64,
    /// The highest total known to be saved; `None`: publish the running total.
    saved_wh: Option<f64>,
}

impl EnergyCounter {
    /// A counter starting at `wh` (the saved value).
    pub fn starting_at(wh: f64) -> Self {
        EnergyCounter(Arc::new(std::sync::Mutex::new(CounterState {
            total_wh: wh.max(0.0),
            saved_wh: None,
        })))
    }

    /// Watt-hours so far.
    pub fn wh(&self) -> f64 {
        crate::util::lock(&self.0).total_wh
    }

    /// From now on publish only saved totals; what it started at counts as saved.
    pub fn publish_only_saved(&self) {
        let mut state = crate::util::lock(&self.0);
        state.saved_wh = Some(state.total_wh);
    }

    /// `wh` reached the disk.
    pub fn mark_saved(&self, wh: f64) {
        let mut state = crate::util::lock(&self.0);
        if let Some(saved) = state.saved_wh.as_mut() {
            *saved = saved.max(wh);
        }
    }

    fn add(&self, wh: f64) -> f64 {
        let mut state = crate::util::lock(&self.0);
        state.total_wh += wh.max(0.0);
        state
            .saved_wh
            .map_or(state.total_wh, |s| s.min(state.total_wh))
    }
}

/// `energy.kwh_total`: `power.watts` integrated over time (trapezoids between ticks), added
/// to the [`EnergyCounter`].
pub struct Energy {
    counter: EnergyCounter,
    last: Option<(i64, f64)>,
    metas: [Arc<SeriesMeta>; 2],
}

impl Energy {
    pub fn new(counter: EnergyCounter) -> Self {
        let meta = |source: &str| {
            Arc::new(
                registry::ENERGY_TOTAL
                    .global()
                    .with_label("source", source.to_string()),
            )
        };
        Energy {
            counter,
            last: None,
            metas: [meta(MEASURED), meta(MODELLED)],
        }
    }
}

impl Derive for Energy {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        let Some(power) = snapshot
            .samples
            .iter()
            .find(|s| s.series.id == registry::POWER_WATTS.pattern)
        else {
            return;
        };
        let added = match self.last {
            Some((ts, watts)) if (1..=MAX_GAP_MS).contains(&(snapshot.ts_ms - ts)) => {
                let hours = (snapshot.ts_ms - ts) as f64 / 3_600_000.0;
                (watts + power.value) / 2.0 * hours
            }
            _ => 0.0,
        };
        self.last = Some((snapshot.ts_ms, power.value));
        let total = self.counter.add(added);
        let meta = if source_of(power) == Some(MEASURED) {
            &self.metas[0]
        } else {
            &self.metas[1]
        };
        out.push(Sample {
            series: meta.clone(),
            value: total / 1000.0,
        });
    }
}

/// Power of one add-on estimated from its CPU share: the host's power above idle, split by
/// the add-on's share of the busy CPU time. Idle power is not attributed to anyone.
pub fn addon_watts(
    addon_cpu_percent: f64,
    host_cpu_percent: f64,
    host_watts: f64,
    idle_watts: f64,
) -> f64 {
    if host_cpu_percent <= 0.0 || addon_cpu_percent <= 0.0 {
        return 0.0;
    }
    let share = (addon_cpu_percent / host_cpu_percent).min(1.0);
    (host_watts - idle_watts).max(0.0) * share
}

/// Cost of drawing `watts` for a month at `price` per kWh (for the advisor's savings too).
pub fn cost_per_month(watts: f64, price: f64) -> f64 {
    watts / 1000.0 * HOURS_PER_MONTH * price
}

/// `addon.<slug>.power_watts` for every add-on with a CPU share in the tick.
pub struct AddonPower {
    idle_watts: f64,
    metas: std::collections::HashMap<String, Arc<SeriesMeta>>,
}

impl AddonPower {
    pub fn new(idle_watts: f64) -> Self {
        AddonPower {
            idle_watts,
            metas: std::collections::HashMap::new(),
        }
    }
}

impl Derive for AddonPower {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        let (Some(host), Some(power)) = (
            snapshot.value(registry::CPU_USAGE.pattern),
            snapshot
                .samples
                .iter()
                .find(|s| s.series.id == registry::POWER_WATTS.pattern),
        ) else {
            return;
        };
        let source = source_of(power).unwrap_or(MODELLED).to_string();
        for sample in snapshot
            .samples
            .iter()
            .filter(|s| s.series.family == registry::ADDON_CPU.family)
        {
            let Some((_, slug)) = sample.series.labels.first() else {
                continue;
            };
            let key = format!("{slug}/{source}");
            let meta = self
                .metas
                .entry(key)
                .or_insert_with(|| {
                    // The add-on's name is the CPU series' description up to " CPU".
                    let name = sample
                        .series
                        .description
                        .strip_suffix(" CPU (share of the host)")
                        .unwrap_or(slug);
                    Arc::new(
                        registry::ADDON_POWER
                            .instance(slug, &[name])
                            .with_label("source", source.clone()),
                    )
                })
                .clone();
            out.push(Sample {
                series: meta,
                value: addon_watts(sample.value, host, power.value, self.idle_watts),
            });
        }
    }
}

/// `cost.per_month`: what the current power costs over a month (only with a price).
pub struct Cost {
    price: f64,
    meta: Arc<SeriesMeta>,
}

impl Cost {
    pub fn new(price: f64, currency: &str) -> Self {
        Cost {
            price,
            meta: Arc::new(
                registry::COST_PER_MONTH
                    .global()
                    .with_label("currency", currency.to_string()),
            ),
        }
    }
}

impl Derive for Cost {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        if let Some(watts) = snapshot.value(registry::POWER_WATTS.pattern) {
            out.push(Sample {
                series: self.meta.clone(),
                value: cost_per_month(watts, self.price),
            });
        }
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

#[cfg(test)]
mod tests;

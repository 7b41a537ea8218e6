//! The overview in plain words: one status line, the cards, and what needs attention.
//!
//! Built from one snapshot with fixed thresholds, plus items from outside through [`Extra`]:
//! firing alerts today (`active_alerts`), forecasts and leak detection later. An outside item
//! about a series replaces the fixed-threshold item about the same series, and at equal level
//! it comes first: an alert has been judged over its `for` window, a threshold on one reading
//! has not.

use serde::Serialize;

mod history;

pub use history::history_items;

use super::active_alerts::ActiveAlert;
use super::format::{format_bytes, format_value};
use crate::advice;
use crate::model::{Sample, Snapshot, Unit};

/// How much something matters, lowest first (so `max` picks the worst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Info,
    Warning,
    Problem,
}

impl Level {
    /// CSS class / data attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Problem => "problem",
        }
    }
}

/// One thing that needs attention, with what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attention {
    pub level: Level,
    pub what: String,
    pub todo: String,
    /// The series it is about, so an outside item can replace a fixed-threshold one.
    #[serde(skip)]
    pub series: Option<String>,
    /// From a firing alert: the page lists it under Active alerts instead of twice.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub alert: bool,
}

impl Attention {
    /// An item about no particular series.
    pub fn new(level: Level, what: String, todo: impl Into<String>) -> Self {
        Attention {
            level,
            what,
            todo: todo.into(),
            series: None,
            alert: false,
        }
    }

    /// The same item, about `series`.
    pub fn on(mut self, series: impl Into<String>) -> Self {
        self.series = Some(series.into());
        self
    }
}

/// One card of the overview; `value` and `detail` are formatted for display.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub key: &'static str,
    pub title: &'static str,
    pub value: String,
    pub detail: String,
    /// Fill of the bar, 0–100, for cards that have one.
    pub percent: Option<f64>,
    /// The number the sparkline follows.
    pub spark: Option<f64>,
    pub level: Level,
    pub available: bool,
}

/// The overview: status line, cards, the attention list and the active alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub level: Level,
    pub line: String,
    pub attention: Vec<Attention>,
    pub cards: Vec<Card>,
    /// Pending and firing alerts, firing first.
    pub alerts: Vec<ActiveAlert>,
}

impl Overview {
    /// Whether "Needs attention" has something besides the alerts listed above it.
    pub fn has_other_attention(&self) -> bool {
        self.attention.iter().any(|a| !a.alert)
    }
}

/// Facts from outside the snapshot.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Items from the history's health, the analyzers: firing alerts now, forecasts later.
    pub items: Vec<Attention>,
    /// Rows of the Active alerts list (pending ones included), passed through.
    pub alerts: Vec<ActiveAlert>,
}

// Thresholds: where a Raspberry Pi class box starts to feel slow or risks data.
const DISK_WARN: f64 = 85.0;
const DISK_PROBLEM: f64 = 95.0;
const MEMORY_WARN: f64 = 85.0;
const MEMORY_PROBLEM: f64 = 95.0;
/// 5-minute load per core.
const LOAD_WARN: f64 = 1.5;
const LOAD_PROBLEM: f64 = 3.0;
const IOWAIT_WARN: f64 = 25.0;
const SWAP_WARN: f64 = 50.0;
const TEMP_WARN: f64 = 70.0;
const TEMP_PROBLEM: f64 = 80.0;
/// Share of memory one add-on may use before it is pointed out.
const ADDON_MEMORY_SHARE: f64 = 25.0;

/// Reads the overview out of one snapshot.
pub fn assess(snapshot: &Snapshot, extra: &Extra) -> Overview {
    if snapshot.ts_ms == 0 {
        return Overview {
            level: Level::Info,
            line: "Starting: the first readings arrive in a moment".into(),
            attention: Vec::new(),
            cards: Vec::new(),
            alerts: extra.alerts.clone(),
        };
    }
    let view = View { s: snapshot };
    let mut items = Vec::new();
    let cards = vec![
        view.cpu_card(&mut items),
        view.memory_card(&mut items),
        view.disk_card(&mut items),
        view.network_card(),
        view.temperature_card(&mut items),
    ]
    .into_iter()
    .chain(view.power_card())
    .collect();
    view.addon_items(&mut items);
    let degraded: Vec<&str> = snapshot.degraded().map(|s| s.source).collect();
    if !degraded.is_empty() {
        items.push(Attention::new(
            Level::Warning,
            format!("Some readings are missing: {}", degraded.join(", ")),
            "Diagnostics shows why each source fails.",
        ));
    }
    items.retain(|item| {
        item.series.as_deref().is_none_or(|series| {
            !extra
                .items
                .iter()
                .any(|x| x.series.as_deref() == Some(series))
        })
    });
    // Worst first; at equal levels outside items first. The sort is stable, so the rest keep
    // the card order and alerts the engine's order.
    let mut ranked: Vec<(bool, Attention)> = items
        .into_iter()
        .map(|item| (true, item))
        .chain(extra.items.iter().cloned().map(|item| (false, item)))
        .collect();
    ranked.sort_by_key(|(own, item)| (std::cmp::Reverse(item.level), *own));
    let items: Vec<Attention> = ranked.into_iter().map(|(_, item)| item).collect();
    let level = items.first().map_or(Level::Ok, |i| i.level);
    let line = match items.as_slice() {
        [] => "All good".to_string(),
        [only] => only.what.clone(),
        [first, rest @ ..] => format!("{} (and {} more below)", first.what, rest.len()),
    };
    Overview {
        level,
        line,
        attention: items,
        cards,
        alerts: extra.alerts.clone(),
    }
}

struct View<'a> {
    s: &'a Snapshot,
}

impl View<'_> {
    fn value(&self, id: &str) -> Option<f64> {
        self.s.value(id)
    }

    fn family<'b>(&'b self, family: &'b str) -> impl Iterator<Item = &'b Sample> + 'b {
        self.s
            .samples
            .iter()
            .filter(move |sample| sample.series.family == family)
    }

    fn label<'b>(sample: &'b Sample, name: &str) -> &'b str {
        sample
            .series
            .labels
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn cpu_card(&self, items: &mut Vec<Attention>) -> Card {
        let usage = self.value("cpu.usage");
        let cores = self.family("cpu.core_usage").count();
        let load = self.value("load.5m");
        let mut level = Level::Ok;
        if let (Some(load), true) = (load, cores > 0) {
            let per_core = load / cores as f64;
            if per_core >= LOAD_WARN {
                level = if per_core >= LOAD_PROBLEM {
                    Level::Problem
                } else {
                    Level::Warning
                };
                items.push(
                    Attention::new(
                        level,
                        format!(
                            "The processor is overloaded: load {load:.1} on {cores} core{}",
                            plural(cores)
                        ),
                        advice::CPU,
                    )
                    .on("load.5m"),
                );
            }
        }
        if let Some(iowait) = self.value("cpu.iowait").filter(|w| *w >= IOWAIT_WARN) {
            level = level.max(Level::Warning);
            items.push(
                Attention::new(
                    Level::Warning,
                    format!("The processor waits for storage {iowait:.0} % of the time"),
                    advice::IOWAIT,
                )
                .on("cpu.iowait"),
            );
        }
        let mut detail = Vec::new();
        if let Some(load) = load {
            detail.push(format!("load {load:.2}"));
        }
        if cores > 0 {
            detail.push(format!("{cores} core{}", plural(cores)));
        }
        Card {
            key: "cpu",
            title: "CPU",
            value: usage.map_or_else(|| "measuring…".into(), |u| format_value(u, Unit::Percent)),
            detail: detail.join(" · "),
            percent: usage,
            spark: usage,
            level,
            available: true,
        }
    }

    fn memory_card(&self, items: &mut Vec<Attention>) -> Card {
        let pct = self.value("memory.used_percent");
        let used = self.value("memory.used_bytes");
        let total = self.value("memory.total_bytes");
        let mut level = Level::Ok;
        if let Some(p) = pct.filter(|p| *p >= MEMORY_WARN) {
            level = if p >= MEMORY_PROBLEM {
                Level::Problem
            } else {
                Level::Warning
            };
            items.push(
                Attention::new(level, format!("Memory is {p:.0} % used"), advice::MEMORY)
                    .on("memory.used_percent"),
            );
        }
        let swap_pct = self.value("swap.used_percent");
        // Swap in use while memory is nearly full: the box is really short of memory.
        if let Some(sp) = swap_pct.filter(|sp| *sp >= SWAP_WARN)
            && pct.is_some_and(|p| p >= MEMORY_WARN - 10.0)
        {
            level = level.max(Level::Warning);
            items.push(
                Attention::new(
                    Level::Warning,
                    format!("Memory is short: swap is {sp:.0} % used"),
                    advice::SWAP,
                )
                .on("swap.used_percent"),
            );
        }
        let mut detail = match (used, total) {
            (Some(u), Some(t)) => format!("{} of {}", format_bytes(u), format_bytes(t)),
            _ => String::new(),
        };
        if let Some(swap) = self
            .value("swap.used_bytes")
            .filter(|_| self.value("swap.total_bytes").is_some_and(|t| t > 0.0))
        {
            detail.push_str(&format!(" · swap {}", format_bytes(swap)));
        }
        Card {
            key: "memory",
            title: "Memory",
            value: pct.map_or_else(
                || "not available".into(),
                |p| format_value(p, Unit::Percent),
            ),
            detail,
            percent: pct,
            spark: pct,
            level,
            available: pct.is_some(),
        }
    }

    fn disk_card(&self, items: &mut Vec<Attention>) -> Card {
        let mut mounts: Vec<(&str, f64)> = self
            .family("disk.used_percent")
            .map(|s| (Self::label(s, "mount"), s.value))
            .collect();
        // Fullest first: that is the one that fills up first.
        mounts.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut level = Level::Ok;
        for (mount, pct) in &mounts {
            if *pct >= DISK_WARN {
                let item_level = if *pct >= DISK_PROBLEM {
                    Level::Problem
                } else {
                    Level::Warning
                };
                level = level.max(item_level);
                let free = self
                    .value(&format!("disk.{mount}.free_bytes"))
                    .map(|f| format!(" ({} free)", format_bytes(f)))
                    .unwrap_or_default();
                items.push(
                    Attention::new(
                        item_level,
                        format!("Disk {mount} is {pct:.0} % full{free}"),
                        advice::DISK_FULL,
                    )
                    .on(format!("disk.{mount}.used_percent")),
                );
            }
        }
        let Some((mount, pct)) = mounts.first().copied() else {
            return Card {
                key: "disk",
                title: "Disk",
                value: "not available".into(),
                detail: "No filesystem could be read".into(),
                percent: None,
                spark: None,
                level,
                available: false,
            };
        };
        let mut detail = match (
            self.value(&format!("disk.{mount}.free_bytes")),
            self.value(&format!("disk.{mount}.total_bytes")),
        ) {
            (Some(f), Some(t)) => {
                format!("{mount}: {} free of {}", format_bytes(f), format_bytes(t))
            }
            _ => mount.to_string(),
        };
        if mounts.len() > 1 {
            let more = mounts.len() - 1;
            detail.push_str(&format!(" · {more} more mount{}", plural(more)));
        }
        Card {
            key: "disk",
            title: "Disk",
            value: format_value(pct, Unit::Percent),
            detail,
            percent: Some(pct),
            spark: Some(pct),
            level,
            available: true,
        }
    }

    fn network_card(&self) -> Card {
        let ifaces: Vec<&Sample> = self.family("net.rx_bytes_per_second").collect();
        let physical: Vec<&&Sample> = ifaces
            .iter()
            .filter(|s| Self::label(s, "kind") == "physical")
            .collect();
        // In a container every interface is virtual: then count all but loopback.
        let chosen: Vec<&str> = if physical.is_empty() {
            ifaces
                .iter()
                .filter(|s| Self::label(s, "kind") != "loopback")
                .map(|s| Self::label(s, "interface"))
                .collect()
        } else {
            physical
                .iter()
                .map(|s| Self::label(s, "interface"))
                .collect()
        };
        let sum = |metric: &str| -> f64 {
            chosen
                .iter()
                .filter_map(|i| self.value(&format!("net.{i}.{metric}")))
                .sum()
        };
        if chosen.is_empty() {
            return Card {
                key: "network",
                title: "Network",
                value: "not available".into(),
                detail: "No network interface could be read".into(),
                percent: None,
                spark: None,
                level: Level::Ok,
                available: false,
            };
        }
        let (rx, tx) = (sum("rx_bytes_per_second"), sum("tx_bytes_per_second"));
        Card {
            key: "network",
            title: "Network",
            // No-break spaces: a narrow card wraps between the two directions, not inside one.
            value: format!(
                "↓\u{a0}{} ↑\u{a0}{}",
                format_value(rx, Unit::BytesPerSecond).replace(' ', "\u{a0}"),
                format_value(tx, Unit::BytesPerSecond).replace(' ', "\u{a0}")
            ),
            detail: chosen.join(", "),
            percent: None,
            spark: Some(rx + tx),
            level: Level::Ok,
            available: true,
        }
    }

    fn temperature_card(&self, items: &mut Vec<Attention>) -> Card {
        let Some(t) = self.value("temp.max_celsius") else {
            return Card {
                key: "temperature",
                title: "Temperature",
                value: "not available".into(),
                detail: "No temperature sensor is readable on this machine".into(),
                percent: None,
                spark: None,
                level: Level::Ok,
                available: false,
            };
        };
        let mut level = Level::Ok;
        if t >= TEMP_WARN {
            level = if t >= TEMP_PROBLEM {
                Level::Problem
            } else {
                Level::Warning
            };
            items.push(
                Attention::new(level, format!("The system is hot: {t:.0} °C"), advice::HOT)
                    .on("temp.max_celsius"),
            );
        }
        let sensors = self.family("temp.celsius").count();
        Card {
            key: "temperature",
            title: "Temperature",
            value: format_value(t, Unit::Celsius),
            detail: format!("hottest of {sensors} sensor{}", plural(sensors)),
            percent: None,
            spark: Some(t),
            level,
            available: true,
        }
    }

    /// Power readings (RAPL or a model) when a collector provides them.
    fn power_card(&self) -> Option<Card> {
        let sample = self
            .s
            .samples
            .iter()
            .find(|s| s.series.id.starts_with("power."))?;
        let symbol = sample.series.unit.symbol();
        Some(Card {
            key: "power",
            title: "Power",
            value: format!("{:.1} {symbol}", sample.value)
                .trim_end()
                .to_string(),
            detail: sample.series.description.clone(),
            percent: None,
            spark: Some(sample.value),
            level: Level::Ok,
            available: true,
        })
    }

    /// Add-ons holding a large share of memory (series from the Supervisor collector).
    fn addon_items(&self, items: &mut Vec<Attention>) {
        let Some(total) = self.value("memory.total_bytes").filter(|t| *t > 0.0) else {
            return;
        };
        for sample in &self.s.samples {
            let Some(slug) = sample
                .series
                .id
                .strip_prefix("addon.")
                .and_then(|rest| rest.strip_suffix(".memory_bytes"))
            else {
                continue;
            };
            let share = sample.value * 100.0 / total;
            if share >= ADDON_MEMORY_SHARE {
                items.push(
                    Attention::new(
                        Level::Info,
                        format!(
                            "Add-on {slug} uses {} ({share:.0} % of memory)",
                            format_bytes(sample.value)
                        ),
                        advice::ADDON,
                    )
                    .on(sample.series.id.clone()),
                );
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
pub(crate) mod tests;

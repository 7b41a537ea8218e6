//! The cards of the overview and the attention items their readings raise.
//!
//! Memory, disk and temperature are judged by the alert rules on their series ([`RuleSet::judge`]).
//! The other hints have no alert rule because one reading of them is no fault: load per core
//! (no rule can divide by the core count), time waiting for storage, swap in use while memory
//! fills, and an add-on's share of memory (its rule is on `memory_percent`, judged over a window).
//! They keep fixed levels and are only ever `info`, so the overview never warns where the alert
//! engine stays silent.

use super::{Attention, Card, plural};
use crate::advice;
use crate::config::alert_rules::RuleSet;
use crate::model::registry;
use crate::model::{Sample, Severity, Snapshot, Unit};
use crate::web::format::{format_bytes, format_value};

/// 5-minute load per core past which the processor is pointed out.
const LOAD_HINT: f64 = 1.5;
const IOWAIT_HINT: f64 = 25.0;
/// Swap use pointed out once memory is at least [`SWAP_HINT_MEMORY`] % used.
const SWAP_HINT: f64 = 50.0;
const SWAP_HINT_MEMORY: f64 = 75.0;
/// Share of memory one add-on may use before it is pointed out.
const ADDON_MEMORY_SHARE: f64 = 25.0;

pub(super) struct View<'a> {
    pub(super) s: &'a Snapshot,
    pub(super) rules: &'a RuleSet,
    /// The mount holding the data directory, named as such on the card.
    pub(super) data_disk: Option<&'a str>,
}

impl View<'_> {
    fn value(&self, id: &str) -> Option<f64> {
        self.s.value(id)
    }

    fn family<'b>(&'b self, family: &'b str) -> impl Iterator<Item = &'b Sample> + 'b {
        self.s
            .samples
            .iter()
            // This box's overview: remote hosts have their own cards.
            .filter(move |sample| sample.series.family == family && sample.series.host.is_none())
    }

    pub(super) fn cpu_card(&self, items: &mut Vec<Attention>) -> Card {
        let usage = self.value(registry::CPU_USAGE.pattern);
        let cores = self.family(registry::CPU_CORE_USAGE.family).count();
        let load = self.value(registry::LOAD_5M.pattern);
        let mut level = Severity::Ok;
        if let (Some(load), true) = (load, cores > 0) {
            let per_core = load / cores as f64;
            if per_core >= LOAD_HINT {
                level = Severity::Info;
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
        if let Some(iowait) = self.value("cpu.iowait").filter(|w| *w >= IOWAIT_HINT) {
            level = level.max(Severity::Info);
            items.push(
                Attention::new(
                    Severity::Info,
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

    pub(super) fn memory_card(&self, items: &mut Vec<Attention>) -> Card {
        let pct = self.value(registry::MEMORY_USED_PERCENT.pattern);
        let used = self.value("memory.used_bytes");
        let total = self.value(registry::MEMORY_TOTAL.pattern);
        let mut level = Severity::Ok;
        let judged = pct.and_then(|p| {
            Some((
                p,
                self.rules.judge(registry::MEMORY_USED_PERCENT.pattern, p)?,
            ))
        });
        if let Some((p, item_level)) = judged {
            level = item_level;
            items.push(
                Attention::new(level, format!("Memory is {p:.0} % used"), advice::MEMORY)
                    .on("memory.used_percent"),
            );
        }
        let swap_pct = self.value("swap.used_percent");
        // Swap in use while memory is nearly full: the box is really short of memory.
        if let Some(sp) = swap_pct.filter(|sp| *sp >= SWAP_HINT)
            && pct.is_some_and(|p| p >= SWAP_HINT_MEMORY)
        {
            level = level.max(Severity::Info);
            items.push(
                Attention::new(
                    Severity::Info,
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

    pub(super) fn disk_card(&self, items: &mut Vec<Attention>) -> Card {
        let mut mounts: Vec<(&str, f64)> = self
            .family(registry::DISK_USED_PERCENT.family)
            .map(|s| (s.label("mount"), s.value))
            .collect();
        // Fullest first: that is the one that fills up first.
        mounts.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut level = Severity::Ok;
        for (mount, pct) in &mounts {
            let id = format!("disk.{mount}.used_percent");
            if let Some(item_level) = self.rules.judge(&id, *pct) {
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
                    .on(id),
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
        let name = |m: &str| {
            if self.data_disk == Some(m) {
                format!("data disk {m}")
            } else {
                m.to_string()
            }
        };
        let mut detail = match (
            self.value(&format!("disk.{mount}.free_bytes")),
            self.value(&format!("disk.{mount}.total_bytes")),
        ) {
            (Some(f), Some(t)) => {
                format!(
                    "{}: {} free of {}",
                    name(mount),
                    format_bytes(f),
                    format_bytes(t)
                )
            }
            _ => name(mount),
        };
        // The data disk holds the history (and Home Assistant's own data in an add-on): it is
        // always named, even when another mount is fuller.
        let mut more = mounts.len().saturating_sub(1);
        if let Some(data) = self.data_disk
            && data != mount
            && let Some((_, data_pct)) = mounts.iter().find(|(m, _)| *m == data)
        {
            detail.push_str(&format!(" · {}: {data_pct:.0} % used", name(data)));
            more -= 1;
        }
        if more > 0 {
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

    pub(super) fn network_card(&self) -> Card {
        let ifaces: Vec<&Sample> = self.family(registry::NET_RX.family).collect();
        let physical: Vec<&&Sample> = ifaces
            .iter()
            .filter(|s| s.label("kind") == "physical")
            .collect();
        // In a container every interface is virtual: then count all but loopback.
        let chosen: Vec<&str> = if physical.is_empty() {
            ifaces
                .iter()
                .filter(|s| s.label("kind") != "loopback")
                .map(|s| s.label("interface"))
                .collect()
        } else {
            physical.iter().map(|s| s.label("interface")).collect()
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
                level: Severity::Ok,
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
            detail: if self.s.views.network == crate::model::View::Container {
                format!("{} · this container's own traffic", chosen.join(", "))
            } else {
                chosen.join(", ")
            },
            percent: None,
            spark: Some(rx + tx),
            level: Severity::Ok,
            available: true,
        }
    }

    pub(super) fn temperature_card(&self, items: &mut Vec<Attention>) -> Card {
        let Some(t) = self.value(registry::TEMP_MAX.pattern) else {
            return Card {
                key: "temperature",
                title: "Temperature",
                value: "not available".into(),
                detail: "No temperature sensor is readable on this machine".into(),
                percent: None,
                spark: None,
                level: Severity::Ok,
                available: false,
            };
        };
        let mut level = Severity::Ok;
        if let Some(item_level) = self.rules.judge(registry::TEMP_MAX.pattern, t) {
            level = item_level;
            items.push(
                Attention::new(level, format!("The system is hot: {t:.0} °C"), advice::HOT)
                    .on("temp.max_celsius"),
            );
        }
        let sensors = self.family(registry::TEMP_SENSOR.family).count();
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
    /// The host's power, whether it is measured or modelled, the energy counted so far and,
    /// with an energy price, what it costs a month.
    pub(super) fn power_card(&self) -> Option<Card> {
        let power = self
            .s
            .samples
            .iter()
            .find(|s| s.series.id == registry::POWER_WATTS.pattern)?;
        let label = |sample: &Sample, name: &str| {
            sample
                .series
                .labels
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        };
        let source = label(power, "source").unwrap_or_else(|| "modelled".into());
        let mut detail = vec![match label(power, "method").as_deref() {
            Some("rapl") => "measured (RAPL)".to_string(),
            Some("hwmon") => "measured (hwmon)".to_string(),
            _ => format!(
                "{source} from CPU use ({})",
                label(power, "preset").unwrap_or_else(|| "preset".into())
            ),
        }];
        if let Some(kwh) = self.value(registry::ENERGY_TOTAL.pattern) {
            detail.push(format!(
                "{} counted",
                format_value(kwh, Unit::KilowattHours)
            ));
        }
        if let Some(cost) = self
            .s
            .samples
            .iter()
            .find(|s| s.series.id == registry::COST_PER_MONTH.pattern)
        {
            let currency = label(cost, "currency").unwrap_or_default();
            detail.push(format!("{:.2} {currency} a month", cost.value));
        }
        Some(Card {
            key: "power",
            title: "Power",
            value: format_value(power.value, Unit::Watts),
            detail: detail.join(" · "),
            percent: None,
            spark: Some(power.value),
            level: Severity::Ok,
            available: true,
        })
    }

    /// Add-ons holding a large share of memory (series from the Supervisor collector).
    pub(super) fn addon_items(&self, items: &mut Vec<Attention>) {
        let Some(total) = self
            .value(registry::MEMORY_TOTAL.pattern)
            .filter(|t| *t > 0.0)
        else {
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
                        Severity::Info,
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

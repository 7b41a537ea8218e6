//! The overview in plain words: one status line, the cards, and what needs attention.
//!
//! Built from one snapshot with fixed thresholds, plus items from outside through [`Extra`]:
//! firing alerts today (`active_alerts`), forecasts and leak detection later. An outside item
//! about a series replaces the fixed-threshold item about the same series, and at equal level
//! it comes first: an alert has been judged over its `for` window, a threshold on one reading
//! has not.

use serde::Serialize;

use super::active_alerts::ActiveAlert;
use super::advice;
use super::format::{format_bytes, format_value};
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
    /// Ticks waiting to be written; many means history is not being saved.
    pub pending_ticks: usize,
    /// Ticks that fit in one write batch.
    pub ticks_per_batch: usize,
    /// Items from analyzers: firing alerts now, forecasts later.
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
    let backlog = extra.ticks_per_batch.max(1) * 3;
    if extra.pending_ticks > backlog.max(50) {
        items.push(Attention::new(
            Level::Warning,
            format!(
                "History is not being saved ({} readings waiting)",
                extra.pending_ticks
            ),
            "Check free space on /data and the add-on log.",
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
pub(crate) mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{SeriesMeta, SourceHealth};

    /// A snapshot of a healthy 4-core box with one disk and one physical NIC.
    pub(crate) fn healthy() -> Snapshot {
        let g = |group: &str, name: &str, unit, v: f64| Sample {
            series: Arc::new(SeriesMeta::global(group, name, unit, "")),
            value: v,
        };
        let mut samples = vec![
            g("cpu", "usage", Unit::Percent, 12.5),
            g("cpu", "iowait", Unit::Percent, 1.0),
            g("load", "5m", Unit::Ratio, 0.8),
            g("memory", "total_bytes", Unit::Bytes, 4e9),
            g("memory", "used_bytes", Unit::Bytes, 1.2e9),
            g("memory", "used_percent", Unit::Percent, 30.0),
            g("swap", "total_bytes", Unit::Bytes, 1e9),
            g("swap", "used_bytes", Unit::Bytes, 0.0),
            g("swap", "used_percent", Unit::Percent, 0.0),
            g("temp", "max_celsius", Unit::Celsius, 48.0),
        ];
        for core in 0..4 {
            samples.push(Sample {
                series: Arc::new(
                    SeriesMeta::instance(
                        "cpu",
                        "core",
                        &format!("core{core}"),
                        "usage",
                        Unit::Percent,
                        "",
                    )
                    .with_family("cpu.core_usage"),
                ),
                value: 10.0,
            });
        }
        samples.push(disk("/data", "used_percent", 40.0));
        samples.push(disk("/data", "free_bytes", 18e9));
        samples.push(disk("/data", "total_bytes", 30e9));
        for (name, v) in [
            ("rx_bytes_per_second", 1200.0),
            ("tx_bytes_per_second", 300.0),
        ] {
            samples.push(Sample {
                series: Arc::new(
                    SeriesMeta::instance(
                        "net",
                        "interface",
                        "eth0",
                        name,
                        Unit::BytesPerSecond,
                        "",
                    )
                    .with_label("kind", "physical"),
                ),
                value: v,
            });
        }
        Snapshot {
            ts_ms: 1_795_789_506_132,
            samples,
            sources: vec![SourceHealth {
                source: "cpu",
                ok: true,
                error: None,
                micros: 100,
            }],
            processes: Arc::default(),
        }
    }

    pub(crate) fn disk(mount: &str, name: &str, v: f64) -> Sample {
        let unit = if name.ends_with("percent") {
            Unit::Percent
        } else {
            Unit::Bytes
        };
        Sample {
            series: Arc::new(SeriesMeta::instance("disk", "mount", mount, name, unit, "")),
            value: v,
        }
    }

    pub(crate) fn set(s: &mut Snapshot, id: &str, v: f64) {
        if let Some(sample) = s.samples.iter_mut().find(|x| x.series.id == id) {
            sample.value = v;
        }
    }

    #[test]
    fn a_healthy_box_is_all_good_with_every_card_filled() {
        let o = assess(&healthy(), &Extra::default());
        assert_eq!(o.line, "All good");
        assert_eq!(o.level, Level::Ok);
        let keys: Vec<&str> = o.cards.iter().map(|c| c.key).collect();
        assert_eq!(keys, ["cpu", "memory", "disk", "network", "temperature"]);
        assert_eq!(o.cards[0].value, "12.5 %");
        assert_eq!(o.cards[0].detail, "load 0.80 · 4 cores");
        assert_eq!(o.cards[1].detail, "1.2 GB of 4.0 GB · swap 0 B");
        assert_eq!(o.cards[2].detail, "/data: 18.0 GB free of 30.0 GB");
        assert_eq!(o.cards[3].value, "↓\u{a0}1.2\u{a0}KB/s ↑\u{a0}300\u{a0}B/s");
        assert_eq!(o.cards[3].detail, "eth0");
    }

    #[test]
    fn a_full_disk_becomes_the_status_line_with_what_to_do() {
        let mut s = healthy();
        set(&mut s, "disk./data.used_percent", 96.4);
        set(&mut s, "disk./data.free_bytes", 1.1e9);
        let o = assess(&s, &Extra::default());
        assert_eq!(o.level, Level::Problem);
        assert_eq!(o.line, "Disk /data is 96 % full (1.1 GB free)");
        assert!(o.attention[0].todo.contains("Backups"));
    }

    #[test]
    fn several_problems_are_listed_worst_first_and_counted_in_the_line() {
        let mut s = healthy();
        set(&mut s, "memory.used_percent", 88.0);
        set(&mut s, "temp.max_celsius", 83.0);
        s.sources.push(SourceHealth {
            source: "thermal",
            ok: false,
            error: Some("x".into()),
            micros: 0,
        });
        let o = assess(&s, &Extra::default());
        assert_eq!(o.line, "The system is hot: 83 °C (and 2 more below)");
        let levels: Vec<Level> = o.attention.iter().map(|a| a.level).collect();
        assert_eq!(levels, [Level::Problem, Level::Warning, Level::Warning]);
    }

    #[test]
    fn load_is_judged_per_core() {
        let mut s = healthy();
        set(&mut s, "load.5m", 5.0);
        assert_eq!(assess(&s, &Extra::default()).line, "All good");
        set(&mut s, "load.5m", 7.0);
        assert_eq!(
            assess(&s, &Extra::default()).line,
            "The processor is overloaded: load 7.0 on 4 cores"
        );
    }

    #[test]
    fn a_large_addon_is_named_and_missing_sensors_say_not_available() {
        let mut s = healthy();
        s.samples.retain(|x| x.series.id != "temp.max_celsius");
        s.samples.push(Sample {
            series: Arc::new(SeriesMeta::global(
                "addon.core_mosquitto",
                "memory_bytes",
                Unit::Bytes,
                "",
            )),
            value: 1.2e9,
        });
        let o = assess(&s, &Extra::default());
        assert_eq!(o.line, "Add-on core_mosquitto uses 1.2 GB (30 % of memory)");
        let temp = o
            .cards
            .iter()
            .find(|c| c.key == "temperature")
            .expect("card");
        assert!(!temp.available);
        assert_eq!(temp.value, "not available");
    }

    #[test]
    fn a_write_backlog_says_history_is_not_saved() {
        let extra = Extra {
            pending_ticks: 500,
            ticks_per_batch: 12,
            ..Extra::default()
        };
        assert!(
            assess(&healthy(), &extra)
                .line
                .starts_with("History is not being saved")
        );
    }

    fn with_alerts(states: &[crate::alert::AlertState], now_ms: i64) -> Extra {
        let (items, alerts) = crate::web::active_alerts::view(states, now_ms);
        Extra {
            items,
            alerts,
            ..Extra::default()
        }
    }

    #[test]
    fn a_firing_alert_leads_the_line_and_replaces_the_threshold_item_on_its_series() {
        use crate::web::active_alerts::tests::firing_memory;
        let mut s = healthy();
        set(&mut s, "memory.used_percent", 93.2);
        set(&mut s, "temp.max_celsius", 75.0);
        assert_eq!(
            assess(&s, &Extra::default()).line,
            "Memory is 93 % used (and 1 more below)"
        );
        let fired = s.ts_ms - 14 * 60_000;
        let o = assess(&s, &with_alerts(&[firing_memory(fired, 93.2)], s.ts_ms));
        assert_eq!(
            o.line,
            "Memory in use is at 93 % (warning for 14 min) (and 1 more below)"
        );
        assert_eq!(o.level, Level::Warning);
        let whats: Vec<&str> = o.attention.iter().map(|a| a.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "Memory in use is at 93 % (warning for 14 min)",
                "The system is hot: 75 °C"
            ],
            "the alert replaced 'Memory is 93 % used'"
        );
        assert!(o.attention[0].alert && !o.attention[1].alert);
        assert!(o.has_other_attention());
        assert_eq!(o.alerts.len(), 1);
        assert_eq!(o.alerts[0].since, "for 14 min");
    }

    #[test]
    fn a_worse_reading_still_leads_an_alert_of_a_lower_level() {
        use crate::web::active_alerts::tests::firing_memory;
        let mut s = healthy();
        set(&mut s, "disk./data.used_percent", 96.4);
        set(&mut s, "disk./data.free_bytes", 1.1e9);
        let o = assess(&s, &with_alerts(&[firing_memory(s.ts_ms, 40.0)], s.ts_ms));
        assert_eq!(o.level, Level::Problem);
        assert_eq!(
            o.line,
            "Disk /data is 96 % full (1.1 GB free) (and 1 more below)"
        );
        assert_eq!(
            o.attention[1].what,
            "Memory in use is at 40 % (warning for under a minute)"
        );
    }

    #[test]
    fn pending_alerts_are_listed_but_leave_the_line_alone() {
        use crate::web::active_alerts::tests::firing_memory;
        let mut pending = firing_memory(0, 91.0);
        pending.status = crate::alert::Status::Pending;
        let s = healthy();
        let o = assess(&s, &with_alerts(&[pending], s.ts_ms));
        assert_eq!(o.line, "All good");
        assert!(o.attention.is_empty());
        assert_eq!(o.alerts.len(), 1);
        assert!(!o.has_other_attention());
    }

    #[test]
    fn before_the_first_tick_it_says_starting() {
        let o = assess(&Snapshot::default(), &Extra::default());
        assert!(o.line.starts_with("Starting"));
    }
}

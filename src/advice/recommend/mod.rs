//! The rules: from the analysis' findings, the latest readings, the add-ons' recent use, the
//! disk's content and the recorder's churn to recommendations. Pure and cheap (the bench
//! holds it to 10 ms for a whole pass); conditions that must last (swap, CPU, heat) are
//! tracked across passes by [`Sustain`].

use std::collections::HashMap;

use super::recorder::ChurnReport;
use super::types::{
    AdviceKind, AdviceState, Evidence, ProposedAction, Recommendation, Saving, make_id,
};
use crate::analysis::report::Findings;
use crate::config::ActionKind;
use crate::model::registry;

#[cfg(test)]
mod tests;

const DAY: f64 = 86_400.0;
/// A disk that fills within this many days gets advice.
pub const DISK_DAYS: f64 = 30.0;
/// An add-on idle this long (near-zero CPU, no network) could be stopped.
pub const IDLE_DAYS: f64 = 7.0;
/// Highest hourly CPU (percent of the host) and network (bytes/s) that count as idle.
pub const IDLE_CPU_PERCENT: f64 = 0.5;
pub const IDLE_NET_BYTES: f64 = 200.0;
/// Swap traffic (bytes/s in + out) that means memory pressure, and for how long.
pub const SWAP_BYTES: f64 = 256_000.0;
pub const SWAP_FOR_MS: i64 = 10 * 60_000;
/// An add-on using this share of the host's CPU for this long is a hog.
pub const HOG_PERCENT: f64 = 50.0;
pub const HOG_FOR_MS: i64 = 30 * 60_000;
/// Temperature that counts as hot, and for how long.
pub const HOT_CELSIUS: f64 = 80.0;
pub const HOT_FOR_MS: i64 = 10 * 60_000;
/// Leaks with less confidence are not advised on.
pub const LEAK_CONFIDENCE: f64 = 0.9;

/// One add-on's use over the idle window (from hourly history).
#[derive(Debug, Clone, PartialEq)]
pub struct AddonUsage {
    pub slug: String,
    /// Seconds of history the window covers.
    pub covered_seconds: f64,
    /// Highest hourly mean CPU, percent of the host.
    pub max_cpu_percent: f64,
    /// Highest hourly mean network traffic, rx + tx bytes/s.
    pub max_net_bytes: f64,
    /// Memory used now, bytes.
    pub memory_bytes: Option<f64>,
}

/// Backups as the Supervisor lists them (`GET /backups`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backups {
    /// Sizes in bytes, newest first.
    pub sizes: Vec<f64>,
}

/// What takes the space of the data disk, as far as it is known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskContent {
    pub backups: Option<Backups>,
    /// Size of `home-assistant_v2.db` (with its WAL), bytes.
    pub recorder_db_bytes: Option<f64>,
    /// What the Supervisor reports taking the data disk (`/host/disks/default/usage`), largest
    /// first: its parts (`addons_data`, `backup`, `media`, …) and each add-on's data.
    pub parts: Vec<(String, f64)>,
}

/// The latest readings the rules look at (series id to value).
pub type Latest = HashMap<String, f64>;

/// Everything a pass works from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub now_ms: i64,
    pub findings: &'a Findings,
    pub latest: &'a Latest,
    pub addons: &'a [AddonUsage],
    pub disk: &'a DiskContent,
}

/// Since when each lasting condition holds (key to Unix ms).
#[derive(Debug, Clone, Default)]
pub struct Sustain {
    since: HashMap<String, i64>,
}

impl Sustain {
    /// Records whether `key` holds at `now_ms`; returns since when it holds without a break.
    pub fn observe(&mut self, key: &str, holds: bool, now_ms: i64) -> Option<i64> {
        if holds {
            Some(*self.since.entry(key.to_string()).or_insert(now_ms))
        } else {
            self.since.remove(key);
            None
        }
    }
}

fn mb(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else {
        format!("{:.0} MB", bytes / 1e6)
    }
}

fn duration(seconds: f64) -> String {
    if seconds >= 2.0 * DAY {
        format!("{:.0} days", seconds / DAY)
    } else if seconds >= 7200.0 {
        format!("{:.0} hours", seconds / 3600.0)
    } else {
        format!("{:.0} minutes", (seconds / 60.0).max(1.0))
    }
}

fn get(latest: &Latest, id: &str) -> Option<f64> {
    latest.get(id).copied().filter(|v| v.is_finite())
}

fn rec(kind: AdviceKind, target: &str, title: String) -> Recommendation {
    Recommendation {
        id: make_id(kind, target),
        kind,
        target: target.to_string(),
        title,
        evidence: Vec::new(),
        saving: Saving::default(),
        confidence: 0.5,
        action: None,
        state: AdviceState::Open,
        snoozed_until_ms: None,
        snippet: None,
    }
}

/// The price of energy (`power.energy_price`) and its currency.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyPrice {
    pub per_kwh: f64,
    pub currency: String,
}

/// Adds what stopping an idle add-on or taming a CPU hog saves in watts (its share of the
/// host's power, from the derive stage) and, with a price, in money a month.
pub fn attach_power(list: &mut [Recommendation], latest: &Latest, price: Option<&EnergyPrice>) {
    for r in list {
        if !matches!(r.kind, AdviceKind::Idle | AdviceKind::CpuHog) {
            continue;
        }
        let Some(slug) = r.action.as_ref().map(|a| a.addon.clone()) else {
            continue;
        };
        let id = registry::ADDON_POWER.instance(&slug, &[]).id;
        let Some(watts) = get(latest, &id).filter(|w| *w > 0.0) else {
            continue;
        };
        r.saving.watts = Some(watts);
        let mut value = format!("{watts:.1} W");
        if let Some(price) = price {
            let cost = crate::collect::power::cost_per_month(watts, price.per_kwh);
            r.saving.cost_per_month = Some(cost);
            value.push_str(&format!(" ({cost:.2} {} a month)", price.currency));
        }
        r.evidence.push(Evidence::of_series(
            "power it draws (its share of the host's CPU)",
            value,
            id,
            None,
        ));
    }
}

/// Runs every rule over the readings and the recorder's churn; the list is sorted by saving
/// (largest first), then by id.
pub fn recommend(
    input: &Inputs<'_>,
    churn: &ChurnReport,
    sustain: &mut Sustain,
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    leaks(input, &mut out);
    idle(input, &mut out);
    disk(input, &mut out);
    recorder(input, churn, &mut out);
    pressure(input, sustain, &mut out);
    hogs(input, sustain, &mut out);
    heat(input, sustain, &mut out);
    out.sort_by(|a, b| {
        b.saving
            .weight()
            .total_cmp(&a.saving.weight())
            .then(a.id.cmp(&b.id))
    });
    out
}

fn host_memory_percent(input: &Inputs<'_>, bytes: f64) -> Option<f64> {
    get(input.latest, "memory.total_bytes")
        .filter(|t| *t > 0.0)
        .map(|t| bytes / t * 100.0)
}

fn leaks(input: &Inputs<'_>, out: &mut Vec<Recommendation>) {
    for leak in &input.findings.leaks {
        if leak.leak.confidence < LEAK_CONFIDENCE {
            continue;
        }
        let addon = leak
            .series
            .strip_prefix("addon.")
            .and_then(|s| s.strip_suffix(".memory_bytes"));
        let target = addon.unwrap_or(&leak.suspect);
        let window_s = (leak.leak.to - leak.leak.from).max(0.0);
        let grown = leak.leak.rate_per_day * window_s / DAY;
        let when = leak
            .leak
            .eta_to_limit
            .map(|eta| format!(", reaching its limit in about {}", duration(eta)))
            .unwrap_or_default();
        let who = match addon {
            Some(slug) => format!("Add-on {slug}"),
            None if target == "host" => "The host's memory".to_string(),
            None => target.to_string(),
        };
        let mut r = rec(
            AdviceKind::Leak,
            target,
            format!(
                "{who} leaks memory: +{}/day{when}; a restart frees it",
                mb(leak.leak.rate_per_day)
            ),
        );
        let window = Some((
            (leak.leak.from * 1000.0) as i64,
            (leak.leak.to * 1000.0) as i64,
        ));
        r.evidence.push(Evidence::of_series(
            "growth of the memory troughs",
            format!("{}/day", mb(leak.leak.rate_per_day)),
            &leak.series,
            window,
        ));
        if let Some(eta) = leak.leak.eta_to_limit {
            r.evidence
                .push(Evidence::fact("limit reached in", duration(eta)));
        }
        r.saving.memory_bytes = Some(grown);
        r.saving.memory_percent = host_memory_percent(input, grown);
        r.confidence = leak.leak.confidence;
        r.action = addon.map(|slug| ProposedAction {
            kind: ActionKind::Restart,
            addon: slug.to_string(),
        });
        out.push(r);
    }
}

fn idle(input: &Inputs<'_>, out: &mut Vec<Recommendation>) {
    for a in input.addons {
        let idle = a.covered_seconds >= IDLE_DAYS * DAY
            && a.max_cpu_percent <= IDLE_CPU_PERCENT
            && a.max_net_bytes <= IDLE_NET_BYTES;
        if !idle {
            continue;
        }
        let days = a.covered_seconds / DAY;
        let mut r = rec(
            AdviceKind::Idle,
            &a.slug,
            format!(
                "Add-on {} has been idle for {days:.0} days; stopping it frees {}",
                a.slug,
                a.memory_bytes.map_or("its memory".into(), mb)
            ),
        );
        let window = Some((
            input.now_ms - (a.covered_seconds * 1000.0) as i64,
            input.now_ms,
        ));
        r.evidence.push(Evidence::of_series(
            "highest hourly CPU",
            format!("{:.2} % of the host", a.max_cpu_percent),
            registry::ADDON_CPU.instance(&a.slug, &[]).id,
            window,
        ));
        r.evidence.push(Evidence::of_series(
            "highest hourly network traffic",
            format!("{:.0} B/s", a.max_net_bytes),
            registry::ADDON_NET_RX.instance(&a.slug, &[]).id,
            window,
        ));
        r.saving.memory_bytes = a.memory_bytes;
        r.saving.memory_percent = a.memory_bytes.and_then(|m| host_memory_percent(input, m));
        r.saving.cpu_percent = Some(a.max_cpu_percent);
        // Longer quiet, more confident; a week is the least that counts.
        r.confidence = (0.6 + 0.05 * (days - IDLE_DAYS)).clamp(0.6, 0.95);
        r.action = Some(ProposedAction {
            kind: ActionKind::Stop,
            addon: a.slug.clone(),
        });
        out.push(r);
    }
}

fn disk(input: &Inputs<'_>, out: &mut Vec<Recommendation>) {
    for f in &input.findings.forecasts {
        let Some(eta) = f.eta_seconds else { continue };
        if f.resource != "disk" || eta > DISK_DAYS * DAY {
            continue;
        }
        let mut r = rec(
            AdviceKind::DiskFull,
            &f.instance,
            format!(
                "Disk {} fills in about {}; free space before it does",
                f.instance,
                duration(eta)
            ),
        );
        r.evidence.push(Evidence::of_series(
            "growth",
            format!("{}/day", mb(f.slope_per_day)),
            &f.series,
            None,
        ));
        r.evidence.push(Evidence::fact(
            "free space left",
            mb((f.threshold - f.current).max(0.0)),
        ));
        let mut freeable = 0.0;
        if let Some(b) = &input.disk.backups {
            let total: f64 = b.sizes.iter().sum();
            r.evidence.push(Evidence::fact(
                "backups",
                format!("{} taking {}", b.sizes.len(), mb(total)),
            ));
            // Keeping the newest backup, the others could go (or move off the box).
            freeable += b.sizes.iter().skip(1).sum::<f64>();
        }
        if let Some(db) = input.disk.recorder_db_bytes {
            r.evidence.push(Evidence::fact(
                "recorder database (home-assistant_v2.db)",
                mb(db),
            ));
        }
        if freeable > 0.0 {
            r.title = format!(
                "Disk {} fills in about {}; removing all but the newest backup frees {}",
                f.instance,
                duration(eta),
                mb(freeable)
            );
            r.saving.disk_bytes = Some(freeable);
            if f.slope_per_day > 0.0 {
                r.saving.disk_days = Some(freeable / f.slope_per_day);
            }
        }
        r.confidence = f.confidence;
        out.push(r);
    }
}

fn recorder(input: &Inputs<'_>, c: &ChurnReport, out: &mut Vec<Recommendation>) {
    let Some(snippet) = &c.snippet else { return };
    let top: Vec<String> = c
        .entities
        .iter()
        .take(3)
        .map(|e| format!("{} ({:.0}/day)", e.entity_id, e.writes_per_day))
        .collect();
    let mut r = rec(
        AdviceKind::RecorderBloat,
        "recorder",
        format!(
            "{} chatty entit{} write about {}/day into the recorder; exclude them",
            c.chatty,
            if c.chatty == 1 { "y" } else { "ies" },
            mb(c.chatty_bytes_per_day)
        ),
    );
    r.evidence
        .push(Evidence::fact("most written entities", top.join(", ")));
    if let Some(d) = c.domains.first() {
        r.evidence.push(Evidence::fact(
            "busiest domain",
            format!("{} ({} writes)", d.domain, d.writes),
        ));
    }
    r.evidence.push(Evidence::fact(
        "watched for",
        duration(c.watched_seconds as f64),
    ));
    r.saving.disk_bytes = Some(c.chatty_bytes_per_day);
    if let Some(db) = input.disk.recorder_db_bytes {
        r.evidence
            .push(Evidence::fact("recorder database now", mb(db)));
    }
    // A day of watching makes the daily rate a measurement instead of an extrapolation.
    r.confidence = (c.watched_seconds as f64 / DAY).clamp(0.3, 0.9);
    r.snippet = Some(snippet.clone());
    out.push(r);
}

fn pressure(input: &Inputs<'_>, sustain: &mut Sustain, out: &mut Vec<Recommendation>) {
    let swap = get(input.latest, "swap.in_bytes_per_second").unwrap_or(0.0)
        + get(input.latest, "swap.out_bytes_per_second").unwrap_or(0.0);
    let since = sustain.observe("memory_pressure", swap >= SWAP_BYTES, input.now_ms);
    let Some(since) = since.filter(|s| input.now_ms - s >= SWAP_FOR_MS) else {
        return;
    };
    let biggest = input
        .addons
        .iter()
        .filter_map(|a| Some((a.slug.as_str(), a.memory_bytes?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let mut r = rec(
        AdviceKind::MemoryPressure,
        "host",
        format!(
            "The box is swapping ({}/s) for {}: memory is short",
            mb(swap),
            duration((input.now_ms - since) as f64 / 1000.0)
        ),
    );
    r.evidence.push(Evidence::of_series(
        "swap in + out",
        format!("{}/s", mb(swap)),
        "swap.in_bytes_per_second",
        Some((since, input.now_ms)),
    ));
    if let Some(p) = get(input.latest, "memory.used_percent") {
        r.evidence.push(Evidence::of_series(
            "memory used",
            format!("{p:.0} %"),
            "memory.used_percent",
            None,
        ));
    }
    if let Some((slug, bytes)) = biggest {
        r.title
            .push_str(&format!("; the largest add-on is {slug} ({})", mb(bytes)));
        r.saving.memory_bytes = Some(bytes);
        r.saving.memory_percent = host_memory_percent(input, bytes);
    }
    r.confidence = 0.8;
    out.push(r);
}

fn hogs(input: &Inputs<'_>, sustain: &mut Sustain, out: &mut Vec<Recommendation>) {
    for a in input.addons {
        let id = registry::ADDON_CPU.instance(&a.slug, &[]).id;
        let cpu = get(input.latest, &id).unwrap_or(0.0);
        let key = format!("cpu_hog.{}", a.slug);
        let Some(since) = sustain
            .observe(&key, cpu >= HOG_PERCENT, input.now_ms)
            .filter(|s| input.now_ms - s >= HOG_FOR_MS)
        else {
            continue;
        };
        let mut r = rec(
            AdviceKind::CpuHog,
            &a.slug,
            format!(
                "Add-on {} has used {cpu:.0} % of the CPU for {}; a restart may calm it",
                a.slug,
                duration((input.now_ms - since) as f64 / 1000.0)
            ),
        );
        r.evidence.push(Evidence::of_series(
            "CPU",
            format!("{cpu:.0} % of the host"),
            id,
            Some((since, input.now_ms)),
        ));
        r.saving.cpu_percent = Some(cpu);
        r.confidence = 0.6;
        r.action = Some(ProposedAction {
            kind: ActionKind::Restart,
            addon: a.slug.clone(),
        });
        out.push(r);
    }
}

fn heat(input: &Inputs<'_>, sustain: &mut Sustain, out: &mut Vec<Recommendation>) {
    let temp = get(input.latest, "temp.max_celsius");
    let throttling = input
        .findings
        .bottleneck
        .as_ref()
        .is_some_and(|v| v.kind == crate::analysis::bottleneck::Bottleneck::Thermal);
    let hot = temp.is_some_and(|t| t >= HOT_CELSIUS) || throttling;
    let Some(since) = sustain
        .observe("heat", hot, input.now_ms)
        .filter(|s| input.now_ms - s >= HOT_FOR_MS)
    else {
        return;
    };
    let mut r = rec(
        AdviceKind::Heat,
        "host",
        format!(
            "The box has run hot for {}{}; check the fan and airflow",
            duration((input.now_ms - since) as f64 / 1000.0),
            if throttling { " and throttles" } else { "" }
        ),
    );
    if let Some(t) = temp {
        r.evidence.push(Evidence::of_series(
            "hottest sensor",
            format!("{t:.0} °C"),
            "temp.max_celsius",
            Some((since, input.now_ms)),
        ));
    }
    if throttling {
        r.evidence.push(Evidence::fact(
            "throttling",
            "the analysis names heat as the bottleneck",
        ));
    }
    r.confidence = 0.8;
    out.push(r);
}

//! The built-in rules: quiet on a healthy Raspberry Pi, loud only when something needs a human.
//!
//! Every value here is policy; DOCS.md (Alerts) lists them for users. Names are derived from
//! the metric, so an `alert_rules` entry naming the same metric changes the built-in rule.

use super::catalog;
use super::rule::{Direction, Rule, RuleSource, Severity};

/// Defaults of fields a new rule in the options leaves out.
pub const NEW_RULE_FOR_SECONDS: u64 = 300;
/// See [`NEW_RULE_FOR_SECONDS`].
pub const NEW_RULE_COOLDOWN_SECONDS: u64 = 3600;
/// A new rule without `clear` resolves this fraction of its first threshold away from it.
pub const NEW_RULE_CLEAR_BAND: f64 = 0.05;

struct Builtin {
    metric: &'static str,
    warn: Option<f64>,
    critical: Option<f64>,
    clear: f64,
    for_seconds: u64,
    cooldown_seconds: u64,
}

const MIN: u64 = 60;
use crate::util::time::HOUR_SECS;

const DEFAULTS: &[Builtin] = &[
    // Updates, backups and restarts peg a Pi's CPU for minutes: only a quarter hour counts.
    Builtin {
        metric: "cpu.usage",
        warn: Some(90.0),
        critical: Some(98.0),
        clear: 70.0,
        for_seconds: 15 * MIN,
        cooldown_seconds: 2 * HOUR_SECS,
    },
    // Linux keeps memory busy with caches; used_percent excludes them, so 90 % is real pressure.
    Builtin {
        metric: "memory.used_percent",
        warn: Some(90.0),
        critical: Some(95.0),
        clear: 85.0,
        for_seconds: 10 * MIN,
        cooldown_seconds: 2 * HOUR_SECS,
    },
    // Memory pressure (PSI): the share of time some task waited for memory (reclaim, swap-in,
    // thrashing). A healthy box sits near 0; a quarter of the time for ten minutes is a box
    // that struggles whatever "% used" says. No series on a kernel without PSI: no alert.
    Builtin {
        metric: "pressure.memory.some_percent",
        warn: Some(25.0),
        critical: Some(60.0),
        clear: 10.0,
        for_seconds: 10 * MIN,
        cooldown_seconds: 2 * HOUR_SECS,
    },
    // Swap in use is harmless and short bursts are normal; pages going out steadily
    // (~540 MB in 30 min, an eighth of a 4 GB Pi's RAM) is thrashing, and wears SD cards.
    // The long window averages bursts away.
    Builtin {
        metric: "swap.out_bytes_per_second",
        warn: Some(300_000.0),
        critical: Some(3_000_000.0),
        clear: 50_000.0,
        for_seconds: 30 * MIN,
        cooldown_seconds: 6 * HOUR_SECS,
    },
    // Disks fill slowly; once a day is enough to be reminded.
    Builtin {
        metric: "disk.*.used_percent",
        warn: Some(85.0),
        critical: Some(95.0),
        clear: 80.0,
        for_seconds: 15 * MIN,
        cooldown_seconds: 24 * HOUR_SECS,
    },
    // A Raspberry Pi 4/5 starts throttling at 80-85 °C.
    Builtin {
        metric: "temp.max_celsius",
        warn: Some(80.0),
        critical: Some(85.0),
        clear: 72.0,
        for_seconds: 5 * MIN,
        cooldown_seconds: HOUR_SECS,
    },
    // Share of the host's memory held by one add-on (the Supervisor sets no limits by default).
    Builtin {
        metric: "addon.*.memory_percent",
        warn: Some(50.0),
        critical: Some(70.0),
        clear: 45.0,
        for_seconds: 15 * MIN,
        cooldown_seconds: 6 * HOUR_SECS,
    },
    // A restart loop: the watchdog (or a crash and a start) restarted an add-on twice within
    // an hour. One restart is an update or a user; two in an hour is a pattern.
    Builtin {
        metric: "addon.*.restarts_last_hour",
        warn: Some(2.0),
        critical: Some(4.0),
        clear: 0.5,
        for_seconds: MIN,
        cooldown_seconds: 6 * HOUR_SECS,
    },
    // An add-on stuck while "started" (the advice's hung verdict, itself held 30 min, or 8 min
    // for an Ingress that gives no answer): the verdict must hold through 5 minutes of passes
    // and clears only once it has been off for half of them, so a wavering verdict never flaps.
    Builtin {
        metric: "addon.*.hung",
        warn: Some(1.0),
        critical: None,
        clear: 0.5,
        for_seconds: 5 * MIN,
        cooldown_seconds: 6 * HOUR_SECS,
    },
    // Share of the whole host's CPU (all cores) used by one add-on.
    Builtin {
        metric: "addon.*.cpu_percent",
        warn: Some(50.0),
        critical: None,
        clear: 35.0,
        for_seconds: 15 * MIN,
        cooldown_seconds: 6 * HOUR_SECS,
    },
];

/// The rule name derived from a metric: `disk.*.used_percent` → `disk_used_percent`,
/// `disk./.used_percent` → `disk_root_used_percent`.
pub fn name_for(metric: &str) -> String {
    let mut name = String::with_capacity(metric.len() + 4);
    for segment in metric.split('.') {
        let segment = if segment == "/" { "root" } else { segment };
        for c in segment.chars() {
            if c.is_ascii_alphanumeric() {
                name.push(c.to_ascii_lowercase());
            } else if !name.is_empty() && !name.ends_with('_') {
                name.push('_');
            }
        }
        if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
    }
    name.truncate(super::MAX_NAME_LEN);
    while name.ends_with('_') {
        name.pop();
    }
    name
}

/// The built-in rules, in display order.
pub fn rules() -> Vec<Rule> {
    DEFAULTS
        .iter()
        .filter_map(|d| {
            let (known, pattern) = catalog::lookup(d.metric)?;
            Some(Rule {
                name: name_for(d.metric),
                metric: d.metric.to_string(),
                direction: Direction::Above,
                warn: d.warn,
                critical: d.critical,
                clear: d.clear,
                for_seconds: d.for_seconds,
                cooldown_seconds: d.cooldown_seconds,
                severity: Severity::Warning,
                enabled: true,
                source: RuleSource::Default,
                known,
                pattern,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_names_a_catalog_metric_and_is_self_consistent() {
        let rules = rules();
        assert_eq!(
            rules.len(),
            DEFAULTS.len(),
            "a default names an unknown metric"
        );
        for rule in &rules {
            let first = rule.first_threshold();
            assert!(
                rule.clear < first,
                "{}: clear below the first threshold",
                rule.name
            );
            if let (Some(w), Some(c)) = (rule.warn, rule.critical) {
                assert!(w < c, "{}", rule.name);
            }
            assert!(rule.cooldown_seconds >= rule.for_seconds, "{}", rule.name);
        }
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cpu_usage",
                "memory_used_percent",
                "pressure_memory_some_percent",
                "swap_out_bytes_per_second",
                "disk_used_percent",
                "temp_max_celsius",
                "addon_memory_percent",
                "addon_restarts_last_hour",
                "addon_hung",
                "addon_cpu_percent"
            ]
        );
    }

    #[test]
    fn names_derive_from_metrics() {
        assert_eq!(
            name_for("disk./data.used_percent"),
            "disk_data_used_percent"
        );
        assert_eq!(
            name_for("addon.core_*.memory_bytes"),
            "addon_core_memory_bytes"
        );
        assert_eq!(name_for("disk./.used_percent"), "disk_root_used_percent");
        assert_eq!(name_for("disk.*.used_percent"), "disk_used_percent");
    }
}

//! The status line and the attention list: levels from the alert rules, worst first, and the
//! JSON spelling of the levels.

use super::{healthy, set};
use crate::config::alert_rules::RuleSet;
use crate::model::{Severity, Snapshot, SourceHealth};
use crate::web::summary::{Extra, assess};

#[test]
fn a_full_disk_becomes_the_status_line_with_what_to_do() {
    let mut s = healthy();
    set(&mut s, "disk./data.used_percent", 96.4);
    set(&mut s, "disk./data.free_bytes", 1.1e9);
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(o.level, Severity::Critical);
    assert_eq!(o.line, "Disk /data is 96 % full (1.1 GB free)");
    assert!(o.attention[0].todo.contains("Backups"));
}

#[test]
fn several_problems_are_listed_worst_first_and_counted_in_the_line() {
    let mut s = healthy();
    // The built-in rules: memory warns at 90 %, temperature is critical from 85 °C.
    set(&mut s, "memory.used_percent", 92.0);
    set(&mut s, "temp.max_celsius", 86.0);
    s.sources.push(SourceHealth {
        source: "thermal",
        ok: false,
        error: Some("x".into()),
        micros: 0,
    });
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(o.line, "The system is hot: 86 °C (and 2 more below)");
    let levels: Vec<Severity> = o.attention.iter().map(|a| a.level).collect();
    assert_eq!(
        levels,
        [Severity::Critical, Severity::Warning, Severity::Warning]
    );
}

/// The built-in rules with `entries` of the `alert_rules` option applied.
fn rules_with(entries: serde_json::Value) -> RuleSet {
    let mut problems = Vec::new();
    let set = RuleSet::from_option(Some(&entries), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    set
}

#[test]
fn the_thresholds_are_the_alert_rules_so_changing_a_rule_changes_the_overview() {
    let mut s = healthy();
    set(&mut s, "memory.used_percent", 88.0);
    set(&mut s, "temp.max_celsius", 75.0);
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(
        o.line, "All good",
        "below the built-in rules' thresholds (memory 90 %, temperature 80 °C)"
    );
    let stricter = rules_with(serde_json::json!([
        {"metric": "memory.used_percent", "warn": 85, "critical": 95, "clear": 80},
        {"metric": "temp.max_celsius", "warn": 70, "critical": 80, "clear": 65, "severity": "info"},
    ]));
    let o = assess(&s, &stricter, &Extra::default());
    let levels: Vec<(Severity, &str)> = o
        .attention
        .iter()
        .map(|a| (a.level, a.what.as_str()))
        .collect();
    assert_eq!(
        levels,
        [
            (Severity::Warning, "Memory is 88 % used"),
            (Severity::Info, "The system is hot: 75 °C"),
        ]
    );
    let disabled = rules_with(serde_json::json!([
        {"metric": "disk.*.used_percent", "enabled": false}
    ]));
    set(&mut s, "disk./data.used_percent", 99.0);
    assert!(
        assess(&s, &disabled, &Extra::default())
            .attention
            .iter()
            .all(|a| !a.what.starts_with("Disk")),
        "a disabled rule silences the overview too"
    );
}

#[test]
fn the_overview_json_keeps_its_level_spelling() {
    let mut s = healthy();
    set(&mut s, "disk./data.used_percent", 96.4);
    let json =
        serde_json::to_value(assess(&s, &RuleSet::default(), &Extra::default())).expect("json");
    assert_eq!(json["level"], "problem");
    assert_eq!(json["attention"][0]["level"], "problem");
    assert_eq!(json["cards"][0]["level"], "ok");
}

#[test]
fn before_the_first_tick_it_says_starting() {
    let o = assess(&Snapshot::default(), &RuleSet::default(), &Extra::default());
    assert!(o.line.starts_with("Starting"));
}

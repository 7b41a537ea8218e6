use super::rule::{Direction, RuleSource, Severity};
use super::*;
use serde_json::json;

fn parse(value: Value) -> (RuleSet, Vec<String>) {
    let mut problems = Vec::new();
    let set = RuleSet::from_option(Some(&value), &mut problems);
    (set, problems)
}

fn rule<'a>(set: &'a RuleSet, name: &str) -> &'a Rule {
    set.rules.iter().find(|r| r.name == name).expect(name)
}

#[test]
fn an_entry_naming_a_default_metric_changes_that_rule_and_keeps_its_other_fields() {
    let (set, problems) = parse(json!([{"metric": "cpu.usage", "warn": 80, "critical": 95}]));
    assert!(problems.is_empty(), "{problems:?}");
    let cpu = rule(&set, "cpu_usage");
    assert_eq!((cpu.warn, cpu.critical), (Some(80.0), Some(95.0)));
    assert_eq!(cpu.source, RuleSource::DefaultChanged);
    assert_eq!(cpu.for_seconds, 15 * 60);
    // The built-in band (70 for 90) follows the new threshold.
    assert_eq!(cpu.clear, 62.22);
    assert_eq!(set.rules.len(), RuleSet::default().rules.len());
}

#[test]
fn new_rules_get_documented_defaults_and_defaults_can_be_disabled() {
    let (set, problems) = parse(json!([
        {"name": "data_disk_low", "metric": "disk./data.free_bytes", "direction": "below",
         "warn": 2e9, "critical": 5e8, "for": "10m", "cooldown": "1d", "severity": "error"},
        {"metric": "load.5m", "warn": 4},
        {"name": "temp_max_celsius", "enabled": false}
    ]));
    assert!(problems.is_empty(), "{problems:?}");
    let low = rule(&set, "data_disk_low");
    assert_eq!(low.direction, Direction::Below);
    assert_eq!(low.clear, 2.1e9);
    assert_eq!((low.for_seconds, low.cooldown_seconds), (600, 86_400));
    assert_eq!(low.severity, Severity::Error);
    let load = rule(&set, "load_5m");
    assert_eq!((load.for_seconds, load.cooldown_seconds), (300, 3600));
    assert_eq!(load.clear, 3.8);
    assert_eq!(load.source, RuleSource::Options);
    assert!(!rule(&set, "temp_max_celsius").enabled);
    assert_eq!(set.enabled().count(), set.rules.len() - 1);
}

#[test]
fn every_bad_field_gets_one_message_naming_the_rule_and_the_field() {
    let (_, problems) = parse(json!([
        {"name": "gpu", "metric": "gpu.usage", "warn": 80},
        {"metric": "cpu.usage", "warn": 95, "critical": 90},
        {"metric": "disk.*.used_percent", "for": "-5m"},
        {"name": "Bad Name", "metric": "cpu.usage"},
        {"name": "x", "metric": "memory.used_percent", "warn": 150, "speed": 1},
        {"name": "y", "metric": "memory.used_percent", "warn": 80, "clear": 85},
        {"metric": "load.1m"},
        {"name": "y", "metric": "load.1m", "warn": 2},
        "cpu"
    ]));
    let expected = [
        "option 'alert_rules[0].metric' (rule 'gpu'): got \"gpu.usage\", allowed: a known metric or pattern",
        "option 'alert_rules[1].warn' (rule 'cpu_usage'): got 95, allowed: a number below critical (90) for an \"above\" rule",
        "option 'alert_rules[2].for' (rule 'disk_used_percent'): got \"-5m\", allowed: a duration from 0s to 1d",
        "option 'alert_rules[3].name': got \"Bad Name\", allowed: 1 to 40 characters",
        "option 'alert_rules[4].speed' (rule 'x'): unknown option",
        "option 'alert_rules[4].warn' (rule 'x'): got 150, allowed: a number from 0 to 100",
        "option 'alert_rules[5].clear' (rule 'y'): got 85, allowed: a number at or below the first threshold (80)",
        "option 'alert_rules[6].warn' (rule 'load_1m'): got nothing, allowed: a number; a rule needs warn, critical or both",
        "option 'alert_rules[7].name' (rule 'y'): got \"y\", allowed: a rule name no other entry uses",
        "option 'alert_rules[8]': got \"cpu\", allowed: an object",
    ];
    for want in expected {
        assert!(
            problems.iter().any(|p| p.starts_with(want)),
            "missing '{want}' in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
}

#[test]
fn the_options_form_checks_durations_and_names_the_same_way() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml");
    let config = std::fs::read_to_string(path).expect("config.yaml");
    for field in ["for", "cooldown"] {
        let line = format!("{field}: 'match({})?'", duration::FORM_PATTERN);
        assert!(config.contains(&line), "config.yaml lacks {line}");
    }
    let name = format!("name: 'match(^[a-z0-9_]{{1,{MAX_NAME_LEN}}}$)?'");
    assert!(config.contains(&name), "config.yaml lacks {name}");
}

#[test]
fn not_a_list_is_one_problem_and_absent_means_defaults() {
    let (_, problems) = parse(json!({"metric": "cpu.usage"}));
    assert_eq!(problems.len(), 1);
    assert!(problems[0].starts_with("option 'alert_rules': got {"));
    let mut none = Vec::new();
    assert_eq!(RuleSet::from_option(None, &mut none), RuleSet::default());
    assert!(none.is_empty());
}

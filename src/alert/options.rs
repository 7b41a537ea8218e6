//! The `alert_rules` option: a list of rules that change built-in rules (same name) or add new
//! ones. Validated before anything starts; every bad field gets one message naming the rule and
//! the field, in the same form as the other options.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value};

use super::catalog;
use super::defaults::{self, NEW_RULE_CLEAR_BAND, NEW_RULE_COOLDOWN_SECONDS, NEW_RULE_FOR_SECONDS};
use super::duration;
use super::rule::{Direction, Rule, RuleSource, Severity};
use crate::config::describe;
use crate::model::Unit;

/// Longest rule name (names become parts of Home Assistant entity ids).
pub const MAX_NAME_LEN: usize = 40;
/// Most entries in `alert_rules`.
pub const MAX_RULES: usize = 200;
/// Longest `for`: the mean window is bucketed, so this bounds nothing but good sense.
const MAX_FOR_SECONDS: u64 = 86_400;
/// Longest `cooldown`.
const MAX_COOLDOWN_SECONDS: u64 = 7 * 86_400;

const FIELDS: &[&str] = &[
    "name",
    "metric",
    "direction",
    "warn",
    "critical",
    "clear",
    "for",
    "cooldown",
    "severity",
    "enabled",
];

/// The effective rules: built-in ones (possibly changed or disabled), then added ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet {
            rules: defaults::rules(),
        }
    }
}

impl RuleSet {
    /// The rules the engine evaluates.
    pub fn enabled(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.enabled)
    }

    /// Validates the `alert_rules` option (absent: the defaults), pushing one message per bad
    /// field onto `problems`.
    pub fn from_option(value: Option<&Value>, problems: &mut Vec<String>) -> RuleSet {
        let mut set = RuleSet::default();
        let Some(value) = value else {
            return set;
        };
        let Some(list) = value.as_array() else {
            problems.push(format!(
                "option 'alert_rules': got {}, allowed: a list of rules such as [{{\"metric\": \"cpu.usage\", \"warn\": 80}}]",
                describe(value)
            ));
            return set;
        };
        if list.len() > MAX_RULES {
            problems.push(format!(
                "option 'alert_rules': got {} rules, allowed: at most {MAX_RULES}",
                list.len()
            ));
            return set;
        }
        let mut seen = HashSet::new();
        for (index, entry) in list.iter().enumerate() {
            let mut entry_problems = Vec::new();
            let parsed = Entry {
                index,
                name: None,
                problems: &mut entry_problems,
            }
            .read(entry, &set, &mut seen);
            problems.append(&mut entry_problems);
            if let Some(rule) = parsed {
                match set.rules.iter_mut().find(|r| r.name == rule.name) {
                    Some(existing) => *existing = rule,
                    None => set.rules.push(rule),
                }
            }
        }
        set
    }
}

/// Reads one entry, collecting its problems.
struct Entry<'a> {
    index: usize,
    /// Known once the name (given or derived) is read, for messages.
    name: Option<String>,
    problems: &'a mut Vec<String>,
}

impl Entry<'_> {
    fn at(&self, field: &str) -> String {
        match &self.name {
            Some(name) => format!(
                "option 'alert_rules[{}].{field}' (rule '{name}')",
                self.index
            ),
            None => format!("option 'alert_rules[{}].{field}'", self.index),
        }
    }

    fn bad(&mut self, field: &str, got: String, allowed: impl AsRef<str>) {
        let message = format!(
            "{}: got {got}, allowed: {}",
            self.at(field),
            allowed.as_ref()
        );
        self.problems.push(message);
    }

    fn read(mut self, entry: &Value, set: &RuleSet, seen: &mut HashSet<String>) -> Option<Rule> {
        let Some(map) = entry.as_object() else {
            let message = format!(
                "option 'alert_rules[{}]': got {}, allowed: an object such as {{\"metric\": \"cpu.usage\", \"warn\": 80}}",
                self.index,
                describe(entry)
            );
            self.problems.push(message);
            return None;
        };
        let name = self.name(map)?;
        self.name = Some(name.clone());
        for key in map.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            let message = format!(
                "{}: unknown option, allowed: {}",
                self.at(key),
                FIELDS.join(", ")
            );
            self.problems.push(message);
        }
        if !seen.insert(name.clone()) {
            let field = if map.contains_key("name") {
                "name"
            } else {
                "metric"
            };
            self.bad(
                field,
                format!("\"{name}\""),
                "a rule name no other entry uses (without 'name', the name comes from the metric)",
            );
            return None;
        }
        let base = set
            .rules
            .iter()
            .find(|r| r.name == name && r.source == RuleSource::Default)
            .cloned();
        let before = self.problems.len();
        let metric = self.metric(map, base.as_ref());
        let direction = self.choice(map, "direction", &["above", "below"]);
        let warn = self.number(map, "warn");
        let critical = self.number(map, "critical");
        let clear = self.number(map, "clear");
        // Cross-field checks need these; the fields below do not block them.
        let thresholds_ok = self.problems.len() == before;
        let for_seconds = self.duration(map, "for", MAX_FOR_SECONDS);
        let cooldown_seconds = self.duration(map, "cooldown", MAX_COOLDOWN_SECONDS);
        let severity = self.choice(map, "severity", &["info", "warning", "error", "critical"]);
        let enabled = match map.get("enabled") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.bad("enabled", describe(other), "true or false");
                None
            }
        };
        let (known, pattern, metric) = metric?;
        if !thresholds_ok {
            return None;
        }
        let direction = match direction.as_deref() {
            Some("below") => Direction::Below,
            Some(_) => Direction::Above,
            None => base.as_ref().map_or(Direction::Above, |b| b.direction),
        };
        let given = Given {
            warn: warn.is_some(),
            critical: critical.is_some(),
            clear: clear.is_some(),
        };
        let warn = warn.or(base.as_ref().and_then(|b| b.warn));
        let critical = critical.or(base.as_ref().and_then(|b| b.critical));
        let mut rule = Rule {
            name,
            metric,
            direction,
            warn,
            critical,
            clear: 0.0,
            for_seconds: for_seconds
                .or(base.as_ref().map(|b| b.for_seconds))
                .unwrap_or(NEW_RULE_FOR_SECONDS),
            cooldown_seconds: cooldown_seconds
                .or(base.as_ref().map(|b| b.cooldown_seconds))
                .unwrap_or(NEW_RULE_COOLDOWN_SECONDS),
            severity: severity
                .as_deref()
                .and_then(Severity::parse)
                .or(base.as_ref().map(|b| b.severity))
                .unwrap_or(Severity::Warning),
            enabled: enabled.unwrap_or(true),
            source: if base.is_some() {
                RuleSource::DefaultChanged
            } else {
                RuleSource::Options
            },
            known,
            pattern,
        };
        if rule.warn.is_none() && rule.critical.is_none() {
            self.bad(
                "warn",
                "nothing".into(),
                "a number; a rule needs warn, critical or both",
            );
            return None;
        }
        rule.clear = match (clear, &base) {
            (Some(clear), _) => clear,
            (None, _) => round_significant(derived_clear(&rule, base.as_ref()), 4),
        };
        let before_checks = self.problems.len();
        self.check_order(&rule, given);
        if self.problems.len() == before_checks {
            self.check_percent(&rule, given);
        }
        (self.problems.len() == before).then_some(rule)
    }

    fn name(&mut self, map: &Map<String, Value>) -> Option<String> {
        match map.get("name") {
            Some(Value::String(s))
                if !s.is_empty()
                    && s.len() <= MAX_NAME_LEN
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
            {
                Some(s.clone())
            }
            Some(other) => {
                self.bad(
                    "name",
                    describe(other),
                    format!("1 to {MAX_NAME_LEN} characters from a-z, 0-9 and _"),
                );
                None
            }
            None => match map.get("metric").and_then(Value::as_str) {
                Some(metric) if !defaults::name_for(metric).is_empty() => {
                    Some(defaults::name_for(metric))
                }
                _ => {
                    let allowed = format!("a metric such as {}", catalog::examples());
                    let got = map.get("metric").map_or("nothing".into(), describe);
                    self.bad("metric", got, allowed);
                    None
                }
            },
        }
    }

    fn metric(
        &mut self,
        map: &Map<String, Value>,
        base: Option<&Rule>,
    ) -> Option<(&'static catalog::KnownMetric, catalog::Pattern, String)> {
        let Some(value) = map.get("metric") else {
            if let Some(b) = base {
                return Some((b.known, b.pattern.clone(), b.metric.clone()));
            }
            let allowed = format!("a metric such as {}", catalog::examples());
            self.bad("metric", "nothing".into(), allowed);
            return None;
        };
        match value.as_str().and_then(catalog::lookup) {
            Some((known, pattern)) => Some((known, pattern, value.as_str()?.to_string())),
            None => {
                let allowed = format!("a known metric or pattern such as {}", catalog::examples());
                self.bad("metric", describe(value), allowed);
                None
            }
        }
    }

    fn choice(
        &mut self,
        map: &Map<String, Value>,
        field: &str,
        allowed: &[&str],
    ) -> Option<String> {
        let value = map.get(field)?;
        match value.as_str() {
            Some(s) if allowed.contains(&s) => Some(s.to_string()),
            _ => {
                self.bad(
                    field,
                    describe(value),
                    format!("one of {}", allowed.join(", ")),
                );
                None
            }
        }
    }

    fn number(&mut self, map: &Map<String, Value>, field: &str) -> Option<f64> {
        let value = map.get(field)?;
        match value.as_f64().filter(|v| v.is_finite()) {
            Some(v) => Some(v),
            None => {
                self.bad(field, describe(value), "a number in the metric's unit");
                None
            }
        }
    }

    fn duration(&mut self, map: &Map<String, Value>, field: &str, max: u64) -> Option<u64> {
        let value = map.get(field)?;
        match value.as_str().and_then(duration::parse_seconds) {
            Some(seconds) if seconds <= max => Some(seconds),
            _ => {
                let allowed = format!(
                    "a duration from 0s to {}: a whole number then s, m, h or d, such as 30s, 5m, 1h",
                    duration::format_seconds(max)
                );
                self.bad(field, describe(value), allowed);
                None
            }
        }
    }

    fn check_order(&mut self, rule: &Rule, given: Given) {
        let better = match rule.direction {
            Direction::Above => "below",
            Direction::Below => "above",
        };
        let dir = rule.direction.as_str();
        if let (Some(w), Some(c)) = (rule.warn, rule.critical)
            && rule.direction.beyond(w, c)
        {
            // Blame the field the user wrote; the other one may be built in.
            if given.warn || !given.critical {
                let allowed = format!(
                    "a number {better} critical ({c}{}) for an \"{dir}\" rule",
                    built_in(given.critical)
                );
                self.bad("warn", fmt(w), allowed);
            } else {
                let worse = if better == "below" { "above" } else { "below" };
                let allowed = format!(
                    "a number {worse} warn ({w}{}) for an \"{dir}\" rule",
                    built_in(given.warn)
                );
                self.bad("critical", fmt(c), allowed);
            }
            return;
        }
        let first = rule.first_threshold();
        if rule.direction.beyond(rule.clear, first) && rule.clear != first {
            let got = if given.clear {
                fmt(rule.clear)
            } else {
                format!("nothing (derived: {})", fmt(rule.clear))
            };
            let allowed = format!(
                "a number at or {better} the first threshold ({first}) for an \"{dir}\" rule: alerts resolve once past clear"
            );
            self.bad("clear", got, allowed);
        }
    }

    fn check_percent(&mut self, rule: &Rule, given: Given) {
        if rule.known.unit != Unit::Percent {
            return;
        }
        let fields = [
            ("warn", rule.warn, given.warn),
            ("critical", rule.critical, given.critical),
            ("clear", Some(rule.clear), given.clear),
        ];
        for (field, value, written) in fields {
            if let Some(v) = value.filter(|v| written && !(0.0..=100.0).contains(v)) {
                self.bad(
                    field,
                    fmt(v),
                    "a number from 0 to 100 (this metric is in percent)",
                );
            }
        }
    }
}

/// Which thresholds an entry wrote itself (the rest come from the built-in rule).
#[derive(Debug, Clone, Copy)]
struct Given {
    warn: bool,
    critical: bool,
    clear: bool,
}

fn built_in(given: bool) -> &'static str {
    if given { "" } else { ", built in" }
}

/// The clear level of an entry that leaves it out: built-in rules keep their hysteresis in
/// proportion to changed thresholds; new rules get a band of [`NEW_RULE_CLEAR_BAND`].
fn derived_clear(rule: &Rule, base: Option<&Rule>) -> f64 {
    let first = rule.first_threshold();
    match base {
        Some(b) if b.first_threshold() == first => b.clear,
        Some(b) if b.first_threshold() != 0.0 => b.clear / b.first_threshold() * first,
        Some(b) => b.clear,
        None => {
            let band = first.abs() * NEW_RULE_CLEAR_BAND;
            match rule.direction {
                Direction::Above => first - band,
                Direction::Below => first + band,
            }
        }
    }
}

/// `value` to `digits` significant digits, so derived levels read well (66.11, not 66.1111…).
fn round_significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(digits - 1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

fn fmt(v: f64) -> String {
    format!("{v}")
}

#[cfg(test)]
mod tests {
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
}

//! One entry of `alert_rules`: its fields read through the options reader, merged with the
//! built-in rule of the same name, then checked as a whole.

use std::collections::HashSet;

use serde_json::Value;

use super::catalog;
use super::checks::{Given, check_order, check_percent, derived_clear, round_significant};
use super::defaults::{self, NEW_RULE_COOLDOWN_SECONDS, NEW_RULE_FOR_SECONDS};
use super::rule::{Direction, Rule, RuleSource, Severity};
use super::{MAX_COOLDOWN_SECONDS, MAX_FOR_SECONDS, MAX_NAME_LEN, RuleSet};
use crate::config::duration;
use crate::config::problems::{OptionPath, Problems};
use crate::config::reader::{Object, describe};

/// Reads entry `at`, pushing one message per bad field; `None` if it has any.
pub(super) fn read(
    value: &Value,
    at: OptionPath,
    set: &RuleSet,
    seen: &mut HashSet<String>,
    p: &mut Problems,
) -> Option<Rule> {
    let allowed = "an object such as {\"metric\": \"cpu.usage\", \"warn\": 80}";
    let obj = Object::new(value, at, allowed, p)?;
    Entry { obj, p }.read(set, seen)
}

/// Reads one entry, collecting its problems.
struct Entry<'a, 'p> {
    /// The entry; once its name (given or derived) is known, messages name the rule too.
    obj: Object<'a>,
    p: &'p mut Problems,
}

impl Entry<'_, '_> {
    fn bad(&mut self, field: &str, got: String, allowed: impl std::fmt::Display) {
        self.p.bad(&self.obj.at(field), got, allowed);
    }

    fn read(mut self, set: &RuleSet, seen: &mut HashSet<String>) -> Option<Rule> {
        let name = self.name()?;
        self.obj.note(format!("rule '{name}'"));
        self.obj.known_keys(RuleSet::FIELDS, self.p);
        if !seen.insert(name.clone()) {
            let field = if self.obj.contains("name") {
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
        let before = self.p.len();
        let metric = self.metric(base.as_ref());
        let direction = self.obj.choice("direction", &["above", "below"], self.p);
        let warn = self.number("warn");
        let critical = self.number("critical");
        let clear = self.number("clear");
        // Cross-field checks need these; the fields below do not block them.
        let thresholds_ok = self.p.len() == before;
        let for_seconds = self.duration("for", MAX_FOR_SECONDS);
        let cooldown_seconds = self.duration("cooldown", MAX_COOLDOWN_SECONDS);
        let severities = ["info", "warning", "error", "critical"];
        let severity = self.obj.choice("severity", &severities, self.p);
        let enabled = self.obj.bool("enabled", self.p);
        let (known, pattern, metric) = metric?;
        if !thresholds_ok {
            return None;
        }
        let direction = match direction {
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
        rule.clear = match clear {
            Some(clear) => clear,
            None => round_significant(derived_clear(&rule, base.as_ref()), 4),
        };
        let before_checks = self.p.len();
        check_order(&self.obj, &rule, given, self.p);
        if self.p.len() == before_checks {
            check_percent(&self.obj, &rule, given, self.p);
        }
        (self.p.len() == before).then_some(rule)
    }

    fn name(&mut self) -> Option<String> {
        if self.obj.contains("name") {
            let allowed = format!("1 to {MAX_NAME_LEN} characters from a-z, 0-9 and _");
            return self
                .obj
                .string("name", valid_name, allowed, self.p)
                .map(str::to_string);
        }
        match self.obj.get("metric").and_then(Value::as_str) {
            Some(metric) if !defaults::name_for(metric).is_empty() => {
                Some(defaults::name_for(metric))
            }
            _ => {
                let allowed = format!("a metric such as {}", catalog::examples());
                let got = self.obj.get("metric").map_or("nothing".into(), describe);
                self.bad("metric", got, allowed);
                None
            }
        }
    }

    fn metric(
        &mut self,
        base: Option<&Rule>,
    ) -> Option<(&'static catalog::KnownMetric, catalog::Pattern, String)> {
        let Some(value) = self.obj.get("metric") else {
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

    fn number(&mut self, field: &str) -> Option<f64> {
        self.obj
            .number(field, "a number in the metric's unit", self.p)
    }

    fn duration(&mut self, field: &str, max: u64) -> Option<u64> {
        let value = self.obj.get(field)?;
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
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

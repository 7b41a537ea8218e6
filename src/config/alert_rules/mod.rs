//! The `alert_rules` option: a list of rules that change built-in rules (same name) or add new
//! ones. Validated before anything starts; every bad field gets one message naming the rule and
//! the field, in the same form as the other options.
//!
//! What the rules are ([`rule`], [`catalog`], [`defaults`]) lives here too, as plain data: the
//! option cannot be validated without them, and `crate::alert` (which runs the rules) re-exports
//! them, so the dependency goes one way only. [`duration`] is the options' duration format, read
//! by other sections too; it lives in `config` and is re-exported here under its old path.

pub mod catalog;
mod checks;
pub mod defaults;
mod entry;
pub mod rule;

pub use super::duration;

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use super::problems::{OptionPath, Problems};
use super::reader::{Object, describe};
use rule::Rule;

/// Longest rule name (names become parts of Home Assistant entity ids).
pub const MAX_NAME_LEN: usize = 40;
/// Most entries in `alert_rules`.
pub const MAX_RULES: usize = 200;
/// Longest `for`: the mean window is bucketed, so this bounds nothing but good sense.
const MAX_FOR_SECONDS: u64 = 86_400;
/// Longest `cooldown`.
const MAX_COOLDOWN_SECONDS: u64 = 7 * 86_400;

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
    /// What the enabled rules on series `id` make of one reading: the worst severity reached
    /// (`None` below every threshold or without a rule). The overview judges single readings
    /// with this, so it and the alerts share their thresholds.
    pub fn judge(&self, id: &str, value: f64) -> Option<rule::Severity> {
        self.enabled()
            .filter(|r| r.pattern.instance(id).is_some())
            .filter_map(|r| Some(r.severity_at(r.level_of(value)?)))
            .max()
    }

    /// The fields of one `alert_rules` entry, in the order messages list them.
    pub const FIELDS: &[&str] = &[
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

    /// The rules the engine evaluates.
    pub fn enabled(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.enabled)
    }

    /// Validates the `alert_rules` option (absent: the defaults), pushing one message per bad
    /// field onto `problems`.
    pub fn from_option(value: Option<&Value>, problems: &mut Vec<String>) -> RuleSet {
        let mut found = Problems::default();
        let set = RuleSet::read_value(value, &OptionPath::named("alert_rules"), &mut found);
        problems.extend(found.into_vec());
        set
    }

    /// Reads `alert_rules` from the options object.
    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> RuleSet {
        RuleSet::read_value(options.get("alert_rules"), &options.at("alert_rules"), p)
    }

    fn read_value(value: Option<&Value>, at: &OptionPath, p: &mut Problems) -> RuleSet {
        let mut set = RuleSet::default();
        let Some(value) = value else {
            return set;
        };
        let Some(list) = value.as_array() else {
            p.bad(
                at,
                describe(value),
                "a list of rules such as [{\"metric\": \"cpu.usage\", \"warn\": 80}]",
            );
            return set;
        };
        if list.len() > MAX_RULES {
            p.bad(
                at,
                format!("{} rules", list.len()),
                format!("at most {MAX_RULES}"),
            );
            return set;
        }
        let mut seen = HashSet::new();
        for (index, value) in list.iter().enumerate() {
            if let Some(rule) = entry::read(value, at.index(index), &set, &mut seen, p) {
                match set.rules.iter_mut().find(|r| r.name == rule.name) {
                    Some(existing) => *existing = rule,
                    None => set.rules.push(rule),
                }
            }
        }
        set
    }
}

#[cfg(test)]
mod tests;

//! Checks of an `alert_rules` entry as a whole (thresholds in order, percent in range) and the
//! clear level of an entry that leaves it out.

use super::defaults::NEW_RULE_CLEAR_BAND;
use super::rule::{Direction, Rule};
use crate::config::problems::Problems;
use crate::config::reader::Object;
use crate::model::Unit;

/// Which thresholds an entry wrote itself (the rest come from the built-in rule).
#[derive(Debug, Clone, Copy)]
pub(super) struct Given {
    pub warn: bool,
    pub critical: bool,
    pub clear: bool,
}

/// Warn before critical, clear on the good side of the first threshold.
pub(super) fn check_order(entry: &Object<'_>, rule: &Rule, given: Given, p: &mut Problems) {
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
            p.bad(&entry.at("warn"), fmt(w), allowed);
        } else {
            let worse = if better == "below" { "above" } else { "below" };
            let allowed = format!(
                "a number {worse} warn ({w}{}) for an \"{dir}\" rule",
                built_in(given.warn)
            );
            p.bad(&entry.at("critical"), fmt(c), allowed);
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
        p.bad(&entry.at("clear"), got, allowed);
    }
}

/// Levels the entry wrote for a percent metric lie within 0–100.
pub(super) fn check_percent(entry: &Object<'_>, rule: &Rule, given: Given, p: &mut Problems) {
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
            p.bad(
                &entry.at(field),
                fmt(v),
                "a number from 0 to 100 (this metric is in percent)",
            );
        }
    }
}

fn built_in(given: bool) -> &'static str {
    if given { "" } else { ", built in" }
}

/// The clear level of an entry that leaves it out: built-in rules keep their hysteresis in
/// proportion to changed thresholds; new rules get a band of [`NEW_RULE_CLEAR_BAND`].
pub(super) fn derived_clear(rule: &Rule, base: Option<&Rule>) -> f64 {
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
pub(super) fn round_significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(digits - 1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

fn fmt(v: f64) -> String {
    format!("{v}")
}

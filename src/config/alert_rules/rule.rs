//! An effective alert rule: what it watches, when it fires, when it clears, how often it may
//! notify. Built only from validated options or the built-in defaults.

use serde::Serialize;

use super::catalog::{KnownMetric, Pattern};
use crate::config::duration;

/// Which side of the thresholds is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Above,
    Below,
}

impl Direction {
    /// Whether `value` has reached `threshold` on the bad side.
    pub fn beyond(self, value: f64, threshold: f64) -> bool {
        match self {
            Direction::Above => value >= threshold,
            Direction::Below => value <= threshold,
        }
    }

    /// Whether `value` is back on the good side of `clear` (strictly, so a value sitting on
    /// the clear level keeps an alert open).
    pub fn cleared(self, value: f64, clear: f64) -> bool {
        match self {
            Direction::Above => value < clear,
            Direction::Below => value > clear,
        }
    }

    /// `above` or `below`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Above => "above",
            Direction::Below => "below",
        }
    }
}

/// How bad an alert is: the crate's one severity vocabulary, shared with the overview.
pub use crate::model::Severity;

/// Which threshold an open alert has crossed (stored in SQLite). Not a severity: what a level
/// means to users is [`Rule::severity_at`], whose default is the one `From` mapping below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Warn,
    Critical,
}

impl Level {
    /// Stable name stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warn => "warn",
            Level::Critical => "critical",
        }
    }

    /// Inverse of [`Level::as_str`].
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "warn" => Some(Level::Warn),
            "critical" => Some(Level::Critical),
            _ => None,
        }
    }
}

impl From<Level> for Severity {
    /// The severity of a threshold when the rule says nothing else.
    fn from(level: Level) -> Severity {
        match level {
            Level::Warn => Severity::Warning,
            Level::Critical => Severity::Critical,
        }
    }
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    /// Built in (see `alert::defaults`).
    Default,
    /// A built-in rule changed by the `alert_rules` option.
    DefaultChanged,
    /// Added by the `alert_rules` option.
    Options,
}

/// A validated rule. Thresholds are in the metric's unit (percent, bytes, °C, bytes/s).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Unique, `[a-z0-9_]`; part of entity ids.
    pub name: String,
    /// Series id or pattern, as written.
    pub metric: String,
    pub direction: Direction,
    pub warn: Option<f64>,
    pub critical: Option<f64>,
    /// Level past which an open alert resolves (hysteresis).
    pub clear: f64,
    /// The mean over this trailing window must be past a threshold to fire (ADR 0003).
    pub for_seconds: u64,
    /// Least time between two notifications of the same rule and target.
    pub cooldown_seconds: u64,
    /// Severity at the warn level; the critical level is always `critical`.
    pub severity: Severity,
    pub enabled: bool,
    pub source: RuleSource,
    #[serde(skip)]
    pub known: &'static KnownMetric,
    #[serde(skip)]
    pub pattern: Pattern,
}

impl Rule {
    /// The threshold crossed first (warn if set, else critical).
    pub fn first_threshold(&self) -> f64 {
        self.warn.or(self.critical).unwrap_or(self.clear)
    }

    /// The highest level `value` has reached, if any.
    pub fn level_of(&self, value: f64) -> Option<Level> {
        let beyond = |t: Option<f64>| t.is_some_and(|t| self.direction.beyond(value, t));
        if beyond(self.critical) {
            Some(Level::Critical)
        } else if beyond(self.warn) {
            Some(Level::Warn)
        } else {
            None
        }
    }

    /// The threshold of a level (critical falls back to warn for warn-only rules).
    pub fn threshold(&self, level: Level) -> f64 {
        match level {
            Level::Critical => self.critical.unwrap_or_else(|| self.first_threshold()),
            Level::Warn => self.first_threshold(),
        }
    }

    /// Level past which a critical alert steps back to warn: the same hysteresis band as
    /// between the first threshold and `clear`.
    pub fn critical_clear(&self) -> Option<f64> {
        let band = (self.first_threshold() - self.clear).abs();
        let critical = self.critical?;
        self.warn?;
        Some(match self.direction {
            Direction::Above => critical - band,
            Direction::Below => critical + band,
        })
    }

    /// Severity reported at a level.
    pub fn severity_at(&self, level: Level) -> Severity {
        match level {
            Level::Critical => Severity::from(level),
            Level::Warn => self.severity,
        }
    }

    /// Window of the mean, in milliseconds.
    pub fn for_ms(&self) -> i64 {
        self.for_seconds as i64 * 1000
    }

    /// Cooldown, in milliseconds.
    pub fn cooldown_ms(&self) -> i64 {
        self.cooldown_seconds as i64 * 1000
    }

    /// `for` as the options write it (`5m`).
    pub fn for_text(&self) -> String {
        duration::format_seconds(self.for_seconds)
    }

    /// `cooldown` as the options write it.
    pub fn cooldown_text(&self) -> String {
        duration::format_seconds(self.cooldown_seconds)
    }
}

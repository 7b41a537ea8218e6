//! The stored record of an alert incident (one firing episode of one rule and target) and why
//! it ended. The alert engine makes them and the store keeps them; they live here, below
//! `alert`, so the store need not import the layer above it. `crate::alert` re-exports them.

use serde::Serialize;

use crate::config::alert_rules::rule::{Level, Severity};
use crate::model::Unit;

/// Why an incident ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentResolution {
    /// The mean went past the clear level.
    Recovered,
    /// The series stopped reporting (disk unmounted, add-on stopped or removed).
    NoData,
    /// The rule is gone from the options (seen at start).
    RuleRemoved,
}

impl IncidentResolution {
    /// Stable name stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentResolution::Recovered => "recovered",
            IncidentResolution::NoData => "no_data",
            IncidentResolution::RuleRemoved => "rule_removed",
        }
    }

    /// Inverse of [`IncidentResolution::as_str`].
    pub fn parse(text: &str) -> Option<IncidentResolution> {
        match text {
            "recovered" => Some(IncidentResolution::Recovered),
            "no_data" => Some(IncidentResolution::NoData),
            "rule_removed" => Some(IncidentResolution::RuleRemoved),
            _ => None,
        }
    }
}

/// One firing episode of one rule and target: one SQLite row, written on transitions only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: i64,
    pub rule: String,
    /// The series id (`disk./data.used_percent`).
    pub series: String,
    /// The instance (`/data`, an add-on slug), empty for host-wide metrics.
    pub target: String,
    /// Plain words for the metric (`Space used on /data`).
    pub label: String,
    pub unit: Unit,
    /// Current level (at the end, once resolved).
    pub level: Level,
    /// Worst level reached.
    pub peak_level: Level,
    /// Severity at the worst level reached.
    pub severity: Severity,
    /// Threshold of the current level.
    pub threshold: f64,
    /// When the value first went past the threshold (Unix ms).
    pub pending_ms: i64,
    pub fired_ms: i64,
    pub resolved_ms: Option<i64>,
    pub resolution: Option<IncidentResolution>,
    pub acknowledged_ms: Option<i64>,
    pub ack_note: Option<String>,
    /// Worst single value from the window that fired it until now (or the end).
    pub peak: f64,
    /// The mean the rule judged at the latest transition.
    pub value: f64,
    /// Notifications sent for this incident (0: kept quiet by a cooldown).
    pub notifications: u32,
    pub last_notified_ms: Option<i64>,
}

impl Incident {
    /// Correlation id shared by every log line about this incident.
    pub fn correlation_id(&self) -> String {
        correlation_id(self.id)
    }
}

/// Correlation id (`resource_management_id`) of incident `id`.
pub fn correlation_id(id: i64) -> String {
    format!("alert-{id}")
}

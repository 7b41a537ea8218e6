//! What the engine tells the world: the state of each rule and target, the incidents, and the
//! transitions between them. This is the seam the Home Assistant publisher plugs into.

use serde::Serialize;

use super::duration;
use super::rule::{Level, Severity};
use crate::model::Unit;
pub use crate::store::incident::{Incident, IncidentResolution, correlation_id};

/// Event type fired on Home Assistant's bus for every transition with `notify`.
pub const HA_EVENT_TYPE: &str = "resource_manager_alert";

/// Where one rule and target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// Past the threshold, but not yet for `for` (no incident, no notification).
    Pending,
    Firing,
}

/// Where one rule and target stands now: for the API, the dashboard and the HA publisher.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertState {
    pub rule: String,
    pub series: String,
    pub target: String,
    pub label: String,
    pub status: Status,
    pub severity: Severity,
    pub level: Option<Level>,
    /// The mean the rule is judged on (`None` before the first sample).
    pub value: Option<f64>,
    /// The latest single value.
    pub last_value: Option<f64>,
    /// The threshold that matters now: the first one, or the current level's.
    pub threshold: f64,
    pub clear: f64,
    pub for_seconds: u64,
    pub unit: Unit,
    /// Since when the status holds (pending or firing), Unix ms.
    pub since_ms: Option<i64>,
    /// Incident id (reserved while pending, so log lines correlate from the start).
    pub incident_id: Option<i64>,
    pub acknowledged: bool,
    /// One sentence in plain words.
    pub message: String,
    /// Object id suffix shared by the binary_sensor and the notification: see [`AlertTransition`].
    pub object_id: String,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// ok → pending. HA: nothing (pending flickers with bursts; posting it would churn
    /// Home Assistant's recorder). The API and the dashboard show it.
    Pending,
    /// pending → ok without firing. HA: nothing.
    Cancelled,
    /// pending → firing; a new incident. HA: binary_sensor `on`; if `notify`, create the
    /// persistent notification and fire the event.
    Fired,
    /// warn → critical within an incident. HA: binary_sensor attributes; if `notify`, create
    /// the notification again (same id: it replaces the old text) and fire the event.
    Escalated,
    /// critical → warn within an incident. HA: binary_sensor attributes only.
    Deescalated,
    /// firing → ok. HA: binary_sensor `off`; dismiss the notification; event if `notify`.
    Resolved,
    /// Someone acknowledged the incident on the dashboard. HA: binary_sensor attribute
    /// `acknowledged: true`; dismiss the notification; event if `notify`.
    Acknowledged,
}

impl TransitionKind {
    /// The name in logs, events and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::Pending => "pending",
            TransitionKind::Cancelled => "cancelled",
            TransitionKind::Fired => "fired",
            TransitionKind::Escalated => "escalated",
            TransitionKind::Deescalated => "deescalated",
            TransitionKind::Resolved => "resolved",
            TransitionKind::Acknowledged => "acknowledged",
        }
    }
}

/// One lifecycle step of one rule and target, as every consumer sees it.
///
/// # Contract for the Home Assistant publisher
/// Subscribe to `Event::Alert` on the event bus (`crate::bus`); on start, after Home Assistant
/// restarts and on a missed delivery (`Delivery::Missed`), resynchronise from `AlertHandle::states()` (every rule and target,
/// including `ok` ones) and `AlertHandle::firing_count()`. Entity ids are
/// `<prefix>_<object_id>` under the configured prefix (e.g. `resource_manager_`):
///
/// - `binary_sensor.<prefix>_<object_id>` (one per rule and target), on every transition but
///   `Pending`/`Cancelled`, and on resync: state `on` iff `alert.status == Firing`; attributes `value`, `threshold`,
///   `clear`, `since` (ISO 8601 of `since_ms`), `severity`, `level`, `status`, `acknowledged`,
///   `incident_id`, `unit_of_measurement`, `friendly_name` (`alert.label`), `device_class:
///   problem`.
/// - Persistent notification with `notification_id` `<prefix>_<object_id>` (stable per rule and
///   target, so a new incident replaces the old one): `persistent_notification.create` with
///   `title()` and `alert.message` on `Fired`/`Escalated` when `notify`;
///   `persistent_notification.dismiss` on `Resolved` and `Acknowledged` (harmless if absent).
/// - Event [`HA_EVENT_TYPE`] when `notify`: the serialized transition as `event_data`
///   (`kind`, `alert`, `incident`, `at_ms`, `firing_count`).
/// - `sensor.<prefix>_alerts_firing`: `firing_count` on every transition and resync.
///
/// `Pending`/`Cancelled` never notify; the engine alone decides `notify` (cooldown,
/// acknowledgement), the publisher never second-guesses it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertTransition {
    pub kind: TransitionKind,
    /// Unix ms of the tick (or the acknowledgement).
    pub at_ms: i64,
    /// The state after the transition.
    pub alert: AlertState,
    /// The incident after the transition (`None` for pending/cancelled).
    pub incident: Option<Incident>,
    /// Whether people should hear about it (notification, event).
    pub notify: bool,
    /// Incidents firing after this transition, over all rules and targets.
    pub firing_count: usize,
    /// Why it ended (`Resolved` only).
    pub resolution: Option<IncidentResolution>,
}

impl AlertTransition {
    /// Correlation id for log lines (`resource_management_id`).
    pub fn correlation_id(&self) -> Option<String> {
        self.alert.incident_id.map(correlation_id)
    }

    /// Title of the persistent notification.
    pub fn title(&self) -> String {
        format!(
            "Resource Manager: {} ({})",
            self.alert.label,
            self.alert.severity.as_str()
        )
    }
}

/// The object id suffix of a rule and target: `alert_disk_used_percent_data`.
pub fn object_id(rule: &str, target: &str) -> String {
    let slug = slug(target);
    if slug.is_empty() {
        format!("alert_{rule}")
    } else {
        format!("alert_{rule}_{slug}")
    }
}

/// `[a-z0-9_]` form of a target: `/` → `root`, `/mnt/data` → `mnt_data`.
fn slug(target: &str) -> String {
    if target == "/" {
        return "root".to_string();
    }
    let mut out = String::with_capacity(target.len());
    for c in target.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// A value in plain words with its unit.
pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Percent => format!("{value:.1} %"),
        Unit::Celsius => format!("{value:.1} °C"),
        Unit::Bytes => crate::util::format_bytes(value),
        Unit::BytesPerSecond => format!("{}/s", crate::util::format_bytes(value)),
        Unit::Seconds => duration::words(value.max(0.0) as u64),
        Unit::Days => format!("{value:.1} days"),
        Unit::Count => format!("{value:.0}"),
        Unit::Ratio => format!("{value:.2}"),
        Unit::Watts => format!("{value:.1} W"),
        Unit::KilowattHours => format!("{value:.3} kWh"),
        Unit::Money => format!("{value:.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_stable_entity_id_parts() {
        assert_eq!(object_id("cpu_usage", ""), "alert_cpu_usage");
        assert_eq!(
            object_id("disk_used_percent", "/"),
            "alert_disk_used_percent_root"
        );
        assert_eq!(
            object_id("disk_used_percent", "/mnt/Data-1"),
            "alert_disk_used_percent_mnt_data_1"
        );
        assert_eq!(
            object_id("addon_memory_percent", "core_mosquitto"),
            "alert_addon_memory_percent_core_mosquitto"
        );
    }

    #[test]
    fn values_read_plainly() {
        assert_eq!(format_value(91.24, Unit::Percent), "91.2 %");
        assert_eq!(format_value(250_000.0, Unit::BytesPerSecond), "250 kB/s");
        assert_eq!(format_value(1.5e9, Unit::Bytes), "1.5 GB");
        assert_eq!(format_value(81.0, Unit::Celsius), "81.0 °C");
    }
}

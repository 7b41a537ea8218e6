//! Active alerts in plain words for the overview: the rows of its Active alerts list, and one
//! attention item per firing alert, handed to `summary` through `Extra::items` so firing
//! alerts lead the status line like any other item would.
//!
//! Times are said as durations ("for 12 min"), not clock times: the server has no time-zone
//! database and the same words go into the status report and the feedback readings.

use serde::Serialize;

use super::attention::{Attention, level_class};
use super::format::format_value;
use crate::advice;
use crate::alert::{AlertState, Severity, Status};
use crate::model::Unit;

/// One pending or firing rule and target, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveAlert {
    /// Stable per rule and target (`alert_memory_used_percent`): the page keys rows by it.
    pub key: String,
    /// The incident (reserved while pending, so the id does not change when it fires).
    pub incident_id: Option<i64>,
    pub status: Status,
    pub severity: Severity,
    /// The word in front of the row: `Warning`, `Critical`, … or `Pending`.
    pub badge: &'static str,
    /// Colour on the page (`problem` for errors and critical ones).
    #[serde(serialize_with = "level_class")]
    pub level: Severity,
    pub label: String,
    /// The engine's sentence (`Memory in use averaged 93.0 % over 10 min, above …`).
    pub message: String,
    /// The latest reading with its unit.
    pub value: String,
    /// When it went pending or fired (Unix ms).
    pub since_ms: Option<i64>,
    /// How long it has been pending or firing: `for 12 min`.
    pub since: String,
    pub acknowledged: bool,
    /// Firing, not yet acknowledged, with an incident to acknowledge.
    pub can_acknowledge: bool,
    pub todo: &'static str,
}

/// The word in front of a row.
fn badge(status: Status, severity: Severity) -> &'static str {
    if status == Status::Pending {
        return "Pending";
    }
    match severity {
        Severity::Ok | Severity::Info => "Info",
        Severity::Warning => "Warning",
        Severity::Error => "Error",
        Severity::Critical => "Critical",
    }
}

/// Rows for every active state (in the engine's order: firing first, worst first) and an
/// attention item for each firing one. `now_ms` is the time the durations are measured to.
pub fn view(states: &[AlertState], now_ms: i64) -> (Vec<Attention>, Vec<ActiveAlert>) {
    let mut items = Vec::new();
    let mut rows = Vec::with_capacity(states.len());
    for state in states.iter().filter(|s| s.status != Status::Ok) {
        let level = state.severity;
        let todo = advice::for_series(&state.series);
        let since = state
            .since_ms
            .map(|at| format!("for {}", elapsed_words(now_ms.saturating_sub(at))))
            .unwrap_or_default();
        let reading = state.last_value.or(state.value);
        if state.status == Status::Firing {
            let severity = state.severity.as_str();
            let (head, first) = match reading {
                Some(v) => (
                    format!("{} is at {}", state.label, short(v, state.unit)),
                    format!("{severity} {since}"),
                ),
                // A resumed incident before its first reading since the restart.
                None => (
                    format!(
                        "{} is past the {severity} level of {}",
                        state.label,
                        short(state.threshold, state.unit)
                    ),
                    since.clone(),
                ),
            };
            let mut notes: Vec<&str> = vec![first.trim()];
            if state.acknowledged {
                notes.push("acknowledged");
            }
            notes.retain(|n| !n.is_empty());
            let what = if notes.is_empty() {
                head
            } else {
                format!("{head} ({})", notes.join(", "))
            };
            let mut item = Attention::new(level, what, todo).on(state.series.clone());
            item.alert = true;
            items.push(item);
        }
        rows.push(ActiveAlert {
            key: state.object_id.clone(),
            incident_id: state.incident_id,
            status: state.status,
            severity: state.severity,
            badge: badge(state.status, state.severity),
            level: if state.status == Status::Pending {
                Severity::Info
            } else {
                level
            },
            label: state.label.clone(),
            message: state.message.clone(),
            value: reading.map_or_else(|| "unknown".into(), |v| format_value(v, state.unit)),
            since_ms: state.since_ms,
            since,
            acknowledged: state.acknowledged,
            can_acknowledge: state.status == Status::Firing
                && !state.acknowledged
                && state.incident_id.is_some(),
            todo,
        });
    }
    (items, rows)
}

/// A value for the status line: whole percents and degrees like the other items, so the line
/// (a live region) does not change with every decimal.
fn short(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Percent => format!("{value:.0} %"),
        Unit::Celsius => format!("{value:.0} °C"),
        other => format_value(value, other),
    }
}

/// Whole minutes, hours and days: the words change at most once a minute.
fn elapsed_words(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (d, h, m) {
        (0, 0, 0) => "under a minute".into(),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::alert::Level as AlertLevel;

    /// A firing `memory.used_percent` alert, as the engine reports it.
    pub(crate) fn firing_memory(since_ms: i64, reading: f64) -> AlertState {
        AlertState {
            rule: "memory_used_percent".into(),
            series: "memory.used_percent".into(),
            target: String::new(),
            label: "Memory in use".into(),
            status: Status::Firing,
            severity: Severity::Warning,
            level: Some(AlertLevel::Warn),
            value: Some(92.4),
            last_value: Some(reading),
            threshold: 90.0,
            clear: 85.0,
            for_seconds: 600,
            unit: Unit::Percent,
            since_ms: Some(since_ms),
            incident_id: Some(7),
            acknowledged: false,
            message: "Memory in use averaged 92.4 % over 10 min, above the warning level of 90.0 % (peak 94.0 %)".into(),
            object_id: "alert_memory_used_percent".into(),
        }
    }

    #[test]
    fn a_firing_alert_reads_as_value_severity_and_duration() {
        let state = firing_memory(0, 93.2);
        let (items, rows) = view(&[state], 12 * 60_000 + 5_000);
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].what,
            "Memory in use is at 93 % (warning for 12 min)"
        );
        assert_eq!(items[0].level, Severity::Warning);
        assert_eq!(items[0].todo, advice::MEMORY);
        assert_eq!(items[0].series.as_deref(), Some("memory.used_percent"));
        assert!(items[0].alert);
        let row = &rows[0];
        assert_eq!(row.badge, "Warning");
        assert_eq!(row.value, "93.2 %");
        assert_eq!(row.since, "for 12 min");
        assert!(row.can_acknowledge);
    }

    #[test]
    fn pending_alerts_are_rows_but_never_items_and_acknowledged_ones_say_so() {
        let mut pending = firing_memory(0, 91.0);
        pending.status = Status::Pending;
        pending.level = None;
        pending.rule = "cpu_usage".into();
        pending.series = "cpu.usage".into();
        let mut acked = firing_memory(0, 96.0);
        acked.severity = Severity::Critical;
        acked.acknowledged = true;
        let (items, rows) = view(&[acked, pending], 3 * 3_600_000 + 120_000);
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].what,
            "Memory in use is at 96 % (critical for 3 h 2 min, acknowledged)"
        );
        assert_eq!(items[0].level, Severity::Critical);
        assert_eq!(rows.len(), 2);
        assert!(!rows[0].can_acknowledge, "already acknowledged");
        assert_eq!(rows[1].badge, "Pending");
        assert_eq!(rows[1].level, Severity::Info);
        assert!(!rows[1].can_acknowledge, "nothing to acknowledge yet");
        assert_eq!(rows[1].todo, advice::CPU);
    }

    #[test]
    fn before_its_first_reading_a_resumed_alert_names_its_threshold() {
        let mut state = firing_memory(0, 0.0);
        state.value = None;
        state.last_value = None;
        let (items, rows) = view(&[state], 30_000);
        assert_eq!(
            items[0].what,
            "Memory in use is past the warning level of 90 % (for under a minute)"
        );
        assert_eq!(rows[0].value, "unknown");
    }

    #[test]
    fn durations_change_at_most_once_a_minute() {
        assert_eq!(elapsed_words(59_999), "under a minute");
        assert_eq!(elapsed_words(-5), "under a minute");
        assert_eq!(elapsed_words(60_000), "1 min");
        assert_eq!(elapsed_words(2 * 3_600_000), "2 h");
        assert_eq!(elapsed_words(26 * 3_600_000 + 60_000), "1 d 2 h");
        assert_eq!(elapsed_words(48 * 3_600_000), "2 d");
    }
}

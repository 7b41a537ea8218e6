//! How a track looks from outside: its state, transitions and messages in plain words.

use super::track::{Ctx, NO_DATA_MS, Phase, Track};
use crate::alert::duration;
use crate::alert::rule::{Level, Rule};
use crate::alert::transition::{
    AlertState, AlertTransition, Incident, IncidentResolution, Status, TransitionKind,
    format_value, object_id,
};

impl Track {
    pub(super) fn emit(
        &self,
        rule: &Rule,
        kind: TransitionKind,
        notify: bool,
        ended: Option<(Incident, IncidentResolution)>,
        ctx: &mut Ctx<'_>,
    ) {
        let transition = self.transition(rule, kind, ctx.now_ms, notify, *ctx.firing, ended);
        ctx.out.push(transition);
    }

    /// The transition `kind` as of now; `ended` carries the incident a resolution closed.
    pub(super) fn transition(
        &self,
        rule: &Rule,
        kind: TransitionKind,
        at_ms: i64,
        notify: bool,
        firing_count: usize,
        ended: Option<(Incident, IncidentResolution)>,
    ) -> AlertTransition {
        let mut alert = self.state(rule);
        let (ended, resolution) = match ended {
            Some((i, r)) => (Some(i), Some(r)),
            None => (None, None),
        };
        let incident = ended.or_else(|| match &self.phase {
            Phase::Firing(i) => Some((**i).clone()),
            _ => None,
        });
        if let (Some(i), None) = (&incident, alert.incident_id) {
            alert.incident_id = Some(i.id);
        }
        if let Some(r) = resolution {
            alert.message = resolved_message(&self.label, rule, alert.value, r);
        }
        AlertTransition {
            kind,
            at_ms,
            alert,
            incident,
            notify,
            firing_count,
            resolution,
        }
    }

    pub(super) fn state(&self, rule: &Rule) -> AlertState {
        let unit = rule.known.unit;
        let value = self.window.mean();
        let last_value = self.window.last();
        let show = |v: Option<f64>| v.map_or("unknown".to_string(), |v| format_value(v, unit));
        let first = rule.first_threshold();
        let dir = rule.direction.as_str();
        let (status, level, threshold, since_ms, incident_id, acknowledged, message) =
            match &self.phase {
                Phase::Ok => (
                    Status::Ok,
                    None,
                    first,
                    None,
                    None,
                    false,
                    format!("{} is {}", self.label, show(last_value)),
                ),
                Phase::Pending { id, since_ms, .. } => (
                    Status::Pending,
                    None,
                    first,
                    Some(*since_ms),
                    Some(*id),
                    false,
                    format!(
                        "{} is {}, {dir} {}; it alerts if that holds on average for {}",
                        self.label,
                        show(last_value),
                        format_value(first, unit),
                        duration::words(rule.for_seconds)
                    ),
                ),
                Phase::Firing(i) => (
                    Status::Firing,
                    Some(i.level),
                    i.threshold,
                    Some(i.fired_ms),
                    Some(i.id),
                    i.acknowledged_ms.is_some(),
                    firing_message(&self.label, rule, i),
                ),
            };
        AlertState {
            rule: rule.name.clone(),
            series: self.series.clone(),
            target: self.target.clone(),
            label: self.label.clone(),
            status,
            severity: rule.severity_at(level.unwrap_or(Level::Warn)),
            level,
            value,
            last_value,
            threshold,
            clear: rule.clear,
            for_seconds: rule.for_seconds,
            unit,
            since_ms,
            incident_id,
            acknowledged,
            message,
            object_id: object_id(&rule.name, &self.target),
        }
    }
}

fn firing_message(label: &str, rule: &Rule, incident: &Incident) -> String {
    let unit = rule.known.unit;
    let over = if rule.for_seconds == 0 {
        format!("{label} is {}", format_value(incident.value, unit))
    } else {
        format!(
            "{label} averaged {} over {}",
            format_value(incident.value, unit),
            duration::words(rule.for_seconds)
        )
    };
    format!(
        "{over}, {} the {} level of {} (peak {})",
        rule.direction.as_str(),
        rule.severity_at(incident.level).as_str(),
        format_value(incident.threshold, unit),
        format_value(incident.peak, unit)
    )
}

fn resolved_message(
    label: &str,
    rule: &Rule,
    value: Option<f64>,
    resolution: IncidentResolution,
) -> String {
    match resolution {
        IncidentResolution::Recovered => format!(
            "{label} is back to {} (past the clear level of {})",
            value.map_or("normal".into(), |v| format_value(v, rule.known.unit)),
            format_value(rule.clear, rule.known.unit)
        ),
        IncidentResolution::NoData => format!(
            "{label} reported nothing for {}; the alert is closed",
            duration::words((NO_DATA_MS / 1000) as u64)
        ),
        IncidentResolution::RuleRemoved => {
            format!(
                "The rule '{}' was removed or turned off; the alert is closed",
                rule.name
            )
        }
    }
}

/// The transition closing an incident whose rule is gone.
pub(super) fn removed(incident: Incident, now_ms: i64, firing_count: usize) -> AlertTransition {
    let notify = incident.notifications > 0;
    let alert = AlertState {
        rule: incident.rule.clone(),
        series: incident.series.clone(),
        target: incident.target.clone(),
        label: incident.label.clone(),
        status: Status::Ok,
        severity: incident.severity,
        level: None,
        value: None,
        last_value: None,
        threshold: incident.threshold,
        clear: incident.threshold,
        for_seconds: 0,
        unit: incident.unit,
        since_ms: None,
        incident_id: Some(incident.id),
        acknowledged: incident.acknowledged_ms.is_some(),
        message: format!(
            "The rule '{}' was removed or turned off; the alert is closed",
            incident.rule
        ),
        object_id: object_id(&incident.rule, &incident.target),
    };
    AlertTransition {
        kind: TransitionKind::Resolved,
        at_ms: now_ms,
        alert,
        incident: Some(incident),
        notify,
        firing_count,
        resolution: Some(IncidentResolution::RuleRemoved),
    }
}

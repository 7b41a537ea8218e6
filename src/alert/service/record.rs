//! How transitions leave the engine: each logged as one structured line, stored as one row per
//! incident, then handed on in order (to the event bus in the app).

use super::super::transition::{AlertTransition, Incident, TransitionKind};
use crate::store::Store;
use crate::util::Emit;

/// Logs, stores and publishes transitions, in order. Called with the engine locked.
pub(super) async fn apply(
    store: &Store,
    out: &Emit<AlertTransition>,
    transitions: Vec<AlertTransition>,
) {
    if transitions.is_empty() {
        return;
    }
    for t in &transitions {
        log(t);
    }
    // One row per incident: only its latest state of this batch is written.
    let mut latest: Vec<Incident> = Vec::new();
    for incident in transitions.iter().filter_map(|t| t.incident.as_ref()) {
        match latest.iter_mut().find(|i| i.id == incident.id) {
            Some(slot) => *slot = incident.clone(),
            None => latest.push(incident.clone()),
        }
    }
    if let Err(err) = store.save_incidents(&latest).await {
        // The engine keeps the truth; the next transition of the incident rewrites its row.
        tracing::error!(error = %err, incidents = latest.len(), "could not store alert incidents");
    }
    for t in transitions {
        out.emit(t);
    }
}

/// One structured line per transition; pending and cancelled ones only at debug level.
fn log(t: &AlertTransition) {
    let a = &t.alert;
    macro_rules! line {
        ($level:expr) => {
            tracing::event!(
                $level,
                resource_management_id = %t.correlation_id().unwrap_or_default(),
                transition = t.kind.as_str(),
                rule = %a.rule,
                target = %a.target,
                series = %a.series,
                value = a.value.unwrap_or(f64::NAN),
                threshold = a.threshold,
                severity = a.severity.as_str(),
                notify = t.notify,
                firing = t.firing_count,
                "{}",
                a.message
            )
        };
    }
    match t.kind {
        TransitionKind::Pending | TransitionKind::Cancelled => line!(tracing::Level::DEBUG),
        TransitionKind::Fired | TransitionKind::Escalated => line!(tracing::Level::WARN),
        TransitionKind::Deescalated | TransitionKind::Resolved | TransitionKind::Acknowledged => {
            line!(tracing::Level::INFO)
        }
    }
}

//! One rule and one target through its lifecycle: pending, firing, hysteresis, cooldown,
//! escalation, acknowledgement and silence.

use super::*;
use crate::alert::rule::Severity;

#[test]
fn a_step_just_past_warn_goes_pending_at_once_and_fires_after_for() {
    let mut h = Harness::new(&cpu_rules());
    assert!(h.hold(50.0, 5 * MIN).is_empty());
    assert_eq!(h.tick(&[("cpu.usage", 81.0)])[0].kind, Pending);
    let before_for = h.hold(81.0, MIN - 5000);
    assert!(before_for.is_empty(), "{before_for:?}");
    assert_eq!(h.hold(81.0, 5000), [Fired]);
    let fired = h.last(Fired);
    assert!(fired.notify);
    assert_eq!(fired.firing_count, 1);
    assert_eq!(fired.alert.status, Status::Firing);
    let incident = fired.incident.as_ref().expect("incident");
    assert_eq!(incident.level, Level::Warn);
    assert_eq!(incident.severity, Severity::Warning);
    assert_eq!(incident.pending_ms, h.last(Pending).at_ms);
    assert_eq!(
        incident.id,
        h.last(Pending).alert.incident_id.expect("reserved id")
    );
    assert!(
        fired
            .alert
            .message
            .starts_with("CPU usage averaged 81.0 % over 1 min, above the warning level of 80.0 %"),
        "{}",
        fired.alert.message
    );
    // Staying above never fires twice.
    assert!(h.hold(85.0, 30 * MIN).is_empty());
}

#[test]
fn a_big_excess_fires_sooner_because_the_mean_is_judged() {
    let mut h = Harness::new(&cpu_rules());
    h.hold(50.0, 5 * MIN);
    // 90 over 50: the 1-minute mean reaches 80 once three quarters of it are at 90.
    let kinds = h.hold(89.0, 50_000);
    assert_eq!(kinds, [Pending, Fired], "{kinds:?}");
}

#[test]
fn a_short_spike_goes_pending_then_cancels_without_an_incident() {
    let mut h = Harness::new(&cpu_rules());
    h.hold(50.0, 5 * MIN);
    assert_eq!(h.hold(100.0, 15_000), [Pending]);
    // Between clear and warn: still pending (no flapping on the raw value).
    assert!(h.hold(75.0, 10_000).is_empty());
    assert_eq!(h.hold(40.0, 5000), [Cancelled]);
    assert!(h.hold(40.0, 5 * MIN).is_empty());
    assert!(h.seen.iter().all(|t| t.incident.is_none() && !t.notify));
    assert_eq!(h.engine.firing_count(), 0);
}

#[test]
fn hysteresis_keeps_the_alert_open_until_the_mean_passes_clear() {
    let mut h = Harness::new(&cpu_rules());
    h.hold(85.0, 2 * MIN);
    assert_eq!(h.engine.firing_count(), 1);
    // Below warn but above clear: still firing, however long.
    assert!(h.hold(72.0, 30 * MIN).is_empty());
    assert_eq!(h.hold(50.0, MIN), [Resolved]);
    let resolved = h.last(Resolved);
    assert!(resolved.notify, "the people told about it hear it ended");
    assert_eq!(resolved.resolution, Some(IncidentResolution::Recovered));
    assert_eq!(resolved.alert.status, Status::Ok);
    assert_eq!(resolved.firing_count, 0);
    let incident = resolved.incident.as_ref().expect("incident");
    assert_eq!(incident.resolved_ms, Some(resolved.at_ms));
    assert_eq!(incident.peak, 85.0);
    assert!(
        resolved.alert.message.starts_with("CPU usage is back to"),
        "{}",
        resolved.alert.message
    );
}

#[test]
fn cooldown_keeps_a_refire_quiet_but_records_it_and_expires() {
    let mut h = Harness::new(&cpu_rules());
    h.hold(85.0, 2 * MIN);
    h.hold(50.0, 2 * MIN);
    let first = h.last(Fired).clone();
    assert!(first.notify);
    // Back within the 10-minute cooldown: a new incident, no notification.
    h.hold(85.0, 2 * MIN);
    let second = h.last(Fired).clone();
    assert!(!second.notify);
    let incident = second.incident.as_ref().expect("incident");
    assert_ne!(incident.id, first.incident.as_ref().expect("first").id);
    assert_eq!(incident.notifications, 0);
    h.hold(50.0, 2 * MIN);
    assert!(!h.last(Resolved).notify, "a quiet incident ends quietly");
    // After the cooldown it may notify again.
    h.hold(50.0, 10 * MIN);
    h.hold(85.0, 2 * MIN);
    assert!(h.last(Fired).notify);
}

#[test]
fn escalation_notifies_once_per_cooldown_and_deescalation_is_quiet() {
    let mut h = Harness::new(&cpu_rules());
    h.hold(85.0, 2 * MIN);
    assert_eq!(h.hold(95.0, MIN), [Escalated]);
    let escalated = h.last(Escalated);
    assert!(escalated.notify);
    assert_eq!(escalated.alert.severity, Severity::Critical);
    assert_eq!(escalated.alert.threshold, 90.0);
    assert_eq!(
        escalated.incident.as_ref().expect("incident").notifications,
        2
    );
    // Critical clears 10 below critical (the warn band): 85 keeps it critical, 75 steps back.
    assert!(h.hold(85.0, 2 * MIN).is_empty());
    assert_eq!(h.hold(75.0, 2 * MIN), [Deescalated]);
    assert!(!h.last(Deescalated).notify);
    assert_eq!(h.hold(95.0, 2 * MIN), [Escalated]);
    assert!(
        !h.last(Escalated).notify,
        "critical already notified within the cooldown"
    );
    let incident = h.last(Escalated).incident.clone().expect("incident");
    assert_eq!(incident.peak_level, Level::Critical);
    assert_eq!(incident.peak, 95.0);
}

#[test]
fn acknowledgement_is_recorded_once_and_quiets_escalation() {
    let mut h = Harness::new(&cpu_rules());
    h.hold(85.0, 2 * MIN);
    let id = h.last(Fired).incident.as_ref().expect("incident").id;
    let now = h.now;
    let AckOutcome::Acknowledged(ack) = h.engine.acknowledge(id, now, Some("on it".into())) else {
        panic!("not acknowledged");
    };
    assert_eq!(ack.kind, Acknowledged);
    assert!(ack.notify && ack.alert.acknowledged);
    let incident = ack.incident.as_ref().expect("incident");
    assert_eq!(incident.acknowledged_ms, Some(now));
    assert_eq!(incident.ack_note.as_deref(), Some("on it"));
    assert!(
        matches!(h.engine.acknowledge(id, now + 1, None), AckOutcome::AlreadyAcknowledged(i) if i.acknowledged_ms == Some(now))
    );
    assert_eq!(h.hold(95.0, MIN), [Escalated]);
    assert!(!h.last(Escalated).notify, "acknowledged: someone is on it");
    assert_eq!(
        h.engine.acknowledge(id + 100, now, None),
        AckOutcome::NotActive
    );
    h.hold(40.0, 2 * MIN);
    assert_eq!(h.engine.acknowledge(id, h.now, None), AckOutcome::NotActive);
}

#[test]
fn a_series_that_goes_silent_resolves_as_no_data() {
    let mut h = Harness::new(&cpu_rules());
    h.hold(85.0, 2 * MIN);
    for _ in 0..(NO_DATA_MS / h.step_ms + 20) {
        h.tick(&[("memory.used_percent", 10.0)]);
    }
    let resolved = h.last(Resolved);
    assert_eq!(resolved.resolution, Some(IncidentResolution::NoData));
    assert_eq!(h.engine.firing_count(), 0);
    // Coming back, the mean must be earned again from fresh samples.
    assert_eq!(h.hold(85.0, 5000), [Pending]);
}

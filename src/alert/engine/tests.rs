//! The engine under a fake clock: every transition, `for`, hysteresis, cooldown and
//! acknowledgement, plus the quietness properties of ADR 0003.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::alert::rule::{RuleSource, Severity};
use crate::alert::transition::Status;

const MIN: i64 = 60_000;

/// Only the rules written here (no built-in ones).
fn rules(list: Value) -> RuleSet {
    let mut problems = Vec::new();
    let set = RuleSet::from_option(Some(&list), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    RuleSet {
        rules: set
            .rules
            .into_iter()
            .filter(|r| r.source != RuleSource::Default)
            .collect(),
    }
}

/// cpu: warn 80, critical 90, clear 70, for 1 min, cooldown 10 min.
fn cpu_rules() -> RuleSet {
    rules(
        json!([{"name": "cpu", "metric": "cpu.usage", "warn": 80, "critical": 90,
                   "clear": 70, "for": "1m", "cooldown": "10m"}]),
    )
}

/// The engine, a fake clock ticking every `step_ms`, and everything it said.
struct Harness {
    engine: AlertEngine,
    now: i64,
    step_ms: i64,
    seen: Vec<AlertTransition>,
}

impl Harness {
    fn new(rules: &RuleSet) -> Self {
        Harness {
            engine: AlertEngine::new(rules),
            now: 1_000_000_000,
            step_ms: 5000,
            seen: Vec::new(),
        }
    }

    /// One tick with these readings; returns its transitions.
    fn tick(&mut self, readings: &[(&str, f64)]) -> Vec<AlertTransition> {
        self.now += self.step_ms;
        let out = self.engine.evaluate(
            self.now,
            readings
                .iter()
                .map(|(id, value)| Reading { id, value: *value }),
        );
        self.seen.extend(out.iter().cloned());
        out
    }

    /// `cpu.usage` at `value` for `ms`; returns the transition kinds.
    fn hold(&mut self, value: f64, ms: i64) -> Vec<TransitionKind> {
        let mut kinds = Vec::new();
        for _ in 0..ms / self.step_ms {
            kinds.extend(self.tick(&[("cpu.usage", value)]).iter().map(|t| t.kind));
        }
        kinds
    }

    fn last(&self, kind: TransitionKind) -> &AlertTransition {
        self.seen
            .iter()
            .rev()
            .find(|t| t.kind == kind)
            .expect("transition seen")
    }
}

use TransitionKind::*;

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
    assert_eq!(resolved.resolution, Some(Resolution::Recovered));
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
    assert_eq!(resolved.resolution, Some(Resolution::NoData));
    assert_eq!(h.engine.firing_count(), 0);
    // Coming back, the mean must be earned again from fresh samples.
    assert_eq!(h.hold(85.0, 5000), [Pending]);
}

#[test]
fn zero_for_fires_on_the_first_sample_and_below_rules_mirror_above_ones() {
    let set = rules(
        json!([{"name": "low", "metric": "disk.*.free_bytes", "direction": "below",
                            "warn": 1000, "critical": 100, "clear": 2000, "for": "0s"}]),
    );
    let mut h = Harness::new(&set);
    assert!(h.tick(&[("disk./data.free_bytes", 5000.0)]).is_empty());
    let kinds: Vec<_> = h
        .tick(&[("disk./data.free_bytes", 500.0)])
        .iter()
        .map(|t| t.kind)
        .collect();
    assert_eq!(kinds, [Pending, Fired]);
    assert_eq!(
        h.tick(&[("disk./data.free_bytes", 50.0)])[0].kind,
        Escalated
    );
    assert!(
        h.tick(&[("disk./data.free_bytes", 1500.0)])
            .iter()
            .any(|t| t.kind == Deescalated)
    );
    assert_eq!(
        h.tick(&[("disk./data.free_bytes", 2500.0)])[0].kind,
        Resolved
    );
}

#[test]
fn patterns_keep_one_state_per_target_with_stable_object_ids() {
    let set =
        rules(json!([{"metric": "disk.*.used_percent", "warn": 85, "clear": 80, "for": "1m"}]));
    let mut h = Harness::new(&set);
    for _ in 0..30 {
        h.tick(&[
            ("disk./.used_percent", 90.0),
            ("disk./data.used_percent", 40.0),
            ("cpu.usage", 99.0),
        ]);
    }
    let states = h.engine.states();
    assert_eq!(states.len(), 2);
    let root = states.iter().find(|s| s.target == "/").expect("root");
    assert_eq!(root.status, Status::Firing);
    assert_eq!(root.object_id, "alert_disk_used_percent_root");
    assert_eq!(root.label, "Space used on /");
    let data = states.iter().find(|s| s.target == "/data").expect("data");
    assert_eq!(data.status, Status::Ok);
    assert_eq!(h.engine.firing_count(), 1);
    assert_eq!(h.engine.targets()["disk_used_percent"].len(), 2);
}

#[test]
fn resume_carries_open_incidents_on_and_closes_those_whose_rule_is_gone() {
    let mut h = Harness::new(&cpu_rules());
    h.hold(85.0, 2 * MIN);
    let open = h.engine.open_incidents();
    let mut gone = open[0].clone();
    gone.id = 99;
    gone.rule = "old_rule".into();
    let mut quiet = open[0].clone();
    quiet.id = 50;
    quiet.resolved_ms = Some(h.now);
    let (mut engine, closed) =
        AlertEngine::resume(&cpu_rules(), vec![open[0].clone(), gone, quiet], 1, h.now);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].resolution, Some(Resolution::RuleRemoved));
    assert_eq!(closed[0].alert.object_id, "alert_old_rule");
    assert_eq!(engine.firing_count(), 1);
    // Same incident, resolved by fresh samples, and the next id is past every stored one.
    let mut now = h.now;
    let mut out = Vec::new();
    for _ in 0..30 {
        now += 5000;
        out.extend(engine.evaluate(
            now,
            [Reading {
                id: "cpu.usage",
                value: 40.0,
            }],
        ));
    }
    assert_eq!(out[0].kind, Resolved);
    assert_eq!(out[0].incident.as_ref().expect("incident").id, open[0].id);
    for _ in 0..30 {
        now += 5000;
        out.extend(engine.evaluate(
            now,
            [Reading {
                id: "cpu.usage",
                value: 85.0,
            }],
        ));
    }
    let fired = out.iter().find(|t| t.kind == Fired).expect("fired again");
    assert_eq!(fired.incident.as_ref().expect("incident").id, 100);
    assert!(!fired.notify, "the cooldown survived the restart");
}

/// A tick schedule with jitter: steps of 1 to 10 s.
fn steps(n: usize) -> impl Strategy<Value = Vec<i64>> {
    proptest::collection::vec(1000i64..10_000, n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// From ok, a signal that stays inside the hysteresis band never fires; whatever came
    /// before, it never notifies twice within a cooldown.
    #[test]
    fn a_signal_inside_the_band_never_fires_more_than_once_per_cooldown(
        before in proptest::collection::vec(0.0f64..100.0, 0..300),
        band in proptest::collection::vec(70.0f64..80.0, 100..600),
        jitter in steps(900),
    ) {
        for prefix in [&before[..0], &before[..]] {
            let mut engine = AlertEngine::new(&cpu_rules());
            let mut now = 0;
            let mut band_fires = 0;
            let mut notified: Vec<i64> = Vec::new();
            for (i, value) in prefix.iter().chain(&band).enumerate() {
                now += jitter[i % jitter.len()];
                for t in engine.evaluate(now, [Reading { id: "cpu.usage", value: *value }]) {
                    if t.kind == Fired && i >= prefix.len() {
                        band_fires += 1;
                    }
                    if t.notify && matches!(t.kind, Fired) {
                        notified.push(now);
                    }
                }
            }
            if prefix.is_empty() {
                prop_assert_eq!(band_fires, 0);
            }
            prop_assert!(notified.windows(2).all(|w| w[1] - w[0] >= 10 * MIN), "{:?}", notified);
        }
    }

    /// A signal past the threshold for longer than `for` fires exactly once, whatever came
    /// before and however the ticks jitter.
    #[test]
    fn a_signal_above_for_longer_than_for_fires_exactly_once(
        before in proptest::collection::vec(0.0f64..100.0, 0..300),
        above in proptest::collection::vec(80.0f64..100.0, 1..50),
        jitter in steps(400),
        extra_ms in 0i64..600_000,
    ) {
        let mut engine = AlertEngine::new(&cpu_rules());
        let mut now = 0;
        let mut i = 0;
        for value in &before {
            now += jitter[i % jitter.len()];
            i += 1;
            engine.evaluate(now, [Reading { id: "cpu.usage", value: *value }]);
        }
        let firing_before = engine.firing_count();
        let start = now + 1;
        let mut fires = 0;
        let mut resolves = 0;
        while now - start < MIN + extra_ms {
            now += jitter[i % jitter.len()];
            let value = above[i % above.len()];
            i += 1;
            for t in engine.evaluate(now, [Reading { id: "cpu.usage", value }]) {
                fires += usize::from(t.kind == Fired);
                resolves += usize::from(t.kind == Resolved);
            }
        }
        prop_assert_eq!(resolves, 0);
        prop_assert_eq!(firing_before + fires, 1);
        prop_assert_eq!(engine.firing_count(), 1);
    }
}

#[test]
fn a_forecast_is_just_another_reading() {
    // What the analytics issue adds to the catalog; the engine needs nothing else.
    static DAYS_TO_FULL: crate::alert::catalog::KnownMetric = crate::alert::catalog::KnownMetric {
        pattern: "forecast.disk.*.days_until_full",
        family: "forecast.disk.days_until_full",
        unit: crate::model::Unit::Count,
        title: "Days until {} is full",
        description: "Days until {} is full",
        prometheus: "resource_manager_forecast_disk_days_until_full",
        ..crate::model::registry::DISK_USED_PERCENT
    };
    let mut set = rules(json!([{"name": "disk_full_soon", "metric": "load.1m",
                                "direction": "below", "warn": 7, "critical": 2, "for": "0s"}]));
    let rule = &mut set.rules[0];
    rule.metric = DAYS_TO_FULL.pattern.into();
    rule.known = &DAYS_TO_FULL;
    rule.pattern = crate::alert::catalog::Pattern::parse(DAYS_TO_FULL.pattern).expect("pattern");
    let mut h = Harness::new(&set);
    assert!(
        h.tick(&[("forecast.disk./data.days_until_full", 30.0)])
            .is_empty()
    );
    let kinds: Vec<_> = h
        .tick(&[("forecast.disk./data.days_until_full", 6.5)])
        .iter()
        .map(|t| t.kind)
        .collect();
    assert_eq!(kinds, [Pending, Fired]);
    assert_eq!(h.last(Fired).alert.label, "Days until /data is full");
}

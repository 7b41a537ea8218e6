//! Rules beyond one target on one series: zero `for` and `below` rules, patterns with many
//! targets, a restart from stored incidents, a forecast as a reading.

use super::*;

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
    assert_eq!(closed[0].resolution, Some(IncidentResolution::RuleRemoved));
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

#[test]
fn the_builtin_hung_rule_fires_once_on_a_lasting_verdict_and_a_wavering_one_never_flaps() {
    let mut problems = Vec::new();
    let set = RuleSet::from_option(None, &mut problems);
    let hung = RuleSet {
        rules: set
            .rules
            .into_iter()
            .filter(|r| r.name == "addon_hung")
            .collect(),
    };
    assert_eq!(hung.rules.len(), 1, "the built-in addon_hung rule");
    let mut h = Harness::new(&hung);
    h.step_ms = MIN;
    let id = "addon.a0d7b954_ui.hung";
    // A verdict that comes and goes a pass at a time never fires.
    for n in 0..30 {
        h.tick(&[(id, f64::from((n + 1) % 2))]);
    }
    assert!(!h.seen.iter().any(|t| t.kind == Fired));
    // A verdict that holds fires once, after 5 minutes.
    let fired: Vec<usize> = (0..20)
        .filter(|_| h.tick(&[(id, 1.0)]).iter().any(|t| t.kind == Fired))
        .collect();
    assert_eq!(fired, [5]);
    // One pass without the verdict does not resolve it; a lasting recovery does.
    let resolved = |h: &mut Harness, v: f64| h.tick(&[(id, v)]).iter().any(|t| t.kind == Resolved);
    assert!(!resolved(&mut h, 0.0));
    assert!(!resolved(&mut h, 1.0));
    assert!((0..6).any(|_| resolved(&mut h, 0.0)));
}

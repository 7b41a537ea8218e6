use super::super::leak::detect;
use super::super::synthetic::Shape;
use super::{MB, minutes};
use crate::util::time::DAY_SECS_F64;

fn gc_sawtooth() -> Shape {
    Shape {
        saw: 60.0 * MB,
        saw_period: 1800.0,
        ..Shape::flat(200.0 * MB, 2.0 * MB)
    }
}

#[test]
fn leaks_are_found_exactly_on_the_leaking_series() {
    let leaking = Shape {
        slope_per_day: 40.0 * MB,
        ..gc_sawtooth()
    };
    let cases: Vec<(&str, Shape, bool)> = vec![
        ("flat", Shape::flat(200.0 * MB, 2.0 * MB), false),
        ("sawtooth", gc_sawtooth(), false),
        ("sawtooth with a leak", leaking, true),
        (
            "step then flat",
            Shape {
                step: 80.0 * MB,
                step_at: 1.5 * DAY_SECS_F64,
                ..gc_sawtooth()
            },
            false,
        ),
        (
            "early step then flat",
            Shape {
                step: 80.0 * MB,
                step_at: 0.6 * DAY_SECS_F64,
                ..gc_sawtooth()
            },
            false,
        ),
        (
            "daily cycle",
            Shape {
                daily: 30.0 * MB,
                ..Shape::flat(200.0 * MB, 2.0 * MB)
            },
            false,
        ),
    ];
    for seed in 1..=3 {
        for (name, shape, leaks) in &cases {
            let found = detect(&minutes(*shape, 3.0, seed), Some(512.0 * MB));
            assert_eq!(found.is_some(), *leaks, "{name} (seed {seed}): {found:?}");
        }
    }
}

#[test]
fn a_leak_reports_its_rate_confidence_window_and_when_it_reaches_the_limit() {
    let shape = Shape {
        slope_per_day: 40.0 * MB,
        ..gc_sawtooth()
    };
    let obs = minutes(shape, 3.0, 11);
    let leak = detect(&obs, Some(512.0 * MB)).expect("a leak");
    assert!((leak.rate_per_day / MB - 40.0).abs() < 8.0, "{leak:?}");
    assert!(leak.confidence > 0.99);
    assert!((leak.to - leak.from - 3.0 * DAY_SECS_F64).abs() < 120.0);
    // Troughs ≈ 200 + 120 MB now; 512 MB is about 4.8 days away.
    let eta_days = leak.eta_to_limit.expect("limit reached") / DAY_SECS_F64;
    assert!((3.5..6.5).contains(&eta_days), "{eta_days}");
}

#[test]
fn less_than_a_day_is_no_evidence() {
    let shape = Shape {
        slope_per_day: 400.0 * MB,
        ..gc_sawtooth()
    };
    assert_eq!(detect(&minutes(shape, 0.5, 1), None), None);
}

#[test]
fn a_process_whose_memory_troughs_rise_is_a_suspect_and_gets_its_own_series() {
    use super::super::report::{Context, analyze};
    use super::super::runner::derived;
    let troughs = minutes(
        Shape {
            slope_per_day: 40.0 * MB,
            ..Shape::flat(200.0 * MB, 1.0 * MB)
        },
        2.0,
        5,
    );
    let ctx = Context {
        now: troughs[troughs.len() - 1].t,
        process_memory: vec![
            ("node (pid 7)".into(), troughs),
            (
                "sshd (pid 9)".into(),
                minutes(Shape::flat(5.0 * MB, 0.1 * MB), 2.0, 6),
            ),
        ],
        ..Context::default()
    };
    let found = analyze(&[], &ctx);
    assert_eq!(found.leaks.len(), 1, "{:?}", found.leaks);
    assert!(
        found.leaks[0]
            .summary
            .starts_with("Process node (pid 7) grows 40.1 MB a day"),
        "{}",
        found.leaks[0].summary
    );
    let ids: Vec<String> = derived(&found)
        .iter()
        .map(|s| s.series.id.clone())
        .collect();
    assert!(
        ids.contains(&"leak.process_node_pid_7.bytes_per_second".to_string()),
        "{ids:?}"
    );
}

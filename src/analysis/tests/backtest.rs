use super::super::backtest::{Plan, Score, run};
use super::super::forecast::Method;
use super::super::synthetic::suite;
use crate::util::time::DAY_SECS_F64;

fn plan() -> Plan {
    Plan {
        history: 7.0 * DAY_SECS_F64,
        horizon: DAY_SECS_F64,
        step: DAY_SECS_F64 / 4.0,
        tolerance: 3600.0,
    }
}

/// Five-minute means, as the runner feeds the models.
fn five_minutes(obs: &[super::super::Obs]) -> Vec<super::super::Obs> {
    obs.chunks(5)
        .map(|c| {
            super::super::Obs::new(c[0].t, c.iter().map(|o| o.v).sum::<f64>() / c.len() as f64)
        })
        .collect()
}

#[test]
fn the_synthetic_suite_is_backtested_per_kind_beside_the_baseline() {
    let mut pooled: Vec<(Method, Vec<Score>, Vec<Score>)> = vec![
        (Method::Linear, Vec::new(), Vec::new()),
        (Method::DailyMax, Vec::new(), Vec::new()),
    ];
    for (name, obs) in suite(21.0) {
        let obs = five_minutes(&obs);
        for (method, ours, base) in pooled.iter_mut() {
            let outcome =
                run(&obs, *method, &plan()).unwrap_or_else(|| panic!("{name}: no origin"));
            assert_eq!(
                outcome.ours.cases, outcome.baseline.cases,
                "{name}: same origins"
            );
            assert!(
                outcome.ours.cases >= 40,
                "{name}: {} cases",
                outcome.ours.cases
            );
            for s in [&outcome.ours, &outcome.baseline] {
                assert!((0.0..=1.0).contains(&s.coverage) && s.mean_abs_error.is_finite());
            }
            ours.push(outcome.ours);
            base.push(outcome.baseline);
        }
    }
    for (method, ours, base) in &pooled {
        let (o, b) = (Score::pool(ours.iter()), Score::pool(base.iter()));
        eprintln!(
            "{}: coverage {:.2} (baseline {:.2}), relative error {:.3} (baseline {:.3}), {} cases",
            method.as_str(),
            o.coverage,
            b.coverage,
            o.relative_error,
            b.relative_error,
            o.cases
        );
    }
}

#[test]
fn on_clean_linear_growth_the_interval_holds_most_outcomes() {
    let (_, obs) = suite(21.0).remove(0);
    let outcome = run(&five_minutes(&obs), Method::Linear, &plan()).expect("origins");
    assert!(outcome.ours.coverage >= 0.7, "{outcome:?}");
    assert!(outcome.ours.relative_error < 0.05, "{outcome:?}");
}

#[test]
fn calibrated_intervals_hold_about_their_eighty_percent_on_the_suite() {
    for method in [Method::Linear, Method::DailyMax] {
        let (mut raw, mut cal) = (Vec::new(), Vec::new());
        for (name, obs) in suite(21.0) {
            let o = run(&five_minutes(&obs), method, &plan()).expect("origins");
            assert!(o.calibrated.cases > 0, "{name}: no calibrated case");
            assert!(o.calibration.is_some(), "{name}: no calibration");
            raw.push(o.ours);
            cal.push(o.calibrated);
        }
        let (r, c) = (Score::pool(raw.iter()), Score::pool(cal.iter()));
        eprintln!(
            "{}: raw coverage {:.3} ({} cases), calibrated {:.3} ({} cases), mean width {:.2} -> {:.2}",
            method.as_str(),
            r.coverage,
            r.cases,
            c.coverage,
            c.cases,
            r.mean_width,
            c.mean_width
        );
        assert!(
            (0.70..=0.90).contains(&c.coverage),
            "{}: {c:?}",
            method.as_str()
        );
        assert!(
            r.mean_abs_error > 0.0 && r.mean_width > 0.0,
            "pooled keeps its errors"
        );
    }
}

/// Disk-full and memory-limit forecasts: at each origin the stated time to the threshold, its
/// interval judged against the real crossing (synthetic fills: a filling disk, one with daily
/// churn, a leaking heap with a GC sawtooth, a fill with a gap, a slow noisy fill).
#[test]
fn time_to_threshold_intervals_hold_the_crossing() {
    use super::super::backtest::{EtaScore, run_to};
    use super::super::season::is_daily;
    use super::super::synthetic::{START, Shape, with_gap};
    let fills: Vec<(&str, Vec<super::super::Obs>, f64)> = vec![
        (
            "disk filling",
            Shape {
                slope_per_day: 1.0,
                ..Shape::flat(40.0, 0.3)
            }
            .sample(START, 21.0, 60.0, 11),
            55.0,
        ),
        (
            "disk with daily churn",
            Shape {
                slope_per_day: 0.5,
                daily: 3.0,
                ..Shape::flat(50.0, 0.5)
            }
            .sample(START, 21.0, 60.0, 12),
            60.0,
        ),
        (
            "leaking heap",
            Shape {
                slope_per_day: 2.0,
                saw: 3.0,
                saw_period: 6.0 * 3600.0,
                ..Shape::flat(100.0, 1.0)
            }
            .sample(START, 21.0, 60.0, 13),
            125.0,
        ),
        (
            "fill with a gap",
            with_gap(
                Shape {
                    slope_per_day: 1.0,
                    ..Shape::flat(40.0, 0.3)
                }
                .sample(START, 21.0, 60.0, 14),
                9.0 * DAY_SECS_F64,
                10.0 * DAY_SECS_F64,
            ),
            55.0,
        ),
        (
            "slow noisy fill",
            Shape {
                slope_per_day: 0.3,
                ..Shape::flat(80.0, 1.0)
            }
            .sample(START, 21.0, 60.0, 15),
            84.0,
        ),
    ];
    let mut all = EtaScore::default();
    for (name, obs, threshold) in fills {
        let obs = five_minutes(&obs);
        let method = if is_daily(&obs) {
            Method::DailyMax
        } else {
            Method::Linear
        };
        let (_, eta) = run_to(&obs, method, &plan(), threshold).expect("origins");
        eprintln!(
            "{name} ({}): {} of {} time-to-threshold intervals hold the crossing ({} uncalibrated)",
            method.as_str(),
            eta.inside,
            eta.cases,
            eta.inside_raw
        );
        assert!(eta.cases >= 10, "{name}: {eta:?}");
        all.cases += eta.cases;
        all.inside += eta.inside;
        all.inside_raw += eta.inside_raw;
    }
    eprintln!(
        "ALL: {:.1} % of {} hold (uncalibrated {:.1} %)",
        100.0 * all.share(),
        all.cases,
        100.0 * all.share_raw()
    );
    assert!(all.share() >= 0.85, "{all:?}");
}

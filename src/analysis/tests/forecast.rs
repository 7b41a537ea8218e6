use super::super::forecast::{Method, fit, fit_best};
use super::super::synthetic::{Shape, with_gap};
use super::super::trend::{least_squares, theil_sen, trends};
use super::{GB, minutes};
use crate::util::time::DAY_SECS_F64;

fn growing_disk() -> Shape {
    Shape {
        slope_per_day: 1.0 * GB,
        ..Shape::flat(40.0 * GB, 0.2 * GB)
    }
}

#[test]
fn linear_growth_slope_is_within_five_percent_and_the_true_time_to_full_is_inside_the_interval() {
    for seed in 1..=5 {
        let obs = minutes(growing_disk(), 7.0, seed);
        let m = fit_best(&obs).expect("a model");
        assert_eq!(m.method, Method::Linear, "no daily season here");
        let per_day = m.slope * DAY_SECS_F64;
        assert!((per_day / GB - 1.0).abs() < 0.05, "slope {per_day}");
        // 40 GB + 7 days × 1 GB = 47 GB now; 63 GB is 16 days away.
        let eta = m.eta(63.0 * GB).expect("growing");
        let truth = 16.0 * DAY_SECS_F64;
        assert!(
            eta.low <= truth && eta.high.is_some_and(|h| h >= truth),
            "{eta:?}"
        );
        assert!((eta.point / DAY_SECS_F64 - 16.0).abs() < 1.5, "{eta:?}");
    }
}

#[test]
fn theil_sen_and_least_squares_agree_on_clean_growth_and_trend_windows_are_reported() {
    let obs = minutes(growing_disk(), 7.0, 9);
    let ts = theil_sen(&obs).expect("fit");
    let ls = least_squares(&obs).expect("fit");
    assert!((ts.line.slope / ls.line.slope - 1.0).abs() < 0.05);
    assert!(ts.test.significant(0.05));
    let now = obs.last().expect("points").t;
    let windows: Vec<&str> = trends(&obs, now).iter().map(|t| t.window).collect();
    assert_eq!(windows, ["1h", "24h", "7d"]);
    let week = &trends(&obs, now)[2];
    assert!(week.significant && (week.slope_per_day / GB - 1.0).abs() < 0.05);
}

#[test]
fn a_daily_cycle_without_growth_is_answered_by_the_daily_maximum_model_and_is_not_growing() {
    let shape = Shape {
        daily: 10.0,
        ..Shape::flat(50.0, 0.5)
    };
    let obs = minutes(shape, 7.0, 3);
    let m = fit_best(&obs).expect("model");
    assert_eq!(m.method, Method::DailyMax);
    assert_eq!(m.eta(80.0), None, "{m:?}");
}

#[test]
fn a_daily_cycle_with_growth_forecasts_when_the_daily_peak_reaches_the_threshold() {
    let shape = Shape {
        daily: 10.0,
        slope_per_day: 1.0,
        ..Shape::flat(50.0, 0.5)
    };
    for seed in 1..=4 {
        // The truth: when the same series, continued, first reaches 80.
        let all = minutes(shape, 25.0, seed);
        let split = all.partition_point(|o| o.t < all[0].t + 10.0 * DAY_SECS_F64);
        let (past, future) = all.split_at(split);
        let m = fit_best(past).expect("model");
        assert_eq!(m.method, Method::DailyMax);
        assert!(
            (m.slope * DAY_SECS_F64 - 1.0).abs() < 0.15,
            "{}",
            m.slope * DAY_SECS_F64
        );
        let reached = future.iter().find(|o| o.v >= 80.0).expect("reached").t;
        let truth = reached - m.t0;
        let eta = m.eta(80.0).expect("growing");
        assert!(
            eta.low <= truth && eta.high.is_some_and(|h| h >= truth),
            "seed {seed}: truth {:.2} d, {eta:?}",
            truth / DAY_SECS_F64
        );
    }
}

#[test]
fn a_nightly_purge_sawtooth_is_not_a_panic_forecast() {
    // The recorder grows all day and is purged every night: a "counter reset" each day.
    let shape = Shape {
        saw: 2.0 * GB,
        saw_period: DAY_SECS_F64,
        ..Shape::flat(10.0 * GB, 0.01 * GB)
    };
    let obs = minutes(shape, 7.0, 5);
    let m = fit_best(&obs).expect("model");
    assert_eq!(m.method, Method::DailyMax);
    assert_eq!(m.eta(20.0 * GB), None);
    // The plain line through the same data would have called it growth within the day.
    let last_day: Vec<_> = obs
        .iter()
        .copied()
        .filter(|o| o.t > obs[obs.len() - 1].t - 0.9 * DAY_SECS_F64)
        .collect();
    assert!(fit(&last_day, Method::Linear).expect("fit").growing());
}

#[test]
fn flat_noise_is_not_called_growth() {
    let growing = (1..=20)
        .filter(|seed| {
            let obs = minutes(Shape::flat(50.0, 2.0), 3.0, *seed);
            fit_best(&obs).is_some_and(|m| m.eta(90.0).is_some())
        })
        .count();
    // Mann–Kendall at 5 %: a false call now and then, not a habit.
    assert!(growing <= 2, "{growing} of 20 flat series called growing");
}

#[test]
fn a_gap_of_a_day_does_not_bend_the_slope() {
    let obs = with_gap(
        minutes(growing_disk(), 7.0, 6),
        2.0 * DAY_SECS_F64,
        3.0 * DAY_SECS_F64,
    );
    let m = fit_best(&obs).expect("model");
    assert!((m.slope * DAY_SECS_F64 / GB - 1.0).abs() < 0.05);
}

#[test]
fn predictions_widen_with_the_horizon_and_already_full_is_zero() {
    let obs = minutes(growing_disk(), 7.0, 7);
    let m = fit_best(&obs).expect("model");
    let near = m.predict(DAY_SECS_F64);
    let far = m.predict(10.0 * DAY_SECS_F64);
    assert!(far.high - far.low > near.high - near.low);
    let eta = m.eta(10.0 * GB).expect("growing");
    assert_eq!((eta.point, eta.low, eta.high), (0.0, 0.0, Some(0.0)));
    let path = m.path(DAY_SECS_F64, 3600.0);
    assert_eq!(path.len(), 25);
}

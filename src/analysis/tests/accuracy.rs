use super::super::accuracy::{FLAG_DAYS, RELIABLE_CASES, flag_days, reliable};
use super::super::backtest::Score;
use super::super::report::SeriesData;
use super::super::synthetic::{START, Shape, with_spike};
use super::minutes;
use crate::model::{Kind, Unit};
use crate::util::time::DAY_SECS_F64;

fn gauge(id: &str, obs: Vec<super::super::Obs>) -> SeriesData {
    SeriesData {
        id: id.into(),
        family: "cpu".into(),
        unit: Unit::Percent,
        kind: Kind::Gauge,
        min: obs.clone(),
        max: obs.clone(),
        mean: obs,
    }
}

#[test]
fn reliable_needs_enough_outcomes_and_the_claimed_coverage() {
    let score = |cases: usize, coverage: f64| Score {
        cases,
        coverage,
        ..Score::default()
    };
    assert!(reliable(&score(RELIABLE_CASES, 0.80)));
    assert!(
        !reliable(&score(RELIABLE_CASES - 1, 0.80)),
        "too few outcomes"
    );
    assert!(
        !reliable(&score(100, 0.95)),
        "an interval wider than it claims"
    );
    assert!(
        !reliable(&score(100, 0.60)),
        "an interval narrower than it claims"
    );
}

#[test]
fn the_flag_replay_counts_the_days_a_series_was_flagged() {
    let days = 10.0;
    let now = START + days * DAY_SECS_F64;
    let daily = Shape {
        daily: 10.0,
        ..Shape::flat(40.0, 1.0)
    };
    let quiet = gauge("cpu.usage", minutes(daily, days, 5));
    let spike_at = 8.0 * DAY_SECS_F64 + 10.0 * 3600.0;
    let spiked = gauge(
        "memory.used_percent",
        with_spike(minutes(daily, days, 6), spike_at, spike_at + 3600.0, 40.0),
    );
    let own = gauge("health.score", minutes(daily, days, 7));
    let found = flag_days(&[quiet, spiked, own], now);
    assert_eq!(found.series, 2, "the analysis' own series are left out");
    assert_eq!(found.days, 2 * FLAG_DAYS);
    assert_eq!(found.flagged, 1, "{found:?}");
}

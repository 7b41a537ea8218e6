use super::super::anomaly::{Profile, detect};
use super::super::synthetic::{START, Shape, with_spike};
use super::minutes;
use crate::util::time::DAY_SECS_F64;

fn daily() -> Shape {
    Shape {
        daily: 20.0,
        ..Shape::flat(40.0, 1.0)
    }
}

#[test]
fn an_injected_spike_is_flagged_and_the_daily_cycle_is_not() {
    let spike_at = 6.0 * DAY_SECS_F64 + 5.0 * 3600.0;
    let obs = with_spike(minutes(daily(), 7.0, 1), spike_at, spike_at + 600.0, 30.0);
    let found = detect(&obs, START + 6.0 * DAY_SECS_F64);
    assert_eq!(found.profile, Profile::SameHour);
    assert_eq!(found.intervals.len(), 1, "{:?}", found.intervals);
    let run = &found.intervals[0];
    assert!(run.from >= START + spike_at && run.to < START + spike_at + 600.0);
    assert!(run.peak > 10.0);
}

#[test]
fn a_daily_cycle_alone_raises_no_flag() {
    for seed in 1..=3 {
        let obs = minutes(daily(), 7.0, seed);
        let found = detect(&obs, START + 6.0 * DAY_SECS_F64);
        assert!(found.intervals.is_empty(), "{:?}", found.intervals);
        assert!(found.score < 6.0);
    }
}

#[test]
fn with_a_short_history_the_ewma_profile_flags_a_spike() {
    let obs = with_spike(
        minutes(Shape::flat(30.0, 1.0), 1.0, 2),
        0.5 * DAY_SECS_F64,
        0.5 * DAY_SECS_F64 + 300.0,
        40.0,
    );
    let found = detect(&obs, START);
    assert_eq!(found.profile, Profile::Ewma);
    assert_eq!(found.intervals.len(), 1, "{:?}", found.intervals);
}

#[test]
fn a_cold_start_flags_nothing() {
    let obs = with_spike(
        minutes(Shape::flat(30.0, 1.0), 0.02, 3),
        600.0,
        900.0,
        100.0,
    );
    assert!(obs.len() < 60);
    let found = detect(&obs, START);
    assert_eq!(found.profile, Profile::ColdStart);
    assert!(found.intervals.is_empty());
    assert_eq!(found.score, 0.0);
}

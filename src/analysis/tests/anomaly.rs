use super::super::anomaly::{FLAG_Z, Profile, detect};
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
    // Judged in hourly means: the run is the hour that holds the spike.
    let run = &found.intervals[0];
    assert!(run.from <= START + spike_at && run.to >= START + spike_at + 600.0);
    assert!(run.to - run.from <= 3600.0);
    assert!(run.peak >= found.threshold && found.threshold >= FLAG_Z);
}

#[test]
fn a_daily_cycle_alone_raises_no_flag() {
    for seed in 1..=3 {
        let obs = minutes(daily(), 7.0, seed);
        let found = detect(&obs, START + 6.0 * DAY_SECS_F64);
        assert!(found.intervals.is_empty(), "{:?}", found.intervals);
        assert!(!found.flagged_now());
    }
}

/// Rare by construction: days of ordinary noise (with a daily cycle), each judged on the days
/// before it as the product does, raise a flag on at most one day in ten.
#[test]
fn normal_days_are_rarely_flagged() {
    let (mut days, mut flagged) = (0, 0);
    for seed in 1..=8 {
        let obs = minutes(daily(), 12.0, seed);
        for d in 3..12 {
            let day = START + d as f64 * DAY_SECS_F64;
            let end = obs.partition_point(|o| o.t < day + DAY_SECS_F64);
            days += 1;
            if !detect(&obs[..end], day).intervals.is_empty() {
                flagged += 1;
            }
        }
    }
    assert!(
        flagged * 10 <= days,
        "{flagged} of {days} normal days flagged"
    );
}

#[test]
fn with_two_days_of_history_the_level_profile_flags_a_sustained_shift() {
    let shift_at = 2.5 * DAY_SECS_F64;
    let obs = with_spike(
        minutes(Shape::flat(30.0, 1.0), 2.8, 2),
        shift_at,
        shift_at + 3600.0,
        10.0,
    );
    let found = detect(&obs, START + 2.2 * DAY_SECS_F64);
    assert_eq!(found.profile, Profile::Level);
    assert_eq!(found.intervals.len(), 1, "{:?}", found.intervals);
}

#[test]
fn a_cold_start_flags_nothing() {
    // Too few points, then too short a history (under two days before the judged window).
    let few = with_spike(
        minutes(Shape::flat(30.0, 1.0), 0.02, 3),
        600.0,
        900.0,
        100.0,
    );
    assert!(few.len() < 60);
    let day = with_spike(
        minutes(Shape::flat(30.0, 1.0), 1.0, 3),
        0.5 * DAY_SECS_F64,
        0.5 * DAY_SECS_F64 + 3600.0,
        100.0,
    );
    for (obs, since) in [(few, START), (day, START + 0.25 * DAY_SECS_F64)] {
        let found = detect(&obs, since);
        assert_eq!(found.profile, Profile::ColdStart);
        assert!(found.intervals.is_empty());
        assert_eq!((found.score, found.threshold), (0.0, 0.0));
    }
}

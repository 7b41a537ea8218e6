//! The Storage section's growth, rows and fastest part on made-up walks and histories.

use super::view::*;
use crate::collect::storage::DiskWalk;
use crate::util::time::{DAY_MS, HOUR_MS};

const NOW: i64 = 1_780_000_000_000;

#[test]
fn growth_is_measured_from_the_first_value_inside_the_window() {
    // Hourly values over 40 days, growing 1 GB a day.
    let points: Vec<(i64, f64)> = (0..40 * 24)
        .map(|h| {
            let t = NOW - 40 * DAY_MS + h * HOUR_MS;
            (t, (t - (NOW - 40 * DAY_MS)) as f64 / DAY_MS as f64 * 1e9)
        })
        .collect();
    let current = 40e9;
    let week = growth(&points, current, NOW, WEEK_MS).expect("a week");
    assert!((week.bytes - 7e9).abs() < 1.0, "{week:?}");
    assert!((week.per_day - 1e9).abs() < 1.0);
    assert!(week.whole);
    assert_eq!(week.since_ms, NOW - WEEK_MS);
    let month = growth(&points, current, NOW, MONTH_MS).expect("a month");
    assert!((month.bytes - 30e9).abs() < 1.0, "{month:?}");
}

#[test]
fn a_short_history_says_since_when_and_none_is_not_zero() {
    let points = vec![(NOW - 3 * DAY_MS, 5e9), (NOW - DAY_MS, 6e9)];
    let week = growth(&points, 8e9, NOW, WEEK_MS).expect("since three days");
    assert_eq!(
        (week.bytes, week.since_ms, week.whole),
        (3e9, NOW - 3 * DAY_MS, false)
    );
    assert!((week.per_day - 1e9).abs() < 1.0);
    assert_eq!(growth(&[], 8e9, NOW, WEEK_MS), None);
    // Minutes of history are no growth figure.
    assert_eq!(growth(&[(NOW - 60_000, 8e9)], 8e9, NOW, WEEK_MS), None);
    // Points after now (a clock stepped back) are not used.
    assert_eq!(growth(&[(NOW + DAY_MS, 1.0)], 8e9, NOW, WEEK_MS), None);
}

fn walk() -> DiskWalk {
    DiskWalk {
        parts: vec![
            ("backup".into(), 12e9),
            ("apps_data".into(), 9e9),
            ("system".into(), 5e9),
        ],
        addon_data: vec![
            ("a0d7b954_frigate".into(), 8e9),
            ("core_mosquitto".into(), 1e6),
        ],
        addons_listed: true,
        addon_names: vec![("a0d7b954_frigate".into(), "Frigate".into())],
        at_ms: NOW,
        ..DiskWalk::default()
    }
}

fn grew(per_day: f64) -> Option<Growth> {
    Some(Growth {
        bytes: per_day * 7.0,
        per_day,
        since_ms: NOW - WEEK_MS,
        whole: true,
    })
}

#[test]
fn rows_name_each_part_and_addon_with_the_series_they_are_stored_as() {
    let (parts, addons) = rows(&walk());
    assert_eq!(parts[0].name, "Backups");
    assert_eq!(parts[0].series, "storage.backup.used_bytes");
    assert_eq!(parts[1].name, "Add-on data");
    assert_eq!(addons[0].name, "Frigate");
    assert_eq!(addons[0].series, "addon.a0d7b954_frigate.data_bytes");
    assert_eq!(addons[1].name, "core_mosquitto", "unnamed: its slug");
}

#[test]
fn the_fastest_part_is_an_addons_folder_rather_than_all_addon_data() {
    let (mut parts, mut addons) = rows(&walk());
    parts[0].week = grew(1e8); // backups
    parts[1].week = grew(9e8); // all add-on data: the sum of the folders
    addons[0].week = grew(8e8); // Frigate
    let fastest = fastest(&parts, &addons).expect("one grows");
    assert_eq!(
        (fastest.id.as_str(), fastest.name.as_str()),
        ("a0d7b954_frigate", "Frigate")
    );
    // Without the add-ons listed, add-on data as a whole can be named.
    let fastest = super::view::fastest(&parts, &[]).expect("one grows");
    assert_eq!(fastest.id, "apps_data");
    // Nothing grows (shrinking backups): no part is named.
    for row in parts.iter_mut().chain(addons.iter_mut()) {
        row.week = grew(-1e6);
    }
    assert_eq!(super::view::fastest(&parts, &addons), None);
}

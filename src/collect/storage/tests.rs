//! The disk usage answer read at each depth and spelling, and the walk handed to the ticks
//! once built, until it is stale.

use serde_json::json;

use super::*;
use crate::util::ManualClock;

/// `_system_disk_usage_data`'s answer on the v1 route (legacy ids) at `max_depth`: children
/// of a known folder only above depth 1 (`get_dir_structure_sizes`), non-empty ones only.
fn usage_v1(depth: u32) -> serde_json::Value {
    let folder = |id: &str, used: f64, below: serde_json::Value| {
        let mut node = json!({"id": id, "label": id, "used_bytes": used});
        if depth > 1 {
            node["children"] = below;
        }
        node
    };
    json!({"id": "root", "label": "Root", "total_bytes": 64e9, "used_bytes": 30e9, "children": [
        {"id": "system", "label": "System", "used_bytes": 5e9},
        folder("addons_data", 9e9, json!([
            {"id": "core_mosquitto", "label": "core_mosquitto", "used_bytes": 1e6},
            {"id": "a0d7b954_frigate", "label": "a0d7b954_frigate", "used_bytes": 8e9}])),
        folder("addons_config", 2e6, json!([
            {"id": "a0d7b954_frigate", "label": "a0d7b954_frigate", "used_bytes": 2e6}])),
        folder("media", 0.0, json!([])),
        folder("share", 1e6, json!([{"id": "x", "label": "x", "used_bytes": 1e6}])),
        folder("backup", 12e9, json!([])),
        folder("ssl", 4096.0, json!([])),
        folder("homeassistant", 4e9, json!([{"id": ".storage", "label": ".storage", "used_bytes": 1e8}]))
    ]})
}

fn rename(tree: &mut serde_json::Value, from: &str, to: &str) {
    for child in tree["children"].as_array_mut().into_iter().flatten() {
        if child["id"] == from {
            child["id"] = json!(to);
        }
    }
}

#[test]
fn the_disk_usage_at_depth_two_lists_each_addons_data_in_either_spelling() {
    let v1 = parse_disk_usage(&usage_v1(2), 7);
    assert_eq!(
        v1.addon_data,
        [
            ("a0d7b954_frigate".to_string(), 8e9),
            ("core_mosquitto".to_string(), 1e6)
        ]
    );
    assert_eq!(v1.addon_config, [("a0d7b954_frigate".to_string(), 2e6)]);
    assert!(v1.addons_listed);
    assert_eq!(v1.parts[0], ("backup".to_string(), 12e9));
    assert!(
        v1.parts.contains(&("apps_data".to_string(), 9e9)),
        "{:?}",
        v1.parts
    );
    assert!(v1.parts.contains(&("apps_config".to_string(), 2e6)));
    assert_eq!(
        (v1.total_bytes, v1.used_bytes, v1.at_ms),
        (Some(64e9), Some(30e9), 7)
    );
    // The v2 route (and the Supervisor's own names) say apps_*: the same walk.
    let mut tree = usage_v1(2);
    rename(&mut tree, "addons_data", "apps_data");
    rename(&mut tree, "addons_config", "apps_config");
    assert_eq!(parse_disk_usage(&tree, 7), v1);
}

#[test]
fn the_disk_usage_at_the_default_depth_has_parts_but_no_addons() {
    let walk = parse_disk_usage(&usage_v1(1), 7);
    assert_eq!(walk.parts.len(), 8, "{:?}", walk.parts);
    assert!(walk.addon_data.is_empty() && walk.addon_config.is_empty());
    assert!(!walk.addons_listed, "depth 1 does not list the add-ons");
    assert_eq!(parse_disk_usage(&json!({}), 7).parts, vec![]);
    // A node without a size or an id is skipped, not guessed.
    let odd = json!({"children": [{"id": "media"}, {"used_bytes": 5.0}]});
    assert_eq!(parse_disk_usage(&odd, 7).parts, vec![]);
}

#[test]
fn the_disk_is_walked_with_a_depth_that_lists_addons_at_most_hourly() {
    assert_eq!(DISK_USAGE_DEPTH, 2);
    assert_eq!(DISK_USAGE_EVERY_MS, 3_600_000);
}

fn walk_at(at_ms: i64) -> DiskWalk {
    let mut walk = parse_disk_usage(&usage_v1(2), at_ms);
    walk.addon_names = vec![("a0d7b954_frigate".into(), "Frigate".into())];
    walk
}

#[test]
fn each_tick_gets_the_parts_and_each_addons_data_with_names() {
    let clock = ManualClock::new(1_000_000);
    let walks = StorageWalks::default();
    let mut collector = StorageCollector::new(walks.clone(), clock.clock());
    let mut out = Vec::new();
    collector.collect(&Tick::now(), &mut out).expect("collect");
    assert!(out.is_empty(), "nothing before the first walk");

    walks.record(walk_at(1_000_000));
    collector.collect(&Tick::now(), &mut out).expect("collect");
    let value = |id: &str| out.iter().find(|s| s.series.id == id).map(|s| s.value);
    assert_eq!(value("storage.backup.used_bytes"), Some(12e9));
    assert_eq!(value("storage.apps_data.used_bytes"), Some(9e9));
    assert_eq!(value("addon.a0d7b954_frigate.data_bytes"), Some(8e9));
    assert_eq!(value("addon.core_mosquitto.data_bytes"), Some(1e6));
    assert_eq!(out.len(), 8 + 2, "eight parts and two add-ons");
    let frigate = out
        .iter()
        .find(|s| s.series.id == "addon.a0d7b954_frigate.data_bytes")
        .expect("frigate");
    assert_eq!(frigate.series.description, "Frigate data on disk");
    assert_eq!(frigate.label("addon"), "a0d7b954_frigate");
    // An add-on the Supervisor did not name keeps its slug.
    let mosquitto = out
        .iter()
        .find(|s| s.series.id == "addon.core_mosquitto.data_bytes")
        .expect("mosquitto");
    assert_eq!(mosquitto.series.description, "core_mosquitto data on disk");
    let backups = out
        .iter()
        .find(|s| s.series.id == "storage.backup.used_bytes")
        .expect("backups");
    assert_eq!(backups.series.description, "Data disk: Backups");
    assert_eq!(backups.label("part"), "backup");

    // The same walk again: the same series (one Arc each), not rebuilt.
    let mut again = Vec::new();
    collector
        .collect(&Tick::now(), &mut again)
        .expect("collect");
    assert!(
        out.iter()
            .zip(&again)
            .all(|(a, b)| Arc::ptr_eq(&a.series, &b.series) && a.value == b.value)
    );
}

#[test]
fn a_stale_walk_is_not_handed_to_the_ticks() {
    let clock = ManualClock::new(10 * DISK_USAGE_EVERY_MS);
    let walks = StorageWalks::default();
    let mut collector = StorageCollector::new(walks.clone(), clock.clock());
    walks.record(walk_at(10 * DISK_USAGE_EVERY_MS));
    clock.advance(Duration::from_millis(STALE_AFTER_MS as u64));
    let mut out = Vec::new();
    collector.collect(&Tick::now(), &mut out).expect("collect");
    assert!(
        !out.is_empty(),
        "two hours and the walk's timeout: still shown"
    );
    clock.advance(Duration::from_millis(1));
    out.clear();
    collector.collect(&Tick::now(), &mut out).expect("collect");
    assert!(out.is_empty(), "older: not shown as today's size");
    assert_eq!(walks.status().walks, 1);
}

#[test]
fn every_series_of_the_walk_is_in_the_registry_and_stored_on_change() {
    let walks = StorageWalks::default();
    let mut collector = StorageCollector::new(walks.clone(), ManualClock::new(5).clock());
    walks.record(walk_at(5));
    let mut out = Vec::new();
    collector.collect(&Tick::now(), &mut out).expect("collect");
    for sample in &out {
        let family = registry::of(&sample.series).expect("in the registry");
        assert_eq!(family.unit, crate::model::Unit::Bytes);
        assert!(registry::stored_on_change(&sample.series.family));
    }
    assert!(!registry::stored_on_change("disk.used_bytes"));
}

//! Recovery's requests from made-up findings, and the Supervisor's backup and disk usage
//! answers read from recorded JSON.

use serde_json::json;

use super::*;
use crate::advice::policy::Origin;
use crate::analysis::leak::Leak;
use crate::analysis::report::{Findings, LeakItem};
use crate::config::{ActionKind, ActionOptions};

fn leak(series: &str, eta: Option<f64>, confidence: f64) -> LeakItem {
    LeakItem {
        series: series.into(),
        suspect: "x".into(),
        limit: Some(1e9),
        summary: "grows 20 MB a day".into(),
        leak: Leak {
            rate_per_day: 20e6,
            confidence,
            from: 0.0,
            to: 86_400.0,
            eta_to_limit: eta,
        },
    }
}

#[test]
fn recovery_asks_for_leaks_near_their_limit_and_stopped_addons_only() {
    let options = ActionOptions {
        recovery_within: 6 * 3600,
        ..ActionOptions::default()
    };
    let findings = Findings {
        leaks: vec![
            leak("addon.core_a.memory_bytes", Some(3600.0), 0.999),
            leak("addon.core_far.memory_bytes", Some(86_400.0), 0.999),
            leak("addon.core_unsure.memory_bytes", Some(60.0), 0.5),
            leak("addon.core_nolimit.memory_bytes", None, 0.999),
            leak("memory.used_bytes", Some(60.0), 0.999),
        ],
        ..Findings::default()
    };
    let asked = recovery_requests(&options, &findings, &["core_b".to_string()]);
    let got: Vec<(ActionKind, &str, Origin)> = asked
        .iter()
        .map(|(r, _)| (r.kind, r.addon.as_str(), r.origin))
        .collect();
    assert_eq!(
        got,
        [
            (ActionKind::Restart, "core_a", Origin::Rule),
            (ActionKind::Start, "core_b", Origin::Rule)
        ]
    );
    assert!(
        asked
            .iter()
            .all(|(r, why)| !r.dry_run && why.starts_with("automatic recovery"))
    );
}

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

#[test]
fn backups_are_read_newest_first_in_bytes() {
    let data = json!({"backups": [
        {"slug": "a", "date": "2026-11-01T03:00:00+00:00", "size": 10.0},
        {"slug": "b", "date": "2026-11-20T03:00:00+00:00", "size": 1.5, "size_bytes": 1_600_000},
        {"slug": "c", "date": "2026-11-10T03:00:00+00:00"}
    ]});
    assert_eq!(
        parse_backups(&data).sizes,
        vec![1_600_000.0, 10.0 * 1_048_576.0]
    );
    assert!(parse_backups(&json!({})).sizes.is_empty());
}

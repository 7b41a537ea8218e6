//! The engine's own sensors, made from more than one series: its status, the add-ons using the
//! most CPU and memory, its self-scaling mode and the dashboard's satisfaction votes.

use serde_json::{Map, Value, json};

use super::super::rest::EntityState;
use super::sensor::Entity;
use crate::model::Snapshot;
use crate::store::{VoteCounts, WriteFailure};

/// The status sensor: `ok` or `degraded`, naming the degraded sources (the history among them
/// while it cannot be saved).
pub fn status_sensor(prefix: &str, snapshot: &Snapshot, history: Option<&WriteFailure>) -> Entity {
    let degraded: Vec<Value> = snapshot
        .degraded()
        .map(|s| json!({"source": s.source, "error": s.error}))
        .chain(history.map(|f| json!({"source": "history", "error": f.summary()})))
        .collect();
    let mut attributes = Map::new();
    attributes.insert("friendly_name".into(), json!("Resource Manager status"));
    attributes.insert(
        "icon".into(),
        json!(if degraded.is_empty() {
            "mdi:check-circle-outline"
        } else {
            "mdi:alert-circle-outline"
        }),
    );
    attributes.insert("degraded_sources".into(), Value::Array(degraded.clone()));
    let state = if degraded.is_empty() {
        "ok"
    } else {
        "degraded"
    };
    Entity {
        entity_id: format!("sensor.{prefix}_status"),
        value: degraded.len() as f64,
        state: EntityState {
            state: state.into(),
            attributes,
            ..Default::default()
        },
    }
}

/// Sensors for the add-ons using the most CPU and memory (state: the top one's value).
pub(super) fn top_addon_sensors(prefix: &str, snapshot: &Snapshot, out: &mut Vec<Entity>) {
    for (suffix, metric, label, unit, scale, decimals) in [
        (
            "top_addon_cpu",
            "cpu_percent",
            "Add-on using the most CPU",
            "%",
            1.0,
            1,
        ),
        (
            "top_addon_memory",
            "memory_bytes",
            "Add-on using the most memory",
            "MB",
            1e-6,
            1,
        ),
    ] {
        let mut ranked: Vec<(&str, f64)> = snapshot
            .samples
            .iter()
            .filter(|s| {
                s.series.id.starts_with("addon.") && s.series.id.ends_with(&format!(".{metric}"))
            })
            .filter_map(|s| {
                s.series
                    .labels
                    .first()
                    .map(|(_, slug)| (slug.as_str(), s.value))
            })
            .collect();
        if ranked.is_empty() {
            continue;
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let top: Vec<Value> = ranked
            .iter()
            .take(5)
            .map(|(slug, v)| json!({"addon": slug, "value": format!("{:.*}", decimals, v * scale)}))
            .collect();
        let mut attributes = Map::new();
        attributes.insert("unit_of_measurement".into(), json!(unit));
        if unit == "MB" {
            attributes.insert("device_class".into(), json!("data_size"));
        }
        attributes.insert("state_class".into(), json!("measurement"));
        attributes.insert("friendly_name".into(), json!(label));
        attributes.insert("icon".into(), json!("mdi:puzzle"));
        attributes.insert("addon".into(), json!(ranked[0].0));
        attributes.insert("top".into(), Value::Array(top));
        out.push(Entity {
            entity_id: format!("sensor.{prefix}_{suffix}"),
            value: ranked[0].1,
            state: EntityState {
                state: format!("{:.*}", decimals, ranked[0].1 * scale),
                attributes,
                ..Default::default()
            },
        });
    }
}

/// The engine's self-scaling mode: `normal`, or `reduced` while it samples less often and
/// defers its background jobs because the host is busy.
pub fn engine_mode_sensor(prefix: &str, level: f64) -> Entity {
    let level = level.max(0.0) as u32;
    let mut attributes = Map::new();
    attributes.insert(
        "friendly_name".into(),
        json!("Resource Manager engine mode"),
    );
    attributes.insert("icon".into(), json!("mdi:speedometer"));
    attributes.insert("level".into(), json!(level));
    Entity {
        entity_id: format!("sensor.{prefix}_engine_mode"),
        value: f64::from(level),
        state: EntityState {
            state: crate::collect::scaling::mode_name(level).into(),
            attributes,
            ..Default::default()
        },
    }
}

/// `sensor.<prefix>_satisfaction`: the share of 👍 over 7 days (unknown without votes), from
/// the votes of the last 7 and 30 days.
pub fn satisfaction_sensor(prefix: &str, week: &VoteCounts, month: &VoteCounts) -> Entity {
    let mut attributes = serde_json::Map::new();
    attributes.insert("unit_of_measurement".into(), serde_json::json!("%"));
    attributes.insert("state_class".into(), serde_json::json!("measurement"));
    attributes.insert(
        "friendly_name".into(),
        serde_json::json!("Resource Manager satisfaction (7 days)"),
    );
    attributes.insert("icon".into(), serde_json::json!("mdi:thumb-up-outline"));
    attributes.insert(
        "satisfaction_30d".into(),
        serde_json::json!(
            month
                .satisfaction_percent()
                .map(|p| (p * 10.0).round() / 10.0)
        ),
    );
    attributes.insert("votes_7d".into(), serde_json::json!(week.votes));
    attributes.insert("votes_30d".into(), serde_json::json!(month.votes));
    let value = week.satisfaction_percent();
    let state = value.map_or_else(|| "unknown".to_string(), |p| format!("{p:.1}"));
    Entity {
        entity_id: format!("sensor.{prefix}_satisfaction"),
        value: value.unwrap_or(f64::NAN),
        state: EntityState {
            state,
            attributes,
            ..Default::default()
        },
    }
}

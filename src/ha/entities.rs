//! Translation of series to Home Assistant sensor entities (pure: no I/O).

use serde_json::{Map, Value, json};

use super::rest::EntityState;
use crate::config::{MetricGroup, PublishOptions};
use crate::model::registry::{self, Entities, HaSensor};
use crate::model::{SeriesMeta, Snapshot};
use crate::store::WriteFailure;

/// One entity ready to publish, with the raw value used for change detection.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub entity_id: String,
    pub value: f64,
    pub state: EntityState,
}

/// `sensor.<prefix>_<id>` with everything but letters and digits folded to `_`
/// (the root mount becomes `root`).
pub fn entity_id(prefix: &str, series_id: &str) -> String {
    let id = series_id.replace("./.", ".root.");
    let mut slug = String::with_capacity(id.len());
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    format!("sensor.{prefix}_{}", slug.trim_matches('_'))
}

/// How a series is shown in Home Assistant: its family's entry in the registry, else its unit's
/// defaults.
fn presentation(meta: &SeriesMeta) -> HaSensor {
    registry::of(meta).map_or_else(|| HaSensor::for_unit(meta.unit), |family| family.ha)
}

/// The state text, rounded to the metric's precision.
pub fn state_text(meta: &SeriesMeta, value: f64) -> String {
    rounded(&presentation(meta), value)
}

fn rounded(ha: &HaSensor, value: f64) -> String {
    format!("{:.*}", ha.decimals, value * ha.scale)
}

/// A sensor entity for one series value.
pub fn sensor(prefix: &str, meta: &SeriesMeta, value: f64) -> Entity {
    let ha = presentation(meta);
    let mut attributes = Map::new();
    if let Some(unit) = ha.unit {
        attributes.insert("unit_of_measurement".into(), json!(unit));
    }
    // Power series say whether they are measured or modelled (and how); a cost names its
    // currency, which is its unit.
    for (label, value) in &meta.labels {
        match *label {
            "source" | "method" | "preset" => {
                attributes.insert((*label).into(), json!(value));
            }
            "currency" => {
                attributes.insert("unit_of_measurement".into(), json!(value));
            }
            _ => {}
        }
    }
    if let Some(class) = ha.device_class {
        attributes.insert("device_class".into(), json!(class));
    }
    attributes.insert(
        "state_class".into(),
        json!(registry::state_class(meta.kind)),
    );
    attributes.insert("friendly_name".into(), json!(meta.description));
    let local_id = crate::model::host::split(&meta.id).1;
    let group = local_id.split('.').next().unwrap_or_default();
    attributes.insert("icon".into(), json!(registry::group_icon(group)));
    Entity {
        entity_id: entity_id(prefix, &meta.id),
        value,
        state: EntityState {
            state: rounded(&ha, value),
            attributes,
        },
    }
}

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
        },
    }
}

/// Sensors for the add-ons using the most CPU and memory (state: the top one's value).
fn top_addon_sensors(prefix: &str, snapshot: &Snapshot, out: &mut Vec<Entity>) {
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
            },
        });
    }
}

/// Series that stay on the dashboard only, as the registry says (per-core CPU, loopback and
/// virtual interfaces).
fn dashboard_only(meta: &SeriesMeta) -> bool {
    match presentation(meta).entity {
        Entities::All => false,
        Entities::DashboardOnly => true,
        Entities::Physical => meta
            .labels
            .iter()
            .any(|(k, v)| *k == "kind" && v != "physical"),
    }
}

/// Every entity the options ask for, from one snapshot and the history's write health.
pub fn entities(
    options: &PublishOptions,
    snapshot: &Snapshot,
    history: Option<&WriteFailure>,
) -> Vec<Entity> {
    let prefix = options.entity_prefix.as_str();
    let mut out = Vec::with_capacity(snapshot.samples.len() + 3);
    out.push(status_sensor(prefix, snapshot, history));
    for sample in &snapshot.samples {
        // A remote host's series only when the host opted in (its `home_assistant` flag).
        let (host, local_id) = crate::model::host::split(&sample.series.id);
        if host != crate::model::host::LOCAL && !options.hosts.iter().any(|h| h == host) {
            continue;
        }
        let Some(group) = MetricGroup::of_series(local_id) else {
            continue;
        };
        if !options.groups.contains(&group)
            || (group == MetricGroup::Addons && !options.addon_entities)
            || dashboard_only(&sample.series)
        {
            continue;
        }
        out.push(sensor(prefix, &sample.series, sample.value));
    }
    if options.groups.contains(&MetricGroup::Addons) {
        top_addon_sensors(prefix, snapshot, &mut out);
    }
    if options.groups.contains(&MetricGroup::System)
        && let Some(level) = snapshot.value(registry::ENGINE_SCALE_LEVEL.pattern)
    {
        out.push(engine_mode_sensor(prefix, level));
    }
    out
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
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Sample, Unit};
    use std::sync::Arc;

    #[test]
    fn ids_are_valid_entity_ids() {
        assert_eq!(
            entity_id("rm", "disk./.used_percent"),
            "sensor.rm_disk_root_used_percent"
        );
        assert_eq!(
            entity_id("rm", "disk./data.used_bytes"),
            "sensor.rm_disk_data_used_bytes"
        );
        assert_eq!(
            entity_id("rm", "net.eth0.rx_bytes_per_second"),
            "sensor.rm_net_eth0_rx_bytes_per_second"
        );
        assert_eq!(
            entity_id("rm", "temp.Core-0.celsius"),
            "sensor.rm_temp_core_0_celsius"
        );
    }

    #[test]
    fn remote_hosts_become_sensors_only_when_they_opted_in() {
        let nas: Arc<str> = Arc::from("nas");
        let snapshot = Snapshot {
            samples: vec![
                Sample {
                    series: Arc::new(registry::CPU_USAGE.global()),
                    value: 10.0,
                },
                Sample {
                    series: Arc::new(registry::CPU_USAGE.global().on_host(&nas)),
                    value: 20.0,
                },
                Sample {
                    series: Arc::new(registry::HOST_UP.global().on_host(&nas)),
                    value: 1.0,
                },
            ],
            ..Snapshot::default()
        };
        let ids = |options: &PublishOptions| -> Vec<String> {
            entities(options, &snapshot, None)
                .into_iter()
                .map(|e| e.entity_id)
                .filter(|id| id.contains("cpu_usage") || id.contains("host_up"))
                .collect()
        };
        let mut options = PublishOptions::default();
        assert_eq!(ids(&options), ["sensor.resource_manager_cpu_usage"]);
        options.hosts = vec!["nas".into()];
        assert_eq!(
            ids(&options),
            [
                "sensor.resource_manager_cpu_usage",
                "sensor.resource_manager_nas_cpu_usage",
                "sensor.resource_manager_nas_host_up"
            ]
        );
        assert_eq!(
            entity_id("rm", "nas:disk./.used_percent"),
            "sensor.rm_nas_disk_root_used_percent"
        );
    }

    #[test]
    fn sensors_carry_units_classes_and_rounded_states() {
        let disk = SeriesMeta::instance(
            "disk",
            "mount",
            "/data",
            "used_bytes",
            Unit::Bytes,
            "Space used at /data",
        );
        let e = sensor("rm", &disk, 12_345_678_901.0);
        assert_eq!(e.state.state, "12.35");
        assert_eq!(e.state.attributes["unit_of_measurement"], "GB");
        assert_eq!(e.state.attributes["device_class"], "data_size");
        assert_eq!(e.state.attributes["state_class"], "measurement");
        let errors = SeriesMeta::instance(
            "net",
            "interface",
            "eth0",
            "rx_errors_total",
            Unit::Count,
            "x",
        )
        .counter();
        assert_eq!(
            sensor("rm", &errors, 3.0).state.attributes["state_class"],
            "total_increasing"
        );
        let temp = SeriesMeta::global("temp", "max_celsius", Unit::Celsius, "Hottest");
        assert_eq!(sensor("rm", &temp, 51.26).state.state, "51.3");
    }

    #[test]
    fn the_analysis_series_become_sensors_with_their_units() {
        use crate::model::registry;
        let snapshot = Snapshot {
            samples: vec![
                Sample {
                    series: Arc::new(registry::DISK_DAYS_UNTIL_FULL.instance("/data", &["/data"])),
                    value: 23.46,
                },
                Sample {
                    series: Arc::new(registry::HEALTH_SCORE.global()),
                    value: 87.0,
                },
                Sample {
                    series: Arc::new(registry::LEAK_RATE.instance("core_mosquitto", &["x"])),
                    value: 40e6 / 86_400.0,
                },
            ],
            ..Snapshot::default()
        };
        let all = entities(&PublishOptions::default(), &snapshot, None);
        let find = |id: &str| {
            all.iter()
                .find(|e| e.entity_id == id)
                .unwrap_or_else(|| panic!("{id} missing"))
        };
        let days = find("sensor.resource_manager_disk_data_days_until_full");
        assert_eq!(days.state.state, "23.5");
        assert_eq!(days.state.attributes["device_class"], "duration");
        assert_eq!(days.state.attributes["unit_of_measurement"], "d");
        assert_eq!(
            find("sensor.resource_manager_health_score").state.state,
            "87"
        );
        let leak = find("sensor.resource_manager_leak_core_mosquitto_bytes_per_second");
        assert_eq!(leak.state.state, "40.0");
        assert_eq!(leak.state.attributes["unit_of_measurement"], "MB/d");
    }

    #[test]
    fn the_data_disk_wear_is_a_percent_sensor_with_the_disk_icon() {
        let wear = registry::DISK_LIFE_TIME.global();
        let e = sensor("rm", &wear, 10.0);
        assert_eq!(e.entity_id, "sensor.rm_disk_life_time_used_percent");
        assert_eq!(e.state.state, "10");
        assert_eq!(e.state.attributes["unit_of_measurement"], "%");
        assert_eq!(e.state.attributes["state_class"], "measurement");
        assert_eq!(e.state.attributes["icon"], "mdi:harddisk");
        assert!(e.state.attributes.get("device_class").is_none());
        let snapshot = Snapshot {
            ts_ms: 1,
            samples: vec![Sample {
                series: Arc::new(wear),
                value: 10.0,
            }],
            ..Snapshot::default()
        };
        let planned = entities(&PublishOptions::default(), &snapshot, None);
        assert!(
            planned
                .iter()
                .any(|e| e.entity_id.ends_with("_disk_life_time_used_percent"))
        );
        let no_disk = PublishOptions {
            groups: vec![MetricGroup::Cpu],
            ..PublishOptions::default()
        };
        assert!(
            !entities(&no_disk, &snapshot, None)
                .iter()
                .any(|e| e.entity_id.contains("life_time")),
            "follows the disk group"
        );
    }

    #[test]
    fn groups_and_addon_entities_follow_the_options() {
        let cpu = Arc::new(SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU"));
        let mem = Arc::new(SeriesMeta::global(
            "memory",
            "used_percent",
            Unit::Percent,
            "Mem",
        ));
        let addon = Arc::new(SeriesMeta::instance(
            "addon",
            "addon",
            "core_mosquitto",
            "memory_bytes",
            Unit::Bytes,
            "Mosquitto memory",
        ));
        let snapshot = Snapshot {
            samples: vec![
                Sample {
                    series: cpu,
                    value: 5.0,
                },
                Sample {
                    series: mem,
                    value: 40.0,
                },
                Sample {
                    series: addon,
                    value: 2e7,
                },
            ],
            ..Snapshot::default()
        };
        let options = PublishOptions {
            groups: vec![MetricGroup::Cpu, MetricGroup::Addons],
            ..PublishOptions::default()
        };
        let ids: Vec<String> = entities(&options, &snapshot, None)
            .into_iter()
            .map(|e| e.entity_id)
            .collect();
        assert_eq!(
            ids,
            vec![
                "sensor.resource_manager_status",
                "sensor.resource_manager_cpu_usage",
                "sensor.resource_manager_top_addon_memory"
            ]
        );
        let with_addons = PublishOptions {
            addon_entities: true,
            ..options
        };
        assert!(entities(&with_addons, &snapshot, None).iter().any(|e| e.entity_id == "sensor.resource_manager_addon_core_mosquitto_memory_bytes"));
    }

    #[test]
    fn power_energy_and_cost_are_energy_dashboard_sensors_saying_their_source() {
        let power = registry::POWER_WATTS
            .global()
            .with_label("source", "modelled")
            .with_label("method", "model");
        let e = sensor("rm", &power, 7.25);
        assert_eq!(e.entity_id, "sensor.rm_power_watts");
        assert_eq!(e.state.state, "7.2");
        assert_eq!(e.state.attributes["unit_of_measurement"], "W");
        assert_eq!(e.state.attributes["device_class"], "power");
        assert_eq!(e.state.attributes["state_class"], "measurement");
        assert_eq!(e.state.attributes["source"], "modelled");
        let energy = registry::ENERGY_TOTAL
            .global()
            .with_label("source", "measured");
        let e = sensor("rm", &energy, 1.23456);
        assert_eq!(e.entity_id, "sensor.rm_energy_kwh_total");
        assert_eq!(e.state.state, "1.235");
        assert_eq!(e.state.attributes["unit_of_measurement"], "kWh");
        assert_eq!(e.state.attributes["device_class"], "energy");
        assert_eq!(e.state.attributes["state_class"], "total_increasing");
        assert_eq!(e.state.attributes["source"], "measured");
        let cost = registry::COST_PER_MONTH
            .global()
            .with_label("currency", "CHF");
        let e = sensor("rm", &cost, 3.456);
        assert_eq!(e.state.state, "3.46");
        assert_eq!(e.state.attributes["unit_of_measurement"], "CHF");
        assert!(e.state.attributes.get("device_class").is_none());
        assert_eq!(
            MetricGroup::of_series("energy.kwh_total"),
            Some(MetricGroup::Power)
        );
    }

    #[test]
    fn the_engine_mode_is_a_text_sensor_of_the_system_group() {
        let snapshot = Snapshot {
            ts_ms: 1,
            samples: vec![Sample {
                series: Arc::new(registry::ENGINE_SCALE_LEVEL.global()),
                value: 2.0,
            }],
            ..Snapshot::default()
        };
        let all = entities(&PublishOptions::default(), &snapshot, None);
        let mode = all
            .iter()
            .find(|e| e.entity_id == "sensor.resource_manager_engine_mode")
            .expect("mode sensor");
        assert_eq!(mode.state.state, "reduced");
        assert_eq!(mode.state.attributes["level"], 2);
        assert!(
            !all.iter()
                .any(|e| e.entity_id.ends_with("engine_scale_level")),
            "the level itself stays on the dashboard"
        );
    }
}

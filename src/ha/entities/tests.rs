use std::sync::Arc;

use super::*;
use crate::config::{MetricGroup, PublishOptions};
use crate::model::registry;
use crate::model::{Sample, SeriesMeta, Snapshot, Unit};

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
    assert!(
        entities(&with_addons, &snapshot, None)
            .iter()
            .any(|e| e.entity_id == "sensor.resource_manager_addon_core_mosquitto_memory_bytes")
    );
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

#[test]
fn the_modelled_power_entity_names_its_board_preset_and_why_nothing_is_measured() {
    use crate::collect::derive::Derive;
    use crate::collect::power::{PowerModel, PowerProfile};
    use crate::config::PowerPreset;
    let reasons = vec![
        "no device tree: /sys/firmware is masked by Docker and the add-on does not declare devicetree".to_string(),
        "RAPL: /sys/devices/virtual/powercap is masked by Docker".to_string(),
    ];
    let profile = PowerProfile {
        idle_watts: 3.0,
        max_watts: 6.3,
        preset: PowerPreset::RaspberryPi4,
    };
    let mut model = PowerModel::new(profile, Some("rpi4-64"), &reasons);
    let snapshot = Snapshot {
        samples: vec![Sample {
            series: Arc::new(registry::CPU_USAGE.global()),
            value: 50.0,
        }],
        ..Snapshot::default()
    };
    let mut out = Vec::new();
    model.derive(&snapshot, &mut out);
    let e = sensor("rm", &out[0].series, out[0].value);
    assert_eq!(e.entity_id, "sensor.rm_power_watts");
    let attributes = &e.state.attributes;
    assert_eq!(attributes["method"], "model");
    assert_eq!(attributes["preset"], "raspberry_pi_4");
    assert_eq!(attributes["board"], "rpi4-64");
    let why = attributes["reasons"].as_str().expect("reasons");
    assert!(
        why.contains("RAPL: /sys/devices/virtual/powercap is masked by Docker"),
        "{why}"
    );
    assert!(why.contains("no device tree"), "{why}");
}

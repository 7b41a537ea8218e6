use serde_json::{Value, json};

use super::discovery::{Node, announce, expand, state_topic_of};
use super::node_id;
use crate::ha::entities::sensor;
use crate::ha::rest::{EntityDevice, EntityState};
use crate::model::{SeriesMeta, Unit};

fn node(prefix: &str) -> Node {
    Node {
        id: "rm_0123456789ab".into(),
        discovery_prefix: "homeassistant".into(),
        entity_prefix: prefix.into(),
        model: "Home Assistant add-on",
        configuration_url: Some("homeassistant://hassio/ingress/abc_resource_manager".into()),
    }
}

/// The config as Core reads it (abbreviations and `~` expanded).
fn config(a: &super::Announcement) -> Value {
    match serde_json::from_str(&a.config).expect("config is JSON") {
        Value::Object(map) => Value::Object(expand(map)),
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn configs_are_abbreviated_as_core_reads_them() {
    let cpu = SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU usage");
    let entity = sensor("resource_manager", &cpu, 12.34);
    let a = announce(&node("resource_manager"), &entity.entity_id, &entity.state).expect("ours");
    let raw: Value = serde_json::from_str(&a.config).expect("JSON");
    assert_eq!(raw["~"], "resource_manager/rm_0123456789ab");
    assert_eq!(raw["stat_t"], "~/sensor/cpu_usage");
    assert_eq!(raw["avty_t"], "~/availability");
    assert_eq!(raw["uniq_id"], "rm_0123456789ab_cpu_usage");
    assert_eq!(raw["dev"]["ids"], json!(["rm_0123456789ab"]));
    assert!(raw.get("unique_id").is_none() && raw.get("device").is_none());
    assert_eq!(config(&a)["state_topic"], a.state_topic);
}

#[test]
fn a_sensor_keeps_its_entity_id_and_gets_a_unique_id_without_the_prefix() {
    let cpu = SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU usage");
    let entity = sensor("resource_manager", &cpu, 12.34);
    let a = announce(&node("resource_manager"), &entity.entity_id, &entity.state).expect("ours");
    assert_eq!(
        a.config_topic,
        "homeassistant/sensor/rm_0123456789ab/cpu_usage/config"
    );
    let c = config(&a);
    assert_eq!(c["object_id"], "resource_manager_cpu_usage");
    assert_eq!(c["default_entity_id"], "sensor.resource_manager_cpu_usage");
    assert_eq!(c["unique_id"], "rm_0123456789ab_cpu_usage");
    assert_eq!(c["unit_of_measurement"], "%");
    assert_eq!(c["state_class"], "measurement");
    assert_eq!(
        c["availability_topic"],
        "resource_manager/rm_0123456789ab/availability"
    );
    assert_eq!(c["device"]["identifiers"], json!(["rm_0123456789ab"]));
    assert_eq!(
        c["device"]["configuration_url"],
        "homeassistant://hassio/ingress/abc_resource_manager"
    );
    assert_eq!(c["origin"]["name"], "Resource Manager");
    assert!(c.get("entity_category").is_none());
    let state: Value = serde_json::from_str(&a.state).expect("state JSON");
    assert_eq!(state["state"], entity.state.state);
    assert!(
        state["attributes"].get("unit_of_measurement").is_none(),
        "settings live in the config, not the attributes"
    );
    // Another prefix renames the entity id, never the unique id.
    let renamed = sensor("rm", &cpu, 12.34);
    let b = announce(&node("rm"), &renamed.entity_id, &renamed.state).expect("ours");
    assert_eq!(config(&b)["unique_id"], c["unique_id"]);
}

#[test]
fn add_on_and_remote_host_series_get_their_own_devices_under_the_box() {
    let mut addon = SeriesMeta::global("addon", "memory_bytes", Unit::Bytes, "Mosquitto memory");
    addon.id = "addon.core_mosquitto.memory_bytes".into();
    addon.labels = vec![("addon", "core_mosquitto".into())];
    let e = sensor("resource_manager", &addon, 5e7);
    assert_eq!(
        e.state.device,
        EntityDevice::Addon {
            slug: "core_mosquitto".into(),
            name: "Mosquitto".into()
        }
    );
    let c = config(&announce(&node("resource_manager"), &e.entity_id, &e.state).expect("ours"));
    assert_eq!(
        c["device"]["identifiers"],
        json!(["rm_0123456789ab_addon_core_mosquitto"])
    );
    assert_eq!(c["device"]["via_device"], "rm_0123456789ab");
    assert_eq!(
        c["device"]["name"], "Mosquitto (add-on)",
        "named as the Supervisor names it"
    );
    let mut remote = SeriesMeta::global("cpu", "usage", Unit::Percent, "nas CPU");
    remote.id = "nas:cpu.usage".into();
    let e = sensor("resource_manager", &remote, 3.0);
    assert_eq!(e.state.device, EntityDevice::Host("nas".into()));
    let c = config(&announce(&node("resource_manager"), &e.entity_id, &e.state).expect("ours"));
    assert_eq!(c["device"]["name"], "nas (remote host)");
}

#[test]
fn engine_entities_are_diagnostic_alerts_are_binary_and_unknown_is_none() {
    let n = node("resource_manager");
    let status = EntityState {
        state: "ok".into(),
        ..EntityState::default()
    };
    let a = announce(&n, "sensor.resource_manager_status", &status).expect("ours");
    assert_eq!(config(&a)["entity_category"], "diagnostic");
    let mut attributes = serde_json::Map::new();
    attributes.insert("device_class".into(), json!("problem"));
    attributes.insert("unit_of_measurement".into(), json!("%"));
    let alert = EntityState {
        state: "on".into(),
        attributes,
        ..EntityState::default()
    };
    let a = announce(&n, "binary_sensor.resource_manager_cpu_high", &alert).expect("ours");
    let c = config(&a);
    assert_eq!(
        a.config_topic,
        "homeassistant/binary_sensor/rm_0123456789ab/cpu_high/config"
    );
    assert_eq!(
        (c["payload_on"].clone(), c["payload_off"].clone()),
        (json!("on"), json!("off"))
    );
    assert!(
        c.get("unit_of_measurement").is_none(),
        "binary sensors have no unit"
    );
    let unknown = EntityState {
        state: "unknown".into(),
        ..EntityState::default()
    };
    let a = announce(&n, "sensor.resource_manager_satisfaction", &unknown).expect("ours");
    assert_eq!(
        serde_json::from_str::<Value>(&a.state).expect("json")["state"],
        "None"
    );
    assert_eq!(
        state_topic_of(&n, &a.config_topic).as_deref(),
        Some(a.state_topic.as_str())
    );
    assert!(
        announce(&n, "sensor.other_cpu", &unknown).is_none(),
        "not our prefix"
    );
    assert!(announce(&n, "switch.resource_manager_x", &unknown).is_none());
    let noisy = announce(&n, "sensor.resource_manager_net_eth0_errors", &unknown).expect("ours");
    assert_eq!(config(&noisy)["enabled_by_default"], false);
}

#[test]
fn the_node_id_is_made_once_and_kept_in_the_data_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = node_id(dir.path());
    assert!(first.starts_with("rm_") && first.len() == 15, "{first}");
    assert_eq!(node_id(dir.path()), first, "read back, not made again");
    std::fs::write(dir.path().join(super::NODE_ID_FILE), "garbage").expect("write");
    assert_ne!(node_id(dir.path()), first, "a broken file is replaced");
}

fn addon_sensor(slug: &str) -> crate::ha::entities::Entity {
    let mut meta = SeriesMeta::global("addon", "memory_bytes", Unit::Bytes, "memory");
    meta.id = format!("addon.{slug}.memory_bytes");
    meta.labels = vec![("addon", slug.to_string())];
    sensor("rm", &meta, 5e7)
}

#[test]
fn an_uninstalled_add_on_is_cleared_and_not_announced_again_a_stopped_one_stays() {
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};
    let (installed, rx) = tokio::sync::watch::channel(None::<Arc<BTreeSet<String>>>);
    let status = Arc::new(Mutex::new(crate::ha::status::HaLinkStatus::default()));
    let link = super::MqttLink::new(
        node("rm"),
        crate::config::Transport::Mqtt,
        status.clone(),
        std::time::Duration::from_secs(60),
        Some(rx),
    );
    let (gone, kept) = (addon_sensor("old_addon"), addon_sensor("core_mosquitto"));
    for e in [&gone, &kept] {
        link.offer(announce(&link.node(), &e.entity_id, &e.state).expect("ours"));
    }
    let gone_topic = "homeassistant/sensor/rm_0123456789ab/addon_old_addon_memory_bytes/config";
    // Not known yet: nothing is removed.
    link.forget_uninstalled();
    assert_eq!(link.inner.entities.lock().expect("lock").len(), 2);
    // `core_mosquitto` is stopped but installed; `old_addon` was uninstalled.
    installed.send_replace(Some(Arc::new(BTreeSet::from(["core_mosquitto".into()]))));
    link.forget_uninstalled();
    let entities = link.inner.entities.lock().expect("lock");
    assert_eq!(entities.len(), 1);
    assert!(!entities.contains_key(gone_topic));
    drop(entities);
    assert!(
        link.inner
            .to_clear
            .lock()
            .expect("lock")
            .contains(gone_topic)
    );
    assert_eq!(
        status
            .lock()
            .expect("lock")
            .mqtt
            .as_ref()
            .map(|m| m.removed),
        Some(1)
    );
    // A late state of the uninstalled add-on does not bring it back.
    link.offer(announce(&link.node(), &gone.entity_id, &gone.state).expect("ours"));
    assert_eq!(link.inner.entities.lock().expect("lock").len(), 1);
    // An earlier run's config of the installed add-on is kept by the sweep; a stranger's goes.
    let node = link.node();
    let kept_topic = "homeassistant/sensor/rm_0123456789ab/addon_core_mosquitto_cpu/config";
    let stale_topic = "homeassistant/sensor/rm_0123456789ab/nas_cpu_usage/config";
    link.inner
        .on_broker
        .lock()
        .expect("lock")
        .extend([kept_topic.to_string(), stale_topic.to_string()]);
    link.sweep();
    let to_clear = link.inner.to_clear.lock().expect("lock");
    assert!(to_clear.contains(stale_topic) && !to_clear.contains(kept_topic));
    assert_eq!(
        super::discovery::key_of(&node, stale_topic),
        Some("nas_cpu_usage")
    );
}

//! An entity state as Home Assistant's MQTT discovery wants it (pure: no I/O): one retained
//! config per entity at `<discovery_prefix>/<component>/<node>/<key>/config`, and one retained
//! state message (state and attributes together) on the entity's own topic.
//!
//! Keys stay what REST used: the entity id is `<component>.<entity_prefix>_<key>`, set through
//! `object_id` (what Core 2025.4 honours) and `default_entity_id` (what newer Core reads), so
//! automations and statistics keep their ids. The `unique_id` is `<node>_<key>`: the node id
//! lives in the data folder (restored with a backup) and the key leaves out the prefix, so a
//! changed `entity_prefix` renames nothing the user customised.

use serde_json::{Map, Value, json};

use super::super::rest::{EntityDevice, EntityState};

/// Attributes that are settings of the entity (in its config), not state attributes.
const CONFIG_ATTRIBUTES: &[&str] = &[
    "unit_of_measurement",
    "device_class",
    "state_class",
    "friendly_name",
    "icon",
];

/// What every discovery message of this box shares.
#[derive(Debug, Clone)]
pub struct Node {
    /// Stable id of this installation (`rm_` and 12 hex digits), in every `unique_id`.
    pub id: String,
    /// Home Assistant's discovery prefix (`homeassistant`).
    pub discovery_prefix: String,
    /// The `entity_prefix` option.
    pub entity_prefix: String,
    /// `Home Assistant add-on` or `Standalone`.
    pub model: &'static str,
    /// Opens the dashboard: the Ingress panel in the add-on.
    pub configuration_url: Option<String>,
}

impl Node {
    /// Root of this node's own topics (availability and states).
    pub fn base_topic(&self) -> String {
        format!("resource_manager/{}", self.id)
    }

    /// `online` / `offline`, retained; the client's last will says `offline`.
    pub fn availability_topic(&self) -> String {
        format!("{}/availability", self.base_topic())
    }

    /// Where Home Assistant says `online` when it (re)starts.
    pub fn ha_status_topic(&self) -> String {
        format!("{}/status", self.discovery_prefix)
    }

    /// Every discovery config of this node (retained ones come back on subscribing).
    pub fn config_filter(&self) -> String {
        format!("{}/+/{}/+/config", self.discovery_prefix, self.id)
    }

    fn device(&self, device: &EntityDevice) -> Value {
        let version = env!("CARGO_PKG_VERSION");
        match device {
            EntityDevice::Box => {
                let mut d = json!({
                    "identifiers": [self.id],
                    "name": "Resource Manager",
                    "manufacturer": "Resource Manager project",
                    "model": self.model,
                    "sw_version": version,
                });
                if let Some(url) = &self.configuration_url {
                    d["configuration_url"] = json!(url);
                }
                d
            }
            EntityDevice::Host(name) => json!({
                "identifiers": [format!("{}_host_{name}", self.id)],
                "name": format!("{name} (remote host)"),
                "manufacturer": "Resource Manager project",
                "model": "Remote host",
                "via_device": self.id,
            }),
            EntityDevice::Addon { slug, name } => json!({
                "identifiers": [format!("{}_addon_{slug}", self.id)],
                "name": format!("{name} (add-on)"),
                "manufacturer": "Resource Manager project",
                "model": "Add-on resources",
                "via_device": self.id,
            }),
        }
    }
}

/// Home Assistant's abbreviations of discovery keys (`components/mqtt/abbreviations.py`):
/// 15 % fewer bytes per config (1047 → 894 B on average), sent again at every re-announce.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("unique_id", "uniq_id"),
    ("object_id", "obj_id"),
    ("state_topic", "stat_t"),
    ("value_template", "val_tpl"),
    ("json_attributes_topic", "json_attr_t"),
    ("json_attributes_template", "json_attr_tpl"),
    ("availability_topic", "avty_t"),
    ("unit_of_measurement", "unit_of_meas"),
    ("device_class", "dev_cla"),
    ("state_class", "stat_cla"),
    ("entity_category", "ent_cat"),
    ("enabled_by_default", "en"),
    ("payload_on", "pl_on"),
    ("payload_off", "pl_off"),
    ("icon", "ic"),
    ("device", "dev"),
    ("origin", "o"),
];
const DEVICE_ABBREVIATIONS: &[(&str, &str)] = &[
    ("identifiers", "ids"),
    ("manufacturer", "mf"),
    ("model", "mdl"),
    ("sw_version", "sw"),
    ("configuration_url", "cu"),
];

fn rename(
    map: Map<String, Value>,
    table: &[(&str, &str)],
    long_to_short: bool,
) -> Map<String, Value> {
    map.into_iter()
        .map(|(k, v)| {
            let renamed = table
                .iter()
                .find(|(long, short)| k == if long_to_short { *long } else { *short })
                .map(|(long, short)| if long_to_short { *short } else { *long });
            (renamed.map_or(k, str::to_string), v)
        })
        .collect()
}

/// A config with long keys, abbreviated (the device block too); topics of this node start
/// with `~`, which Core replaces by the base topic.
fn abbreviate(mut config: Map<String, Value>, base: &str) -> Map<String, Value> {
    for key in ["state_topic", "json_attributes_topic", "availability_topic"] {
        if let Some(Value::String(topic)) = config.get_mut(key)
            && let Some(rest) = topic.strip_prefix(base)
        {
            *topic = format!("~{rest}");
        }
    }
    config.insert("~".into(), json!(base));
    if let Some(Value::Object(device)) = config.remove("device") {
        config.insert(
            "device".into(),
            Value::Object(rename(device, DEVICE_ABBREVIATIONS, true)),
        );
    }
    rename(config, ABBREVIATIONS, true)
}

/// The long form of an abbreviated config (`~` expanded), as Core reads it.
pub fn expand(config: Map<String, Value>) -> Map<String, Value> {
    let mut config = rename(config, ABBREVIATIONS, false);
    if let Some(Value::Object(device)) = config.remove("device") {
        config.insert(
            "device".into(),
            Value::Object(rename(device, DEVICE_ABBREVIATIONS, false)),
        );
    }
    if let Some(Value::String(base)) = config.remove("~") {
        for value in config.values_mut() {
            if let Value::String(topic) = value
                && let Some(rest) = topic.strip_prefix('~')
            {
                *topic = format!("{base}{rest}");
            }
        }
    }
    config
}

/// One entity, translated.
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement {
    /// The entity id without its domain and prefix (`cpu_usage`): stable part of the ids.
    pub key: String,
    pub config_topic: String,
    pub config: String,
    pub state_topic: String,
    pub state: String,
    /// The add-on whose device the entity is on (removed with the add-on).
    pub addon: Option<String>,
}

/// The engine's own entities: diagnostics, beside the box's measurements.
fn diagnostic(key: &str) -> bool {
    matches!(
        key,
        "status" | "engine_mode" | "satisfaction" | "history_problem"
    ) || key.starts_with("engine_")
}

/// Noisy entities a user enables when wanted (per-core CPU, per-interface errors).
fn disabled_by_default(key: &str) -> bool {
    key.starts_with("cpu_core") || key.contains("_errors") || key.contains("_drops")
}

/// `entity_id` and `state` as discovery config and state message; `None` for ids outside our
/// prefix or domains other than sensor and binary_sensor.
pub fn announce(node: &Node, entity_id: &str, state: &EntityState) -> Option<Announcement> {
    let (component, object_id) = entity_id.split_once('.')?;
    if !matches!(component, "sensor" | "binary_sensor") {
        return None;
    }
    let key = object_id
        .strip_prefix(&node.entity_prefix)?
        .strip_prefix('_')?
        .to_string();
    let state_topic = format!("{}/{component}/{key}", node.base_topic());
    let mut config = Map::new();
    let attrs = &state.attributes;
    config.insert(
        "name".into(),
        attrs
            .get("friendly_name")
            .cloned()
            .unwrap_or_else(|| json!(key)),
    );
    config.insert("unique_id".into(), json!(format!("{}_{key}", node.id)));
    config.insert("object_id".into(), json!(object_id));
    config.insert("default_entity_id".into(), json!(entity_id));
    config.insert("state_topic".into(), json!(state_topic));
    config.insert("value_template".into(), json!("{{ value_json.state }}"));
    config.insert("json_attributes_topic".into(), json!(state_topic));
    config.insert(
        "json_attributes_template".into(),
        json!("{{ value_json.attributes | tojson }}"),
    );
    config.insert(
        "availability_topic".into(),
        json!(node.availability_topic()),
    );
    for key in ["device_class", "icon"] {
        if let Some(v) = attrs.get(key) {
            config.insert(key.into(), v.clone());
        }
    }
    if component == "sensor" {
        for key in ["unit_of_measurement", "state_class"] {
            if let Some(v) = attrs.get(key) {
                config.insert(key.into(), v.clone());
            }
        }
    } else {
        config.insert("payload_on".into(), json!("on"));
        config.insert("payload_off".into(), json!("off"));
    }
    if diagnostic(&key) {
        config.insert("entity_category".into(), json!("diagnostic"));
    }
    if disabled_by_default(&key) {
        config.insert("enabled_by_default".into(), json!(false));
    }
    config.insert("device".into(), node.device(&state.device));
    config.insert(
        "origin".into(),
        json!({
            "name": "Resource Manager",
            "sw": env!("CARGO_PKG_VERSION"),
            "url": "https://github.com/resource-manager/resource-manager",
        }),
    );
    let attributes: Map<String, Value> = attrs
        .iter()
        .filter(|(k, _)| !CONFIG_ATTRIBUTES.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Core's MQTT sensor reads the text `None` as "no value" (REST said `unknown`).
    let value = match state.state.as_str() {
        "unknown" => "None",
        other => other,
    };
    Some(Announcement {
        config_topic: format!(
            "{}/{component}/{}/{key}/config",
            node.discovery_prefix, node.id
        ),
        config: Value::Object(abbreviate(config, &node.base_topic())).to_string(),
        state_topic,
        state: json!({"state": value, "attributes": attributes}).to_string(),
        key,
        addon: match &state.device {
            EntityDevice::Addon { slug, .. } => Some(slug.clone()),
            _ => None,
        },
    })
}

/// The state topic of a config topic of ours (to clear both when an entity is gone).
pub fn state_topic_of(node: &Node, config_topic: &str) -> Option<String> {
    let rest = config_topic.strip_prefix(&node.discovery_prefix)?;
    let mut parts = rest.trim_start_matches('/').split('/');
    let (component, id, key) = (parts.next()?, parts.next()?, parts.next()?);
    (id == node.id).then(|| format!("{}/{component}/{key}", node.base_topic()))
}

/// The key of a config topic of ours (`…/<node>/<key>/config` → `<key>`).
pub fn key_of<'a>(node: &Node, config_topic: &'a str) -> Option<&'a str> {
    let rest = config_topic.strip_prefix(&node.discovery_prefix)?;
    let mut parts = rest.trim_start_matches('/').split('/');
    let (_component, id, key) = (parts.next()?, parts.next()?, parts.next()?);
    (id == node.id).then_some(key)
}

/// How the keys of an add-on's entities start (`addon_core_mosquitto_`): the slug folded as
/// entity ids fold it.
pub fn addon_key_prefix(slug: &str) -> String {
    let id = super::super::entities::entity_id("", &format!("addon.{slug}"));
    format!("{}_", id.trim_start_matches("sensor._"))
}

//! One series as a Home Assistant sensor: its entity id, its state rounded to the metric's
//! precision, and its unit, device class, state class and icon from the registry.

use serde_json::{Map, json};

use super::super::rest::{EntityDevice, EntityState};
use crate::model::SeriesMeta;
use crate::model::registry::{self, HaSensor};

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
pub(super) fn presentation(meta: &SeriesMeta) -> HaSensor {
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
            "source" | "method" | "preset" | "board" | "reasons" => {
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
            device: device_of(meta),
        },
    }
}

/// The device a series' sensor is grouped on: its remote host, its add-on, or this box.
fn device_of(meta: &SeriesMeta) -> EntityDevice {
    let (host, local_id) = crate::model::host::split(&meta.id);
    if host != crate::model::host::LOCAL {
        return EntityDevice::Host(host.to_string());
    }
    match (local_id.split('.').next(), meta.labels.first()) {
        (Some("addon"), Some((_, slug))) => EntityDevice::Addon {
            slug: slug.clone(),
            name: addon_name(meta).unwrap_or(slug).to_string(),
        },
        _ => EntityDevice::Box,
    }
}

/// The add-on's name as the Supervisor gave it, read back from the description its family
/// filled in (`"{} memory"` → `"Mosquitto broker memory"` → `"Mosquitto broker"`).
fn addon_name(meta: &SeriesMeta) -> Option<&str> {
    let template = crate::model::registry::of(meta)?.description;
    let (prefix, suffix) = template.split_once("{}")?;
    let name = meta
        .description
        .strip_prefix(prefix)?
        .strip_suffix(suffix)?
        .trim();
    (!name.is_empty()).then_some(name)
}

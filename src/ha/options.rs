//! Options of the Home Assistant publisher (`home_assistant` in the add-on options).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{Reader, describe};

/// Groups of metrics a user can publish or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricGroup {
    Cpu,
    Memory,
    Swap,
    Load,
    Disk,
    Network,
    Temperature,
    System,
    Addons,
}

impl MetricGroup {
    /// Every group, in display order.
    pub const ALL: [MetricGroup; 9] = [
        MetricGroup::Cpu,
        MetricGroup::Memory,
        MetricGroup::Swap,
        MetricGroup::Load,
        MetricGroup::Disk,
        MetricGroup::Network,
        MetricGroup::Temperature,
        MetricGroup::System,
        MetricGroup::Addons,
    ];

    /// The option value naming this group.
    pub fn name(self) -> &'static str {
        match self {
            MetricGroup::Cpu => "cpu",
            MetricGroup::Memory => "memory",
            MetricGroup::Swap => "swap",
            MetricGroup::Load => "load",
            MetricGroup::Disk => "disk",
            MetricGroup::Network => "network",
            MetricGroup::Temperature => "temperature",
            MetricGroup::System => "system",
            MetricGroup::Addons => "addons",
        }
    }

    /// The group a series id belongs to (by its first dotted segment).
    pub fn of_series(id: &str) -> Option<MetricGroup> {
        Some(match id.split('.').next()? {
            "cpu" => MetricGroup::Cpu,
            "memory" => MetricGroup::Memory,
            "swap" => MetricGroup::Swap,
            "load" => MetricGroup::Load,
            "disk" => MetricGroup::Disk,
            "net" => MetricGroup::Network,
            "temp" => MetricGroup::Temperature,
            "system" => MetricGroup::System,
            "addon" => MetricGroup::Addons,
            _ => return None,
        })
    }
}

/// What is published to Home Assistant, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishOptions {
    /// Entity ids start with `sensor.<prefix>_`.
    pub entity_prefix: String,
    /// Seconds between two regular publications of changed values.
    pub publish_interval_seconds: u32,
    /// A value that moves by more than this share (percent) is published at once; 0 disables.
    pub change_percent: u32,
    pub groups: Vec<MetricGroup>,
    /// One set of sensors per add-on (otherwise only the top consumers).
    pub addon_entities: bool,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            entity_prefix: "resource_manager".into(),
            publish_interval_seconds: 30,
            change_percent: 10,
            groups: MetricGroup::ALL.to_vec(),
            addon_entities: false,
        }
    }
}

const KEYS: &[&str] = &[
    "entity_prefix",
    "publish_interval_seconds",
    "change_percent",
    "groups",
    "addon_entities",
];

fn valid_prefix(prefix: &str) -> bool {
    let mut chars = prefix.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && prefix.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl PublishOptions {
    /// Reads the `home_assistant` object, reporting every bad field.
    pub(crate) fn read(reader: &mut Reader<'_>, map: &Map<String, Value>) -> PublishOptions {
        let defaults = PublishOptions::default();
        let Some(value) = map.get("home_assistant") else {
            return defaults;
        };
        let Some(inner) = value.as_object() else {
            reader.problems.push(format!(
                "option 'home_assistant': got {}, allowed: an object with {}",
                describe(value),
                KEYS.join(", ")
            ));
            return defaults;
        };
        for key in inner.keys() {
            if !KEYS.contains(&key.as_str()) {
                reader.problems.push(format!(
                    "option 'home_assistant.{key}': unknown option, allowed: {}",
                    KEYS.join(", ")
                ));
            }
        }
        let entity_prefix = match inner.get("entity_prefix") {
            None => defaults.entity_prefix.clone(),
            Some(Value::String(p)) if valid_prefix(p) => p.clone(),
            Some(other) => {
                reader.problems.push(format!(
                    "option 'home_assistant.entity_prefix': got {}, allowed: 1-40 lowercase letters, digits or underscores, starting with a letter",
                    describe(other)
                ));
                defaults.entity_prefix.clone()
            }
        };
        let publish_interval_seconds = reader.int_at(
            inner,
            "publish_interval_seconds",
            "home_assistant.publish_interval_seconds",
            5,
            3600,
            defaults.publish_interval_seconds,
        );
        let change_percent = reader.int_at(
            inner,
            "change_percent",
            "home_assistant.change_percent",
            0,
            100,
            defaults.change_percent,
        );
        let groups = match inner.get("groups") {
            None => defaults.groups.clone(),
            Some(Value::Array(items)) => {
                let mut groups = Vec::new();
                for item in items {
                    match item
                        .as_str()
                        .and_then(|s| MetricGroup::ALL.into_iter().find(|g| g.name() == s))
                    {
                        Some(g) if !groups.contains(&g) => groups.push(g),
                        Some(_) => {}
                        None => reader.problems.push(format!(
                            "option 'home_assistant.groups': got {}, allowed: {}",
                            describe(item),
                            MetricGroup::ALL.map(MetricGroup::name).join(", ")
                        )),
                    }
                }
                groups
            }
            Some(other) => {
                reader.problems.push(format!(
                    "option 'home_assistant.groups': got {}, allowed: a list of {}",
                    describe(other),
                    MetricGroup::ALL.map(MetricGroup::name).join(", ")
                ));
                defaults.groups.clone()
            }
        };
        let addon_entities = match inner.get("addon_entities") {
            None => defaults.addon_entities,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                reader.problems.push(format!(
                    "option 'home_assistant.addon_entities': got {}, allowed: true or false",
                    describe(other)
                ));
                defaults.addon_entities
            }
        };
        PublishOptions {
            entity_prefix,
            publish_interval_seconds,
            change_percent,
            groups,
            addon_entities,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Options;
    use serde_json::json;

    #[test]
    fn reads_every_field_and_reports_each_bad_one() {
        let ok = Options::from_json(&json!({"home_assistant": {"entity_prefix": "rm", "groups": ["cpu", "disk"], "addon_entities": true}})).expect("valid");
        assert_eq!(ok.home_assistant.entity_prefix, "rm");
        assert_eq!(ok.home_assistant.groups.len(), 2);
        assert!(ok.home_assistant.addon_entities);
        let err = Options::from_json(&json!({"home_assistant": {"entity_prefix": "Bad-Prefix", "groups": ["gpu"], "change_percent": 101, "addon_entities": "yes"}}))
            .expect_err("invalid");
        assert_eq!(err.problems.len(), 4, "{err}");
        assert!(
            err.problems[0]
                .starts_with("option 'home_assistant.entity_prefix': got \"Bad-Prefix\"")
        );
    }
}

//! The `home_assistant` option: what the Home Assistant publisher sends, and how often.

use serde::Serialize;
use serde_json::Value;

use super::mqtt::Transport;
use super::problems::Problems;
use super::reader::{Object, describe};

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
    /// Power, energy and cost (the Energy dashboard's sensors).
    Power,
}

impl MetricGroup {
    /// Every group, in display order.
    pub const ALL: [MetricGroup; 10] = [
        MetricGroup::Cpu,
        MetricGroup::Memory,
        MetricGroup::Swap,
        MetricGroup::Load,
        MetricGroup::Disk,
        MetricGroup::Network,
        MetricGroup::Temperature,
        MetricGroup::System,
        MetricGroup::Addons,
        MetricGroup::Power,
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
            MetricGroup::Power => "power",
        }
    }

    /// The group a series id belongs to (by its first dotted segment).
    pub fn of_series(id: &str) -> Option<MetricGroup> {
        Some(match id.split('.').next()? {
            "cpu" => MetricGroup::Cpu,
            "memory" => MetricGroup::Memory,
            "swap" => MetricGroup::Swap,
            "load" => MetricGroup::Load,
            // The data disk's breakdown (what takes it) belongs with the disks.
            "disk" | "storage" => MetricGroup::Disk,
            "net" => MetricGroup::Network,
            "temp" => MetricGroup::Temperature,
            // The analysis' own series (health score, anomaly score, leak rates) describe the
            // whole system.
            "system" | "health" | "anomaly" | "leak" | "engine" => MetricGroup::System,
            // How much work waited for the CPU, memory and disks: the whole system's state.
            "pressure" => MetricGroup::System,
            // A remote host's reachability (`nas:host.up`).
            "host" => MetricGroup::System,
            "addon" => MetricGroup::Addons,
            "power" | "energy" | "cost" => MetricGroup::Power,
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
    /// Remote hosts whose series are published too (their `home_assistant` flag in `hosts`).
    #[serde(skip)]
    pub hosts: Vec<String>,
    /// MQTT discovery, REST, or MQTT when a broker is known (ADR 0019).
    pub transport: Transport,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            entity_prefix: "resource_manager".into(),
            publish_interval_seconds: 30,
            change_percent: 10,
            groups: MetricGroup::ALL.to_vec(),
            addon_entities: false,
            hosts: Vec::new(),
            transport: Transport::Auto,
        }
    }
}

fn valid_prefix(prefix: &str) -> bool {
    let mut chars = prefix.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && prefix.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl PublishOptions {
    /// The keys of the `home_assistant` object, in the order messages list them.
    pub const KEYS: &[&str] = &[
        "entity_prefix",
        "publish_interval_seconds",
        "change_percent",
        "groups",
        "addon_entities",
        "transport",
    ];

    /// Reads `home_assistant` from the options object, reporting every bad field.
    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> PublishOptions {
        let d = PublishOptions::default();
        let Some(section) = options.section("home_assistant", PublishOptions::KEYS, p) else {
            return d;
        };
        let entity_prefix = section
            .string(
                "entity_prefix",
                valid_prefix,
                "1-40 lowercase letters, digits or underscores, starting with a letter",
                p,
            )
            .map_or(d.entity_prefix, str::to_string);
        let publish_interval_seconds = section.int(
            "publish_interval_seconds",
            5..=3600,
            d.publish_interval_seconds,
            p,
        );
        let change_percent = section.int("change_percent", 0..=100, d.change_percent, p);
        let groups = match section.get("groups") {
            None => d.groups,
            Some(Value::Array(items)) => {
                let mut groups = Vec::new();
                for item in items {
                    match item
                        .as_str()
                        .and_then(|s| MetricGroup::ALL.into_iter().find(|g| g.name() == s))
                    {
                        Some(g) if !groups.contains(&g) => groups.push(g),
                        Some(_) => {}
                        None => p.bad(
                            &section.at("groups"),
                            describe(item),
                            MetricGroup::ALL.map(MetricGroup::name).join(", "),
                        ),
                    }
                }
                groups
            }
            Some(other) => {
                let allowed = format!(
                    "a list of {}",
                    MetricGroup::ALL.map(MetricGroup::name).join(", ")
                );
                p.bad(&section.at("groups"), describe(other), allowed);
                d.groups
            }
        };
        let addon_entities = section
            .bool("addon_entities", p)
            .unwrap_or(d.addon_entities);
        let transport = section
            .choice("transport", Transport::NAMES, p)
            .and_then(Transport::parse)
            .unwrap_or(d.transport);
        PublishOptions {
            entity_prefix,
            publish_interval_seconds,
            change_percent,
            groups,
            addon_entities,
            hosts: Vec::new(),
            transport,
        }
    }
}

//! The add-on options as a whole (`/data/options.json`): the top-level keys, each read through
//! its section.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::access::AccessOptions;
use super::actions::ActionOptions;
use super::alert_rules::RuleSet;
use super::home_assistant::PublishOptions;
use super::leases::LeaseOptions;
use super::mqtt::MqttOptions;
use super::power::{PowerOptions, SelfScalingOptions};
use super::problems::{ConfigError, Problems};
use super::reader::Object;
use super::remote::{HostOptions, RemoteWriteOptions};
use super::retention::Retention;

/// Log verbosity, as the add-on options name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
}

impl LogLevel {
    /// Every level, as the option spells it.
    pub const NAMES: &[&str] = &["trace", "debug", "info", "warning", "error"];

    /// The `tracing` filter directive for this level.
    pub fn directive(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warning => "warn",
            LogLevel::Error => "error",
        }
    }

    fn parse(name: &str) -> Option<LogLevel> {
        Some(match name {
            "trace" => LogLevel::Trace,
            "debug" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "warning" => LogLevel::Warning,
            "error" => LogLevel::Error,
            _ => return None,
        })
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// JSON in the add-on (fields stay machine-readable), plain lines standalone.
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Plain,
}

impl LogFormat {
    /// Every format, as the option spells it.
    pub const NAMES: &[&str] = &["auto", "json", "plain"];

    fn parse(name: &str) -> Option<LogFormat> {
        Some(match name {
            "auto" => LogFormat::Auto,
            "json" => LogFormat::Json,
            "plain" => LogFormat::Plain,
            _ => return None,
        })
    }
}

/// The validated add-on options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Options {
    pub log_level: LogLevel,
    pub log_format: LogFormat,
    pub sample_interval_seconds: u32,
    pub process_interval_seconds: u32,
    pub write_batch_seconds: u32,
    pub retention: Retention,
    /// Seconds between two reads of per-add-on stats from the Supervisor.
    pub addon_stats_interval_seconds: u32,
    /// What is published to Home Assistant, and how often.
    pub home_assistant: PublishOptions,
    /// Effective alert rules: the built-in ones changed by the `alert_rules` option.
    pub alert_rules: RuleSet,
    /// Import up to 30 days of Home Assistant's hourly statistics of the System Monitor
    /// sensors that match our series, once connected, so forecasts work from the first day.
    pub import_ha_statistics: bool,
    /// Capacity and limits of resource leases (admission control).
    pub leases: LeaseOptions,
    /// Other machines read as extra hosts (ADR 0014).
    pub hosts: Vec<HostOptions>,
    /// Prometheus remote write of every series; off without a URL.
    pub remote_write: RemoteWriteOptions,
    /// What the advisor may do to add-ons (default: nothing, every action a dry run).
    pub actions: ActionOptions,
    /// Where the host's power comes from, and the price of energy.
    pub power: PowerOptions,
    /// When the engine stretches its own cadence on a busy host.
    pub self_scaling: SelfScalingOptions,
    /// The API token and the read-only areas open without it.
    pub access: AccessOptions,
    /// A broker of the user's own and the discovery prefix (MQTT discovery, ADR 0019).
    pub mqtt: MqttOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            log_level: LogLevel::Info,
            log_format: LogFormat::Auto,
            sample_interval_seconds: 5,
            process_interval_seconds: 15,
            write_batch_seconds: 300,
            retention: Retention::default(),
            addon_stats_interval_seconds: 30,
            home_assistant: PublishOptions::default(),
            alert_rules: RuleSet::default(),
            import_ha_statistics: false,
            leases: LeaseOptions::default(),
            hosts: Vec::new(),
            remote_write: RemoteWriteOptions::default(),
            actions: ActionOptions::default(),
            power: PowerOptions::default(),
            self_scaling: SelfScalingOptions::default(),
            access: AccessOptions::default(),
            mqtt: MqttOptions::default(),
        }
    }
}

impl Options {
    /// The top-level option names, in the order messages list them.
    pub const KEYS: &[&str] = &[
        "log_level",
        "log_format",
        "sample_interval_seconds",
        "process_interval_seconds",
        "write_batch_seconds",
        "retention",
        "addon_stats_interval_seconds",
        "home_assistant",
        "alert_rules",
        "import_ha_statistics",
        "leases",
        "hosts",
        "remote_write",
        "actions",
        "power",
        "self_scaling",
        "access",
        "mqtt",
    ];

    /// Interval between two ticks of the host collectors.
    pub fn sample_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.sample_interval_seconds))
    }

    /// Interval between two refreshes of the process list.
    pub fn process_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.process_interval_seconds))
    }

    /// How long samples are buffered before being written.
    pub fn write_batch(&self) -> Duration {
        Duration::from_secs(u64::from(self.write_batch_seconds))
    }

    /// Validates an options object (the content of options.json), reporting every bad option.
    pub fn from_json(value: &Value) -> Result<Options, ConfigError> {
        let mut problems = Problems::default();
        let options = Options::read(value, &mut problems);
        problems.finish(options)
    }

    fn read(value: &Value, p: &mut Problems) -> Options {
        let d = Options::default();
        let Some(root) = Object::root(value, p) else {
            return d;
        };
        root.known_keys(Options::KEYS, p);
        let log_level = root
            .choice("log_level", LogLevel::NAMES, p)
            .and_then(LogLevel::parse)
            .unwrap_or(d.log_level);
        let hosts = HostOptions::read_list(&root, p);
        let mut home_assistant = PublishOptions::read(&root, p);
        home_assistant.hosts = hosts
            .iter()
            .filter(|h| h.home_assistant)
            .map(|h| h.name.clone())
            .collect();
        let log_format = root
            .choice("log_format", LogFormat::NAMES, p)
            .and_then(LogFormat::parse)
            .unwrap_or(d.log_format);
        Options {
            log_level,
            log_format,
            sample_interval_seconds: root.int(
                "sample_interval_seconds",
                1..=300,
                d.sample_interval_seconds,
                p,
            ),
            process_interval_seconds: root.int(
                "process_interval_seconds",
                5..=3600,
                d.process_interval_seconds,
                p,
            ),
            write_batch_seconds: root.int(
                "write_batch_seconds",
                5..=3600,
                d.write_batch_seconds,
                p,
            ),
            retention: Retention::read(&root, p),
            addon_stats_interval_seconds: root.int(
                "addon_stats_interval_seconds",
                10..=3600,
                d.addon_stats_interval_seconds,
                p,
            ),
            home_assistant,
            alert_rules: RuleSet::read(&root, p),
            import_ha_statistics: root
                .bool("import_ha_statistics", p)
                .unwrap_or(d.import_ha_statistics),
            leases: LeaseOptions::read(&root, p),
            hosts,
            remote_write: RemoteWriteOptions::read(&root, p),
            actions: ActionOptions::read(&root, p),
            power: PowerOptions::read(&root, p),
            self_scaling: SelfScalingOptions::read(&root, p),
            access: AccessOptions::read(&root, p),
            mqtt: MqttOptions::read(&root, p),
        }
    }
}

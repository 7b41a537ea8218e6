//! Options and runtime configuration, parsed once and validated before anything starts.
//!
//! Two modes: add-on mode (the Supervisor sets `SUPERVISOR_TOKEN`; options come from
//! `/data/options.json`) and standalone mode (flags, `RM_*` environment variables and an optional
//! `--options FILE` holding the same JSON the add-on uses). Both go through one validator so a bad
//! value gets the same message wherever it came from.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::alert::RuleSet;

/// Where the add-on's options live inside the container.
pub const ADDON_OPTIONS_PATH: &str = "/data/options.json";
/// Port the Supervisor's Ingress proxy connects to.
pub const INGRESS_PORT: u16 = 8099;

/// Command line of the binary.
#[derive(Debug, Parser, Default)]
#[command(
    name = "resource-manager",
    version,
    about = "Watches this machine's resources, keeps history in SQLite and serves it over HTTP"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options JSON file (the same format as the add-on's /data/options.json).
    #[arg(long, env = "RM_OPTIONS", value_name = "FILE")]
    pub options: Option<PathBuf>,
    /// Address to listen on (standalone mode).
    #[arg(long, env = "RM_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Directory for the SQLite history (standalone mode).
    #[arg(long, env = "RM_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log level: trace, debug, info, warning or error.
    #[arg(long, env = "RM_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Seconds between two samples (1-300).
    #[arg(long, env = "RM_SAMPLE_INTERVAL_SECONDS")]
    pub sample_interval_seconds: Option<String>,
    /// Seconds between two process-list refreshes (5-3600).
    #[arg(long, env = "RM_PROCESS_INTERVAL_SECONDS")]
    pub process_interval_seconds: Option<String>,
    /// Seconds of samples buffered before one write to disk (5-3600).
    #[arg(long, env = "RM_WRITE_BATCH_SECONDS")]
    pub write_batch_seconds: Option<String>,
    /// Hours of raw samples kept (1-720).
    #[arg(long, env = "RM_RETENTION_RAW_HOURS")]
    pub retention_raw_hours: Option<String>,
    /// Days of 1-minute rollups kept (1-365).
    #[arg(long, env = "RM_RETENTION_MINUTE_DAYS")]
    pub retention_minute_days: Option<String>,
    /// Days of 1-hour rollups kept (1-3650).
    #[arg(long, env = "RM_RETENTION_HOUR_DAYS")]
    pub retention_hour_days: Option<String>,
    /// Bearer token required from clients that are not on loopback (or the Ingress proxy).
    #[arg(long, env = "RM_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
}

/// Subcommands besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a consistent copy of the history for a backup (add-on `backup_pre`), or remove it.
    Snapshot {
        /// Remove the snapshot instead of writing it (add-on `backup_post`).
        #[arg(long)]
        remove: bool,
    },
}

/// How the process was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Addon,
    Standalone,
}

/// A secret that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

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
}

/// How long each storage tier is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Retention {
    pub raw_hours: u32,
    pub minute_days: u32,
    pub hour_days: u32,
}

/// The validated add-on options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Options {
    pub log_level: LogLevel,
    pub sample_interval_seconds: u32,
    pub process_interval_seconds: u32,
    pub write_batch_seconds: u32,
    pub retention: Retention,
    /// Seconds between two reads of per-add-on stats from the Supervisor.
    pub addon_stats_interval_seconds: u32,
    /// What is published to Home Assistant, and how often.
    pub home_assistant: crate::ha::options::PublishOptions,
    /// Effective alert rules: the built-in ones changed by the `alert_rules` option.
    pub alert_rules: RuleSet,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            log_level: LogLevel::Info,
            sample_interval_seconds: 5,
            process_interval_seconds: 15,
            write_batch_seconds: 120,
            retention: Retention {
                raw_hours: 48,
                minute_days: 30,
                hour_days: 730,
            },
            addon_stats_interval_seconds: 30,
            home_assistant: crate::ha::options::PublishOptions::default(),
            alert_rules: RuleSet::default(),
        }
    }
}

impl Options {
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
        let mut problems = Vec::new();
        let Some(map) = value.as_object() else {
            return Err(ConfigError::new(vec![format!(
                "option 'options': got {}, allowed: a JSON object",
                describe(value)
            )]));
        };
        let defaults = Options::default();
        let mut reader = Reader {
            problems: &mut problems,
        };
        for key in map.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                reader.problems.push(format!(
                    "option '{key}': unknown option, allowed: {}",
                    TOP_LEVEL_KEYS.join(", ")
                ));
            }
        }
        let log_level = reader.log_level(map, defaults.log_level);
        let sample_interval_seconds = reader.int(
            map,
            "sample_interval_seconds",
            1,
            300,
            defaults.sample_interval_seconds,
        );
        let process_interval_seconds = reader.int(
            map,
            "process_interval_seconds",
            5,
            3600,
            defaults.process_interval_seconds,
        );
        let write_batch_seconds = reader.int(
            map,
            "write_batch_seconds",
            5,
            3600,
            defaults.write_batch_seconds,
        );
        let retention = reader.retention(map, defaults.retention);
        let addon_stats_interval_seconds = reader.int(
            map,
            "addon_stats_interval_seconds",
            10,
            3600,
            defaults.addon_stats_interval_seconds,
        );
        let home_assistant = crate::ha::options::PublishOptions::read(&mut reader, map);
        let alert_rules = RuleSet::from_option(map.get("alert_rules"), &mut problems);
        if problems.is_empty() {
            Ok(Options {
                log_level,
                sample_interval_seconds,
                process_interval_seconds,
                write_batch_seconds,
                retention,
                addon_stats_interval_seconds,
                home_assistant,
                alert_rules,
            })
        } else {
            Err(ConfigError::new(problems))
        }
    }
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "log_level",
    "sample_interval_seconds",
    "process_interval_seconds",
    "write_batch_seconds",
    "retention",
    "addon_stats_interval_seconds",
    "home_assistant",
    "alert_rules",
];
const RETENTION_KEYS: &[&str] = &["raw_hours", "minute_days", "hour_days"];
const LOG_LEVELS: &[&str] = &["trace", "debug", "info", "warning", "error"];

/// Collects one message per bad option while reading an options map.
pub(crate) struct Reader<'a> {
    pub(crate) problems: &'a mut Vec<String>,
}

impl Reader<'_> {
    pub(crate) fn int(
        &mut self,
        map: &Map<String, Value>,
        name: &str,
        min: u32,
        max: u32,
        default: u32,
    ) -> u32 {
        self.int_at(map, name, name, min, max, default)
    }

    pub(crate) fn int_at(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        display: &str,
        min: u32,
        max: u32,
        default: u32,
    ) -> u32 {
        let Some(value) = map.get(key) else {
            return default;
        };
        match value.as_u64().and_then(|v| u32::try_from(v).ok()) {
            Some(v) if (min..=max).contains(&v) => v,
            _ => {
                self.problems.push(format!(
                    "option '{display}': got {}, allowed: an integer from {min} to {max}",
                    describe(value)
                ));
                default
            }
        }
    }

    fn log_level(&mut self, map: &Map<String, Value>, default: LogLevel) -> LogLevel {
        let Some(value) = map.get("log_level") else {
            return default;
        };
        match value.as_str() {
            Some("trace") => LogLevel::Trace,
            Some("debug") => LogLevel::Debug,
            Some("info") => LogLevel::Info,
            Some("warning") => LogLevel::Warning,
            Some("error") => LogLevel::Error,
            _ => {
                self.problems.push(format!(
                    "option 'log_level': got {}, allowed: one of {}",
                    describe(value),
                    LOG_LEVELS.join(", ")
                ));
                default
            }
        }
    }

    fn retention(&mut self, map: &Map<String, Value>, default: Retention) -> Retention {
        let Some(value) = map.get("retention") else {
            return default;
        };
        let Some(inner) = value.as_object() else {
            self.problems.push(format!(
                "option 'retention': got {}, allowed: an object with {}",
                describe(value),
                RETENTION_KEYS.join(", ")
            ));
            return default;
        };
        for key in inner.keys() {
            if !RETENTION_KEYS.contains(&key.as_str()) {
                self.problems.push(format!(
                    "option 'retention.{key}': unknown option, allowed: {}",
                    RETENTION_KEYS.join(", ")
                ));
            }
        }
        Retention {
            raw_hours: self.int_at(
                inner,
                "raw_hours",
                "retention.raw_hours",
                1,
                720,
                default.raw_hours,
            ),
            minute_days: self.int_at(
                inner,
                "minute_days",
                "retention.minute_days",
                1,
                365,
                default.minute_days,
            ),
            hour_days: self.int_at(
                inner,
                "hour_days",
                "retention.hour_days",
                1,
                3650,
                default.hour_days,
            ),
        }
    }
}

/// A short rendering of a JSON value for error messages.
pub(crate) fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        let short: String = text.chars().take(40).collect();
        format!("{short}…")
    } else {
        text
    }
}

/// Where to reach Home Assistant Core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaEndpoint {
    /// Base of the REST API, e.g. `http://supervisor/core/api` or `http://ha.local:8123/api`.
    pub rest_url: String,
    /// The WebSocket endpoint.
    pub websocket_url: String,
    pub token: Secret,
}

/// Where to reach the Supervisor (add-on mode only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorEndpoint {
    pub url: String,
    pub token: Secret,
}

/// Everything the running app needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub options: Options,
    pub home_assistant: Option<HaEndpoint>,
    pub supervisor: Option<SupervisorEndpoint>,
    pub api_token: Option<Secret>,
    /// Where host `/proc` and `/sys` are read (`RM_HOST_PROC`, `RM_HOST_SYS`; e.g. a host's
    /// trees bind-mounted into a container, or fixture trees in tests).
    pub sys_root: crate::collect::SysRoot,
}

/// One or more invalid settings; each line names the option, the value and what is allowed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{}", .problems.join("\n"))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl ConfigError {
    fn new(problems: Vec<String>) -> Self {
        ConfigError { problems }
    }
}

impl Config {
    /// Builds the configuration from the command line and the environment.
    ///
    /// `env` is injected so tests do not depend on the process environment.
    pub fn load(cli: &Cli, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let supervisor_token = env("SUPERVISOR_TOKEN").filter(|t| !t.is_empty());
        let mode = if supervisor_token.is_some() {
            Mode::Addon
        } else {
            Mode::Standalone
        };
        let mut problems = Vec::new();

        let options_path = match (&cli.options, mode) {
            (Some(path), _) => Some(path.clone()),
            (None, Mode::Addon) => Some(PathBuf::from(ADDON_OPTIONS_PATH)),
            (None, Mode::Standalone) => None,
        };
        let mut options_json = match &options_path {
            Some(path) => match read_options_file(path) {
                Ok(value) => value,
                Err(message) => return Err(ConfigError::new(vec![message])),
            },
            None => Value::Object(Map::new()),
        };
        overlay_flags(cli, &mut options_json, &mut problems);

        let options = match Options::from_json(&options_json) {
            Ok(options) => Some(options),
            Err(err) => {
                problems.extend(err.problems);
                None
            }
        };

        let default_listen = match mode {
            Mode::Addon => SocketAddr::from(([0, 0, 0, 0], INGRESS_PORT)),
            Mode::Standalone => SocketAddr::from(([127, 0, 0, 1], INGRESS_PORT)),
        };
        let listen = match &cli.listen {
            None => default_listen,
            Some(text) => text.parse().unwrap_or_else(|_| {
                problems.push(format!(
                    "option 'listen': got \"{text}\", allowed: an address and port such as 127.0.0.1:8099"
                ));
                default_listen
            }),
        };
        let data_dir = cli.data_dir.clone().unwrap_or_else(|| match mode {
            Mode::Addon => PathBuf::from("/data"),
            Mode::Standalone => PathBuf::from("./data"),
        });
        if data_dir.as_os_str().is_empty() {
            problems.push("option 'data_dir': got \"\", allowed: a directory path".to_string());
        }

        let (home_assistant, supervisor) = match &supervisor_token {
            Some(token) => {
                // SUPERVISOR_URL exists for development and the emulated Supervisor in tests.
                let url = env("SUPERVISOR_URL")
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| "http://supervisor".into());
                let url = url.trim_end_matches('/').to_string();
                let ws = url
                    .replacen("https://", "wss://", 1)
                    .replacen("http://", "ws://", 1);
                (
                    Some(HaEndpoint {
                        rest_url: format!("{url}/core/api"),
                        websocket_url: format!("{ws}/core/websocket"),
                        token: Secret::new(token.clone()),
                    }),
                    Some(SupervisorEndpoint {
                        url,
                        token: Secret::new(token.clone()),
                    }),
                )
            }
            None => (ha_from_env(env, &mut problems), None),
        };

        let sys_root = sys_root_from_env(env, &mut problems);
        let api_token = cli
            .api_token
            .as_ref()
            .filter(|t| !t.is_empty())
            .map(|t| Secret::new(t.clone()));

        match options {
            Some(options) if problems.is_empty() => Ok(Config {
                mode,
                listen,
                data_dir,
                options,
                home_assistant,
                supervisor,
                api_token,
                sys_root,
            }),
            _ => Err(ConfigError::new(problems)),
        }
    }

    /// Path of the SQLite history file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(crate::store::DATABASE_FILE)
    }
}

fn read_options_file(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        format!(
            "option 'options': cannot read \"{}\": {err}, allowed: a readable JSON file",
            path.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|err| {
        format!(
            "option 'options': \"{}\" is not valid JSON ({err}), allowed: a JSON object of options",
            path.display()
        )
    })
}

/// Lays flag values over the options file so both go through one validator.
fn overlay_flags(cli: &Cli, json: &mut Value, problems: &mut Vec<String>) {
    let Some(map) = json.as_object_mut() else {
        return;
    };
    let mut set = |path: &[&str], raw: &Option<String>, numeric: bool| {
        let Some(raw) = raw else { return };
        let value = if numeric {
            match raw.trim().parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::String(raw.clone()),
            }
        } else {
            Value::String(raw.clone())
        };
        match path {
            [key] => {
                map.insert((*key).to_string(), value);
            }
            [outer, inner] => {
                let entry = map
                    .entry((*outer).to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                match entry.as_object_mut() {
                    Some(obj) => {
                        obj.insert((*inner).to_string(), value);
                    }
                    None => problems.push(format!(
                        "option '{outer}': got {}, allowed: an object",
                        describe(entry)
                    )),
                }
            }
            _ => {}
        }
    };
    set(&["log_level"], &cli.log_level, false);
    set(
        &["sample_interval_seconds"],
        &cli.sample_interval_seconds,
        true,
    );
    set(
        &["process_interval_seconds"],
        &cli.process_interval_seconds,
        true,
    );
    set(&["write_batch_seconds"], &cli.write_batch_seconds, true);
    set(&["retention", "raw_hours"], &cli.retention_raw_hours, true);
    set(
        &["retention", "minute_days"],
        &cli.retention_minute_days,
        true,
    );
    set(&["retention", "hour_days"], &cli.retention_hour_days, true);
}

/// `RM_HOST_PROC` / `RM_HOST_SYS`, defaulting to this machine's `/proc` and `/sys`.
fn sys_root_from_env(
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> crate::collect::SysRoot {
    let mut root = crate::collect::SysRoot::default();
    for (name, slot) in [
        ("RM_HOST_PROC", &mut root.proc),
        ("RM_HOST_SYS", &mut root.sys),
    ] {
        if let Some(dir) = env(name).filter(|v| !v.is_empty()) {
            if Path::new(&dir).is_dir() {
                *slot = PathBuf::from(dir);
            } else {
                problems.push(format!(
                    "option '{name}': got \"{dir}\", allowed: an existing directory"
                ));
            }
        }
    }
    root
}

/// Standalone HA link from `HA_URL` and `HA_TOKEN`; both or neither.
fn ha_from_env(
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Option<HaEndpoint> {
    let url = env("HA_URL").filter(|v| !v.is_empty());
    let token = env("HA_TOKEN").filter(|v| !v.is_empty());
    match (url, token) {
        (None, None) => None,
        (Some(url), Some(token)) => {
            let base = url.trim_end_matches('/');
            let ws_base = if let Some(rest) = base.strip_prefix("https://") {
                format!("wss://{rest}")
            } else if let Some(rest) = base.strip_prefix("http://") {
                format!("ws://{rest}")
            } else {
                problems.push(format!(
                    "option 'HA_URL': got \"{url}\", allowed: an http:// or https:// URL such as http://homeassistant.local:8123"
                ));
                return None;
            };
            Some(HaEndpoint {
                rest_url: format!("{base}/api"),
                websocket_url: format!("{ws_base}/api/websocket"),
                token: Secret::new(token),
            })
        }
        (Some(_), None) => {
            problems.push(
                "option 'HA_TOKEN': not set, allowed: a long-lived access token whenever HA_URL is set"
                    .to_string(),
            );
            None
        }
        (None, Some(_)) => {
            problems.push(
                "option 'HA_URL': not set, allowed: Home Assistant's URL whenever HA_TOKEN is set"
                    .to_string(),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn empty_options_take_the_defaults() {
        assert_eq!(Options::from_json(&json!({})), Ok(Options::default()));
    }

    #[test]
    fn every_bad_option_is_reported_on_its_own_line() {
        let err = Options::from_json(&json!({
            "log_level": "loud",
            "sample_interval_seconds": 0,
            "retention": {"raw_hours": -1, "weeks": 2}
        }))
        .expect_err("invalid");
        assert_eq!(err.problems.len(), 4, "{err}");
        assert!(
            err.problems
                .iter()
                .any(|p| p.starts_with("option 'log_level': got \"loud\""))
        );
        assert!(
            err.problems.iter().any(|p| p
                == "option 'sample_interval_seconds': got 0, allowed: an integer from 1 to 300")
        );
        assert!(
            err.problems
                .iter()
                .any(|p| p.starts_with("option 'retention.raw_hours': got -1"))
        );
        assert!(
            err.problems
                .iter()
                .any(|p| p.starts_with("option 'retention.weeks': unknown option"))
        );
    }

    #[test]
    fn flags_override_the_options_file_and_are_validated_alike() {
        let cli = Cli {
            sample_interval_seconds: Some("abc".into()),
            write_batch_seconds: Some("10".into()),
            ..Cli::default()
        };
        let err = Config::load(&cli, &no_env).expect_err("invalid flag");
        assert_eq!(
            err.problems,
            vec![
                "option 'sample_interval_seconds': got \"abc\", allowed: an integer from 1 to 300"
            ]
        );
        let cli = Cli {
            write_batch_seconds: Some("10".into()),
            ..Cli::default()
        };
        let config = Config::load(&cli, &no_env).expect("valid");
        assert_eq!(config.options.write_batch_seconds, 10);
        assert_eq!(config.mode, Mode::Standalone);
        assert_eq!(config.listen, "127.0.0.1:8099".parse().expect("addr"));
        assert_eq!(config.data_dir, PathBuf::from("./data"));
    }

    #[test]
    fn supervisor_token_selects_addon_mode_and_proxy_urls() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("options.json");
        std::fs::write(&path, r#"{"log_level":"debug"}"#).expect("write");
        let cli = Cli {
            options: Some(path),
            ..Cli::default()
        };
        let env = |k: &str| (k == "SUPERVISOR_TOKEN").then(|| "abc".to_string());
        let config = Config::load(&cli, &env).expect("valid");
        assert_eq!(config.mode, Mode::Addon);
        assert_eq!(config.listen.port(), INGRESS_PORT);
        assert!(config.listen.ip().is_unspecified());
        let ha = config.home_assistant.expect("ha");
        assert_eq!(ha.websocket_url, "ws://supervisor/core/websocket");
        assert!(!format!("{:?}", ha.token).contains("abc"));
    }

    #[test]
    fn ha_url_without_token_is_rejected() {
        let env = |k: &str| (k == "HA_URL").then(|| "http://ha:8123".to_string());
        let err = Config::load(&Cli::default(), &env).expect_err("missing token");
        assert!(err.problems[0].starts_with("option 'HA_TOKEN'"));
        let env = |k: &str| match k {
            "HA_URL" => Some("https://ha.example:8123/".to_string()),
            "HA_TOKEN" => Some("t".to_string()),
            _ => None,
        };
        let ha = Config::load(&Cli::default(), &env)
            .expect("valid")
            .home_assistant
            .expect("ha");
        assert_eq!(ha.rest_url, "https://ha.example:8123/api");
        assert_eq!(ha.websocket_url, "wss://ha.example:8123/api/websocket");
    }

    #[test]
    fn unreadable_options_file_names_the_path() {
        let cli = Cli {
            options: Some(PathBuf::from("/nonexistent/options.json")),
            ..Cli::default()
        };
        let err = Config::load(&cli, &no_env).expect_err("missing file");
        assert!(err.problems[0].contains("/nonexistent/options.json"));
    }
}

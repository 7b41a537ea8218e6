//! Options and runtime configuration, parsed once and validated before anything starts.
//!
//! Two modes: add-on mode (the Supervisor sets `SUPERVISOR_TOKEN`; options come from
//! `/data/options.json`) and standalone mode (flags, `RM_*` environment variables and an optional
//! `--options FILE` holding the same JSON the add-on uses). Both go through one reader so a bad
//! value gets the same message wherever it came from.
//!
//! Layering: this module sits below the parts it configures. [`reader`] is the one strict reader
//! (known keys, types, ranges), [`problems`] its messages (naming `retention.raw_hours` or
//! `alert_rules[2].warn`); each options section is a file here holding its plain data type and
//! its parsing ([`retention`], [`home_assistant`], [`alert_rules`]); [`options`] puts them
//! together, [`cli`] and [`mode`] add flags, the environment and endpoints. `crate::ha` and
//! `crate::alert` import their sections from here and `config` imports neither, so there is no
//! import cycle. The alert rules cannot be validated without the metric catalog, the rule types
//! and the built-in rules, so those pure-data modules moved here too (`alert_rules::{catalog,
//! rule, defaults}`, and [`duration`], which other sections read too); `crate::alert`
//! re-exports them under their old paths and keeps what runs rules.

pub mod access;
pub mod actions;
pub mod alert_rules;
pub mod cli;
pub mod duration;
pub mod home_assistant;
pub mod leases;
pub mod mode;
pub mod mqtt;
pub mod options;
pub mod paths;
pub mod power;
pub mod problems;
pub mod reader;
pub mod remote;
pub mod retention;
pub mod secret;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

pub use access::{AccessOptions, OpenRead};
pub use actions::{ActionKind, ActionOptions};
pub use alert_rules::RuleSet;
pub use cli::{Cli, Command};
pub use home_assistant::{MetricGroup, PublishOptions};
pub use leases::{LeaseOptions, SlotPool};
pub use mode::{
    ADDON_OPTIONS_PATH, HaEndpoint, INGRESS_PORT, Listen, Mode, SUPERVISOR_WAIT, SupervisorEndpoint,
};
pub use mqtt::{Broker, BrokerTls, MqttOptions, Transport};
pub use options::{LogFormat, LogLevel, Options};
pub use paths::{DATABASE_FILE, SysRoot};
pub use power::{PowerOptions, PowerPreset, PowerSource, SelfScalingOptions};
pub use problems::ConfigError;
pub use remote::{Auth, HostOptions, RemoteWriteOptions};
pub use retention::Retention;
pub use secret::Secret;

use problems::{OptionPath, Problems};

/// Everything the running app needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub listen: Listen,
    /// How long to ask the Supervisor for the Ingress address before giving up (add-on).
    pub supervisor_wait: Duration,
    pub data_dir: PathBuf,
    pub options: Options,
    pub home_assistant: Option<HaEndpoint>,
    pub supervisor: Option<SupervisorEndpoint>,
    /// `--api-token` (`RM_API_TOKEN`), else the `access.api_token` option.
    pub api_token: Option<Secret>,
    /// Host names the server answers to besides addresses, localhost and the machine's name.
    pub allowed_hosts: Vec<String>,
    /// Where host `/proc` and `/sys` are read (`RM_HOST_PROC`, `RM_HOST_SYS`; e.g. a host's
    /// trees bind-mounted into a container, or fixture trees in tests).
    pub sys_root: SysRoot,
}

impl Config {
    /// Builds the configuration from the command line and the environment.
    ///
    /// `env` is injected so tests do not depend on the process environment.
    pub fn load(cli: &Cli, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let (mode, supervisor_token) = Mode::detect(env);
        let mut problems = Problems::default();

        let options_path = cli.options.clone().or_else(|| mode.default_options_path());
        let mut options_json = match &options_path {
            Some(path) => read_options_file(path)?,
            None => Value::Object(Map::new()),
        };
        cli.overlay(&mut options_json, &mut problems);

        let options = match Options::from_json(&options_json) {
            Ok(options) => Some(options),
            Err(err) => {
                problems.extend(err.problems);
                None
            }
        };

        let listen = match &cli.listen {
            None => mode.default_listen(),
            Some(text) => text.parse().map(Listen::At).unwrap_or_else(|_| {
                problems.bad(
                    &OptionPath::named("listen"),
                    format!("\"{text}\""),
                    "an address and port such as 127.0.0.1:8099",
                );
                mode.default_listen()
            }),
        };
        let supervisor_wait = match &cli.supervisor_wait_seconds {
            None => SUPERVISOR_WAIT,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(seconds @ 1..=600) => Duration::from_secs(seconds),
                _ => {
                    problems.bad(
                        &OptionPath::named("supervisor_wait_seconds"),
                        format!("\"{text}\""),
                        "an integer from 1 to 600",
                    );
                    SUPERVISOR_WAIT
                }
            },
        };
        let data_dir = cli
            .data_dir
            .clone()
            .unwrap_or_else(|| mode.default_data_dir());
        if data_dir.as_os_str().is_empty() {
            problems.bad(&OptionPath::named("data_dir"), "\"\"", "a directory path");
        }

        let (home_assistant, supervisor) =
            mode::endpoints(supervisor_token.as_deref(), env, &mut problems);
        let sys_root = mode::sys_root(env, &mut problems);
        let api_token = cli
            .api_token
            .as_ref()
            .filter(|t| !t.is_empty())
            .map(|t| Secret::new(t.clone()))
            .or_else(|| options.as_ref().and_then(|o| o.access.api_token.clone()));

        let allowed_hosts = cli
            .allowed_hosts
            .as_deref()
            .map(|text| host_names(text, &mut problems))
            .unwrap_or_default();

        // Standalone has no Supervisor to name a broker: `mqtt` needs one of the user's.
        if let Some(o) = &options
            && mode == Mode::Standalone
            && o.home_assistant.transport == Transport::Mqtt
            && o.mqtt.host.is_none()
        {
            problems.bad(
                &OptionPath::named("home_assistant").key("transport"),
                "\"mqtt\" without mqtt.host",
                "auto or rest, or set mqtt.host (standalone mode has no Supervisor to ask)",
            );
        }

        match options {
            Some(options) if problems.is_empty() => Ok(Config {
                mode,
                listen,
                supervisor_wait,
                data_dir,
                options,
                home_assistant,
                supervisor,
                api_token,
                allowed_hosts,
                sys_root,
            }),
            _ => Err(problems.into()),
        }
    }

    /// Path of the SQLite history file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(DATABASE_FILE)
    }
}

/// `--allowed-hosts`: comma-separated DNS names.
fn host_names(text: &str, problems: &mut Problems) -> Vec<String> {
    let names: Vec<String> = text
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    let valid = |name: &str| {
        name.len() <= 253
            && name.trim_end_matches('.').split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    };
    if let Some(bad) = names.iter().find(|n| !valid(n)) {
        problems.bad(
            &OptionPath::named("allowed_hosts"),
            format!("\"{bad}\""),
            "comma-separated host names such as monitor.example.org,nas",
        );
    }
    names
}

/// The options file as JSON; a file that cannot be read or parsed is the only problem reported.
fn read_options_file(path: &Path) -> Result<Value, ConfigError> {
    let at = OptionPath::named("options");
    let mut problems = Problems::default();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            problems.say(
                &at,
                format!(
                    "cannot read \"{}\": {err}, allowed: a readable JSON file",
                    path.display()
                ),
            );
            return Err(problems.into());
        }
    };
    serde_json::from_str(&text).map_err(|err| {
        problems.say(
            &at,
            format!(
                "\"{}\" is not valid JSON ({err}), allowed: a JSON object of options",
                path.display()
            ),
        );
        problems.into()
    })
}

#[cfg(test)]
mod tests;

//! How the process was started (add-on or standalone) and where it reaches things from there:
//! Home Assistant, the Supervisor, the host's `/proc` and `/sys`, its own listen address.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::SysRoot;
use super::problems::{OptionPath, Problems};
use super::secret::Secret;

/// Where the add-on's options live inside the container.
pub const ADDON_OPTIONS_PATH: &str = "/data/options.json";
/// Port served standalone (the add-on's port is assigned by the Supervisor, `ingress_port: 0`).
pub const INGRESS_PORT: u16 = 8099;
/// How long an add-on waits for the Supervisor to tell its Ingress address, by default.
pub const SUPERVISOR_WAIT: Duration = Duration::from_secs(60);

/// The environment as the app sees it (injected so tests do not depend on the process's).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// How the process was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Addon,
    Standalone,
}

impl Mode {
    /// Add-on mode when the Supervisor gave us a token, with that token.
    pub(super) fn detect(env: Env<'_>) -> (Mode, Option<String>) {
        match env("SUPERVISOR_TOKEN").filter(|t| !t.is_empty()) {
            Some(token) => (Mode::Addon, Some(token)),
            None => (Mode::Standalone, None),
        }
    }

    /// The options file read when no `--options` is given.
    pub(super) fn default_options_path(self) -> Option<PathBuf> {
        match self {
            Mode::Addon => Some(PathBuf::from(ADDON_OPTIONS_PATH)),
            Mode::Standalone => None,
        }
    }

    /// The add-on listens where the Supervisor says (on the host's network, all interfaces
    /// would let the LAN in); standalone, this machine only.
    pub(super) fn default_listen(self) -> Listen {
        match self {
            Mode::Addon => Listen::Assigned,
            Mode::Standalone => Listen::At(SocketAddr::from(([127, 0, 0, 1], INGRESS_PORT))),
        }
    }

    /// The add-on's private `/data`, or `./data` next to a standalone run.
    pub(super) fn default_data_dir(self) -> PathBuf {
        match self {
            Mode::Addon => PathBuf::from("/data"),
            Mode::Standalone => PathBuf::from("./data"),
        }
    }
}

/// Where the server listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// A fixed address (`--listen`, or standalone's default).
    At(SocketAddr),
    /// The Ingress port and address the Supervisor assigned (`GET /addons/self/info`), asked
    /// at start: with `host_network` and `ingress_port: 0` they are only known then.
    Assigned,
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::At(addr) => addr.fmt(f),
            Listen::Assigned => f.write_str("the Ingress address assigned by the Supervisor"),
        }
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

/// Home Assistant and the Supervisor: both through the Supervisor's proxy with its token in
/// the add-on; Home Assistant from `HA_URL`/`HA_TOKEN` (or nothing) standalone.
pub(super) fn endpoints(
    supervisor_token: Option<&str>,
    env: Env<'_>,
    problems: &mut Problems,
) -> (Option<HaEndpoint>, Option<SupervisorEndpoint>) {
    let Some(token) = supervisor_token else {
        return (ha_from_env(env, problems), None);
    };
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
            token: Secret::new(token),
        }),
        Some(SupervisorEndpoint {
            url,
            token: Secret::new(token),
        }),
    )
}

/// `RM_HOST_PROC` / `RM_HOST_SYS`, defaulting to this machine's `/proc` and `/sys`.
pub(super) fn sys_root(env: Env<'_>, problems: &mut Problems) -> SysRoot {
    let mut root = SysRoot::default();
    for (name, slot) in [
        ("RM_HOST_PROC", &mut root.proc),
        ("RM_HOST_SYS", &mut root.sys),
    ] {
        if let Some(dir) = env(name).filter(|v| !v.is_empty()) {
            if Path::new(&dir).is_dir() {
                *slot = PathBuf::from(dir);
            } else {
                problems.bad(
                    &OptionPath::named(name),
                    format!("\"{dir}\""),
                    "an existing directory",
                );
            }
        }
    }
    root
}

/// Standalone HA link from `HA_URL` and `HA_TOKEN`; both or neither.
fn ha_from_env(env: Env<'_>, problems: &mut Problems) -> Option<HaEndpoint> {
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
                problems.bad(
                    &OptionPath::named("HA_URL"),
                    format!("\"{url}\""),
                    "an http:// or https:// URL such as http://homeassistant.local:8123",
                );
                return None;
            };
            Some(HaEndpoint {
                rest_url: format!("{base}/api"),
                websocket_url: format!("{ws_base}/api/websocket"),
                token: Secret::new(token),
            })
        }
        (Some(_), None) => {
            problems.say(
                &OptionPath::named("HA_TOKEN"),
                "not set, allowed: a long-lived access token whenever HA_URL is set",
            );
            None
        }
        (None, Some(_)) => {
            problems.say(
                &OptionPath::named("HA_URL"),
                "not set, allowed: Home Assistant's URL whenever HA_TOKEN is set",
            );
            None
        }
    }
}

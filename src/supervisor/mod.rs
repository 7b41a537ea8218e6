//! Supervisor API client (add-on mode): add-on list, per-container stats, host facts, each
//! add-on's role in the home ([`AddonRole`]), and starting, stopping and restarting add-ons
//! ([`AddonControl`]).
//!
//! Reading other add-ons' stats and controlling them needs `hassio_role: manager`; with a
//! weaker role those calls answer 403 and the poller reports which ones instead of failing.

pub mod answers;
pub mod control;
pub mod core_starts;
pub mod ingress;
pub mod poller;
pub mod restarts;
pub mod role;

pub use control::{AddonAction, AddonControl, AddonSlug, ControlFuture, InvalidSlug, RoleFuture};
pub use role::AddonRole;

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::SupervisorEndpoint;

/// Failures of a Supervisor call.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("{path}: forbidden (the add-on's hassio_role does not allow it)")]
    Forbidden { path: String },
    #[error("{path}: HTTP {status}: {message}")]
    Api {
        path: String,
        status: u16,
        message: String,
    },
    /// The Supervisor answered 5xx: it is there but cannot do it now.
    #[error("{path}: the Supervisor is unavailable (HTTP {status}): {message}")]
    Unavailable {
        path: String,
        status: u16,
        message: String,
    },
    #[error("{path}: cannot reach the Supervisor: {message}")]
    Unreachable { path: String, message: String },
    /// No answer in time; for an action, whether it happened is unknown.
    #[error("{path}: the Supervisor did not answer within {timeout:?}")]
    Timeout { path: String, timeout: Duration },
    #[error("{path}: unexpected answer: {message}")]
    Protocol { path: String, message: String },
}

/// One installed add-on from `GET /addons`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct AddonSummary {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub state: Option<String>,
}

/// Container stats as the Supervisor reports them (`/addons/<slug>/stats`, `/core/stats`, …).
/// `cpu_percent` is a share of the whole host; network and block counters are cumulative bytes.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
pub struct ContainerStats {
    pub cpu_percent: f64,
    pub memory_usage: u64,
    pub memory_limit: u64,
    pub memory_percent: f64,
    #[serde(default)]
    pub network_rx: u64,
    #[serde(default)]
    pub network_tx: u64,
    #[serde(default)]
    pub blk_read: u64,
    #[serde(default)]
    pub blk_write: u64,
}

/// The board's names from the Supervisor ([`SupervisorClient::board_names`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardNames {
    /// `/os/info` `board`: `rpi4-64`, `green`, `ova`, `supervised`… (`null` off Home Assistant
    /// OS on older Supervisors).
    pub board: Option<String>,
    /// `/info` `machine`: `raspberrypi4-64`, `green`, `qemux86-64`…
    pub machine: Option<String>,
    /// The calls that failed, as their errors say.
    pub errors: Vec<String>,
}

/// The one field read from `/os/info` or `/info`.
#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    board: Option<String>,
    #[serde(default)]
    machine: Option<String>,
}

#[derive(Deserialize)]
struct AddonList {
    addons: Vec<AddonSummary>,
}

/// Time a GET may take.
const READ_TIMEOUT: Duration = Duration::from_secs(15);
/// Time an action may take: the Supervisor answers a start or restart only once the add-on has
/// started, and a stop once its container stopped (an add-on's own stop timeout may be 300 s).
const ACTION_TIMEOUT: Duration = Duration::from_secs(330);

/// Supervisor REST client; cheap to clone.
#[derive(Debug, Clone)]
pub struct SupervisorClient {
    client: reqwest::Client,
    base: String,
    auth: String,
    action_timeout: Duration,
}

impl SupervisorClient {
    /// A client for the Supervisor at `endpoint`.
    pub fn new(endpoint: &SupervisorEndpoint) -> Result<Self, SupervisorError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SupervisorError::Unreachable {
                path: String::new(),
                message: e.to_string(),
            })?;
        Ok(SupervisorClient {
            client,
            base: endpoint.url.trim_end_matches('/').to_string(),
            auth: format!("Bearer {}", endpoint.token.expose()),
            action_timeout: ACTION_TIMEOUT,
        })
    }

    /// The same client with another limit on how long an action may take.
    pub fn with_action_timeout(mut self, timeout: Duration) -> Self {
        self.action_timeout = timeout;
        self
    }

    /// GET a path and unwrap the `{"result":"ok","data":…}` envelope.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SupervisorError> {
        self.get_within(path, READ_TIMEOUT).await
    }

    /// [`Self::get`] within `timeout`: longer for the Supervisor walking the disk, shorter
    /// for the board names asked at start.
    pub async fn get_within<T: DeserializeOwned>(
        &self,
        path: &str,
        timeout: Duration,
    ) -> Result<T, SupervisorError> {
        let request = self.client.get(format!("{}{path}", self.base));
        let data = self.call(request, path, timeout).await?;
        serde_json::from_value(data).map_err(|e| SupervisorError::Protocol {
            path: path.into(),
            message: e.to_string(),
        })
    }

    /// The board as the Supervisor names it: `/os/info` `board` and `/info` `machine`, asked
    /// together, each within `timeout`; what failed is said in `errors`.
    pub async fn board_names(&self, timeout: Duration) -> BoardNames {
        let (os, info) = tokio::join!(
            self.get_within::<Named>("/os/info", timeout),
            self.get_within::<Named>("/info", timeout)
        );
        let mut names = BoardNames::default();
        match os {
            Ok(named) => names.board = named.board.filter(|b| !b.is_empty()),
            Err(err) => names.errors.push(err.to_string()),
        }
        match info {
            Ok(named) => names.machine = named.machine.filter(|m| !m.is_empty()),
            Err(err) => names.errors.push(err.to_string()),
        }
        names
    }

    /// POST a path without payload (the Supervisor's actions) and check the envelope.
    pub async fn post(&self, path: &str) -> Result<Value, SupervisorError> {
        let request = self.client.post(format!("{}{path}", self.base));
        self.call(request, path, self.action_timeout).await
    }

    /// Sends `request` and unwraps the envelope; every call gets the same error handling.
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        path: &str,
        timeout: Duration,
    ) -> Result<Value, SupervisorError> {
        let failed = |err: reqwest::Error| transport_error(path, timeout, &err);
        let response = request
            .header("Authorization", &self.auth)
            .timeout(timeout)
            .send()
            .await
            .map_err(failed)?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            return Err(SupervisorError::Forbidden { path: path.into() });
        }
        let text = response.text().await.map_err(failed)?;
        let body = serde_json::from_str::<Value>(&text);
        let message = body
            .as_ref()
            .ok()
            .and_then(|b| b["message"].as_str())
            .map(str::to_string);
        if status >= 500 {
            // A proxy in front may answer without the envelope: show the start of its text.
            let message = message.unwrap_or_else(|| text.chars().take(200).collect());
            return Err(SupervisorError::Unavailable {
                path: path.into(),
                status,
                message,
            });
        }
        let mut body = body.map_err(|e| SupervisorError::Protocol {
            path: path.into(),
            message: e.to_string(),
        })?;
        if status >= 400 || body["result"] != "ok" {
            return Err(SupervisorError::Api {
                path: path.into(),
                status,
                message: message.unwrap_or_else(|| "no message".into()),
            });
        }
        Ok(body.get_mut("data").map(Value::take).unwrap_or_default())
    }

    /// `GET /addons`: installed add-ons.
    pub async fn addons(&self) -> Result<Vec<AddonSummary>, SupervisorError> {
        Ok(self.get::<AddonList>("/addons").await?.addons)
    }

    /// `GET /addons/<slug>/stats`.
    pub async fn addon_stats(&self, slug: &str) -> Result<ContainerStats, SupervisorError> {
        self.get(&format!("/addons/{slug}/stats")).await
    }
}

/// A failure below HTTP: timeouts apart, with the causes reqwest's Display leaves out.
fn transport_error(path: &str, timeout: Duration, err: &reqwest::Error) -> SupervisorError {
    if err.is_timeout() {
        return SupervisorError::Timeout {
            path: path.into(),
            timeout,
        };
    }
    SupervisorError::Unreachable {
        path: path.into(),
        message: crate::util::error_chain(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_parse_from_the_documented_shape() {
        let data = serde_json::json!({"cpu_percent":14.0,"memory_usage":288888,"memory_limit":322222,"memory_percent":32.4,"network_tx":110,"network_rx":902,"blk_read":12,"blk_write":27});
        let stats: ContainerStats = serde_json::from_value(data).expect("parses");
        assert_eq!(stats.memory_usage, 288_888);
        assert_eq!(stats.blk_write, 27);
    }
}

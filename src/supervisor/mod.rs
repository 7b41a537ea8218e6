//! Supervisor API client (add-on mode): add-on list, per-container stats, host facts.
//!
//! Reading other add-ons' stats needs `hassio_role: manager`; with a weaker role those calls
//! answer 403 and the poller reports which ones instead of failing.

pub mod poller;

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
    #[error("{path}: cannot reach the Supervisor: {message}")]
    Unreachable { path: String, message: String },
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

#[derive(Deserialize)]
struct AddonList {
    addons: Vec<AddonSummary>,
}

/// Supervisor REST client; cheap to clone.
#[derive(Debug, Clone)]
pub struct SupervisorClient {
    client: reqwest::Client,
    base: String,
    auth: String,
}

impl SupervisorClient {
    /// A client for the Supervisor at `endpoint`.
    pub fn new(endpoint: &SupervisorEndpoint) -> Result<Self, SupervisorError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
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
        })
    }

    /// GET a path and unwrap the `{"result":"ok","data":…}` envelope.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SupervisorError> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .send()
            .await
            .map_err(|e| SupervisorError::Unreachable {
                path: path.into(),
                message: e.to_string(),
            })?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            return Err(SupervisorError::Forbidden { path: path.into() });
        }
        let body: Value = response
            .json()
            .await
            .map_err(|e| SupervisorError::Protocol {
                path: path.into(),
                message: e.to_string(),
            })?;
        if status >= 400 || body["result"] != "ok" {
            let message = body["message"].as_str().unwrap_or("no message").to_string();
            return Err(SupervisorError::Api {
                path: path.into(),
                status,
                message,
            });
        }
        serde_json::from_value(body["data"].clone()).map_err(|e| SupervisorError::Protocol {
            path: path.into(),
            message: e.to_string(),
        })
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

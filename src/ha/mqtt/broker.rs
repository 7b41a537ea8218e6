//! Where the broker comes from (the `mqtt` option, or the Supervisor's `/services/mqtt` in the
//! add-on), and the node id that keeps `unique_id`s stable.

use std::path::Path;

use serde::Deserialize;

use crate::config::{Broker, BrokerTls, Secret};
use crate::supervisor::SupervisorClient;

/// File in the data folder holding the node id; the folder is in the add-on's backups, so a
/// restore keeps the ids.
pub const NODE_ID_FILE: &str = "mqtt_node_id";

/// How to find the broker.
#[derive(Debug, Clone)]
pub enum BrokerSource {
    /// The user's own, from the `mqtt` option.
    Options(Broker),
    /// The Supervisor's MQTT service (`services: [mqtt:want]` in config.yaml).
    Supervisor(SupervisorClient),
}

/// What the Supervisor answers on `GET /services/mqtt` (`supervisor/api/services.py`
/// `APIServices.get_service`, data shaped by `SCHEMA_SERVICE_MQTT` in
/// `supervisor/services/modules/mqtt.py`: host, port, username, password, ssl, protocol).
/// 400 "Service not enabled" when no add-on provides it, 403 without `mqtt` in `services`.
#[derive(Debug, Deserialize)]
struct MqttService {
    host: String,
    port: u16,
    #[serde(default)]
    ssl: bool,
    username: Option<String>,
    password: Option<String>,
}

/// A broker found, and who named it.
#[derive(Debug, Clone)]
pub struct Found {
    pub broker: Broker,
    pub source: &'static str,
}

impl BrokerSource {
    /// The broker, or why there is none.
    pub async fn resolve(&self) -> Result<Found, String> {
        match self {
            BrokerSource::Options(broker) => Ok(Found {
                broker: broker.clone(),
                source: "options",
            }),
            BrokerSource::Supervisor(client) => {
                let service: MqttService = client
                    .get("/services/mqtt")
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Found {
                    broker: Broker {
                        host: service.host,
                        port: service.port,
                        username: service.username.filter(|u| !u.is_empty()),
                        password: service.password.map(Secret::new),
                        // `ssl`: checked against the system's CAs (ADR 0019).
                        tls: service.ssl.then(BrokerTls::default),
                    },
                    source: "supervisor",
                })
            }
        }
    }

    /// The Ingress panel of this add-on, for the device's configuration URL.
    pub async fn panel_url(&self) -> Option<String> {
        let BrokerSource::Supervisor(client) = self else {
            return None;
        };
        let info: serde_json::Value = client.get("/addons/self/info").await.ok()?;
        let slug = info["slug"].as_str()?;
        Some(format!("homeassistant://hassio/ingress/{slug}"))
    }
}

fn valid_node_id(id: &str) -> bool {
    id.strip_prefix("rm_")
        .is_some_and(|hex| hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The node id kept in `data_dir`, made on first use (`rm_` and 12 hex digits).
pub fn node_id(data_dir: &Path) -> String {
    let path = data_dir.join(NODE_ID_FILE);
    if let Ok(text) = std::fs::read_to_string(&path)
        && valid_node_id(text.trim())
    {
        return text.trim().to_string();
    }
    let mut bytes = [0u8; 6];
    if let Err(err) = getrandom::fill(&mut bytes) {
        tracing::warn!(error = %err, "no randomness for the MQTT node id; using a fixed one");
    }
    let id = format!(
        "rm_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    if let Err(err) = std::fs::write(&path, format!("{id}\n")) {
        tracing::warn!(error = %err, path = %path.display(),
            "cannot keep the MQTT node id: entity unique ids change at the next start");
    }
    id
}

/// A small random delay (1-5 s) before re-announcing, so every publisher on the broker does
/// not answer Home Assistant's `online` in the same instant.
pub fn reannounce_delay() -> std::time::Duration {
    let mut bytes = [0u8; 2];
    let spread = getrandom::fill(&mut bytes).map_or(2000, |()| u16::from_le_bytes(bytes) % 4000);
    std::time::Duration::from_millis(1000 + u64::from(spread))
}

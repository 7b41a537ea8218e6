//! Home Assistant Core REST API (directly, or through the Supervisor's `/core/api` proxy), and
//! sending a link's own sensors through it.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::error::HaError;
use super::status::HaLinkStatus;
use crate::config::HaEndpoint;

/// A state to set with `POST /api/states/<entity_id>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityState {
    pub state: String,
    pub attributes: serde_json::Map<String, Value>,
}

/// Whether `POST /api/states` created the entity or updated an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// 201: the entity did not exist, e.g. because Core restarted and forgot it.
    Created,
    Updated,
}

/// REST client; cheap to clone.
#[derive(Debug, Clone)]
pub struct HaRest {
    client: reqwest::Client,
    base: String,
    auth: String,
}

impl HaRest {
    /// A client for `endpoint` with a per-request timeout.
    pub fn new(endpoint: &HaEndpoint) -> Result<Self, HaError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(4)
            .build()
            .map_err(HaError::from_reqwest)?;
        Ok(HaRest {
            client,
            base: endpoint.rest_url.trim_end_matches('/').to_string(),
            auth: format!("Bearer {}", endpoint.token.expose()),
        })
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, HaError> {
        let response = request
            .header("Authorization", &self.auth)
            .send()
            .await
            .map_err(HaError::from_reqwest)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                HaError::Unauthorized(status.as_u16())
            }
            StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => HaError::NotReady(status.as_u16()),
            _ => {
                let mut body = response.text().await.unwrap_or_default();
                body.truncate(200);
                HaError::Http {
                    status: status.as_u16(),
                    body,
                }
            }
        })
    }

    /// `POST /api/states/<entity_id>`.
    pub async fn set_state(
        &self,
        entity_id: &str,
        state: &EntityState,
    ) -> Result<SetOutcome, HaError> {
        let response = self
            .send(
                self.client
                    .post(format!("{}/states/{entity_id}", self.base))
                    .json(state),
            )
            .await?;
        Ok(if response.status() == StatusCode::CREATED {
            SetOutcome::Created
        } else {
            SetOutcome::Updated
        })
    }

    /// `GET /api/states`.
    pub async fn states(&self) -> Result<Vec<Value>, HaError> {
        let response = self
            .send(self.client.get(format!("{}/states", self.base)))
            .await?;
        response
            .json()
            .await
            .map_err(|e| HaError::Protocol(e.to_string()))
    }

    /// `GET /api/config` (includes Core's `state`).
    pub async fn config(&self) -> Result<Value, HaError> {
        let response = self
            .send(self.client.get(format!("{}/config", self.base)))
            .await?;
        response
            .json()
            .await
            .map_err(|e| HaError::Protocol(e.to_string()))
    }

    /// `POST /api/services/<domain>/<service>`.
    pub async fn call_service(
        &self,
        domain: &str,
        service: &str,
        data: &Value,
    ) -> Result<Value, HaError> {
        let response = self
            .send(
                self.client
                    .post(format!("{}/services/{domain}/{service}", self.base))
                    .json(data),
            )
            .await?;
        response
            .json()
            .await
            .map_err(|e| HaError::Protocol(e.to_string()))
    }

    /// `POST /api/events/<event_type>`.
    pub async fn fire_event(&self, event_type: &str, data: &Value) -> Result<(), HaError> {
        self.send(
            self.client
                .post(format!("{}/events/{event_type}", self.base))
                .json(data),
        )
        .await?;
        Ok(())
    }
}

/// Sends a link's own sensors (advice, leases), each counted as a request, all `unavailable`
/// when `unavailable` (at shutdown); stops at the first failure, which the caller records
/// (the next round sends them all again).
pub(super) async fn send_sensors(
    rest: &HaRest,
    status: &std::sync::Mutex<HaLinkStatus>,
    sensors: Vec<(String, EntityState)>,
    unavailable: bool,
) -> Result<(), HaError> {
    for (entity_id, mut state) in sensors {
        if unavailable {
            state.state = "unavailable".into();
        }
        crate::util::lock(status).requests_total += 1;
        rest.set_state(&entity_id, &state).await?;
    }
    Ok(())
}

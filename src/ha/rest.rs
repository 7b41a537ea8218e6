//! Home Assistant Core REST API (directly, or through the Supervisor's `/core/api` proxy), and
//! sending a link's own sensors through it.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::error::HaError;
use super::status::HaLinkStatus;
use crate::config::HaEndpoint;

/// A state to set with `POST /api/states/<entity_id>` (or to publish over MQTT).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EntityState {
    pub state: String,
    pub attributes: serde_json::Map<String, Value>,
    /// The device the entity belongs to; only MQTT discovery can say it (REST has no devices).
    #[serde(skip)]
    pub device: EntityDevice,
}

/// Which device an entity is grouped on in Home Assistant (MQTT discovery, ADR 0019).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EntityDevice {
    /// This box and the engine itself.
    #[default]
    Box,
    /// A remote host (`hosts` option), by name.
    Host(String),
    /// An add-on of this box: its slug (the device's identity) and its name.
    Addon { slug: String, name: String },
}

/// Sends entity states another way than REST (MQTT discovery); `None` from [`Self::set_state`]
/// means "not mine, use REST". A trait, so `rest` does not import the MQTT side.
pub trait StateRoute: Send + Sync + std::fmt::Debug {
    /// Publishes `state` of `entity_id`, or declines (`None`).
    fn set_state<'a>(
        &'a self,
        rest: &'a HaRest,
        entity_id: &'a str,
        state: &'a EntityState,
    ) -> futures_util::future::BoxFuture<'a, Option<Result<SetOutcome, HaError>>>;
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
    /// Where states go instead of `POST /api/states` (MQTT discovery), when it takes them.
    route: Option<std::sync::Arc<dyn StateRoute>>,
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
            route: None,
        })
    }

    /// The same client, with states offered to `route` first.
    pub fn with_route(mut self, route: std::sync::Arc<dyn StateRoute>) -> Self {
        self.route = Some(route);
        self
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

    /// `POST /api/states/<entity_id>`, unless the route (MQTT) takes the state.
    pub async fn set_state(
        &self,
        entity_id: &str,
        state: &EntityState,
    ) -> Result<SetOutcome, HaError> {
        if let Some(route) = &self.route
            && let Some(outcome) = route.set_state(self, entity_id, state).await
        {
            return outcome;
        }
        self.post_state(entity_id, state).await
    }

    /// `POST /api/states/<entity_id>` itself.
    pub async fn post_state(
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

    /// `DELETE /api/states/<entity_id>`: a REST-written state MQTT takes over (ADR 0019).
    pub async fn delete_state(&self, entity_id: &str) -> Result<(), HaError> {
        let request = self
            .client
            .delete(format!("{}/states/{entity_id}", self.base));
        match self.send(request).await {
            Ok(_) | Err(HaError::Http { status: 404, .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// `POST /api/template`: a template rendered by Core, as text.
    pub async fn render_template(&self, template: &str) -> Result<String, HaError> {
        let body = serde_json::json!({ "template": template });
        let response = self
            .send(
                self.client
                    .post(format!("{}/template", self.base))
                    .json(&body),
            )
            .await?;
        response
            .text()
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

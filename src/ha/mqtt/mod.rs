//! MQTT discovery (ADR 0019): entities Home Assistant users can own (unique ids, devices,
//! availability), with REST as the fallback.
//!
//! - `discovery.rs`: an entity state as discovery config and state message (pure).
//! - `broker.rs`: the broker (options or the Supervisor's `/services/mqtt`) and the node id.
//! - `client.rs`: the connection: last will, `online`, re-announcing, removal, back-off.
//!
//! [`MqttLink`] is a [`StateRoute`] of the REST client, so every publisher keeps calling
//! `set_state` and its states go to MQTT once the link decided to take them.

mod broker;
mod client;
pub mod discovery;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use rumqttc::{AsyncClient, QoS};
use tokio::sync::{OnceCell, watch};

use super::error::HaError;
use super::rest::{EntityState, HaRest, SetOutcome, StateRoute};
use super::status::{HaLinkStatus, MqttStatus};
use crate::config::Transport;
use crate::util::lock;
pub use broker::{BrokerSource, NODE_ID_FILE, node_id};
pub use client::run;
use discovery::{Announcement, Node};

/// What an entity last looked like, and whether the broker has it.
#[derive(Debug)]
struct Known {
    announcement: Announcement,
    config_sent: bool,
    state_sent: bool,
}

/// What the link has found out about the broker.
#[derive(Debug, Clone, PartialEq)]
enum BrokerState {
    Resolving,
    /// No broker (no option, no Supervisor service): REST in `auto`.
    Missing,
    Found,
}

#[derive(Debug)]
struct Inner {
    node: Mutex<Node>,
    transport: Transport,
    /// By config topic.
    entities: Mutex<HashMap<String, Known>>,
    /// Our config topics the broker had retained at connect (from earlier runs).
    on_broker: Mutex<HashSet<String>>,
    /// The connection, while connected.
    client: Mutex<Option<AsyncClient>>,
    status: Arc<Mutex<HaLinkStatus>>,
    broker: watch::Sender<BrokerState>,
    /// Whether states go to MQTT (decided once, when the first one comes).
    takes: OnceCell<bool>,
    first_state: Mutex<Option<Instant>>,
    /// Entities of earlier runs not announced this long after the first state are removed.
    sweep_after: Duration,
}

/// The MQTT side of the Home Assistant link; cheap to clone.
#[derive(Debug, Clone)]
pub struct MqttLink {
    inner: Arc<Inner>,
}

impl MqttLink {
    /// A link for `node`; [`run`] connects it.
    pub fn new(
        node: Node,
        transport: Transport,
        status: Arc<Mutex<HaLinkStatus>>,
        sweep_after: Duration,
    ) -> Self {
        {
            let mut s = lock(&status);
            s.transport = "deciding";
            s.mqtt = Some(MqttStatus {
                state: "resolving",
                ..MqttStatus::default()
            });
        }
        MqttLink {
            inner: Arc::new(Inner {
                node: Mutex::new(node),
                transport,
                entities: Mutex::new(HashMap::new()),
                on_broker: Mutex::new(HashSet::new()),
                client: Mutex::new(None),
                status,
                broker: watch::Sender::new(BrokerState::Resolving),
                takes: OnceCell::new(),
                first_state: Mutex::new(None),
                sweep_after,
            }),
        }
    }

    fn node(&self) -> Node {
        lock(&self.inner.node).clone()
    }

    fn mqtt_status(&self, f: impl FnOnce(&mut MqttStatus)) {
        let mut status = lock(&self.inner.status);
        f(status.mqtt.get_or_insert_with(MqttStatus::default));
    }

    /// Decides once whether states go to MQTT: a broker is known, and in `auto` Core has the
    /// MQTT integration. Then REST-written states of our ids are deleted, so Core gives the
    /// MQTT entities the same ids instead of `_2` ones.
    async fn decide(&self, rest: &HaRest) -> Result<bool, HaError> {
        let mut broker = self.inner.broker.subscribe();
        let found = matches!(
            broker
                .wait_for(|b| *b != BrokerState::Resolving)
                .await
                .map(|b| b.clone()),
            Ok(BrokerState::Found)
        );
        let auto = self.inner.transport == Transport::Auto;
        if auto && !found {
            lock(&self.inner.status).transport = "rest";
            return Ok(false);
        }
        if auto {
            let config = rest.config().await?;
            let has_mqtt = config["components"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c == "mqtt"));
            if !has_mqtt {
                tracing::info!("Home Assistant has no MQTT integration: entities stay on REST");
                lock(&self.inner.status).transport = "rest";
                return Ok(false);
            }
        }
        self.take_over(rest).await?;
        lock(&self.inner.status).transport = "mqtt";
        tracing::info!("entities are published with MQTT discovery");
        Ok(true)
    }

    /// Deletes the states REST wrote for our ids that no MQTT entity owns.
    async fn take_over(&self, rest: &HaRest) -> Result<(), HaError> {
        let prefix = self.node().entity_prefix;
        let template = format!(
            "{{%- set m = integration_entities('mqtt') -%}}{{{{ states | map(attribute='entity_id') \
             | select('match', '(sensor|binary_sensor)\\.{prefix}_') | reject('in', m) | list | tojson }}}}"
        );
        let text = rest.render_template(&template).await?;
        let ids: Vec<String> =
            serde_json::from_str(&text).map_err(|e| HaError::Protocol(e.to_string()))?;
        for id in &ids {
            rest.delete_state(id).await?;
        }
        if !ids.is_empty() {
            tracing::info!(
                states = ids.len(),
                "REST-written states removed: MQTT entities take their ids"
            );
        }
        Ok(())
    }

    /// Keeps `announcement` and sends what the broker does not have yet.
    fn offer(&self, announcement: Announcement) {
        lock(&self.inner.first_state).get_or_insert_with(Instant::now);
        {
            let mut entities = lock(&self.inner.entities);
            let topic = announcement.config_topic.clone();
            match entities.get_mut(&topic) {
                Some(known) => {
                    known.config_sent &= known.announcement.config == announcement.config;
                    known.state_sent &= known.announcement.state == announcement.state;
                    known.announcement = announcement;
                }
                None => {
                    entities.insert(
                        topic,
                        Known {
                            announcement,
                            config_sent: false,
                            state_sent: false,
                        },
                    );
                }
            }
        }
        self.flush();
    }

    /// Publishes every config and state the broker does not have, while the connection's
    /// queue takes them (the rest waits for the next flush: nothing blocks a publisher).
    fn flush(&self) {
        let Some(client) = lock(&self.inner.client).clone() else {
            return;
        };
        let (mut messages, mut bytes, mut configs) = (0u64, 0u64, 0u64);
        let mut entities = lock(&self.inner.entities);
        let count = entities.len();
        for known in entities.values_mut() {
            let a = &known.announcement;
            if !known.config_sent {
                if client
                    .try_publish(&a.config_topic, QoS::AtLeastOnce, true, a.config.clone())
                    .is_err()
                {
                    break;
                }
                known.config_sent = true;
                (messages, configs) = (messages + 1, configs + 1);
                bytes += (a.config_topic.len() + a.config.len()) as u64;
            }
            if !known.state_sent {
                if client
                    .try_publish(&a.state_topic, QoS::AtMostOnce, true, a.state.clone())
                    .is_err()
                {
                    break;
                }
                known.state_sent = true;
                messages += 1;
                bytes += (a.state_topic.len() + a.state.len()) as u64;
            }
        }
        drop(entities);
        self.mqtt_status(|s| {
            s.entities = count;
            s.messages += messages;
            s.bytes += bytes;
            s.discovery_messages += configs;
        });
    }

    /// Everything again: after a (re)connect, or Home Assistant saying `online`.
    fn announce_all(&self) {
        for known in lock(&self.inner.entities).values_mut() {
            known.config_sent = false;
            known.state_sent = false;
        }
        self.flush();
    }

    fn has_unsent(&self) -> bool {
        lock(&self.inner.entities)
            .values()
            .any(|k| !k.config_sent || !k.state_sent)
    }

    /// When to remove the entities of earlier runs that were not announced again.
    fn sweep_at(&self) -> Option<Instant> {
        lock(&self.inner.first_state).map(|t| t + self.inner.sweep_after)
    }

    /// Removes (empty retained config and state) what the broker kept that we no longer have.
    fn sweep(&self, client: &AsyncClient) {
        let node = self.node();
        let stale: Vec<String> = {
            let entities = lock(&self.inner.entities);
            lock(&self.inner.on_broker)
                .drain()
                .filter(|t| !entities.contains_key(t))
                .collect()
        };
        for topic in &stale {
            let cleared = client.try_publish(topic, QoS::AtLeastOnce, true, Vec::<u8>::new());
            if let Some(state) = discovery::state_topic_of(&node, topic) {
                let _ = client.try_publish(state, QoS::AtMostOnce, true, Vec::<u8>::new());
            }
            if cleared.is_ok() {
                tracing::info!(topic = %topic, "entity no longer exists: discovery removed");
            }
        }
        self.mqtt_status(|s| s.removed += stale.len() as u64);
    }
}

impl StateRoute for MqttLink {
    fn set_state<'a>(
        &'a self,
        rest: &'a HaRest,
        entity_id: &'a str,
        state: &'a EntityState,
    ) -> BoxFuture<'a, Option<Result<SetOutcome, HaError>>> {
        Box::pin(async move {
            match self.inner.takes.get_or_try_init(|| self.decide(rest)).await {
                Ok(false) => return None,
                Ok(true) => {}
                Err(err) => return Some(Err(err)),
            }
            // The availability topic says it (last will, or `offline` at a clean stop).
            if state.state == "unavailable" {
                return Some(Ok(SetOutcome::Updated));
            }
            let announcement = discovery::announce(&self.node(), entity_id, state)?;
            self.offer(announcement);
            Some(Ok(SetOutcome::Updated))
        })
    }
}

#[cfg(test)]
mod tests;

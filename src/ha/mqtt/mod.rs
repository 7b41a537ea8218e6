//! MQTT discovery (ADR 0019): entities Home Assistant users can own (unique ids, devices,
//! availability), with REST as the fallback.
//!
//! - `discovery.rs`: an entity state as discovery config and state message (pure).
//! - `broker.rs`: the broker (options or the Supervisor's `/services/mqtt`) and the node id.
//! - `client.rs`: the connection: last will, `online`, re-announcing, back-off.
//! - `decide.rs`: whether states go to MQTT (and the switch from REST in `auto`).
//! - `removal.rs`: clearing the discovery of entities that no longer exist.
//! - `tls.rs`: TLS to the broker through a local bridge on the add-on's one rustls stack.
//!
//! [`MqttLink`] is a [`StateRoute`] of the REST client, so every publisher keeps calling
//! `set_state` and its states go to MQTT once the link decided to take them.

mod broker;
mod client;
mod decide;
pub mod discovery;
mod removal;
mod tls;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use rumqttc::{AsyncClient, QoS};
use tokio::sync::watch;

use super::error::HaError;
use super::rest::{EntityState, HaRest, SetOutcome, StateRoute};
use super::status::{HaLinkStatus, MqttStatus};
use crate::config::Transport;
use crate::supervisor::poller::InstalledAddons;
use crate::util::lock;
pub use broker::{BrokerSource, NODE_ID_FILE, node_id};
pub use client::run;
use decide::Decision;
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
    /// No broker (no option, no Supervisor service, or in `auto` not reachable yet): REST.
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
    /// Config topics of entities that no longer exist, to clear (with their state topics).
    to_clear: Mutex<HashSet<String>>,
    /// The connection, while connected.
    client: Mutex<Option<AsyncClient>>,
    status: Arc<Mutex<HaLinkStatus>>,
    broker: watch::Sender<BrokerState>,
    /// Whether states go to MQTT, and when to ask again while they go to REST.
    decision: Mutex<Decision>,
    /// One decision at a time (it calls Core).
    deciding: tokio::sync::Mutex<()>,
    /// REST writes hold it shared; a switch to MQTT holds it alone.
    rest_writes: tokio::sync::RwLock<()>,
    /// In `auto` while on REST: the latest state of each entity, announced at the switch.
    rest_states: Mutex<HashMap<String, EntityState>>,
    /// Whether a broker may still appear (not standalone without `mqtt.host`).
    may_switch: std::sync::atomic::AtomicBool,
    /// The Supervisor's installed add-ons (add-on mode).
    installed: Option<InstalledAddons>,
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
        installed: Option<InstalledAddons>,
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
                to_clear: Mutex::new(HashSet::new()),
                client: Mutex::new(None),
                status,
                broker: watch::Sender::new(BrokerState::Resolving),
                decision: Mutex::new(Decision::default()),
                deciding: tokio::sync::Mutex::new(()),
                rest_writes: tokio::sync::RwLock::new(()),
                rest_states: Mutex::new(HashMap::new()),
                may_switch: std::sync::atomic::AtomicBool::new(true),
                installed,
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

    /// Keeps `announcement` and sends what the broker does not have yet; an entity of an
    /// add-on that is no longer installed is not announced again.
    fn offer(&self, announcement: Announcement) {
        if announcement
            .addon
            .as_deref()
            .is_some_and(|slug| !self.is_installed(slug))
        {
            return;
        }
        lock(&self.inner.first_state).get_or_insert_with(Instant::now);
        lock(&self.inner.to_clear).remove(&announcement.config_topic);
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

    /// Publishes the removals, then every config and state the broker does not have, while
    /// the connection's queue takes them (the rest waits for the next flush: nothing blocks a
    /// publisher).
    fn flush(&self) {
        let Some(client) = lock(&self.inner.client).clone() else {
            return;
        };
        if !self.clear(&client) {
            return;
        }
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
        !lock(&self.inner.to_clear).is_empty()
            || lock(&self.inner.entities)
                .values()
                .any(|k| !k.config_sent || !k.state_sent)
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
            match self.takes(rest).await {
                Ok(false) => {
                    if let Some(written) = self.write_rest(rest, entity_id, state).await {
                        return Some(written);
                    }
                }
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

//! Whether entity states go to MQTT. `mqtt`: always. `auto`: once a broker answered and Core
//! has the MQTT integration; until then REST, asked again when a broker appears (and, while
//! Core has no MQTT integration, after a growing wait), so a broker installed later takes
//! over without a restart.

use std::time::{Duration, Instant};

use super::{BrokerState, MqttLink, discovery};
use crate::config::Transport;
use crate::ha::error::HaError;
use crate::ha::rest::{EntityState, HaRest};
use crate::util::lock;

/// First and longest wait before asking Core again for its MQTT integration.
const FIRST_RECHECK: Duration = Duration::from_secs(30);
const MAX_RECHECK: Duration = Duration::from_secs(600);

/// The decision so far.
#[derive(Debug, Default)]
pub(super) struct Decision {
    /// `None`: not decided yet; `Some(false)`: REST for now.
    takes: Option<bool>,
    /// While on REST with a broker found: when to ask Core again.
    next_check: Option<Instant>,
    wait: Duration,
}

/// Why states go where they go.
enum Choice {
    Mqtt,
    NoBroker,
    NoIntegration,
}

impl MqttLink {
    /// The decision when nothing needs asking, else `None`.
    fn settled(&self) -> Option<bool> {
        let decision = lock(&self.inner.decision);
        match decision.takes? {
            true => Some(true),
            false => {
                let broker = *self.inner.broker.borrow() == BrokerState::Found;
                let due = decision.next_check.is_none_or(|t| Instant::now() >= t);
                (!(broker && due)).then_some(false)
            }
        }
    }

    /// Whether states go to MQTT; decides (once, or again while on REST) when needed.
    pub(super) async fn takes(&self, rest: &HaRest) -> Result<bool, HaError> {
        if let Some(takes) = self.settled() {
            return Ok(takes);
        }
        let _one = self.inner.deciding.lock().await;
        if let Some(takes) = self.settled() {
            return Ok(takes);
        }
        let was_rest = lock(&self.inner.decision).takes == Some(false);
        // A switch waits for the REST writes in flight, and none starts until it is decided:
        // a late one would bring back a state the switch deleted (and a `_2` id).
        let _no_rest_writes = if was_rest {
            Some(self.inner.rest_writes.write().await)
        } else {
            None
        };
        let choice = match self.decide(rest).await {
            Ok(choice) => choice,
            Err(err) if was_rest => {
                tracing::warn!(error = %err, "cannot switch to MQTT yet; entities stay on REST");
                Choice::NoIntegration
            }
            Err(err) => return Err(err),
        };
        let mut decision = lock(&self.inner.decision);
        match choice {
            Choice::Mqtt => {
                decision.takes = Some(true);
                drop(decision);
                lock(&self.inner.status).transport = "mqtt";
                if was_rest {
                    tracing::info!("an MQTT broker appeared: entities move to MQTT discovery");
                    self.announce_rest_states();
                } else {
                    tracing::info!("entities are published with MQTT discovery");
                }
                Ok(true)
            }
            Choice::NoBroker => {
                // Asked again as soon as a broker is found.
                *decision = Decision {
                    takes: Some(false),
                    ..Decision::default()
                };
                lock(&self.inner.status).transport = "rest";
                Ok(false)
            }
            Choice::NoIntegration => {
                decision.wait = (decision.wait * 2).clamp(FIRST_RECHECK, MAX_RECHECK);
                decision.next_check = Some(Instant::now() + decision.wait);
                decision.takes = Some(false);
                lock(&self.inner.status).transport = "rest";
                Ok(false)
            }
        }
    }

    /// A broker is known (in `auto`: answered once), and in `auto` Core has the MQTT
    /// integration. Then REST-written states of our ids are deleted, so Core gives the MQTT
    /// entities the same ids instead of `_2` ones.
    async fn decide(&self, rest: &HaRest) -> Result<Choice, HaError> {
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
            return Ok(Choice::NoBroker);
        }
        if auto {
            let config = rest.config().await?;
            let has_mqtt = config["components"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c == "mqtt"));
            if !has_mqtt {
                tracing::info!("Home Assistant has no MQTT integration: entities stay on REST");
                return Ok(Choice::NoIntegration);
            }
        }
        self.take_over(rest).await?;
        Ok(Choice::Mqtt)
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

    /// Writes `state` over REST unless a switch to MQTT happened meanwhile (`None`: then it
    /// goes to MQTT).
    pub(super) async fn write_rest(
        &self,
        rest: &HaRest,
        entity_id: &str,
        state: &EntityState,
    ) -> Option<Result<crate::ha::rest::SetOutcome, HaError>> {
        let _writing = self.inner.rest_writes.read().await;
        if lock(&self.inner.decision).takes == Some(true) {
            return None;
        }
        self.keep_rest_state(entity_id, state);
        Some(rest.post_state(entity_id, state).await)
    }

    /// In `auto` on REST: keeps the latest state of `entity_id`, so a switch to MQTT announces
    /// every entity at once (publishers send only what changes).
    fn keep_rest_state(&self, entity_id: &str, state: &EntityState) {
        let may_switch = self
            .inner
            .may_switch
            .load(std::sync::atomic::Ordering::Relaxed);
        if self.inner.transport != Transport::Auto || !may_switch || state.state == "unavailable" {
            return;
        }
        lock(&self.inner.rest_states).insert(entity_id.to_string(), state.clone());
    }

    /// The switch: every entity REST had, announced over MQTT.
    fn announce_rest_states(&self) {
        let states = std::mem::take(&mut *lock(&self.inner.rest_states));
        let node = self.node();
        for (entity_id, state) in &states {
            if let Some(announcement) = discovery::announce(&node, entity_id, state) {
                self.offer(announcement);
            }
        }
    }
}

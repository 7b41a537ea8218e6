//! Removing the discovery of entities that no longer exist: an empty retained config (Core
//! then removes the entity, and the device with its last entity) and an empty retained state.
//!
//! Two ways an entity goes: an add-on uninstalled while running (the Supervisor's `/addons`
//! no longer lists it: its entities are cleared at once), and anything an earlier run
//! announced that this run does not announce again (a host or group taken out of the
//! options, which take effect at a start): cleared once every publisher had time to send.
//! A stopped add-on is still installed: its entities stay.

use rumqttc::{AsyncClient, QoS};

use super::{MqttLink, discovery};
use crate::util::lock;

impl MqttLink {
    /// Whether `slug` is installed; `true` while the Supervisor's list is not known.
    pub(super) fn is_installed(&self, slug: &str) -> bool {
        let Some(installed) = &self.inner.installed else {
            return true;
        };
        installed
            .borrow()
            .as_ref()
            .is_none_or(|set| set.contains(slug))
    }

    /// Whether a config topic of an earlier run belongs to an add-on that is installed.
    fn of_installed_addon(&self, key: &str) -> bool {
        let Some(installed) = &self.inner.installed else {
            return false;
        };
        installed.borrow().as_ref().is_some_and(|set| {
            set.iter()
                .any(|slug| key.starts_with(&discovery::addon_key_prefix(slug)))
        })
    }

    /// Clears the entities of add-ons the Supervisor no longer lists.
    pub(super) fn forget_uninstalled(&self) {
        let gone: Vec<String> = {
            let mut entities = lock(&self.inner.entities);
            let topics: Vec<String> = entities
                .iter()
                .filter(|(_, k)| {
                    k.announcement
                        .addon
                        .as_deref()
                        .is_some_and(|slug| !self.is_installed(slug))
                })
                .map(|(topic, _)| topic.clone())
                .collect();
            for topic in &topics {
                entities.remove(topic);
            }
            topics
        };
        if gone.is_empty() {
            return;
        }
        tracing::info!(
            entities = gone.len(),
            "add-on uninstalled: its entities are removed from Home Assistant"
        );
        self.schedule_clear(gone);
    }

    /// When to remove the entities of earlier runs that were not announced again.
    pub(super) fn sweep_at(&self) -> Option<std::time::Instant> {
        lock(&self.inner.first_state).map(|t| t + self.inner.sweep_after)
    }

    /// Clears what the broker kept from earlier runs that this run did not announce again
    /// (an installed add-on's entities excepted: a stopped add-on sends nothing).
    pub(super) fn sweep(&self) {
        let stale: Vec<String> = {
            let entities = lock(&self.inner.entities);
            let node = self.node();
            lock(&self.inner.on_broker)
                .drain()
                .filter(|t| !entities.contains_key(t))
                .filter(|t| {
                    discovery::key_of(&node, t).is_none_or(|key| !self.of_installed_addon(key))
                })
                .collect()
        };
        self.schedule_clear(stale);
    }

    fn schedule_clear(&self, topics: Vec<String>) {
        if topics.is_empty() {
            return;
        }
        self.mqtt_status(|s| s.removed += topics.len() as u64);
        lock(&self.inner.to_clear).extend(topics);
        self.flush();
    }

    /// Publishes the pending removals; `false` when the connection's queue is full.
    pub(super) fn clear(&self, client: &AsyncClient) -> bool {
        let node = self.node();
        let mut to_clear = lock(&self.inner.to_clear);
        let topics: Vec<String> = to_clear.iter().cloned().collect();
        for topic in topics {
            if client
                .try_publish(&topic, QoS::AtLeastOnce, true, Vec::<u8>::new())
                .is_err()
            {
                return false;
            }
            if let Some(state) = discovery::state_topic_of(&node, &topic) {
                let _ = client.try_publish(state, QoS::AtMostOnce, true, Vec::<u8>::new());
            }
            tracing::info!(topic = %topic, "entity no longer exists: discovery removed");
            to_clear.remove(&topic);
        }
        true
    }
}

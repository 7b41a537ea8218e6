//! Pushes alert transitions to Home Assistant, following the contract on
//! [`AlertTransition`]: a `binary_sensor` per rule and target, a firing-count sensor, persistent
//! notifications, and the `resource_manager_alert` event. Policy (cooldown, acknowledgement,
//! `notify`) stays in the alert engine; this only translates.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::error::HaError;
use super::rest::{EntityState, HaRest};
use super::status::HaLinkStatus;
use super::ws::{Readiness, ReadyWatch};
use crate::alert::service::AlertHandle;
use crate::alert::transition::{
    AlertState, AlertTransition, HA_EVENT_TYPE, Status, TransitionKind,
};
use crate::bus::{Delivery, Event, Subscription};
use crate::util::lock;

/// How often every alert entity is compared with what HA has (new targets appear silently).
const RESYNC_EVERY: Duration = Duration::from_secs(300);

/// ISO 8601 (UTC) of Unix milliseconds, as Home Assistant's `since` attributes expect.
pub fn iso8601(ms: i64) -> String {
    let t = crate::model::UtcTime::of_ms(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// The binary sensor of one rule and target.
pub fn binary_sensor(prefix: &str, alert: &AlertState) -> (String, EntityState) {
    let mut attributes = Map::new();
    attributes.insert("value".into(), json!(alert.value));
    attributes.insert("threshold".into(), json!(alert.threshold));
    attributes.insert("clear".into(), json!(alert.clear));
    attributes.insert("since".into(), json!(alert.since_ms.map(iso8601)));
    attributes.insert("severity".into(), json!(alert.severity.as_str()));
    attributes.insert("level".into(), json!(alert.level.map(|l| l.as_str())));
    attributes.insert("status".into(), json!(alert.status));
    attributes.insert("acknowledged".into(), json!(alert.acknowledged));
    attributes.insert("incident_id".into(), json!(alert.incident_id));
    attributes.insert("unit_of_measurement".into(), json!(alert.unit.symbol()));
    attributes.insert("friendly_name".into(), json!(alert.label));
    attributes.insert("device_class".into(), json!("problem"));
    let state = if alert.status == Status::Firing {
        "on"
    } else {
        "off"
    };
    (
        format!("binary_sensor.{prefix}_{}", alert.object_id),
        EntityState {
            state: state.into(),
            attributes,
            ..Default::default()
        },
    )
}

fn firing_sensor(prefix: &str, count: usize) -> (String, EntityState) {
    let mut attributes = Map::new();
    attributes.insert(
        "friendly_name".into(),
        json!("Resource Manager alerts firing"),
    );
    attributes.insert("icon".into(), json!("mdi:bell-alert-outline"));
    attributes.insert("state_class".into(), json!("measurement"));
    (
        format!("sensor.{prefix}_alerts_firing"),
        EntityState {
            state: count.to_string(),
            attributes,
            ..Default::default()
        },
    )
}

/// A notification action waiting for Home Assistant (latest per notification id wins).
#[derive(Debug, Clone, PartialEq)]
enum NotificationAction {
    Create { title: String, message: String },
    Dismiss,
}

struct AlertPublisher {
    rest: HaRest,
    prefix: String,
    status: Arc<Mutex<HaLinkStatus>>,
    sent: HashMap<String, EntityState>,
    /// Notifications decided while Home Assistant was away, delivered when it is back.
    waiting: HashMap<String, NotificationAction>,
}

impl AlertPublisher {
    fn note_error(&self, err: &HaError) {
        tracing::warn!(error = %err, "publishing an alert to Home Assistant failed");
        lock(&self.status).publish_failed(err);
    }

    async fn set(&mut self, (entity_id, state): (String, EntityState), force: bool) {
        if !force && self.sent.get(&entity_id) == Some(&state) {
            return;
        }
        lock(&self.status).requests_total += 1;
        match self.rest.set_state(&entity_id, &state).await {
            Ok(_) => {
                self.sent.insert(entity_id, state);
            }
            Err(err) => self.note_error(&err),
        }
    }

    async fn notify(&mut self, notification_id: String, action: NotificationAction) {
        let (service, data) = match &action {
            NotificationAction::Create { title, message } => (
                "create",
                json!({"notification_id": notification_id, "title": title, "message": message}),
            ),
            NotificationAction::Dismiss => ("dismiss", json!({"notification_id": notification_id})),
        };
        lock(&self.status).requests_total += 1;
        if let Err(err) = self
            .rest
            .call_service("persistent_notification", service, &data)
            .await
        {
            self.note_error(&err);
            self.waiting.insert(notification_id, action);
        }
    }

    /// Brings every alert entity up to date (only what differs is sent, unless `force`).
    async fn resync(&mut self, alerts: &AlertHandle, force: bool) {
        if force {
            self.sent.clear();
        }
        for alert in alerts.states().await {
            let entity = binary_sensor(&self.prefix, &alert);
            self.set(entity, false).await;
        }
        let count = firing_sensor(&self.prefix, alerts.firing_count().await);
        self.set(count, false).await;
        for (id, action) in std::mem::take(&mut self.waiting) {
            self.notify(id, action).await;
        }
    }

    async fn publish(&mut self, transition: &AlertTransition) {
        if matches!(
            transition.kind,
            TransitionKind::Pending | TransitionKind::Cancelled
        ) {
            return;
        }
        let entity = binary_sensor(&self.prefix, &transition.alert);
        self.set(entity, false).await;
        let count = firing_sensor(&self.prefix, transition.firing_count);
        self.set(count, false).await;
        let notification_id = format!("{}_{}", self.prefix, transition.alert.object_id);
        match transition.kind {
            TransitionKind::Fired | TransitionKind::Escalated if transition.notify => {
                let action = NotificationAction::Create {
                    title: transition.title(),
                    message: transition.alert.message.clone(),
                };
                self.notify(notification_id, action).await;
            }
            TransitionKind::Resolved | TransitionKind::Acknowledged => {
                self.notify(notification_id, NotificationAction::Dismiss)
                    .await
            }
            _ => {}
        }
        if transition.notify {
            let data = serde_json::to_value(transition).unwrap_or(Value::Null);
            lock(&self.status).requests_total += 1;
            if let Err(err) = self.rest.fire_event(HA_EVENT_TYPE, &data).await {
                self.note_error(&err);
            }
        }
    }
}

/// Runs until cancelled.
pub async fn run(
    rest: HaRest,
    prefix: String,
    alerts: AlertHandle,
    mut events: Subscription,
    readiness: watch::Receiver<Readiness>,
    status: Arc<Mutex<HaLinkStatus>>,
    cancel: CancellationToken,
) {
    let mut publisher = AlertPublisher {
        rest,
        prefix,
        status,
        sent: HashMap::new(),
        waiting: HashMap::new(),
    };
    let mut resync = tokio::time::interval(RESYNC_EVERY);
    resync.reset();
    let mut readiness = ReadyWatch::new(readiness);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = readiness.changed() => match changed {
                None => return,
                Some(true) => publisher.resync(&alerts, true).await,
                Some(false) => {}
            },
            _ = resync.tick() => {
                if readiness.is_ready() {
                    publisher.resync(&alerts, false).await;
                }
            }
            received = events.recv() => match received {
                Some(Delivery::Event(Event::Alert(transition))) => {
                    if readiness.is_ready() {
                        publisher.publish(&transition).await;
                    } else if matches!(transition.kind, TransitionKind::Fired | TransitionKind::Escalated) && transition.notify {
                        // Keep the latest notification for when Home Assistant is back.
                        let id = format!("{}_{}", publisher.prefix, transition.alert.object_id);
                        publisher.waiting.insert(id, NotificationAction::Create { title: transition.title(), message: transition.alert.message.clone() });
                    } else if matches!(transition.kind, TransitionKind::Resolved | TransitionKind::Acknowledged) {
                        let id = format!("{}_{}", publisher.prefix, transition.alert.object_id);
                        publisher.waiting.insert(id, NotificationAction::Dismiss);
                    }
                }
                Some(Delivery::Event(_)) => {}
                Some(Delivery::Missed(_)) => {
                    // The bus counted and logged the lag; the truth is in the handle.
                    if readiness.is_ready() {
                        publisher.resync(&alerts, false).await;
                    }
                }
                None => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_of_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso8601(1_767_225_600_000), "2026-01-01T00:00:00+00:00");
        assert_eq!(
            iso8601(951_782_400_000 + 3_723_000),
            "2000-02-29T01:02:03+00:00"
        );
    }
}

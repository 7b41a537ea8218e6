//! Leases from Home Assistant: automations fire `resource_manager_lease_request`,
//! `_release` and `_renew` (with their own `request_id`) and wait for the answer events;
//! every lease change (granted, queued, denied, released, renewed, expired, preempted, …) is
//! fired back as `resource_manager_lease_<kind>`, carrying the lease's `request_id`. Sensors
//! show active leases, the queue and the use per resource.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::error::HaError;
use super::rest::{EntityState, HaRest};
use super::status::HaLinkStatus;
use super::ws::{EventData, HaEventReceiver, HaEvents, Readiness, ReadyWatch};
use crate::bus::{Delivery, Event, Subscription};
use crate::event::{LeaseChange, LeaseChangeKind};
use crate::lease::{LeaseOpError, LeaseService, RequestError, ServiceError};
use crate::util::lock;

/// Event types automations fire.
pub const REQUEST: &str = "resource_manager_lease_request";
pub const RELEASE: &str = "resource_manager_lease_release";
pub const RENEW: &str = "resource_manager_lease_renew";
/// Prefix of every event fired back (`resource_manager_lease_granted`, …).
pub const ANSWER_PREFIX: &str = "resource_manager_lease_";
/// Longest time spent marking the sensors unavailable at shutdown.
const SHUTDOWN_BUDGET: Duration = Duration::from_secs(5);
/// Sensors are refreshed at most this often while leases change.
const SENSOR_EVERY: Duration = Duration::from_secs(1);

/// The answer event's name for a change.
pub fn event_type(kind: LeaseChangeKind) -> String {
    let suffix = match kind {
        LeaseChangeKind::Queued => "queued",
        LeaseChangeKind::Granted => "granted",
        LeaseChangeKind::Refused => "denied",
        LeaseChangeKind::Released => "released",
        LeaseChangeKind::Renewed => "renewed",
        LeaseChangeKind::Expired => "expired",
        LeaseChangeKind::PreemptNotice => "preempted",
        LeaseChangeKind::PreemptCancelled => "kept",
        LeaseChangeKind::Preempted => "revoked",
        LeaseChangeKind::TimedOut => "timed_out",
        LeaseChangeKind::Overrun => "overrun",
    };
    format!("{ANSWER_PREFIX}{suffix}")
}

/// The data of an answer event for a change.
pub fn event_data(change: &LeaseChange) -> Value {
    let secs = |ms: Option<i64>| ms.map(|m| m.div_euclid(1000));
    json!({
        "request_id": change.request_id,
        "lease_id": change.lease_id,
        "holder": change.holder,
        "state": change.state.as_str(),
        "expires_at": secs(change.expires_ms),
        "revoke_at": secs(change.revoke_ms),
        "position": change.position,
        "reason": change.reason,
        "code": change.code,
    })
}

/// A request from an event that was not even considered: answered `_denied` at once.
fn denied(request_id: Option<&str>, err: &ServiceError) -> Value {
    let code = match err {
        ServiceError::Request(e) => e.code(),
        ServiceError::Lease(LeaseOpError::NotFound(_)) => "not_found",
        ServiceError::Lease(LeaseOpError::Ended { .. }) => "lease_ended",
        ServiceError::Lease(LeaseOpError::NotGranted(_)) => "not_granted",
        ServiceError::Lease(LeaseOpError::Preempting(_)) => "preempting",
        ServiceError::NotSaved(_) | ServiceError::Unreadable(_) | ServiceError::Stopped => {
            "unavailable"
        }
    };
    json!({"request_id": request_id, "state": "refused", "code": code, "reason": err.to_string()})
}

/// The three sensors and one per slot pool.
pub fn sensors(prefix: &str, leases: &LeaseService) -> Vec<(String, EntityState)> {
    let status = leases.status();
    let sensor =
        |object: &str, state: String, name: &str, unit: Option<&str>, extra: &[(&str, Value)]| {
            let mut attributes = Map::new();
            attributes.insert("friendly_name".into(), json!(name));
            attributes.insert("state_class".into(), json!("measurement"));
            attributes.insert("icon".into(), json!("mdi:ticket-confirmation-outline"));
            if let Some(unit) = unit {
                attributes.insert("unit_of_measurement".into(), json!(unit));
            }
            for (k, v) in extra {
                attributes.insert((*k).into(), v.clone());
            }
            (
                format!("sensor.{prefix}_{object}"),
                EntityState {
                    state,
                    attributes,
                    ..Default::default()
                },
            )
        };
    let used_cpu = status.capacity.cpu_cores - status.available.cpu_cores;
    let used_mem: u64 = status.leases.iter().map(|l| l.resources.memory_mb).sum();
    let holders: Vec<&str> = status.leases.iter().map(|l| l.holder.as_str()).collect();
    let mut list = vec![
        sensor(
            "leases_active",
            status.leases.len().to_string(),
            "Leases active",
            None,
            &[
                ("holders", json!(holders)),
                ("max_concurrent", json!(status.capacity.max_concurrent)),
            ],
        ),
        sensor(
            "leases_queued",
            status.queue.len().to_string(),
            "Lease requests queued",
            None,
            &[("queue_limit", json!(status.capacity.queue_limit))],
        ),
        sensor(
            "leases_cpu_cores",
            format!("{used_cpu:.3}"),
            "CPU cores leased",
            Some("cores"),
            &[("capacity", json!(status.capacity.cpu_cores))],
        ),
        {
            let (id, mut state) = sensor(
                "leases_memory",
                used_mem.to_string(),
                "Memory leased",
                Some("MB"),
                &[("capacity", json!(status.capacity.memory_mb))],
            );
            state
                .attributes
                .insert("device_class".into(), json!("data_size"));
            (id, state)
        },
    ];
    for (pool, size) in &status.capacity.slots {
        let free = status.available.slots.get(pool).copied().unwrap_or(0);
        list.push(sensor(
            &format!("leases_slots_{pool}"),
            size.saturating_sub(free).to_string(),
            &format!("Slots '{pool}' leased"),
            None,
            &[("capacity", json!(size))],
        ));
    }
    list
}

/// Everything the lease side of Home Assistant works with.
pub struct LeaseLink {
    pub rest: HaRest,
    pub prefix: String,
    pub leases: LeaseService,
    pub events: HaEvents,
    pub readiness: watch::Receiver<Readiness>,
    pub status: Arc<Mutex<HaLinkStatus>>,
}

impl LeaseLink {
    async fn fire(&self, event_type: &str, data: &Value) {
        lock(&self.status).requests_total += 1;
        if let Err(err) = self.rest.fire_event(event_type, data).await {
            self.failed(&err);
        }
    }

    fn failed(&self, err: &HaError) {
        tracing::debug!(error = %err, "lease event or sensor not sent");
        lock(&self.status).publish_failed(err);
    }

    /// The lease sensors; at shutdown (`unavailable`) they say so instead of a last count that
    /// goes stale.
    async fn publish_sensors(&self, unavailable: bool) {
        let sensors = sensors(&self.prefix, &self.leases);
        if let Err(err) =
            super::rest::send_sensors(&self.rest, &self.status, sensors, unavailable).await
        {
            self.failed(&err);
        }
    }

    /// Handles one event fired in Home Assistant.
    async fn handle(&self, event_type: &str, data: &Value) {
        let request_id = data.get("request_id").and_then(Value::as_str);
        let lease_id = data.get("lease_id").and_then(Value::as_str).unwrap_or("");
        let result = match event_type {
            REQUEST => self.leases.request_json(data).await.map(|_| ()),
            RELEASE | RENEW if lease_id.is_empty() => Err(ServiceError::Request(
                RequestError::BadRequest("'lease_id' is required".into()),
            )),
            RELEASE => self.leases.release(lease_id).await.map(|_| ()),
            _ => {
                let mut body = data.as_object().cloned().unwrap_or_default();
                body.retain(|k, _| k == "ttl_seconds");
                self.leases
                    .renew_json(lease_id, &Value::Object(body))
                    .await
                    .map(|_| ())
            }
        };
        // Successes are announced from the bus (with the lease's request id); what was
        // refused before a lease existed is answered here.
        if let Err(err) = result
            && !matches!(err, ServiceError::NotSaved(_))
        {
            self.fire(&format!("{ANSWER_PREFIX}denied"), &denied(request_id, &err))
                .await;
        }
    }
}

/// Runs until cancelled: answers lease events, announces changes, keeps the sensors current.
pub async fn run(link: LeaseLink, mut changes: Subscription, cancel: CancellationToken) {
    let mut requests = link.events.subscribe(REQUEST);
    let mut releases = link.events.subscribe(RELEASE);
    let mut renewals = link.events.subscribe(RENEW);
    let mut ready = ReadyWatch::new(link.readiness.clone());
    let mut sensors_due = ready.is_ready();
    let mut tick = tokio::time::interval(SENSOR_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            anew = ready.changed() => match anew {
                Some(true) => sensors_due = true,
                Some(false) => {}
                None => break,
            },
            event = next(&mut requests) => match event {
                Some(data) => link.handle(REQUEST, &data).await,
                None => break,
            },
            event = next(&mut releases) => match event {
                Some(data) => link.handle(RELEASE, &data).await,
                None => break,
            },
            event = next(&mut renewals) => match event {
                Some(data) => link.handle(RENEW, &data).await,
                None => break,
            },
            delivery = changes.recv() => match delivery {
                Some(Delivery::Event(Event::LeaseChanged(change))) => {
                    sensors_due = true;
                    // The engine's own jobs (`resource_manager.rollup`) show in the sensors
                    // only: an event per batch would be noise in the logbook.
                    if ready.is_ready() && !change.holder.starts_with("resource_manager.") {
                        link.fire(&event_type(change.kind), &event_data(&change)).await;
                    }
                }
                Some(Delivery::Missed(_)) => sensors_due = true,
                Some(_) => {}
                None => break,
            },
            _ = tick.tick() => {
                if sensors_due && ready.is_ready() {
                    sensors_due = false;
                    link.publish_sensors(false).await;
                }
            }
        }
    }
    // Not gated on readiness: the link may be between sessions at shutdown (the REST calls
    // go their own way), and a bounded try is all it costs.
    if tokio::time::timeout(SHUTDOWN_BUDGET, link.publish_sensors(true))
        .await
        .is_err()
    {
        tracing::warn!("marking lease sensors unavailable took too long; stopping anyway");
    }
}

/// The data of the next event of a receiver (data that is not an object reads as `{}`, so
/// it is answered `_denied`); `None` once the link stopped for good.
async fn next(receiver: &mut HaEventReceiver) -> Option<Value> {
    let event = receiver.recv().await?;
    Some(match event.data {
        EventData::Other(data) if data.is_object() => data,
        _ => json!({}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::LeaseState;

    #[test]
    fn each_change_has_its_event_and_carries_the_request_id() {
        let change = LeaseChange {
            lease_id: "lease-7".into(),
            holder: "backup".into(),
            request_id: Some("r1".into()),
            at_ms: 0,
            kind: LeaseChangeKind::Granted,
            state: LeaseState::Granted,
            expires_ms: Some(1_700_000_600_500),
            revoke_ms: None,
            position: None,
            reason: None,
            code: None,
        };
        assert_eq!(event_type(change.kind), "resource_manager_lease_granted");
        assert_eq!(
            event_type(LeaseChangeKind::Refused),
            "resource_manager_lease_denied"
        );
        let data = event_data(&change);
        assert_eq!(data["request_id"], "r1");
        assert_eq!(data["expires_at"], 1_700_000_600);
        assert_eq!(data["lease_id"], "lease-7");
    }
}

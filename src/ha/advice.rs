//! The advisor in Home Assistant: every action decision (dry runs and refusals included) is
//! fired as a `resource_manager_action` event and shown as a persistent notification; two
//! sensors carry the number of open recommendations and the largest memory saving; and the
//! `state_changed` subscription feeds the recorder churn counter.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::error::HaError;
use super::rest::{EntityState, HaRest};
use super::status::HaLinkStatus;
use super::ws::{EventData, HaEvents, Readiness, ReadyWatch, StateChanged};
use crate::advice::recorder::estimate_bytes;
use crate::advice::{AdviceState, Advisor, Recommendation};
use crate::bus::{Delivery, Event, Subscription};
use crate::event::{ActionOutcome, ActionResult};
use crate::util::lock;

/// The event every decision is fired as.
pub const ACTION_EVENT: &str = "resource_manager_action";
/// The sensors are refreshed this often.
const SENSOR_EVERY: Duration = Duration::from_secs(30);
/// `state_changed` events waiting before some are dropped (counted by the link).
const CHURN_CAPACITY: usize = 8192;
const SHUTDOWN_BUDGET: Duration = Duration::from_secs(5);

/// The event's data for a decision.
pub fn event_data(result: &ActionResult) -> Value {
    json!({
        "audit_id": result.audit_id,
        "action": result.action,
        "addon": result.target,
        "origin": result.origin,
        "reason": result.reason,
        "recommendation_id": result.recommendation_id,
        "result": result.outcome.as_str(),
        "detail": result.outcome.detail(),
        "at": result.finished_ms.div_euclid(1000),
    })
}

/// The persistent notification for a decision (one per add-on, replaced by the next).
pub fn notification(result: &ActionResult) -> Value {
    let what = format!("{} of add-on {}", result.action, result.target);
    let message = match &result.outcome {
        ActionOutcome::Done => format!(
            "Done: {what}. Why: {}. Its effect is measured in 10 minutes (Details → Actions).",
            result.reason
        ),
        ActionOutcome::DryRun(d) => {
            format!("Dry run, nothing was done: {d}. Why: {}.", result.reason)
        }
        ActionOutcome::Refused(d) => format!("Refused: {what}. {d}."),
        ActionOutcome::Failed(d) => format!("Failed: {what}. {d}."),
    };
    json!({
        "title": "Resource Manager",
        "message": message,
        "notification_id": format!("resource_manager_action_{}", result.target),
    })
}

/// The sensors: open recommendations and the largest memory saving among them.
pub fn sensors(prefix: &str, list: &[Recommendation]) -> Vec<(String, EntityState)> {
    let open: Vec<&Recommendation> = list
        .iter()
        .filter(|r| r.state == AdviceState::Open)
        .collect();
    let top = open.first();
    let mut count = Map::new();
    count.insert("friendly_name".into(), json!("Open recommendations"));
    count.insert("state_class".into(), json!("measurement"));
    count.insert("icon".into(), json!("mdi:lightbulb-on-outline"));
    count.insert(
        "titles".into(),
        json!(
            open.iter()
                .take(5)
                .map(|r| r.title.as_str())
                .collect::<Vec<_>>()
        ),
    );
    let best = open
        .iter()
        .filter_map(|r| Some((r, r.saving.memory_bytes?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let mut saving = Map::new();
    saving.insert(
        "friendly_name".into(),
        json!("Top recommended memory saving"),
    );
    saving.insert("state_class".into(), json!("measurement"));
    saving.insert("device_class".into(), json!("data_size"));
    saving.insert("unit_of_measurement".into(), json!("MB"));
    saving.insert("icon".into(), json!("mdi:memory"));
    if let Some((r, _)) = best {
        saving.insert("recommendation".into(), json!(r.title));
        saving.insert("recommendation_id".into(), json!(r.id));
    }
    if let Some(r) = top {
        count.insert("top".into(), json!(r.title));
    }
    vec![
        (
            format!("sensor.{prefix}_recommendations_open"),
            EntityState {
                state: open.len().to_string(),
                attributes: count,
                ..Default::default()
            },
        ),
        (
            format!("sensor.{prefix}_recommendations_top_saving"),
            EntityState {
                state: format!("{:.0}", best.map_or(0.0, |(_, b)| b / 1e6)),
                attributes: saving,
                ..Default::default()
            },
        ),
    ]
}

/// The bytes a state change adds to the recorder (see `advice::recorder`).
pub fn change_bytes(change: &StateChanged) -> Option<u64> {
    let new = change.new_state.as_ref()?;
    let changed = change
        .old_state
        .as_ref()
        .is_none_or(|old| old.attributes != new.attributes);
    let attributes_len = if changed {
        serde_json::to_string(&new.attributes).map_or(0, |s| s.len())
    } else {
        0
    };
    Some(estimate_bytes(new.state.len(), changed, attributes_len))
}

/// What the advice side of Home Assistant works with.
pub struct AdviceLink {
    pub rest: HaRest,
    pub prefix: String,
    pub advisor: Advisor,
    pub events: HaEvents,
    pub readiness: watch::Receiver<Readiness>,
    pub status: Arc<Mutex<HaLinkStatus>>,
}

impl AdviceLink {
    fn failed(&self, err: &HaError) {
        tracing::debug!(error = %err, "advice event, notification or sensor not sent");
        lock(&self.status).publish_failed(err);
    }

    async fn announce(&self, result: &ActionResult) {
        lock(&self.status).requests_total += 2;
        if let Err(err) = self
            .rest
            .fire_event(ACTION_EVENT, &event_data(result))
            .await
        {
            self.failed(&err);
        }
        if let Err(err) = self
            .rest
            .call_service("persistent_notification", "create", &notification(result))
            .await
        {
            self.failed(&err);
        }
    }

    async fn publish_sensors(&self, unavailable: bool) {
        let sensors = sensors(&self.prefix, &self.advisor.recommendations());
        if let Err(err) =
            super::rest::send_sensors(&self.rest, &self.status, sensors, unavailable).await
        {
            self.failed(&err);
        }
    }
}

/// Runs until cancelled.
pub async fn run(link: AdviceLink, mut results: Subscription, cancel: CancellationToken) {
    let mut changes = link
        .events
        .subscribe_with_capacity("state_changed", CHURN_CAPACITY);
    let mut ready = ReadyWatch::new(link.readiness.clone());
    let mut tick = tokio::time::interval(SENSOR_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let clock = link.advisor.clock().clone();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            anew = ready.changed() => match anew {
                // A new session: the sensors at once, not at the next tick.
                Some(true) => link.publish_sensors(false).await,
                Some(false) => {}
                None => break,
            },
            event = changes.recv() => match event {
                Some(event) => {
                    if let EventData::StateChanged(change) = &event.data
                        && let Some(bytes) = change_bytes(change)
                    {
                        let at = event.time_fired_ms().unwrap_or_else(|| clock.now_ms());
                        link.advisor.observe_state_change(&change.entity_id, at, bytes);
                    }
                }
                None => break,
            },
            delivery = results.recv() => match delivery {
                Some(Delivery::Event(Event::ActionResult(result))) => {
                    if ready.is_ready() {
                        link.announce(&result).await;
                    }
                }
                Some(_) => {}
                None => break,
            },
            _ = tick.tick() => {
                if ready.is_ready() {
                    link.publish_sensors(false).await;
                }
            }
        }
    }
    if tokio::time::timeout(SHUTDOWN_BUDGET, link.publish_sensors(true))
        .await
        .is_err()
    {
        tracing::warn!("marking advice sensors unavailable took too long; stopping anyway");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_becomes_an_event_and_a_notification() {
        let result = ActionResult {
            audit_id: 7,
            action: "restart".into(),
            target: "core_mosquitto".into(),
            origin: "user".into(),
            reason: "it leaks".into(),
            recommendation_id: Some("leak-core_mosquitto".into()),
            finished_ms: 1_780_000_000_500,
            outcome: ActionOutcome::DryRun("would restart core_mosquitto".into()),
        };
        let data = event_data(&result);
        assert_eq!(data["result"], "dry_run");
        assert_eq!(data["addon"], "core_mosquitto");
        assert_eq!(data["at"], 1_780_000_000);
        let n = notification(&result);
        assert!(
            n["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Dry run"))
        );
    }

    #[test]
    fn sensors_count_open_recommendations_only() {
        let r = |id: &str, state, mb: f64| Recommendation {
            id: id.into(),
            kind: crate::advice::AdviceKind::Idle,
            target: id.into(),
            title: format!("t {id}"),
            evidence: vec![],
            saving: crate::advice::types::Saving {
                memory_bytes: Some(mb * 1e6),
                ..Default::default()
            },
            confidence: 0.7,
            action: None,
            state,
            snoozed_until_ms: None,
            snippet: None,
        };
        let list = [
            r("a", AdviceState::Open, 100.0),
            r("b", AdviceState::Dismissed, 900.0),
            r("c", AdviceState::Open, 300.0),
        ];
        let s = sensors("rm", &list);
        assert_eq!(s[0].0, "sensor.rm_recommendations_open");
        assert_eq!(s[0].1.state, "2");
        assert_eq!(s[1].1.state, "300");
        assert_eq!(s[1].1.attributes["unit_of_measurement"], "MB");
    }
}

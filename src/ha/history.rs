//! Tells Home Assistant when history is not being saved: a `problem` binary sensor that follows
//! the store's write health, a persistent notification while writes fail (dismissed once they
//! succeed again), and one notification per storage notice found at this start (a damaged file
//! moved aside, lost data).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, json};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::alerts::iso8601;
use super::error::HaError;
use super::rest::{EntityState, HaRest};
use super::status::HaLinkStatus;
use super::ws::{Readiness, ReadyWatch};
use crate::store::{Store, StoreNotice, WriteFailure};
use crate::util::lock;

/// How often the store's health is looked at (a mutex read).
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// `binary_sensor.<prefix>_history_problem`: on while writes fail.
pub fn history_sensor(prefix: &str, failure: Option<&WriteFailure>) -> (String, EntityState) {
    let mut attributes = Map::new();
    attributes.insert(
        "friendly_name".into(),
        json!("Resource Manager history not saved"),
    );
    attributes.insert("device_class".into(), json!("problem"));
    attributes.insert("reason".into(), json!(failure.map(|f| f.reason)));
    attributes.insert("message".into(), json!(failure.map(WriteFailure::summary)));
    attributes.insert("since".into(), json!(failure.map(|f| iso8601(f.since_ms))));
    attributes.insert(
        "free_bytes".into(),
        json!(failure.and_then(|f| f.free_bytes)),
    );
    (
        format!("binary_sensor.{prefix}_history_problem"),
        EntityState {
            state: if failure.is_some() { "on" } else { "off" }.into(),
            attributes,
            ..Default::default()
        },
    )
}

struct HistoryPublisher {
    rest: HaRest,
    prefix: String,
    status: Arc<Mutex<HaLinkStatus>>,
    /// What Home Assistant has: the sensor state and whether our notification is up.
    sent: Option<EntityState>,
    notified: Option<bool>,
    /// Notices of this start not yet delivered.
    notices: Vec<StoreNotice>,
}

impl HistoryPublisher {
    fn note_error(&self, err: &HaError) {
        tracing::warn!(error = %err, "telling Home Assistant about the history failed");
        lock(&self.status).publish_failed(err);
    }

    async fn sync(&mut self, failure: Option<&WriteFailure>) {
        let (entity_id, state) = history_sensor(&self.prefix, failure);
        // Free space and attempts change on every retry; only the state and reason matter.
        let same = self.sent.as_ref().is_some_and(|s| {
            s.state == state.state && s.attributes.get("reason") == state.attributes.get("reason")
        });
        if !same {
            lock(&self.status).requests_total += 1;
            match self.rest.set_state(&entity_id, &state).await {
                Ok(_) => self.sent = Some(state),
                Err(err) => self.note_error(&err),
            }
        }
        let id = format!("{}_history", self.prefix);
        let want = failure.is_some();
        if self.notified != Some(want) {
            let data = match failure {
                Some(f) => json!({
                    "notification_id": id,
                    "title": "Resource Manager: history is not being saved",
                    "message": format!("{} Samples are kept in memory and written once this is fixed. Details: {}", f.summary(), f.error),
                }),
                None => json!({"notification_id": id}),
            };
            let service = if want { "create" } else { "dismiss" };
            lock(&self.status).requests_total += 1;
            match self
                .rest
                .call_service("persistent_notification", service, &data)
                .await
            {
                Ok(_) => self.notified = Some(want),
                Err(err) => self.note_error(&err),
            }
        }
        while let Some(notice) = self.notices.first() {
            let data = json!({
                "notification_id": format!("{}_history_{}_{}", self.prefix, notice.kind, notice.ts_ms),
                "title": "Resource Manager: history",
                "message": notice.message,
            });
            lock(&self.status).requests_total += 1;
            match self
                .rest
                .call_service("persistent_notification", "create", &data)
                .await
            {
                Ok(_) => {
                    self.notices.remove(0);
                }
                Err(err) => {
                    self.note_error(&err);
                    break;
                }
            }
        }
    }
}

/// Runs until cancelled. Notices from before this start were told already.
pub async fn run(
    rest: HaRest,
    prefix: String,
    store: Store,
    readiness: watch::Receiver<Readiness>,
    status: Arc<Mutex<HaLinkStatus>>,
    cancel: CancellationToken,
) {
    let mut notices: Vec<StoreNotice> = store
        .notices()
        .into_iter()
        .filter(|n| n.ts_ms >= store.opened_ms())
        .collect();
    notices.reverse();
    let mut publisher = HistoryPublisher {
        rest,
        prefix,
        status,
        sent: None,
        notified: None,
        notices,
    };
    let mut check = tokio::time::interval(CHECK_EVERY);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut readiness = ReadyWatch::new(readiness);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = readiness.changed() => {
                let Some(anew) = changed else { return };
                if anew {
                    // A restarted Core forgot our states: send everything again.
                    publisher.sent = None;
                    publisher.notified = None;
                }
            }
            _ = check.tick() => {}
        }
        if readiness.is_ready() {
            let failure = store.write_status().failure;
            publisher.sync(failure.as_ref()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FailureReason;

    #[test]
    fn the_sensor_is_a_problem_while_writes_fail_and_clears_after() {
        let failure = WriteFailure {
            since_ms: 1_767_225_600_000,
            reason: FailureReason::DiskFull,
            error: "(code: 13) database or disk is full".into(),
            free_bytes: Some(2_100_000),
            attempts: 3,
            next_attempt_ms: 0,
            logged_ms: 0,
        };
        let (id, on) = history_sensor("rm", Some(&failure));
        assert_eq!(id, "binary_sensor.rm_history_problem");
        assert_eq!(on.state, "on");
        assert_eq!(on.attributes["device_class"], "problem");
        assert_eq!(on.attributes["reason"], "disk_full");
        assert_eq!(on.attributes["since"], "2026-01-01T00:00:00+00:00");
        assert_eq!(
            on.attributes["message"],
            "History is not being saved: the data disk is full (2.1 MB free)."
        );
        let (_, off) = history_sensor("rm", None);
        assert_eq!(off.state, "off");
        assert!(off.attributes["reason"].is_null());
    }
}

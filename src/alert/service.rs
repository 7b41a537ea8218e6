//! The alert task and its handle: feeds every snapshot to the engine, stores incidents on
//! transitions, logs each transition, and emits it (onto the event bus, which `app.rs` wires;
//! the Home Assistant publisher subscribes there). The dashboard reads the pending and firing states from a `watch` the handle
//! republishes after every tick, so its per-tick cost is a pointer copy, not the engine's lock.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::RuleSet;
use super::engine::{self, AckOutcome, AlertEngine, Reading};
use super::transition::{AlertState, AlertTransition, Incident, TransitionKind};
use crate::model::Snapshot;
use crate::store::{Store, StoreError};
use crate::util::Emit;

/// Resolved incidents older than this are deleted (checked daily).
const KEEP_INCIDENTS_MS: i64 = 365 * 86_400_000;
const PRUNE_EVERY_MS: i64 = 86_400_000;
/// Longest cooldown an option may set: incidents notified since then are reloaded at start.
const LONGEST_COOLDOWN_MS: i64 = 7 * 86_400_000;

/// Why an alert request failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("no incident with id {0}")]
    UnknownIncident(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Handle to the alert engine; cheap to clone.
#[derive(Clone)]
pub struct AlertHandle {
    inner: Arc<Inner>,
}

struct Inner {
    rules: RuleSet,
    /// Async lock: transitions are stored and published in the order the engine made them,
    /// whether they come from a tick or an acknowledgement.
    engine: Mutex<AlertEngine>,
    store: Store,
    /// Where transitions go, in order (the event bus in the app).
    transitions: Emit<AlertTransition>,
    /// Pending and firing states as of the latest tick or acknowledgement (see
    /// [`AlertHandle::active`]).
    active: watch::Sender<Arc<Vec<AlertState>>>,
}

impl AlertHandle {
    /// Builds the engine from the rules and what the store remembers (open incidents carry on;
    /// cooldowns survive restarts). Every transition is handed to `transitions`.
    pub async fn start(
        rules: RuleSet,
        store: Store,
        now_ms: i64,
        transitions: Emit<AlertTransition>,
    ) -> Result<Self, StoreError> {
        let history = store
            .incidents_to_resume(now_ms - LONGEST_COOLDOWN_MS)
            .await?;
        let next_id = store.max_incident_id().await? + 1;
        let (engine, closed) = AlertEngine::resume(&rules, history, next_id, now_ms);
        let handle = AlertHandle::with_engine(rules, store, engine, transitions);
        handle.apply(closed).await;
        Ok(handle)
    }

    /// A handle with no history (until fed, it knows no targets).
    pub fn new(rules: RuleSet, store: Store, transitions: Emit<AlertTransition>) -> Self {
        let engine = AlertEngine::new(&rules);
        AlertHandle::with_engine(rules, store, engine, transitions)
    }

    fn with_engine(
        rules: RuleSet,
        store: Store,
        engine: AlertEngine,
        transitions: Emit<AlertTransition>,
    ) -> Self {
        let (active, _) = watch::channel(Arc::new(engine.active_states()));
        AlertHandle {
            inner: Arc::new(Inner {
                rules,
                engine: Mutex::new(engine),
                store,
                transitions,
                active,
            }),
        }
    }

    /// The effective rules, enabled or not.
    pub fn rules(&self) -> &RuleSet {
        &self.inner.rules
    }

    /// Every rule and target seen so far, `ok` ones included.
    pub async fn states(&self) -> Vec<AlertState> {
        self.inner.engine.lock().await.states()
    }

    /// Pending and firing rules and targets, firing first, then by severity and age; as of
    /// the latest tick or acknowledgement. Takes no lock on the engine.
    pub fn active(&self) -> Arc<Vec<AlertState>> {
        self.inner.active.borrow().clone()
    }

    /// Incidents firing now.
    pub async fn firing_count(&self) -> usize {
        self.inner.engine.lock().await.firing_count()
    }

    /// Series each rule watches now, by rule name.
    pub async fn targets(&self) -> HashMap<String, Vec<String>> {
        let engine = self.inner.engine.lock().await;
        engine
            .targets()
            .into_iter()
            .map(|(rule, series)| {
                (
                    rule.to_string(),
                    series.into_iter().map(str::to_string).collect(),
                )
            })
            .collect()
    }

    /// The latest incidents from the store, newest first.
    pub async fn recent(&self, limit: u32) -> Result<Vec<Incident>, StoreError> {
        self.inner.store.recent_incidents(limit).await
    }

    /// Feeds one tick; returns how many transitions it caused.
    pub async fn evaluate<'a>(
        &self,
        now_ms: i64,
        readings: impl IntoIterator<Item = Reading<'a>>,
    ) -> usize {
        let mut engine = self.inner.engine.lock().await;
        let transitions = engine.evaluate(now_ms, readings);
        let count = transitions.len();
        self.apply(transitions).await;
        self.publish_active(&engine);
        count
    }

    /// Acknowledges an incident (firing or already resolved); returns it as it is now.
    pub async fn acknowledge(
        &self,
        id: i64,
        now_ms: i64,
        note: Option<String>,
    ) -> Result<Incident, AlertError> {
        let mut engine = self.inner.engine.lock().await;
        match engine.acknowledge(id, now_ms, note.clone()) {
            AckOutcome::Acknowledged(transition) => {
                let incident = transition.incident.clone();
                self.apply(vec![*transition]).await;
                self.publish_active(&engine);
                incident.ok_or(AlertError::UnknownIncident(id))
            }
            AckOutcome::AlreadyAcknowledged(incident) => Ok(*incident),
            AckOutcome::NotActive => {
                drop(engine);
                let stored = self
                    .inner
                    .store
                    .acknowledge_incident(id, now_ms, note.as_deref())
                    .await?;
                if let Some(incident) = &stored {
                    tracing::info!(
                        resource_management_id = %incident.correlation_id(),
                        rule = %incident.rule,
                        target = %incident.target,
                        "alert acknowledged after it resolved"
                    );
                }
                stored.ok_or(AlertError::UnknownIncident(id))
            }
        }
    }

    /// Writes open incidents as they are now (latest value and peak), at shutdown.
    pub async fn flush(&self) {
        let open = self.inner.engine.lock().await.open_incidents();
        if let Err(err) = self.inner.store.save_incidents(&open).await {
            tracing::error!(error = %err, open = open.len(), "could not store open alerts at shutdown");
        }
    }

    /// Republishes the active states when they changed (values move every tick while
    /// something is pending or firing; a quiet box sends nothing). Called with the engine locked.
    fn publish_active(&self, engine: &AlertEngine) {
        let now = engine.active_states();
        self.inner.active.send_if_modified(|current| {
            if current.as_slice() == now.as_slice() {
                false
            } else {
                *current = Arc::new(now);
                true
            }
        });
    }

    /// Logs, stores and publishes transitions, in order. Called with the engine locked.
    async fn apply(&self, transitions: Vec<AlertTransition>) {
        if transitions.is_empty() {
            return;
        }
        for t in &transitions {
            log(t);
        }
        // One row per incident: only its latest state of this batch is written.
        let mut latest: Vec<Incident> = Vec::new();
        for incident in transitions.iter().filter_map(|t| t.incident.as_ref()) {
            match latest.iter_mut().find(|i| i.id == incident.id) {
                Some(slot) => *slot = incident.clone(),
                None => latest.push(incident.clone()),
            }
        }
        if let Err(err) = self.inner.store.save_incidents(&latest).await {
            // The engine keeps the truth; the next transition of the incident rewrites its row.
            tracing::error!(error = %err, incidents = latest.len(), "could not store alert incidents");
        }
        for t in transitions {
            self.inner.transitions.emit(t);
        }
    }
}

/// One structured line per transition; pending and cancelled ones only at debug level.
fn log(t: &AlertTransition) {
    let a = &t.alert;
    macro_rules! line {
        ($level:expr) => {
            tracing::event!(
                $level,
                resource_management_id = %t.correlation_id().unwrap_or_default(),
                transition = t.kind.as_str(),
                rule = %a.rule,
                target = %a.target,
                series = %a.series,
                value = a.value.unwrap_or(f64::NAN),
                threshold = a.threshold,
                severity = a.severity.as_str(),
                notify = t.notify,
                firing = t.firing_count,
                "{}",
                a.message
            )
        };
    }
    match t.kind {
        TransitionKind::Pending | TransitionKind::Cancelled => line!(tracing::Level::DEBUG),
        TransitionKind::Fired | TransitionKind::Escalated => line!(tracing::Level::WARN),
        TransitionKind::Deescalated | TransitionKind::Resolved | TransitionKind::Acknowledged => {
            line!(tracing::Level::INFO)
        }
    }
}

/// Evaluates every snapshot until the engine's channel closes (or `cancel`), then writes open
/// incidents.
pub async fn run(
    handle: AlertHandle,
    mut snapshots: broadcast::Receiver<Arc<Snapshot>>,
    cancel: CancellationToken,
) {
    let mut last_prune_ms: Option<i64> = None;
    let mut skipped_total: u64 = 0;
    loop {
        let snapshot = tokio::select! {
            _ = cancel.cancelled() => break,
            received = snapshots.recv() => match received {
                Ok(snapshot) => snapshot,
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    // Windows are judged on time, not on sample counts: fewer samples only.
                    skipped_total += skipped;
                    tracing::warn!(skipped, skipped_total, "alert engine fell behind; snapshots skipped");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
        };
        handle
            .evaluate(snapshot.ts_ms, engine::readings(&snapshot))
            .await;
        if last_prune_ms.is_none_or(|at| snapshot.ts_ms - at >= PRUNE_EVERY_MS) {
            last_prune_ms = Some(snapshot.ts_ms);
            match handle
                .inner
                .store
                .prune_incidents(snapshot.ts_ms - KEEP_INCIDENTS_MS)
                .await
            {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "old alert incidents deleted"),
                Err(err) => tracing::warn!(error = %err, "pruning alert incidents failed"),
            }
        }
    }
    handle.flush().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Sample, SeriesMeta, Unit};

    fn snapshot(ts_ms: i64, value: f64) -> Arc<Snapshot> {
        let meta = SeriesMeta::global("memory", "total_bytes", Unit::Bytes, "Installed memory");
        Arc::new(Snapshot {
            ts_ms,
            samples: vec![Sample {
                series: Arc::new(meta),
                value,
            }],
            ..Snapshot::default()
        })
    }

    fn rules(warn: f64) -> RuleSet {
        let mut problems = Vec::new();
        let rules = RuleSet::from_option(
            Some(
                &serde_json::json!([{"name": "always", "metric": "memory.total_bytes",
                                       "warn": warn, "for": "0s"}]),
            ),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        rules
    }

    #[tokio::test]
    async fn the_active_list_follows_ticks_and_acknowledgements_and_stays_still_when_quiet() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("h.db")).await.expect("open");
        let handle = AlertHandle::start(rules(1.0), store.clone(), 0, Emit::none())
            .await
            .expect("start");
        assert!(handle.active().is_empty());
        handle
            .evaluate(1000, engine::readings(&snapshot(1000, 4e9)))
            .await;
        let active = handle.active();
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].status, crate::alert::Status::Firing);
        let id = active[0].incident_id.expect("incident");
        handle.acknowledge(id, 1500, None).await.expect("ack");
        assert!(handle.active()[0].acknowledged, "published at once");

        let other = Store::open(&dir.path().join("quiet.db"))
            .await
            .expect("open");
        let quiet = AlertHandle::start(rules(1e15), other.clone(), 0, Emit::none())
            .await
            .expect("start");
        let changes = quiet.inner.active.subscribe();
        for ts in [1000, 2000, 3000] {
            quiet
                .evaluate(ts, engine::readings(&snapshot(ts, 4e9)))
                .await;
        }
        assert!(!changes.has_changed().expect("open"), "nothing to tell");
        store.close().await;
        other.close().await;
    }

    #[tokio::test]
    async fn the_task_rides_out_lag_and_stores_what_is_open_when_the_engine_stops() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("h.db")).await.expect("open");
        let mut problems = Vec::new();
        let rules = RuleSet::from_option(
            Some(
                &serde_json::json!([{"name": "always", "metric": "memory.total_bytes",
                                       "warn": 1, "for": "0s"}]),
            ),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = seen.clone();
        let emit = Emit::new(move |t: AlertTransition| crate::util::lock(&into).push(t.kind));
        let handle = AlertHandle::start(rules, store.clone(), 0, emit)
            .await
            .expect("start");
        // Three snapshots into a channel of one before the task reads: it lags by two.
        let (tx, rx) = broadcast::channel(1);
        for ts in [1000, 2000, 3000] {
            tx.send(snapshot(ts, 4e9)).expect("send");
        }
        drop(tx);
        run(handle.clone(), rx, CancellationToken::new()).await;
        assert_eq!(handle.firing_count().await, 1);
        let kinds = crate::util::lock(&seen).clone();
        assert_eq!(kinds, [TransitionKind::Pending, TransitionKind::Fired]);
        let stored = store.recent_incidents(10).await.expect("read");
        assert_eq!(stored.len(), 1);
        assert_eq!((stored[0].fired_ms, stored[0].resolved_ms), (3000, None));
        store.close().await;
    }
}

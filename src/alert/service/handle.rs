//! The handle to the alert engine: what the API, the dashboard and Home Assistant ask of it
//! (states, acknowledgements, recent incidents), and the published list of active alerts.

use crate::util::time::DAY_MS;
use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, watch};

use super::super::RuleSet;
use super::super::engine::{AckOutcome, AlertEngine, Reading};
use super::super::transition::{AlertState, AlertTransition, Incident, Status};
use super::record;
use crate::model::Severity;
use crate::store::{Store, StoreError};
use crate::util::Emit;

/// Longest cooldown an option may set: incidents notified since then are reloaded at start.
const LONGEST_COOLDOWN_MS: i64 = 7 * DAY_MS;

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
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    rules: RuleSet,
    /// Async lock: transitions are stored and published in the order the engine made them,
    /// whether they come from a tick or an acknowledgement.
    engine: Mutex<AlertEngine>,
    pub(super) store: Store,
    /// Where transitions go, in order (the event bus in the app).
    transitions: Emit<AlertTransition>,
    /// Pending and firing states as of the latest tick or acknowledgement (see
    /// [`AlertHandle::active`]).
    pub(super) active: watch::Sender<Arc<Vec<AlertState>>>,
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

    /// Firing alerts counted by weight: (warning and info, error, critical), for the health
    /// score.
    pub fn firing_counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for alert in self.active().iter().filter(|a| a.status == Status::Firing) {
            match alert.severity {
                Severity::Warning | Severity::Info => counts.0 += 1,
                Severity::Error => counts.1 += 1,
                Severity::Critical => counts.2 += 1,
                Severity::Ok => {}
            }
        }
        counts
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
        record::apply(&self.inner.store, &self.inner.transitions, transitions).await;
    }
}

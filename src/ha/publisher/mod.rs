//! Publishes entities to Home Assistant: changed values every `publish_interval_seconds`, big
//! moves at once, everything again whenever Core (re)becomes ready, `unavailable` at shutdown.
//!
//! Only the latest value of each entity is kept; a cycle sends with bounded concurrency and the
//! next cycle starts after it, so nothing queues up while Home Assistant is away.

use crate::util::time::DAY_MS;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::entities::{Entity, entities, satisfaction_sensor};
use super::error::HaError;
pub use super::plan::PublishPlan;
use super::rest::{EntityState, HaRest, SetOutcome};
use super::status::HaLinkStatus;
use super::ws::{Readiness, ReadyWatch};
use crate::config::PublishOptions;
use crate::model::Snapshot;
use crate::store::Store;
use crate::util::{Clock, lock, p50_p99};

/// Requests in flight at once.
const CONCURRENCY: usize = 8;
/// Longest time spent marking entities unavailable at shutdown.
const SHUTDOWN_BUDGET: Duration = Duration::from_secs(5);

/// The publisher task's state.
pub struct Publisher {
    rest: HaRest,
    /// Source of the dashboard's satisfaction votes (published as a sensor).
    store: Option<Store>,
    options: PublishOptions,
    status: Arc<Mutex<HaLinkStatus>>,
    plan: PublishPlan,
    requests: VecDeque<Instant>,
    latencies: VecDeque<u64>,
    /// Decides staleness and the requests-per-minute window, and stamps answers.
    clock: Clock,
}

/// Outcome of one send cycle.
enum Cycle {
    Done,
    /// Core answered 201 for an entity we had published: it forgot our states.
    CoreForgot,
    Failed,
}

impl Publisher {
    /// A publisher sending through `rest`.
    pub fn new(
        rest: HaRest,
        options: PublishOptions,
        status: Arc<Mutex<HaLinkStatus>>,
        store: Option<Store>,
        clock: Clock,
    ) -> Self {
        Publisher {
            rest,
            options,
            status,
            store,
            plan: PublishPlan::default(),
            requests: VecDeque::new(),
            latencies: VecDeque::new(),
            clock,
        }
    }

    /// Every entity of a snapshot; the status sensor also says when history is not saved.
    fn entities(&self, snapshot: &Snapshot) -> Vec<Entity> {
        let failure = self.store.as_ref().and_then(|s| s.write_status().failure);
        entities(&self.options, snapshot, failure.as_ref())
    }

    /// `sensor.<prefix>_satisfaction`: the share of 👍 over 7 days (unknown without votes).
    async fn satisfaction(&self) -> Option<Entity> {
        let store = self.store.as_ref()?;
        let now = self.clock.now_ms();
        let week = store.votes_since(now - 7 * DAY_MS).await.ok()?.0;
        let month = store.votes_since(now - 30 * DAY_MS).await.ok()?.0;
        Some(satisfaction_sensor(
            &self.options.entity_prefix,
            &week,
            &month,
        ))
    }

    async fn send(&mut self, batch: Vec<Entity>, sampled_ms: i64) -> Cycle {
        if batch.is_empty() {
            return Cycle::Done;
        }
        tracing::debug!(
            resource_management_id = %format!("publish-{sampled_ms}"),
            entities = ?batch.iter().map(|e| e.entity_id.as_str()).collect::<Vec<_>>(),
            "publishing to Home Assistant"
        );
        let rest = self.rest.clone();
        let clock = self.clock.clone();
        let results: Vec<(Entity, Result<SetOutcome, HaError>, i64)> = stream::iter(batch)
            .map(|entity| {
                let rest = rest.clone();
                let clock = clock.clone();
                async move {
                    let result = rest.set_state(&entity.entity_id, &entity.state).await;
                    (entity, result, clock.now_ms())
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let now = self.clock.now();
        let mut outcome = Cycle::Done;
        let mut last_error = None;
        for (entity, result, answered_ms) in results {
            self.requests.push_back(now);
            match result {
                Ok(created) => {
                    if created == SetOutcome::Created
                        && self.plan.sent.contains_key(&entity.entity_id)
                    {
                        outcome = Cycle::CoreForgot;
                    }
                    self.plan.record(&entity, now);
                    if self.latencies.len() == 512 {
                        self.latencies.pop_front();
                    }
                    self.latencies
                        .push_back(answered_ms.saturating_sub(sampled_ms).max(0) as u64);
                }
                Err(err) => {
                    if !matches!(outcome, Cycle::CoreForgot) {
                        outcome = Cycle::Failed;
                    }
                    last_error = Some(err);
                }
            }
        }
        while self
            .requests
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
        {
            self.requests.pop_front();
        }
        let (p50, p99) = p50_p99(self.latencies.iter().copied()).unzip();
        let mut status = lock(&self.status);
        status.requests_last_minute = self.requests.len();
        status.entities = self.plan.len();
        status.latency_ms_p50 = p50;
        status.latency_ms_p99 = p99;
        match last_error {
            None => status.last_publish_ms = Some(self.clock.now_ms()),
            Some(err) => {
                status.publish_failed(&err);
                if err.is_auth() {
                    status.state = "auth_failed";
                } else if matches!(err, HaError::NotReady(_)) {
                    status.state = "not_ready";
                }
                tracing::warn!(error = %err, "publishing to Home Assistant failed; will retry");
            }
        }
        outcome
    }

    /// One publication: what `trigger` calls for, from `snapshot`.
    async fn cycle(&mut self, trigger: Trigger, snapshot: &Snapshot) {
        let mut all = self.entities(snapshot);
        if !matches!(trigger, Trigger::NewSample)
            && let Some(entity) = self.satisfaction().await
        {
            all.push(entity);
        }
        let batch = match trigger {
            Trigger::Full => {
                self.plan.forget();
                lock(&self.status).full_republishes += 1;
                all
            }
            Trigger::Regular => self.plan.changed(all, self.clock.now()),
            Trigger::NewSample => self.plan.moved(all, self.share()),
        };
        let count = batch.len();
        lock(&self.status).requests_total += count as u64;
        // Latency counts from the sample, or from the cycle start when the sample waited for
        // the publish interval (that wait is policy, not latency).
        let measured_from = match trigger {
            Trigger::NewSample => snapshot.ts_ms,
            Trigger::Full | Trigger::Regular => self.clock.now_ms(),
        };
        if let Cycle::CoreForgot = self.send(batch, measured_from).await {
            tracing::info!("Home Assistant forgot our entities (it restarted): republishing all");
            self.plan.forget();
            let all = self.entities(snapshot);
            lock(&self.status).requests_total += all.len() as u64;
            lock(&self.status).full_republishes += 1;
            let now_ms = self.clock.now_ms();
            self.send(all, now_ms).await;
        }
    }

    /// Share of a value's scale that counts as a big move (0: immediate updates off).
    fn share(&self) -> f64 {
        f64::from(self.options.change_percent) / 100.0
    }

    /// Marks every published entity `unavailable` (Supervisor stop / SIGTERM).
    async fn mark_unavailable(&mut self) {
        let batch: Vec<Entity> = self
            .plan
            .sent
            .iter()
            .map(|(id, sent)| Entity {
                entity_id: id.clone(),
                value: f64::NAN,
                state: EntityState {
                    state: "unavailable".into(),
                    attributes: sent.state.attributes.clone(),
                    ..Default::default()
                },
            })
            .collect();
        let count = batch.len();
        let now_ms = self.clock.now_ms();
        if tokio::time::timeout(SHUTDOWN_BUDGET, self.send(batch, now_ms))
            .await
            .is_err()
        {
            tracing::warn!("marking entities unavailable took too long; stopping anyway");
        } else {
            tracing::info!(entities = count, "entities marked unavailable");
        }
    }
}

/// Runs until cancelled, then marks the entities unavailable.
pub async fn run(
    mut publisher: Publisher,
    mut latest: watch::Receiver<Arc<Snapshot>>,
    readiness: watch::Receiver<Readiness>,
    cancel: CancellationToken,
) {
    let mut regular = tokio::time::interval(Duration::from_secs(u64::from(
        publisher.options.publish_interval_seconds,
    )));
    regular.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let share = publisher.share();
    let mut readiness = ReadyWatch::new(readiness);
    loop {
        let trigger = tokio::select! {
            _ = cancel.cancelled() => break,
            changed = readiness.changed() => match changed {
                None => break,
                Some(true) => Trigger::Full,
                Some(false) => continue,
            },
            changed = latest.changed() => {
                if changed.is_err() {
                    break;
                }
                Trigger::NewSample
            }
            _ = regular.tick() => Trigger::Regular,
        };
        if !readiness.is_ready() {
            continue;
        }
        if matches!(trigger, Trigger::NewSample) && share <= 0.0 {
            // Immediate updates are off: nothing to decide on a new sample (mark it seen).
            latest.borrow_and_update();
            continue;
        }
        let snapshot = latest.borrow_and_update().clone();
        if snapshot.ts_ms == 0 {
            continue;
        }
        publisher.cycle(trigger, &snapshot).await;
    }
    publisher.mark_unavailable().await;
}

/// What woke the publisher.
enum Trigger {
    /// Core became ready (again): send everything.
    Full,
    /// The publish interval passed: send what changed.
    Regular,
    /// A new snapshot: send only big moves.
    NewSample,
}

#[cfg(test)]
mod tests;

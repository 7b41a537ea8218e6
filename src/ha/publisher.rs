//! Publishes entities to Home Assistant: changed values every `publish_interval_seconds`, big
//! moves at once, everything again whenever Core (re)becomes ready, `unavailable` at shutdown.
//!
//! Only the latest value of each entity is kept; a cycle sends with bounded concurrency and the
//! next cycle starts after it, so nothing queues up while Home Assistant is away.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::entities::{Entity, entities, mark_history_failing};
use super::rest::{EntityState, HaRest, SetOutcome};
use super::ws::Readiness;
use super::{HaError, HaLinkStatus};
use crate::collect::{lock, p50_p99, unix_ms};
use crate::config::PublishOptions;
use crate::model::Snapshot;
use crate::store::Store;

/// Requests in flight at once.
const CONCURRENCY: usize = 8;
/// Longest time spent marking entities unavailable at shutdown.
const SHUTDOWN_BUDGET: Duration = Duration::from_secs(5);

/// What was last sent for an entity.
#[derive(Debug, Clone)]
struct Sent {
    value: f64,
    state: EntityState,
    at: Instant,
}

/// A regular publication skips moves smaller than this share of the unit's scale…
const REGULAR_DEADBAND: f64 = 0.01;
/// …unless the entity has not been sent for this long (slow drifts still land).
const STALE_AFTER: Duration = Duration::from_secs(600);

/// The natural scale of an entity's unit, so small values do not look like big moves.
fn scale(entity: &Entity, last: f64) -> f64 {
    let unit = entity
        .state
        .attributes
        .get("unit_of_measurement")
        .and_then(|u| u.as_str())
        .unwrap_or("");
    let floor = match unit {
        "%" => 100.0,
        "°C" => 50.0,
        "kB/s" => 1e6,
        // Unitless: load averages and counters.
        "" => 10.0,
        _ => 1.0,
    };
    last.abs().max(floor)
}

/// Decides what to send (pure; tested without Home Assistant).
#[derive(Debug, Default)]
pub struct PublishPlan {
    sent: HashMap<String, Sent>,
}

impl PublishPlan {
    /// Entities whose state or attributes differ from what Home Assistant has.
    pub fn changed(&self, all: Vec<Entity>, now: Instant) -> Vec<Entity> {
        all.into_iter()
            .filter(|e| match self.sent.get(&e.entity_id) {
                None => true,
                Some(s) if s.state == e.state => false,
                // Text states (ok/degraded), attributes and long-unsent drift always go out.
                Some(s) if !e.value.is_finite() || !s.value.is_finite() => true,
                Some(s) if s.state.attributes != e.state.attributes => true,
                Some(s) if now.duration_since(s.at) >= STALE_AFTER => true,
                Some(s) => (e.value - s.value).abs() >= REGULAR_DEADBAND * scale(e, s.value),
            })
            .collect()
    }

    /// Entities whose value moved by more than `share` of the larger of its last published
    /// value and the unit's natural scale (so 2 % → 3 % CPU is not "a 50 % move").
    pub fn moved(&self, all: Vec<Entity>, share: f64) -> Vec<Entity> {
        if share <= 0.0 {
            return Vec::new();
        }
        all.into_iter()
            .filter(|e| match self.sent.get(&e.entity_id) {
                None => true,
                Some(s) => {
                    s.state.state != e.state.state
                        && (e.value - s.value).abs() > share * scale(e, s.value)
                }
            })
            .collect()
    }

    fn record(&mut self, entity: &Entity, now: Instant) {
        self.sent.insert(
            entity.entity_id.clone(),
            Sent {
                value: entity.value,
                state: entity.state.clone(),
                at: now,
            },
        );
    }

    /// Forget everything: the next cycle sends all (Core restarted).
    pub fn forget(&mut self) {
        self.sent.clear();
    }

    /// Number of entities Home Assistant has from us.
    pub fn len(&self) -> usize {
        self.sent.len()
    }

    /// Whether nothing was published yet.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }
}

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
    ) -> Self {
        Publisher {
            rest,
            options,
            status,
            store,
            plan: PublishPlan::default(),
            requests: VecDeque::new(),
            latencies: VecDeque::new(),
        }
    }

    /// Every entity of a snapshot; the status sensor also says when history is not saved.
    fn entities(&self, snapshot: &Snapshot) -> Vec<Entity> {
        let mut all = entities(&self.options, snapshot);
        if let Some(failure) = self.store.as_ref().and_then(|s| s.write_status().failure) {
            mark_history_failing(&mut all, &failure);
        }
        all
    }

    /// `sensor.<prefix>_satisfaction`: the share of 👍 over 7 days (unknown without votes).
    async fn satisfaction(&self) -> Option<Entity> {
        let store = self.store.as_ref()?;
        let now = unix_ms();
        let week = store.votes_since(now - 7 * 86_400_000).await.ok()?.0;
        let month = store.votes_since(now - 30 * 86_400_000).await.ok()?.0;
        let mut attributes = serde_json::Map::new();
        attributes.insert("unit_of_measurement".into(), serde_json::json!("%"));
        attributes.insert("state_class".into(), serde_json::json!("measurement"));
        attributes.insert(
            "friendly_name".into(),
            serde_json::json!("Resource Manager satisfaction (7 days)"),
        );
        attributes.insert("icon".into(), serde_json::json!("mdi:thumb-up-outline"));
        attributes.insert(
            "satisfaction_30d".into(),
            serde_json::json!(
                month
                    .satisfaction_percent()
                    .map(|p| (p * 10.0).round() / 10.0)
            ),
        );
        attributes.insert("votes_7d".into(), serde_json::json!(week.votes));
        attributes.insert("votes_30d".into(), serde_json::json!(month.votes));
        let value = week.satisfaction_percent();
        let state = value.map_or_else(|| "unknown".to_string(), |p| format!("{p:.1}"));
        Some(Entity {
            entity_id: format!("sensor.{}_satisfaction", self.options.entity_prefix),
            value: value.unwrap_or(f64::NAN),
            state: EntityState { state, attributes },
        })
    }

    async fn send(&mut self, batch: Vec<Entity>, sampled_ms: i64) -> Cycle {
        if batch.is_empty() {
            return Cycle::Done;
        }
        tracing::debug!(entities = ?batch.iter().map(|e| e.entity_id.as_str()).collect::<Vec<_>>(), "publishing to Home Assistant");
        let rest = self.rest.clone();
        let results: Vec<(Entity, Result<SetOutcome, HaError>, i64)> = stream::iter(batch)
            .map(|entity| {
                let rest = rest.clone();
                async move {
                    let result = rest.set_state(&entity.entity_id, &entity.state).await;
                    (entity, result, unix_ms())
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let now = Instant::now();
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
            None => status.last_publish_ms = Some(unix_ms()),
            Some(err) => {
                status.publish_errors += 1;
                if err.is_auth() {
                    status.state = "auth_failed";
                } else if matches!(err, HaError::NotReady(_)) {
                    status.state = "not_ready";
                }
                tracing::warn!(error = %err, "publishing to Home Assistant failed; will retry");
                status.last_error = Some(err.to_string());
            }
        }
        outcome
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
                },
            })
            .collect();
        let count = batch.len();
        if tokio::time::timeout(SHUTDOWN_BUDGET, self.send(batch, unix_ms()))
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
    mut readiness: watch::Receiver<Readiness>,
    cancel: CancellationToken,
) {
    let mut regular = tokio::time::interval(Duration::from_secs(u64::from(
        publisher.options.publish_interval_seconds,
    )));
    regular.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let share = f64::from(publisher.options.change_percent) / 100.0;
    let mut generation = 0;
    loop {
        let trigger = tokio::select! {
            _ = cancel.cancelled() => break,
            changed = readiness.changed() => {
                if changed.is_err() {
                    break;
                }
                let r = *readiness.borrow_and_update();
                if !r.ready || r.generation == generation {
                    continue;
                }
                generation = r.generation;
                Trigger::Full
            }
            changed = latest.changed() => {
                if changed.is_err() {
                    break;
                }
                Trigger::NewSample
            }
            _ = regular.tick() => Trigger::Regular,
        };
        if !readiness.borrow().ready {
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
        let mut all = publisher.entities(&snapshot);
        if !matches!(trigger, Trigger::NewSample)
            && let Some(entity) = publisher.satisfaction().await
        {
            all.push(entity);
        }
        let batch = match trigger {
            Trigger::Full => {
                publisher.plan.forget();
                lock(&publisher.status).full_republishes += 1;
                all
            }
            Trigger::Regular => publisher.plan.changed(all, Instant::now()),
            Trigger::NewSample => publisher.plan.moved(all, share),
        };
        let count = batch.len();
        lock(&publisher.status).requests_total += count as u64;
        // Latency counts from the sample, or from the cycle start when the sample waited for
        // the publish interval (that wait is policy, not latency).
        let measured_from = match trigger {
            Trigger::NewSample => snapshot.ts_ms,
            Trigger::Full | Trigger::Regular => unix_ms(),
        };
        if let Cycle::CoreForgot = publisher.send(batch, measured_from).await {
            tracing::info!("Home Assistant forgot our entities (it restarted): republishing all");
            publisher.plan.forget();
            let all = publisher.entities(&snapshot);
            lock(&publisher.status).requests_total += all.len() as u64;
            lock(&publisher.status).full_republishes += 1;
            publisher.send(all, unix_ms()).await;
        }
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
mod tests {
    use super::*;
    use crate::ha::entities::sensor;
    use crate::model::{SeriesMeta, Unit};

    #[test]
    fn unchanged_values_are_not_sent_again() {
        let cpu = SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU");
        let mut plan = PublishPlan::default();
        let first = vec![sensor("rm", &cpu, 10.0)];
        let t0 = Instant::now();
        assert_eq!(plan.changed(first.clone(), t0).len(), 1);
        plan.record(&first[0], t0);
        assert!(
            plan.changed(vec![sensor("rm", &cpu, 10.04)], t0).is_empty(),
            "same rounded state"
        );
        assert!(
            plan.changed(vec![sensor("rm", &cpu, 10.6)], t0).is_empty(),
            "under the 1-point deadband"
        );
        assert_eq!(plan.changed(vec![sensor("rm", &cpu, 11.2)], t0).len(), 1);
        let later = t0 + STALE_AFTER;
        assert_eq!(
            plan.changed(vec![sensor("rm", &cpu, 10.6)], later).len(),
            1,
            "a small drift goes out once the entity is stale"
        );
    }

    #[test]
    fn only_big_moves_are_sent_at_once() {
        let cpu = SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU");
        let mem = SeriesMeta::global("memory", "used_bytes", Unit::Bytes, "Mem");
        let mut plan = PublishPlan::default();
        let t0 = Instant::now();
        plan.record(&sensor("rm", &cpu, 2.0), t0);
        plan.record(&sensor("rm", &mem, 1e9), t0);
        let rate = SeriesMeta::global("net", "rx_bytes_per_second", Unit::BytesPerSecond, "rx");
        plan.record(&sensor("rm", &rate, 2_000.0), t0);
        assert!(
            plan.moved(vec![sensor("rm", &rate, 20_000.0)], 0.1)
                .is_empty(),
            "kB/s jitter is not a big move"
        );
        assert_eq!(
            plan.moved(vec![sensor("rm", &rate, 500_000.0)], 0.1).len(),
            1
        );
        // 2 % → 3 % CPU: one point of a 100-point scale, under 10 %.
        assert!(plan.moved(vec![sensor("rm", &cpu, 3.0)], 0.1).is_empty());
        assert_eq!(plan.moved(vec![sensor("rm", &cpu, 25.0)], 0.1).len(), 1);
        assert!(plan.moved(vec![sensor("rm", &mem, 1.05e9)], 0.1).is_empty());
        assert_eq!(plan.moved(vec![sensor("rm", &mem, 1.2e9)], 0.1).len(), 1);
        assert!(
            plan.moved(vec![sensor("rm", &mem, 2e9)], 0.0).is_empty(),
            "0 disables"
        );
    }
}

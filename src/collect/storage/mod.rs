//! What takes the data disk: the Supervisor's walk of it (`GET /host/disks/default/usage`),
//! asked at start and then hourly in a task of its own (the Supervisor walks the whole disk
//! to answer), kept as the latest [`DiskWalk`] for the advisor and the Storage section, and
//! handed to each tick as `storage.*.used_bytes` and `addon.*.data_bytes` samples (which the
//! store keeps once per walk, not per tick).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{CollectError, Collector, Tick};
use crate::model::{Sample, SeriesMeta, registry};
use crate::supervisor::{SupervisorClient, SupervisorError};
use crate::util::{Backoff, Clock, lock};

mod walk;

pub use walk::{DISK_USAGE_DEPTH, DISK_USAGE_EVERY_MS, DiskWalk, parse_disk_usage, part_name};

/// A walk older than this is no longer handed to the ticks (two missed walks and the longest
/// a walk may take): the sensors then go unavailable rather than show an old size as today's.
const STALE_AFTER_MS: i64 = 2 * DISK_USAGE_EVERY_MS + WALK_TIMEOUT_MS;
const WALK_TIMEOUT_MS: i64 = walk::WALK_TIMEOUT.as_millis() as i64;

/// How the walks go, for the status and the Storage section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WalkStatus {
    pub walks: u64,
    pub failures: u64,
    /// The last failure, when the last attempt failed.
    pub error: Option<String>,
    pub last_attempt_ms: Option<i64>,
}

/// The latest walk and how the walks go, shared by the task, the collector, the advisor and
/// the web.
#[derive(Debug, Clone, Default)]
pub struct StorageWalks {
    latest: Arc<Mutex<Option<Arc<DiskWalk>>>>,
    status: Arc<Mutex<WalkStatus>>,
}

impl StorageWalks {
    /// The latest walk, however old (the advisor and the Storage section say its time).
    pub fn latest(&self) -> Option<Arc<DiskWalk>> {
        lock(&self.latest).clone()
    }

    pub fn status(&self) -> WalkStatus {
        lock(&self.status).clone()
    }

    /// Records a walk (the task, and tests that stand in for it).
    pub fn record(&self, walk: DiskWalk) {
        let at_ms = walk.at_ms;
        *lock(&self.latest) = Some(Arc::new(walk));
        let mut status = lock(&self.status);
        status.walks += 1;
        status.error = None;
        status.last_attempt_ms = Some(at_ms);
    }

    fn failed(&self, at_ms: i64, error: &SupervisorError) {
        let mut status = lock(&self.status);
        status.failures += 1;
        status.error = Some(error.to_string());
        status.last_attempt_ms = Some(at_ms);
    }
}

/// How often the walk task looks whether a walk is due (by the injected clock, so tests move
/// time instead of waiting an hour).
pub const CHECK_EVERY: Duration = Duration::from_secs(30);

/// Starts the hourly walk until `stop`, looking every `check_every` whether one is due; the
/// collector hands its latest answer to each tick.
pub fn start(
    tracker: &TaskTracker,
    client: SupervisorClient,
    clock: Clock,
    check_every: Duration,
    stop: CancellationToken,
) -> (StorageWalks, StorageCollector, JoinHandle<()>) {
    let walks = StorageWalks::default();
    let task = tracker.spawn(run(client, walks.clone(), clock.clone(), check_every, stop));
    let collector = StorageCollector::new(walks.clone(), clock);
    (walks, collector, task)
}

/// Walks now, then an hour after each walk; a Supervisor that cannot be reached is asked
/// again sooner (from a minute, doubling), one that took too long only after the hour.
async fn run(
    client: SupervisorClient,
    walks: StorageWalks,
    clock: Clock,
    check_every: Duration,
    stop: CancellationToken,
) {
    let mut backoff = Backoff::new(
        Duration::from_secs(60),
        Duration::from_millis(DISK_USAGE_EVERY_MS as u64),
    );
    let mut due_ms = i64::MIN;
    loop {
        let now_ms = clock.now_ms();
        if now_ms >= due_ms {
            let wait_ms = tokio::select! {
                _ = stop.cancelled() => return,
                result = walk::walk(&client, now_ms) => match result {
                    Ok(walk) => {
                        walks.record(walk);
                        backoff.reset();
                        DISK_USAGE_EVERY_MS
                    }
                    Err(err) => {
                        tracing::debug!(error = %err, "cannot walk the data disk");
                        walks.failed(now_ms, &err);
                        match err {
                            SupervisorError::Timeout { .. } => DISK_USAGE_EVERY_MS,
                            _ => backoff.next_delay().as_millis() as i64,
                        }
                    }
                },
            };
            due_ms = now_ms + wait_ms;
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(check_every) => {}
        }
    }
}

/// Hands the latest walk to each tick: samples built once per walk, cloned per tick.
pub struct StorageCollector {
    walks: StorageWalks,
    clock: Clock,
    /// The walk the samples were built from (its time), and the samples.
    built: Option<(i64, Vec<Sample>)>,
    /// Series metadata by id, kept across walks so a series keeps one `Arc`.
    metas: HashMap<String, Arc<SeriesMeta>>,
}

impl StorageCollector {
    pub fn new(walks: StorageWalks, clock: Clock) -> Self {
        StorageCollector {
            walks,
            clock,
            built: None,
            metas: HashMap::new(),
        }
    }

    fn build(&mut self, walk: &DiskWalk) -> Vec<Sample> {
        let mut samples = Vec::with_capacity(walk.parts.len() + walk.addon_data.len());
        let mut sample = |meta: SeriesMeta, value: f64| {
            let series = self
                .metas
                .entry(meta.id.clone())
                .or_insert_with(|| Arc::new(meta))
                .clone();
            samples.push(Sample { series, value });
        };
        for (id, bytes) in &walk.parts {
            sample(
                registry::STORAGE_PART.instance(id, &[part_name(id)]),
                *bytes,
            );
        }
        for (slug, bytes) in &walk.addon_data {
            sample(
                registry::ADDON_DATA.instance(slug, &[walk.addon_name(slug)]),
                *bytes,
            );
        }
        samples
    }
}

impl Collector for StorageCollector {
    fn source(&self) -> &'static str {
        "storage"
    }

    fn collect(&mut self, _tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        let Some(walk) = self.walks.latest() else {
            // Not walked yet: nothing to say. A failure is the Supervisor source's to report.
            return Ok(());
        };
        if self.clock.now_ms() - walk.at_ms > STALE_AFTER_MS {
            return Ok(());
        }
        if self.built.as_ref().is_none_or(|(at, _)| *at != walk.at_ms) {
            let samples = self.build(&walk);
            self.built = Some((walk.at_ms, samples));
        }
        if let Some((_, samples)) = &self.built {
            out.extend(samples.iter().cloned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! Per-add-on samples polled from the Supervisor, handed to each tick (the polling itself runs
//! in its own task, see `supervisor::poller`, so a slow Supervisor never delays a tick).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{CollectError, Collector, Tick};
use crate::model::{Sample, SeriesMeta, Snapshot, registry};
use crate::supervisor::SupervisorClient;
use crate::supervisor::core_starts::CoreStarts;
use crate::supervisor::poller::{self, InstalledAddons, SupervisorLinkStatus, SupervisorShared};
use crate::util::{Clock, PaceWatch, lock};

/// The Supervisor side, started: the poller (a link of the app) and the collector that hands
/// its latest samples to each tick.
pub struct SupervisorStart {
    pub collector: SupervisorCollector,
    pub status: Arc<Mutex<SupervisorLinkStatus>>,
    /// The installed add-ons, as the poller last listed them.
    pub installed: InstalledAddons,
    /// Ends on `stop`.
    pub task: JoinHandle<()>,
}

/// Starts polling the Supervisor every `interval` (following the engine's pace) until `stop`.
pub fn start(
    tracker: &TaskTracker,
    client: SupervisorClient,
    interval: Duration,
    (clock, core): (Clock, CoreStarts),
    pace: &PaceWatch,
    stop: CancellationToken,
) -> SupervisorStart {
    let shared = Arc::new(Mutex::new(SupervisorShared::default()));
    let status = Arc::new(Mutex::new(SupervisorLinkStatus::default()));
    let installed = lock(&shared).installed.subscribe();
    let task = tracker.spawn(poller::run(
        client,
        interval,
        shared.clone(),
        status.clone(),
        (clock, core),
        pace.subscribe(),
        stop,
    ));
    SupervisorStart {
        collector: SupervisorCollector::new(shared, interval),
        status,
        installed,
        task,
    }
}

/// Reads the poller's latest samples.
pub struct SupervisorCollector {
    shared: Arc<Mutex<SupervisorShared>>,
    /// Samples older than this are stale and not repeated.
    max_age: Duration,
}

impl SupervisorCollector {
    /// A collector over the poller's shared state; `poll_interval` sets the staleness limit.
    pub fn new(shared: Arc<Mutex<SupervisorShared>>, poll_interval: Duration) -> Self {
        SupervisorCollector {
            shared,
            max_age: poll_interval * 3 + Duration::from_secs(5),
        }
    }
}

impl Collector for SupervisorCollector {
    fn source(&self) -> &'static str {
        "supervisor"
    }

    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        let shared = lock(&self.shared);
        let Some(polled_at) = shared.polled_at else {
            // Not polled yet: nothing to say, and not an error.
            return Ok(());
        };
        if tick.now.saturating_duration_since(polled_at) > self.max_age {
            return Err(CollectError::Remote(
                "Supervisor stats are stale (no successful poll lately)".into(),
            ));
        }
        out.extend(shared.samples.iter().cloned());
        match &shared.error {
            Some(error) => Err(CollectError::Remote(error.clone())),
            None => Ok(()),
        }
    }
}

/// Core's restarts (`addon.homeassistant.restarts_total` and `restarts_last_hour`) from
/// [`CoreStarts`], which the poller and the Home Assistant link both feed: on every tick once
/// Core was seen running, with a Supervisor or without.
pub struct CoreRestarts {
    core: CoreStarts,
    meta: [Arc<SeriesMeta>; 2],
}

impl CoreRestarts {
    pub fn new(core: CoreStarts) -> Self {
        let name = "Home Assistant Core";
        CoreRestarts {
            core,
            meta: [&registry::ADDON_RESTARTS, &registry::ADDON_RESTARTS_HOUR]
                .map(|family| Arc::new(family.instance("homeassistant", &[name]))),
        }
    }
}

impl super::derive::Derive for CoreRestarts {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        if let Some((total, hour)) = self.core.counts(snapshot.ts_ms) {
            for (meta, value) in self.meta.iter().zip([total as f64, hour as f64]) {
                out.push(Sample {
                    series: meta.clone(),
                    value,
                });
            }
        }
    }
}

//! What the runner is built from and when it runs: the advisor and the handles it reads, the
//! Supervisor when there is one, where the recorder database may be, and the schedule.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::advice::service::Advisor;
use crate::analysis::runner::Analysis;
use crate::model::Snapshot;
use crate::store::Store;
use crate::supervisor::SupervisorClient;

/// Where Home Assistant's database may be seen (`map: homeassistant_config:ro` mounts the
/// configuration at `/homeassistant`; older installs mapped it at `/config`).
pub const RECORDER_DB_PATHS: &[&str] = &[
    "/homeassistant/home-assistant_v2.db",
    "/config/home-assistant_v2.db",
];

/// When the loop runs.
#[derive(Debug, Clone, Copy)]
pub struct AdviceSchedule {
    pub every: Duration,
    /// Passes between two refreshes of history, backups and the database size.
    pub slow_every: u64,
}

impl Default for AdviceSchedule {
    fn default() -> Self {
        AdviceSchedule {
            every: Duration::from_secs(60),
            slow_every: 10,
        }
    }
}

/// What the loop reads.
pub struct RunnerParts {
    pub advisor: Advisor,
    pub analysis: Analysis,
    pub store: Store,
    pub latest: watch::Receiver<Arc<Snapshot>>,
    pub supervisor: Option<SupervisorClient>,
    pub recorder_db: Vec<PathBuf>,
    pub schedule: AdviceSchedule,
}

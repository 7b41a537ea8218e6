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

/// `home-assistant_v2.db` with its WAL, at the first of `paths` where it can be read.
pub fn recorder_db_bytes<P: AsRef<std::path::Path>>(paths: &[P]) -> Option<f64> {
    paths.iter().find_map(|path| {
        let path = path.as_ref();
        let main = std::fs::metadata(path).ok()?.len();
        let wal = std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len());
        Some((main + wal) as f64)
    })
}

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
    /// The data disk's latest walk (`None` standalone: no Supervisor walks it).
    pub storage: Option<crate::collect::storage::StorageWalks>,
    pub recorder_db: Vec<PathBuf>,
    pub schedule: AdviceSchedule,
    /// Where each pass leaves its hung verdicts as series (`addon.<slug>.hung`), which every
    /// tick carries to the alert engine.
    pub verdicts: crate::collect::derive::AnalysisValues,
}

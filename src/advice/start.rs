//! The advisor, started: opened on the store (its audit and states), then its loop, which
//! gathers the inputs, makes the recommendations and asks for automatic recovery. Both stop with
//! collection (effects are measured on the snapshots); the loop stores the last recorder churn
//! as it ends.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::recommend::EnergyPrice;
use super::runner::{self, AdviceSchedule, RECORDER_DB_PATHS, RunnerParts};
use super::{Advisor, AdvisorParts};
use crate::analysis::runner::Analysis;
use crate::config::Options;
use crate::event::ActionResult;
use crate::model::Snapshot;
use crate::store::{Store, StoreError};
use crate::supervisor::{AddonControl, SupervisorClient};
use crate::util::{Clock, Emit};

/// What the advisor works from.
pub struct AdviceParts<'a> {
    pub store: Store,
    pub clock: Clock,
    pub options: &'a Options,
    /// `None` standalone: nothing to act on, no add-ons to read.
    pub supervisor: Option<SupervisorClient>,
    /// The data disk's latest walk (`None` standalone).
    pub storage: Option<crate::collect::storage::StorageWalks>,
    pub results: Emit<ActionResult>,
    pub latest: watch::Receiver<Arc<Snapshot>>,
    pub analysis: Analysis,
    /// The hung verdicts' series, carried by every tick (see [`RunnerParts::verdicts`]).
    pub verdicts: crate::collect::derive::AnalysisValues,
}

/// Opens the advisor and starts its loop until `stop`.
pub async fn start(
    tracker: &TaskTracker,
    parts: AdviceParts<'_>,
    stop: &CancellationToken,
) -> Result<(Advisor, JoinHandle<()>), StoreError> {
    let control = parts
        .supervisor
        .clone()
        .map(|c| Arc::new(c) as Arc<dyn AddonControl>);
    let advisor = Advisor::open(AdvisorParts {
        store: parts.store.clone(),
        clock: parts.clock,
        options: parts.options.actions.clone(),
        control,
        emit: parts.results,
        latest: parts.latest.clone(),
    })
    .await?;
    let power = &parts.options.power;
    advisor.set_energy_price(power.energy_price.map(|per_kwh| EnergyPrice {
        per_kwh,
        currency: power.currency.clone(),
    }));
    let task = tracker.spawn(runner::run(
        RunnerParts {
            advisor: advisor.clone(),
            analysis: parts.analysis,
            store: parts.store,
            latest: parts.latest,
            supervisor: parts.supervisor,
            storage: parts.storage,
            recorder_db: RECORDER_DB_PATHS.iter().map(PathBuf::from).collect(),
            schedule: AdviceSchedule::default(),
            verdicts: parts.verdicts,
        },
        stop.clone(),
    ));
    Ok((advisor, task))
}

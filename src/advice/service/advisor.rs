//! The advisor's handle and what it is built from: the store, the clock, the Supervisor, the
//! bus and the latest snapshot, with the state it keeps between calls. Opening it brings back
//! the stored actions of the last week, the user's states and the recorder churn.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::watch;

use crate::advice::policy::{ActionPolicy, Ledger};
use crate::advice::recommend::{self, Sustain};
use crate::advice::recorder::ChurnCounter;
use crate::advice::types::{AdviceState, Recommendation};
use crate::config::ActionOptions;
use crate::event::ActionResult;
use crate::model::Snapshot;
use crate::store::{Store, StoreError};
use crate::supervisor::AddonControl;
use crate::util::{Clock, Emit};

use crate::util::time::DAY_MS;

/// Failures of the advisor's operations.
#[derive(Debug, thiserror::Error)]
pub enum AdviceError {
    #[error("no open recommendation has the id '{0}'")]
    UnknownRecommendation(String),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The last pass, for Diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PassStats {
    pub runs: u64,
    pub made_ms: i64,
    /// CPU time of the rules (loading excluded), milliseconds.
    pub cpu_ms: f64,
}

/// What the advisor is built from.
pub struct AdvisorParts {
    pub store: Store,
    pub clock: Clock,
    pub options: ActionOptions,
    /// The Supervisor (absent when standalone: actions carried out are refused).
    pub control: Option<Arc<dyn AddonControl>>,
    /// Where decisions are announced (the bus).
    pub emit: Emit<ActionResult>,
    /// Add-on readings before and after an action.
    pub latest: watch::Receiver<Arc<Snapshot>>,
}

/// The advisor; cheap to clone.
#[derive(Clone)]
pub struct Advisor {
    pub(super) inner: Arc<Inner>,
}

/// What every clone shares: the handles it was built from and the state kept between calls.
pub(super) struct Inner {
    pub(super) store: Store,
    pub(super) clock: Clock,
    pub(super) control: Option<Arc<dyn AddonControl>>,
    pub(super) emit: Emit<ActionResult>,
    pub(super) latest: watch::Receiver<Arc<Snapshot>>,
    pub(super) policy: Mutex<ActionPolicy>,
    pub(super) ledger: Mutex<Ledger>,
    pub(super) recommendations: Mutex<Arc<Vec<Recommendation>>>,
    pub(super) states: Mutex<HashMap<String, (AdviceState, Option<i64>)>>,
    pub(super) churn: Mutex<ChurnCounter>,
    pub(super) sustain: Mutex<Sustain>,
    pub(super) pass: Mutex<PassStats>,
    /// `power.energy_price`, for savings in money.
    pub(super) energy_price: Mutex<Option<recommend::EnergyPrice>>,
}

impl std::fmt::Debug for Advisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Advisor")
    }
}

impl Advisor {
    /// Opens the advisor: the cap and cooldown count the stored actions of the last week,
    /// the user's states and the recorder churn come back.
    pub async fn open(parts: AdvisorParts) -> Result<Advisor, StoreError> {
        let now = parts.clock.now_ms();
        let mut ledger = Ledger::default();
        for row in parts
            .store
            .attempted_actions_since(now - 8 * DAY_MS)
            .await?
        {
            ledger.record(row.at_ms, &row.addon);
        }
        let mut states = HashMap::new();
        for row in parts.store.advice_states().await? {
            if let Some(state) = AdviceState::parse(&row.state) {
                states.insert(row.id, (state, row.until_ms));
            }
        }
        let mut churn = ChurnCounter::default();
        let days = crate::advice::recorder::DAYS_KEPT;
        churn.restore(
            &parts
                .store
                .load_churn(now.div_euclid(DAY_MS) - days + 1)
                .await?,
        );
        Ok(Advisor {
            inner: Arc::new(Inner {
                store: parts.store,
                clock: parts.clock,
                control: parts.control,
                emit: parts.emit,
                latest: parts.latest,
                policy: Mutex::new(ActionPolicy {
                    options: parts.options,
                    own_slug: None,
                }),
                ledger: Mutex::new(ledger),
                recommendations: Mutex::default(),
                states: Mutex::new(states),
                churn: Mutex::new(churn),
                sustain: Mutex::default(),
                pass: Mutex::default(),
                energy_price: Mutex::default(),
            }),
        })
    }

    /// The app's clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }
}

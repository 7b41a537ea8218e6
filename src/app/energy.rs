//! Where the store and the power side meet: the energy counter resumes from what the last run
//! saved and is saved with the store's batches (the store sits beside `collect`, so neither may
//! name the other; the app joins them here).

use std::sync::Arc;
use std::time::Duration;

use crate::collect::power::{self, EnergyCounter, PowerStart, SupervisorBoard};
use crate::config::Config;
use crate::store::{DurableValue, Store, StoreError};
use crate::supervisor::SupervisorClient;

/// How long the start waits for the Supervisor's board names: the power side is decided once,
/// and a Supervisor that is slow now falls back to `/proc/cpuinfo` (the status says so).
const BOARD_TIMEOUT: Duration = Duration::from_secs(3);

/// Key in `store_state` of the energy counter: the bits of its `f64` watt-hours, so a restart
/// resumes from exactly what was published (`total_increasing` must never go back, not even by
/// a rounding).
const ENERGY_KEY: &str = "energy_wh_f64_bits";
/// The key before: whole milliwatt-hours, rounded (read once, when the new key is absent).
const OLD_ENERGY_KEY: &str = "energy_mwh_total";

/// Starts the power side with the energy counter the last run saved, and has the store keep it;
/// the board is the one the Supervisor names, when there is one and it answers in time.
pub async fn start_power(
    store: &Store,
    config: &Config,
    supervisor: Option<&SupervisorClient>,
) -> PowerStart {
    let wh = match saved_wh(store).await {
        Ok(wh) if wh.is_finite() && wh >= 0.0 => wh,
        Ok(_) => 0.0,
        Err(err) => {
            tracing::warn!(error = %err, "energy counter not read; counting from zero");
            0.0
        }
    };
    let board = supervisor_board(supervisor).await;
    let started = power::start(&config.options.power, &config.sys_root, &board, wh);
    store.keep_durable(Arc::new(EnergyState(started.counter.clone())));
    started
}

/// The board's names from the Supervisor, or why there are none.
async fn supervisor_board(supervisor: Option<&SupervisorClient>) -> SupervisorBoard {
    let Some(client) = supervisor else {
        return SupervisorBoard {
            missing: Some("no Supervisor (standalone)".into()),
            ..SupervisorBoard::default()
        };
    };
    let names = client.board_names(BOARD_TIMEOUT).await;
    let missing = (names.board.is_none() && names.machine.is_none()).then(|| {
        if names.errors.is_empty() {
            "the Supervisor named no board".to_string()
        } else {
            names.errors.join("; ")
        }
    });
    if let Some(why) = &missing {
        tracing::warn!(reason = %why, "board not known from the Supervisor; using /proc/cpuinfo");
    }
    SupervisorBoard {
        os_board: names.board,
        machine: names.machine,
        missing,
    }
}

async fn saved_wh(store: &Store) -> Result<f64, StoreError> {
    if let Some(bits) = store.saved_value(ENERGY_KEY).await? {
        return Ok(f64::from_bits(bits as u64));
    }
    let mwh = store.saved_value(OLD_ENERGY_KEY).await?;
    Ok(mwh.map_or(0.0, |mwh| mwh as f64 / 1000.0))
}

/// The energy counter as the store saves it: the exact bits of its `f64` watt-hours, with
/// each batch every ten minutes and at a clean stop; the counter publishes only what is saved.
struct EnergyState(EnergyCounter);

impl DurableValue for EnergyState {
    fn key(&self) -> &'static str {
        ENERGY_KEY
    }

    fn current(&self) -> i64 {
        self.0.wh().to_bits() as i64
    }

    fn saved(&self, value: i64) {
        self.0.mark_saved(f64::from_bits(value as u64));
    }
}

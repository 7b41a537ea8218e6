//! Where the store and the power side meet: the energy counter resumes from what the last run
//! saved and is saved with the store's batches (the store sits beside `collect`, so neither may
//! name the other; the app joins them here).

use std::sync::Arc;

use crate::collect::power::{self, EnergyCounter, PowerStart};
use crate::config::Config;
use crate::store::{DurableValue, Store, StoreError};

/// Key in `store_state` of the energy counter: the bits of its `f64` watt-hours, so a restart
/// resumes from exactly what was published (`total_increasing` must never go back, not even by
/// a rounding).
const ENERGY_KEY: &str = "energy_wh_f64_bits";
/// The key before: whole milliwatt-hours, rounded (read once, when the new key is absent).
const OLD_ENERGY_KEY: &str = "energy_mwh_total";

/// Starts the power side with the energy counter the last run saved, and has the store keep it.
pub async fn start_power(store: &Store, config: &Config) -> PowerStart {
    let wh = match saved_wh(store).await {
        Ok(wh) if wh.is_finite() && wh >= 0.0 => wh,
        Ok(_) => 0.0,
        Err(err) => {
            tracing::warn!(error = %err, "energy counter not read; counting from zero");
            0.0
        }
    };
    let started = power::start(&config.options.power, &config.sys_root, wh);
    store.keep_durable(Arc::new(EnergyState(started.counter.clone())));
    started
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

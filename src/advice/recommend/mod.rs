//! The rules: from the analysis' findings, the latest readings, the add-ons' recent use, the
//! disk's content and the recorder's churn to recommendations. Pure and cheap (the bench
//! holds it to 10 ms for a whole pass); conditions that must last (swap, CPU, heat) are
//! tracked across passes by [`Sustain`]; add-ons stuck while "started" in `hung.rs`.

mod hung;
mod inputs;
mod lasting;
mod power;
mod rules;
mod shared;

pub use hung::{
    AT_LIMIT_PERCENT, HUNG_FOR_MS, NO_WORK_BYTES, PINNED_CORE_SHARE, UNANSWERED_FOR_MS, hung_series,
};
pub use inputs::{AddonUsage, AdviceInputs, Backups, DiskContent, DiskWalk, Latest, Sustain};
pub use lasting::{HOG_FOR_MS, HOG_PERCENT, HOT_CELSIUS, HOT_FOR_MS, SWAP_BYTES, SWAP_FOR_MS};
pub use power::{EnergyPrice, attach_power};
pub use rules::{DISK_DAYS, IDLE_CPU_PERCENT, IDLE_DAYS, IDLE_NET_BYTES, LEAK_CONFIDENCE};

use crate::advice::recorder::ChurnReport;
use crate::advice::types::Recommendation;
use hung::hung;
use lasting::{heat, hogs, pressure};
use rules::{disk, idle, leaks, recorder};

/// Runs every rule over the readings and the recorder's churn; the list is sorted by saving
/// (largest first), then by id.
pub fn recommend(
    input: &AdviceInputs<'_>,
    churn: &ChurnReport,
    sustain: &mut Sustain,
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    leaks(input, &mut out);
    idle(input, &mut out);
    disk(input, &mut out);
    recorder(input, churn, &mut out);
    pressure(input, sustain, &mut out);
    hogs(input, sustain, &mut out);
    heat(input, sustain, &mut out);
    hung(input, sustain, &mut out);
    out.sort_by(|a, b| {
        b.saving
            .weight()
            .total_cmp(&a.saving.weight())
            .then(a.id.cmp(&b.id))
    });
    out
}

#[cfg(test)]
mod tests;

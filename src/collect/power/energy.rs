//! Energy: `power.watts` integrated tick by tick into a counter that survives restarts and
//! never publishes more than is saved.

use std::sync::Arc;

use super::source::{MEASURED, MODELLED, source_of};
use crate::collect::derive::Derive;
use crate::model::{Sample, SeriesMeta, Snapshot, registry};

/// A gap between two ticks longer than this is not integrated (the host slept or the engine
/// stalled): guessing the power over it would invent energy.
pub(super) const MAX_GAP_MS: i64 = 15 * 60 * 1000;

/// The energy counter the [`Energy`] deriver adds to, shared with the store that saves it
/// (so it survives restarts). Kept in watt-hours; cheap to clone.
///
/// Once [`EnergyCounter::publish_only_saved`] is called, the deriver publishes no more than
/// what is on disk: a crash resumes from the last saved value, so a published total must never
/// be above it (Home Assistant's `total_increasing` would see it go back).
#[derive(Debug, Clone, Default)]
pub struct EnergyCounter(Arc<std::sync::Mutex<CounterState>>);

#[derive(Debug, Default)]
struct CounterState {
    total_wh: f64,
    /// The highest total known to be saved; `None`: publish the running total.
    saved_wh: Option<f64>,
}

impl EnergyCounter {
    /// A counter starting at `wh` (the saved value).
    pub fn starting_at(wh: f64) -> Self {
        EnergyCounter(Arc::new(std::sync::Mutex::new(CounterState {
            total_wh: wh.max(0.0),
            saved_wh: None,
        })))
    }

    /// Watt-hours so far.
    pub fn wh(&self) -> f64 {
        crate::util::lock(&self.0).total_wh
    }

    /// From now on publish only saved totals; what it started at counts as saved.
    pub fn publish_only_saved(&self) {
        let mut state = crate::util::lock(&self.0);
        state.saved_wh = Some(state.total_wh);
    }

    /// `wh` reached the disk.
    pub fn mark_saved(&self, wh: f64) {
        let mut state = crate::util::lock(&self.0);
        if let Some(saved) = state.saved_wh.as_mut() {
            *saved = saved.max(wh);
        }
    }

    fn add(&self, wh: f64) -> f64 {
        let mut state = crate::util::lock(&self.0);
        state.total_wh += wh.max(0.0);
        state
            .saved_wh
            .map_or(state.total_wh, |s| s.min(state.total_wh))
    }
}

/// `energy.kwh_total`: `power.watts` integrated over time (trapezoids between ticks), added
/// to the [`EnergyCounter`].
pub struct Energy {
    counter: EnergyCounter,
    last: Option<(i64, f64)>,
    metas: [Arc<SeriesMeta>; 2],
}

impl Energy {
    pub fn new(counter: EnergyCounter) -> Self {
        let meta = |source: &str| {
            Arc::new(
                registry::ENERGY_TOTAL
                    .global()
                    .with_label("source", source.to_string()),
            )
        };
        Energy {
            counter,
            last: None,
            metas: [meta(MEASURED), meta(MODELLED)],
        }
    }
}

impl Derive for Energy {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        let Some(power) = snapshot
            .samples
            .iter()
            .find(|s| s.series.id == registry::POWER_WATTS.pattern)
        else {
            return;
        };
        let added = match self.last {
            Some((ts, watts)) if (1..=MAX_GAP_MS).contains(&(snapshot.ts_ms - ts)) => {
                let hours = (snapshot.ts_ms - ts) as f64 / 3_600_000.0;
                (watts + power.value) / 2.0 * hours
            }
            _ => 0.0,
        };
        self.last = Some((snapshot.ts_ms, power.value));
        let total = self.counter.add(added);
        let meta = if source_of(power) == Some(MEASURED) {
            &self.metas[0]
        } else {
            &self.metas[1]
        };
        out.push(Sample {
            series: meta.clone(),
            value: total / 1000.0,
        });
    }
}

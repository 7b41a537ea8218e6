//! What is estimated rather than measured: the host's power from the model when nothing
//! measures it, each add-on's share of it, and what it costs a month.

use std::sync::Arc;

use super::preset::PowerProfile;
use super::source::{MODELLED, source_of};
use crate::collect::derive::Derive;
use crate::model::{Sample, SeriesMeta, Snapshot, registry};

use crate::util::time::HOURS_PER_MONTH;

/// `power.watts` from the model when nothing measures it.
pub struct PowerModel {
    model: PowerProfile,
    meta: Arc<SeriesMeta>,
}

impl PowerModel {
    /// The model's series says the preset, the board it stands for (`unknown` when none was
    /// found) and, when there are any, why the measured sources could not be read (`; `
    /// between them): the power entity shows them as attributes.
    pub fn new(model: PowerProfile, board: Option<&str>, reasons: &[String]) -> Self {
        let mut meta = registry::POWER_WATTS
            .global()
            .with_label("source", MODELLED)
            .with_label("method", "model")
            .with_label("preset", model.preset.name())
            .with_label("board", board.unwrap_or("unknown"));
        if !reasons.is_empty() {
            meta = meta.with_label("reasons", reasons.join("; "));
        }
        PowerModel {
            model,
            meta: Arc::new(meta),
        }
    }
}

impl Derive for PowerModel {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        if snapshot.value(registry::POWER_WATTS.pattern).is_some() {
            return;
        }
        let Some(usage) = snapshot.value(registry::CPU_USAGE.pattern) else {
            return;
        };
        out.push(Sample {
            series: self.meta.clone(),
            value: self.model.watts(usage),
        });
    }
}

/// Power of one add-on estimated from its CPU share: the host's power above idle, split by
/// the add-on's share of the busy CPU time. Idle power is not attributed to anyone.
pub fn addon_watts(
    addon_cpu_percent: f64,
    host_cpu_percent: f64,
    host_watts: f64,
    idle_watts: f64,
) -> f64 {
    if host_cpu_percent <= 0.0 || addon_cpu_percent <= 0.0 {
        return 0.0;
    }
    let share = (addon_cpu_percent / host_cpu_percent).min(1.0);
    (host_watts - idle_watts).max(0.0) * share
}

/// Cost of drawing `watts` for a month at `price` per kWh (for the advisor's savings too).
pub fn cost_per_month(watts: f64, price: f64) -> f64 {
    watts / 1000.0 * HOURS_PER_MONTH * price
}

/// `addon.<slug>.power_watts` for every add-on with a CPU share in the tick.
pub struct AddonPower {
    idle_watts: f64,
    metas: std::collections::HashMap<String, Arc<SeriesMeta>>,
}

impl AddonPower {
    pub fn new(idle_watts: f64) -> Self {
        AddonPower {
            idle_watts,
            metas: std::collections::HashMap::new(),
        }
    }
}

impl Derive for AddonPower {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        let (Some(host), Some(power)) = (
            snapshot.value(registry::CPU_USAGE.pattern),
            snapshot
                .samples
                .iter()
                .find(|s| s.series.id == registry::POWER_WATTS.pattern),
        ) else {
            return;
        };
        let source = source_of(power).unwrap_or(MODELLED).to_string();
        for sample in snapshot
            .samples
            .iter()
            .filter(|s| s.series.family == registry::ADDON_CPU.family)
        {
            let Some((_, slug)) = sample.series.labels.first() else {
                continue;
            };
            let key = format!("{slug}/{source}");
            let meta = self
                .metas
                .entry(key)
                .or_insert_with(|| {
                    // The add-on's name is the CPU series' description up to " CPU".
                    let name = sample
                        .series
                        .description
                        .strip_suffix(" CPU (share of the host)")
                        .unwrap_or(slug);
                    Arc::new(
                        registry::ADDON_POWER
                            .instance(slug, &[name])
                            .with_label("source", source.clone()),
                    )
                })
                .clone();
            out.push(Sample {
                series: meta,
                value: addon_watts(sample.value, host, power.value, self.idle_watts),
            });
        }
    }
}

/// `cost.per_month`: what the current power costs over a month (only with a price).
pub struct Cost {
    price: f64,
    meta: Arc<SeriesMeta>,
}

impl Cost {
    pub fn new(price: f64, currency: &str) -> Self {
        Cost {
            price,
            meta: Arc::new(
                registry::COST_PER_MONTH
                    .global()
                    .with_label("currency", currency.to_string()),
            ),
        }
    }
}

impl Derive for Cost {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        if let Some(watts) = snapshot.value(registry::POWER_WATTS.pattern) {
            out.push(Sample {
                series: self.meta.clone(),
                value: cost_per_month(watts, self.price),
            });
        }
    }
}

//! Derived series: values computed from a tick's collected samples and added to the same
//! snapshot before it leaves the engine, so the store, Home Assistant, `/metrics`, the charts
//! and the alert engine treat them exactly like collected ones. A deriver reads only the
//! snapshot (no I/O, no clock); it may keep state between ticks. `app.rs` registers them.

use std::sync::Arc;

use crate::model::{Sample, SeriesMeta, Snapshot, registry};

/// One producer of derived series, run once per tick after every collector.
pub trait Derive: Send {
    /// Appends the series derived from `snapshot` (collected samples and the derived ones of
    /// earlier derivers) to `out`. Missing inputs mean no sample, never an error.
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>);
}

/// The derivers the app runs, in order.
pub fn standard() -> Vec<Box<dyn Derive>> {
    vec![Box::new(BusyCores::new())]
}

/// [`standard`] plus the analysis' latest values (see [`Analysed`]).
pub fn with_analysis(latest: AnalysisValues) -> Vec<Box<dyn Derive>> {
    vec![Box::new(BusyCores::new()), Box::new(Analysed { latest })]
}

/// The latest values the analysis runner computed (days until full, health score, anomaly
/// score, leak rates): it replaces them after each run, and every tick carries them, so they
/// are stored, published and alertable like collected series. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AnalysisValues(Arc<std::sync::Mutex<Arc<Vec<Sample>>>>);

impl AnalysisValues {
    /// Replaces the values every later tick carries.
    pub fn set(&self, samples: Vec<Sample>) {
        *crate::util::lock(&self.0) = Arc::new(samples);
    }

    /// The current values.
    pub fn get(&self) -> Arc<Vec<Sample>> {
        crate::util::lock(&self.0).clone()
    }
}

/// Copies the analysis' latest values into each tick (the analysis runs minutes apart, off the
/// tick path; the tick only clones a short list).
pub struct Analysed {
    latest: AnalysisValues,
}

impl Analysed {
    /// Carries `latest` (the analysis' values, or another runner's, such as the advice's
    /// hung verdicts) into every tick.
    pub fn new(latest: AnalysisValues) -> Self {
        Analysed { latest }
    }
}

impl Derive for Analysed {
    fn derive(&mut self, _snapshot: &Snapshot, out: &mut Vec<Sample>) {
        out.extend(self.latest.get().iter().cloned());
    }
}

/// Runs `derivers` over `snapshot` and adds what they produce to it (non-finite values are
/// dropped, as for collected samples).
pub fn apply(derivers: &mut [Box<dyn Derive>], snapshot: &mut Snapshot) {
    let mut extra = Vec::new();
    for deriver in derivers.iter_mut() {
        deriver.derive(snapshot, &mut extra);
        // Later derivers see earlier ones' output.
        extra.retain(|s| s.value.is_finite());
        snapshot.samples.append(&mut extra);
    }
}

/// `cpu.busy_cores`: how many cores' worth of CPU time is in use (`cpu.usage` / 100 × the
/// number of cores in the tick). "1.5 of 4 cores busy" reads better than 37.5 % on a box whose
/// core count the user does not know, and it is what a single-threaded add-on saturates (1.0).
pub struct BusyCores {
    meta: Arc<SeriesMeta>,
}

impl BusyCores {
    pub const ID: &'static str = registry::CPU_BUSY_CORES.pattern;

    pub fn new() -> Self {
        BusyCores {
            meta: Arc::new(registry::CPU_BUSY_CORES.global()),
        }
    }
}

impl Default for BusyCores {
    fn default() -> Self {
        BusyCores::new()
    }
}

impl Derive for BusyCores {
    fn derive(&mut self, snapshot: &Snapshot, out: &mut Vec<Sample>) {
        let Some(usage) = snapshot.value(registry::CPU_USAGE.pattern) else {
            return;
        };
        let cores = snapshot
            .samples
            .iter()
            .filter(|s| s.series.family == registry::CPU_CORE_USAGE.family)
            .count();
        if cores == 0 {
            return;
        }
        out.push(Sample {
            series: self.meta.clone(),
            value: usage / 100.0 * cores as f64,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::alert_rules::catalog;
    use crate::model::Unit;

    fn sample(meta: SeriesMeta, value: f64) -> Sample {
        Sample {
            series: Arc::new(meta),
            value,
        }
    }

    fn snapshot(usage: Option<f64>, cores: usize) -> Snapshot {
        let mut samples = Vec::new();
        if let Some(usage) = usage {
            samples.push(sample(
                SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU"),
                usage,
            ));
        }
        for core in 0..cores {
            let meta = SeriesMeta::instance(
                "cpu",
                "core",
                &format!("core{core}"),
                "usage",
                Unit::Percent,
                "core",
            )
            .with_family("cpu.core_usage");
            samples.push(sample(meta, 10.0));
        }
        Snapshot {
            ts_ms: 1,
            samples,
            ..Snapshot::default()
        }
    }

    #[test]
    fn busy_cores_is_usage_times_the_core_count() {
        let mut derivers = standard();
        let mut s = snapshot(Some(37.5), 4);
        apply(&mut derivers, &mut s);
        assert_eq!(s.value(BusyCores::ID), Some(1.5));
    }

    #[test]
    fn without_usage_or_cores_nothing_is_derived() {
        for mut s in [snapshot(None, 4), snapshot(Some(50.0), 0)] {
            let before = s.samples.len();
            apply(&mut standard(), &mut s);
            assert_eq!(s.samples.len(), before);
            assert_eq!(s.value(BusyCores::ID), None);
        }
    }

    #[test]
    fn a_non_finite_derived_value_is_dropped() {
        let mut s = snapshot(Some(f64::NAN), 2);
        apply(&mut standard(), &mut s);
        assert_eq!(s.value(BusyCores::ID), None);
    }

    #[test]
    fn the_analysis_values_ride_on_every_tick_until_replaced() {
        let latest = AnalysisValues::default();
        let mut derivers = with_analysis(latest.clone());
        let meta = Arc::new(registry::HEALTH_SCORE.global());
        latest.set(vec![Sample {
            series: meta.clone(),
            value: 87.0,
        }]);
        for _ in 0..2 {
            let mut s = snapshot(Some(10.0), 1);
            apply(&mut derivers, &mut s);
            assert_eq!(s.value("health.score"), Some(87.0));
        }
        latest.set(Vec::new());
        let mut s = snapshot(Some(10.0), 1);
        apply(&mut derivers, &mut s);
        assert_eq!(s.value("health.score"), None);
        let (known, _) = catalog::lookup("disk./data.days_until_full").expect("in the catalog");
        assert_eq!(known.unit, Unit::Days);
    }

    #[test]
    fn the_derived_series_is_in_the_catalog_with_its_unit_so_rules_may_name_it() {
        let (known, _) = catalog::lookup(BusyCores::ID).expect("in the catalog");
        assert_eq!(known.unit, Unit::Ratio);
    }
}

//! From a scraped page to our series: node_exporter's families, or another Resource Manager's
//! own `/metrics`, mapped to the same families local series have (`cpu.usage`, `disk.*`…) on
//! the remote host (`nas:cpu.usage`).
//!
//! node_exporter gives counters where we keep rates and shares (CPU seconds, network bytes),
//! so the mapper keeps the previous scrape's counters per host; the first scrape of a host has
//! gauges only, like the first local tick.

use std::collections::HashMap;
use std::sync::Arc;

use super::text::Page;
use crate::collect::cpu::CpuTimes;
use crate::model::registry::{self, Family};
use crate::model::{Sample, SeriesMeta, Unit, host};
use crate::util::counter;

/// What the mapper keeps between two scrapes of one host.
#[derive(Debug, Default)]
pub struct MapState {
    host: Arc<str>,
    /// Unix ms of the previous scrape, for rates.
    previous_ms: Option<i64>,
    cpus: HashMap<String, CpuTimes>,
    counters: HashMap<String, u64>,
    metas: HashMap<String, Arc<SeriesMeta>>,
}

impl MapState {
    /// State for host `host`.
    pub fn new(host: &str) -> Self {
        MapState {
            host: Arc::from(host),
            ..MapState::default()
        }
    }

    /// The host's series `family`/`instance`, built once and reused (ids and descriptions
    /// never change between scrapes).
    fn meta(
        &mut self,
        family: &Family,
        instance: Option<&str>,
        args: &[&str],
        extra: Option<(&'static str, &str)>,
    ) -> Arc<SeriesMeta> {
        let local_id = match instance {
            Some(i) => family.pattern.replacen('*', i, 1),
            None => family.pattern.to_string(),
        };
        if let Some(meta) = self.metas.get(&local_id) {
            return meta.clone();
        }
        let mut meta = match instance {
            Some(i) => family.instance(i, args),
            None => family.global(),
        };
        if family == &registry::CPU_CORE_USAGE {
            let number = instance.and_then(|i| i.strip_prefix("core")).unwrap_or("");
            meta = meta.label_value(number);
        }
        if let Some((name, value)) = extra {
            meta = meta.with_label(name, value);
        }
        let meta = Arc::new(meta.on_host(&self.host));
        self.metas.insert(local_id, meta.clone());
        meta
    }

    /// Per-second rate of counter `key` since the previous scrape (`None` on the first).
    fn rate(&mut self, key: String, value: f64, elapsed: Option<f64>) -> Option<f64> {
        let now = value.max(0.0) as u64;
        let before = self.counters.insert(key, now)?;
        counter::rate(before, now, elapsed?)
    }
}

/// Maps one scraped page taken at `now_ms` (Unix ms) into `out`.
pub fn map_page(page: &Page<'_>, now_ms: i64, state: &mut MapState, out: &mut Vec<Sample>) {
    let elapsed = state
        .previous_ms
        .map(|before| (now_ms - before) as f64 / 1000.0)
        .filter(|s| *s > 0.0);
    if page
        .samples
        .iter()
        .any(|s| s.name.starts_with("resource_manager_"))
    {
        map_resource_manager(page, state, out);
    } else {
        node::map_node_exporter(page, now_ms, elapsed, state, out);
    }
    out.retain(|s| s.value.is_finite());
    state.previous_ms = Some(now_ms);
}

fn push(out: &mut Vec<Sample>, series: Arc<SeriesMeta>, value: f64) {
    out.push(Sample { series, value });
}

/// Another Resource Manager: its families by their Prometheus names, back in our units. Only
/// its own host's series (`host="local"` or none): its remote hosts are not ours to repeat.
fn map_resource_manager(page: &Page<'_>, state: &mut MapState, out: &mut Vec<Sample>) {
    for sample in &page.samples {
        let Some(family) = registry::by_prometheus(sample.name) else {
            continue;
        };
        let origin = sample.label("host");
        if !(origin.is_empty() || origin == host::LOCAL) || family == &registry::HOST_UP {
            continue;
        }
        let value = match family.unit {
            Unit::Percent => sample.value * 100.0,
            Unit::Days => sample.value / 86_400.0,
            _ => sample.value,
        };
        let meta = match family.label {
            None => state.meta(family, None, &[], None),
            Some(label) => {
                let value = sample.label(label);
                if value.is_empty() {
                    continue;
                }
                let instance = if family == &registry::CPU_CORE_USAGE {
                    format!("core{value}")
                } else {
                    value.to_string()
                };
                let kind = sample.label("kind");
                let extra = (!kind.is_empty()).then_some(("kind", kind));
                state.meta(family, Some(&instance), &[value, kind], extra)
            }
        };
        push(out, meta, value);
    }
}

mod node;

#[cfg(test)]
mod tests;

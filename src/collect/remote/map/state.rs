//! What the mapper keeps per host between two scrapes: the previous counters for rates and
//! the series metadata, built once per series.

use std::collections::HashMap;
use std::sync::Arc;

use crate::collect::cpu::CpuTimes;
use crate::model::registry::{self, Family};
use crate::model::{Sample, SeriesMeta};
use crate::util::counter;

/// What the mapper keeps between two scrapes of one host.
#[derive(Debug, Default)]
pub struct MapState {
    pub(super) host: Arc<str>,
    /// Unix ms of the previous scrape, for rates.
    pub(super) previous_ms: Option<i64>,
    pub(super) cpus: HashMap<String, CpuTimes>,
    pub(super) counters: HashMap<String, u64>,
    pub(super) metas: HashMap<String, Arc<SeriesMeta>>,
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
    pub(super) fn meta(
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
    pub(super) fn rate(&mut self, key: String, value: f64, elapsed: Option<f64>) -> Option<f64> {
        let now = value.max(0.0) as u64;
        let before = self.counters.insert(key, now)?;
        counter::rate(before, now, elapsed?)
    }
}

pub(super) fn push(out: &mut Vec<Sample>, series: Arc<SeriesMeta>, value: f64) {
    out.push(Sample { series, value });
}

//! Overruns: a holder that is an add-on (its slug has Supervisor stats in the snapshot) using
//! more than it leased. Leases are cooperative, so this is only made visible, never enforced.

use std::collections::BTreeMap;

use serde::Serialize;

use super::types::{Amounts, Lease};
use crate::model::Snapshot;

/// Use above the lease by more than this share counts (stats are sampled and noisy).
const TOLERANCE: f64 = 0.10;

/// One holder using more than its granted leases add up to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overrun {
    pub holder: String,
    /// Measured and leased cores, when CPU was leased and exceeded.
    pub cpu_cores: Option<(f64, f64)>,
    /// Measured and leased MB, when memory was leased and exceeded.
    pub memory_mb: Option<(u64, u64)>,
}

impl Overrun {
    /// In words, for events and the dashboard.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((used, leased)) = self.cpu_cores {
            parts.push(format!("uses {used:.2} CPU cores of {leased:.2} leased"));
        }
        if let Some((used, leased)) = self.memory_mb {
            parts.push(format!("uses {used} MB of {leased} MB leased"));
        }
        format!("{} {}", self.holder, parts.join(" and "))
    }
}

/// Holders among `granted` that are add-ons and use more than they leased, by the Supervisor's
/// stats in `snapshot` (`cpu_percent` is a share of the whole host: times `host_cores`).
pub fn find(granted: &[&Lease], snapshot: &Snapshot, host_cores: f64) -> Vec<Overrun> {
    let mut by_holder: BTreeMap<&str, Amounts> = BTreeMap::new();
    for lease in granted {
        by_holder
            .entry(lease.holder.as_str())
            .or_default()
            .add(&lease.amounts);
    }
    by_holder
        .into_iter()
        .filter_map(|(holder, leased)| {
            let cpu = snapshot
                .value(&format!("addon.{holder}.cpu_percent"))
                .map(|p| p / 100.0 * host_cores);
            let memory = snapshot
                .value(&format!("addon.{holder}.memory_bytes"))
                .map(|b| (b / 1_048_576.0) as u64);
            let cpu_cores = cpu
                .filter(|used| {
                    leased.cpu_milli > 0 && *used > leased.cpu_cores() * (1.0 + TOLERANCE)
                })
                .map(|used| (used, leased.cpu_cores()));
            let memory_mb = memory
                .filter(|used| {
                    leased.memory_mb > 0
                        && *used as f64 > leased.memory_mb as f64 * (1.0 + TOLERANCE)
                })
                .map(|used| (used, leased.memory_mb));
            (cpu_cores.is_some() || memory_mb.is_some()).then(|| Overrun {
                holder: holder.to_string(),
                cpu_cores,
                memory_mb,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Sample, SeriesMeta, Unit};
    use std::sync::Arc;

    fn lease(holder: &str, cpu_milli: u64, memory_mb: u64) -> Lease {
        Lease {
            id: format!("lease-{holder}"),
            seq: 1,
            holder: holder.into(),
            request_id: None,
            amounts: Amounts {
                cpu_milli,
                memory_mb,
                slots: BTreeMap::new(),
            },
            priority: super::super::Priority::Normal,
            state: super::super::LeaseState::Granted,
            ttl_ms: 1,
            created_ms: 0,
            wait_until_ms: 0,
            granted_ms: Some(0),
            expires_ms: Some(1),
            revoke_ms: None,
            ended_ms: None,
            reason: None,
        }
    }

    fn sample(id: &str, value: f64) -> Sample {
        let (group, name) = id.split_once('.').unwrap_or(("addon", id));
        let mut meta = SeriesMeta::global(group, name, Unit::Percent, "");
        meta.id = id.to_string();
        Sample {
            series: Arc::new(meta),
            value,
        }
    }

    #[test]
    fn an_addon_above_its_lease_is_flagged_and_others_are_not() {
        let snapshot = Snapshot {
            samples: vec![
                sample("addon.core_whisper.cpu_percent", 75.0),
                sample("addon.core_whisper.memory_bytes", 3000.0 * 1_048_576.0),
                sample("addon.core_piper.memory_bytes", 100.0 * 1_048_576.0),
            ],
            ..Snapshot::default()
        };
        let whisper = lease("core_whisper", 2000, 2000);
        let piper = lease("core_piper", 0, 500);
        let script = lease("script.nightly", 1000, 100);
        let found = find(&[&whisper, &piper, &script], &snapshot, 4.0);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].cpu_cores, Some((3.0, 2.0)));
        assert_eq!(found[0].memory_mb, Some((3000, 2000)));
        assert!(found[0].describe().contains("3000 MB of 2000 MB"));
    }
}

//! Capacity and policy from the `leases` option and the host's size.

use super::types::{Capacity, LeasePolicy};
use crate::config::LeaseOptions;

/// A queued request climbs one priority level per minute of waiting: within the default
/// `max_wait` (10 min) a `low` request outranks fresh `critical` ones after 4 minutes.
pub const AGEING_STEP_MS: i64 = 60_000;

/// The capacity the options give on a host with `host_cores` and `memory_total_mb`.
pub fn capacity(options: &LeaseOptions, host_cores: usize, memory_total_mb: u64) -> Capacity {
    let cores = options.cpu_cores.unwrap_or(host_cores.max(1) as f64);
    Capacity {
        cpu_milli: (cores * 1000.0).round() as u64,
        memory_total_mb,
        memory_reserve_mb: memory_total_mb * u64::from(options.memory_reserve_percent) / 100,
        slots: options
            .slots
            .iter()
            .map(|s| (s.name.clone(), s.size))
            .collect(),
        max_concurrent: options.max_concurrent as usize,
        queue_limit: options.queue_limit as usize,
    }
}

/// The time limits the options give.
pub fn policy(options: &LeaseOptions) -> LeasePolicy {
    let ms = |s: u64| (s as i64).saturating_mul(1000);
    LeasePolicy {
        default_ttl_ms: ms(options.default_ttl),
        max_ttl_ms: ms(options.max_ttl),
        max_wait_ms: ms(options.max_wait),
        preemption_grace_ms: options.preemption.then(|| ms(options.grace)),
        ageing_step_ms: AGEING_STEP_MS,
    }
}

/// The host's memory in MB, from `/proc/meminfo` under `proc_root` (the memory collector's
/// parser); `None` if unreadable.
pub fn host_memory_mb(proc_root: &std::path::Path) -> Option<u64> {
    let text = std::fs::read_to_string(proc_root.join("meminfo")).ok()?;
    crate::collect::memory::parse_meminfo(&text).map(|info| info.total / 1_048_576)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_take_the_hosts_cores_and_keep_ten_percent_of_memory() {
        let c = capacity(&LeaseOptions::default(), 4, 8000);
        assert_eq!(
            (c.cpu_milli, c.memory_reserve_mb, c.memory_grantable_mb()),
            (4000, 800, 7200)
        );
        assert_eq!(c.slots.get("heavy"), Some(&1));
        let p = policy(&LeaseOptions::default());
        assert_eq!(
            (p.default_ttl_ms, p.preemption_grace_ms),
            (300_000, Some(30_000))
        );
    }
}

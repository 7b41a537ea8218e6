//! Whether a request fits: now, after some leases end, or ever.

use super::super::types::Amounts;
use super::state::Manager;

impl Manager {
    /// Whether `amounts` fits now, counting `freed` (and `freed_count` leases) as released.
    pub(super) fn fits(&self, amounts: &Amounts, freed: &Amounts, freed_count: usize) -> bool {
        let c = &self.capacity;
        let used = &self.used;
        let held = |a: u64, f: u64| a.saturating_sub(f);
        let mem_room = self
            .memory_headroom_mb()
            .map(|h| h.saturating_add(freed.memory_mb));
        self.granted.len() - freed_count.min(self.granted.len()) < c.max_concurrent
            // A resource not asked for is not checked: after the capacity shrank below what
            // is held, requests for other resources still go through.
            && (amounts.cpu_milli == 0
                || held(used.cpu_milli, freed.cpu_milli) + amounts.cpu_milli <= c.cpu_milli)
            && (amounts.memory_mb == 0
                || (held(used.memory_mb, freed.memory_mb) + amounts.memory_mb
                    <= c.memory_grantable_mb()
                    && mem_room.is_none_or(|room| amounts.memory_mb <= room)))
            && amounts.slots.iter().all(|(name, n)| {
                let held = used.slot(name).saturating_sub(freed.slot(name));
                held + n <= c.slots.get(name).copied().unwrap_or(0)
            })
    }

    /// What in `amounts` is larger than the whole capacity, in words; `None` if it can fit.
    pub(super) fn never_fits(&self, amounts: &Amounts) -> Option<String> {
        let c = &self.capacity;
        if amounts.cpu_milli > c.cpu_milli {
            return Some(format!(
                "{} CPU cores asked, {} exist",
                amounts.cpu_cores(),
                c.cpu_milli as f64 / 1000.0
            ));
        }
        if amounts.memory_mb > c.memory_grantable_mb() {
            return Some(format!(
                "{} MB asked, at most {} MB may be leased (memory minus the reserve)",
                amounts.memory_mb,
                c.memory_grantable_mb()
            ));
        }
        amounts.slots.iter().find_map(|(name, n)| {
            let size = c.slots.get(name).copied().unwrap_or(0);
            (*n > size).then(|| format!("{n} '{name}' slots asked, the pool has {size}"))
        })
    }
}

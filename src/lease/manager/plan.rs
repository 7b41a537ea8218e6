//! What the head of the queue waits for: the leases to preempt for it, and an estimate of the
//! wait.

use super::super::types::{Amounts, Lease};
use super::state::Manager;

impl Manager {
    /// Leases to preempt so the queued request `id` fits: lowest priority first, newest grant
    /// first within one; none if the notices already sent suffice or even all would not do.
    pub(super) fn victims(&self, id: &str) -> Vec<String> {
        let Some(head) = self.leases.get(id) else {
            return Vec::new();
        };
        let mut freed = Amounts::default();
        let mut count = 0;
        for lease in self.granted().into_iter().filter(|l| l.revoke_ms.is_some()) {
            freed.add(&lease.amounts);
            count += 1;
        }
        if self.fits(&head.amounts, &freed, count) {
            return Vec::new();
        }
        let mut candidates: Vec<&Lease> = self
            .granted()
            .into_iter()
            .filter(|l| l.revoke_ms.is_none() && head.priority.may_preempt(l.priority))
            .collect();
        candidates.sort_by_key(|l| {
            (
                l.priority,
                std::cmp::Reverse(l.granted_ms),
                std::cmp::Reverse(l.seq),
            )
        });
        let mut chosen = Vec::new();
        for lease in candidates {
            freed.add(&lease.amounts);
            count += 1;
            chosen.push(lease.id.clone());
            if self.fits(&head.amounts, &freed, count) {
                return chosen;
            }
        }
        Vec::new()
    }

    /// Roughly how long `id` will wait: until enough granted leases end (by their expiry) for
    /// it and everything ahead of it to fit at once.
    pub(super) fn estimate_wait_ms(&self, id: &str, now_ms: i64) -> i64 {
        let queue = self.queue(now_ms);
        let mut ahead = Amounts::default();
        let mut ahead_count = 0;
        for lease in queue.iter() {
            ahead.add(&lease.amounts);
            ahead_count += 1;
            if lease.id == id {
                break;
            }
        }
        let mut ends: Vec<&Lease> = self.granted();
        ends.sort_by_key(|l| end_of(l));
        let mut freed = Amounts::default();
        let mut count = 0;
        let cap = self.capacity.amounts();
        let fits_all = |freed: &Amounts, count: usize| {
            let mut used = self.used.clone();
            used.sub(freed);
            used.add(&ahead);
            self.granted.len() - count + ahead_count <= self.capacity.max_concurrent
                && used.cpu_milli <= cap.cpu_milli
                && used.memory_mb <= cap.memory_mb
                && used.slots.iter().all(|(n, v)| *v <= cap.slot(n))
        };
        if fits_all(&freed, 0) {
            return 0;
        }
        for lease in ends {
            freed.add(&lease.amounts);
            count += 1;
            if fits_all(&freed, count) {
                return (end_of(lease) - now_ms).max(0);
            }
        }
        self.policy.max_ttl_ms
    }
}

/// When a granted lease stops holding resources at the latest.
fn end_of(lease: &Lease) -> i64 {
    match (lease.expires_ms, lease.revoke_ms) {
        (Some(e), Some(r)) => e.min(r),
        (e, r) => e.or(r).unwrap_or(i64::MAX),
    }
}

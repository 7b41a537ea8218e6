//! The order of the queue: effective priority (lifted by ageing), then arrival; with
//! preemption on, the requests that may preempt come first.

use super::super::types::{Lease, Priority};
use super::state::Manager;

/// Ageing never lifts a request more than this many levels (one above `critical`, so a request
/// that waited long enough is served before fresh critical ones).
const MAX_AGEING: u8 = 4;
/// Ranks of requests that may preempt, above any aged rank.
const PREEMPTOR_TIER: u8 = 16;

impl Manager {
    /// Order in the queue: effective priority (with ageing) first, then arrival. With
    /// preemption on, requests that may preempt (`high`, `critical`) come before every aged
    /// one, by their own priority: only they can make room, and only as the head.
    pub(super) fn queue_key(&self, lease: &Lease, now_ms: i64) -> (std::cmp::Reverse<u8>, u64) {
        let step = self.policy.ageing_step_ms.max(1);
        let aged = ((now_ms - lease.created_ms).max(0) / step).min(i64::from(MAX_AGEING)) as u8;
        let preemptor =
            self.policy.preemption_grace_ms.is_some() && lease.priority >= Priority::High;
        let rank = if preemptor {
            PREEMPTOR_TIER + lease.priority.rank()
        } else {
            (lease.priority.rank() + aged).min(Priority::Critical.rank() + 1)
        };
        (std::cmp::Reverse(rank), lease.seq)
    }
}

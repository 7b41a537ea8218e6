//! Memory held back for granted leases: a reading taken after a grant does not show what the
//! holder has not used yet, so a grant's memory stays reserved until the lease ends or, for an
//! add-on holder, until its measured memory has grown by the leased amount.

use std::collections::BTreeMap;

use super::super::types::Lease;
use super::state::{Manager, Reservation};

impl Reservation {
    /// What a reading does not show yet: the leased memory less what the holder has grown by
    /// since the grant (all of it when the holder is not measured; what it uses now when it
    /// was not measured at the grant).
    pub(super) fn outstanding_mb(&self, holders_mb: &BTreeMap<String, u64>) -> u64 {
        let grown = match (self.holder_at_grant_mb, holders_mb.get(&self.holder)) {
            (Some(then), Some(now)) => now.saturating_sub(then),
            (None, Some(now)) => *now,
            (_, None) => 0,
        };
        self.leased_mb.saturating_sub(grown)
    }
}

impl Manager {
    /// Memory that may be granted now by the latest reading, if there is one.
    pub fn memory_headroom_mb(&self) -> Option<u64> {
        let outstanding: u64 = self
            .reserved
            .values()
            .map(|r| r.outstanding_mb(&self.holders_mb))
            .sum();
        self.available_mb.map(|available| {
            available
                .saturating_sub(self.capacity.memory_reserve_mb)
                .saturating_sub(outstanding)
        })
    }

    pub(super) fn reserve(&mut self, lease: &Lease) {
        if lease.amounts.memory_mb > 0 {
            self.reserved.insert(
                lease.id.clone(),
                Reservation {
                    holder: lease.holder.clone(),
                    leased_mb: lease.amounts.memory_mb,
                    holder_at_grant_mb: self.holders_mb.get(&lease.holder).copied(),
                },
            );
        }
    }
}

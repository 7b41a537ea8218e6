//! What the manager holds: leases by id, the queue, the grants and what they use, the memory
//! reservations and the recent history. The behaviour lives beside it, one file per concern;
//! this file is only the state they share.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::super::types::{Amounts, Capacity, Lease, LeasePolicy};

/// Ended leases kept for `GET /api/v1/leases/{id}` (older ones stay in the database only).
pub(super) const HISTORY: usize = 1000;

/// Memory a granted lease holds back from the readings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reservation {
    pub(super) holder: String,
    pub(super) leased_mb: u64,
    /// The holder's measured memory when the lease was granted (add-on holders), if known.
    pub(super) holder_at_grant_mb: Option<u64>,
}

/// The lease manager; see the module doc of `manager`.
#[derive(Debug, Clone)]
pub struct Manager {
    pub(super) capacity: Capacity,
    pub(super) policy: LeasePolicy,
    pub(super) next_seq: u64,
    pub(super) leases: HashMap<String, Lease>,
    /// Ids of queued requests (unordered; ordered when settling).
    pub(super) queue: Vec<String>,
    /// Ids of granted leases.
    pub(super) granted: Vec<String>,
    pub(super) used: Amounts,
    /// The latest reading of memory available now (MB).
    pub(super) available_mb: Option<u64>,
    /// The latest measured memory of holders that are add-ons (MB), by holder.
    pub(super) holders_mb: BTreeMap<String, u64>,
    /// Memory of granted leases held back from the readings, by lease id.
    pub(super) reserved: BTreeMap<String, Reservation>,
    /// Ended leases, oldest first, trimmed to [`HISTORY`].
    pub(super) ended: VecDeque<String>,
}

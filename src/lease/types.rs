//! The plain data of leases: priorities, amounts, capacity, a validated request and a lease.

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::event::LeaseState;

/// How urgent a request is; higher ones are served first and may preempt `low`/`normal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Critical,
}

impl Priority {
    /// Every priority, as requests spell it.
    pub const NAMES: &[&str] = &["low", "normal", "high", "critical"];

    /// The priority named `name`.
    pub fn parse(name: &str) -> Option<Priority> {
        Some(match name {
            "low" => Priority::Low,
            "normal" => Priority::Normal,
            "high" => Priority::High,
            "critical" => Priority::Critical,
            _ => return None,
        })
    }

    /// As requests spell it.
    pub fn as_str(self) -> &'static str {
        Priority::NAMES[self.rank() as usize]
    }

    /// 0 (low) to 3 (critical).
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// Whether a request of this priority may preempt leases of `victim`'s priority.
    pub fn may_preempt(self, victim: Priority) -> bool {
        self >= Priority::High && victim <= Priority::Normal
    }
}

/// Amounts of resources: CPU in thousandths of a core (so sums are exact), memory in MB and
/// named slots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Amounts {
    pub cpu_milli: u64,
    pub memory_mb: u64,
    pub slots: BTreeMap<String, u32>,
}

impl Amounts {
    /// Adds `other` to these amounts.
    pub fn add(&mut self, other: &Amounts) {
        self.cpu_milli += other.cpu_milli;
        self.memory_mb += other.memory_mb;
        for (name, n) in &other.slots {
            *self.slots.entry(name.clone()).or_default() += n;
        }
    }

    /// Takes `other` from these amounts (never below zero).
    pub fn sub(&mut self, other: &Amounts) {
        self.cpu_milli = self.cpu_milli.saturating_sub(other.cpu_milli);
        self.memory_mb = self.memory_mb.saturating_sub(other.memory_mb);
        for (name, n) in &other.slots {
            if let Some(used) = self.slots.get_mut(name) {
                *used = used.saturating_sub(*n);
            }
        }
        self.slots.retain(|_, n| *n > 0);
    }

    /// Slots of pool `name` in these amounts.
    pub fn slot(&self, name: &str) -> u32 {
        self.slots.get(name).copied().unwrap_or(0)
    }

    /// CPU in cores.
    pub fn cpu_cores(&self) -> f64 {
        self.cpu_milli as f64 / 1000.0
    }
}

/// What may be granted at once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capacity {
    pub cpu_milli: u64,
    /// Memory of the host.
    pub memory_total_mb: u64,
    /// Memory never granted (`memory_reserve_percent` of the total).
    pub memory_reserve_mb: u64,
    /// Size of each named slot pool.
    pub slots: BTreeMap<String, u32>,
    /// Granted leases at once.
    pub max_concurrent: usize,
    /// Requests waiting at once.
    pub queue_limit: usize,
}

#[cfg(test)]
impl Capacity {
    /// The unit tests' box: 4 cores, 8 GB with 800 MB reserved, one `heavy` slot, four leases
    /// at once, and `queue_limit` waiting.
    pub(crate) fn for_tests(queue_limit: usize) -> Capacity {
        Capacity {
            cpu_milli: 4000,
            memory_total_mb: 8000,
            memory_reserve_mb: 800,
            slots: BTreeMap::from([("heavy".to_string(), 1)]),
            max_concurrent: 4,
            queue_limit,
        }
    }
}

impl Capacity {
    /// Memory that may be granted in total: the host's memory minus the reserve.
    pub fn memory_grantable_mb(&self) -> u64 {
        self.memory_total_mb.saturating_sub(self.memory_reserve_mb)
    }

    /// Capacity as [`Amounts`] (memory: what may be granted).
    pub fn amounts(&self) -> Amounts {
        Amounts {
            cpu_milli: self.cpu_milli,
            memory_mb: self.memory_grantable_mb(),
            slots: self.slots.clone(),
        }
    }
}

/// Time limits of requests, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeasePolicy {
    pub default_ttl_ms: i64,
    pub max_ttl_ms: i64,
    pub max_wait_ms: i64,
    /// Grace before a preempted lease is revoked; `None` turns preemption off.
    pub preemption_grace_ms: Option<i64>,
    /// A queued request climbs one priority per this much waiting, so none is starved.
    pub ageing_step_ms: i64,
}

/// A request that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub holder: String,
    pub request_id: Option<String>,
    pub amounts: Amounts,
    pub priority: Priority,
    pub ttl_ms: i64,
    pub wait_ms: i64,
}

/// One lease (or request) and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lease {
    pub id: String,
    /// Arrival order, unique for the life of the database.
    pub seq: u64,
    pub holder: String,
    pub request_id: Option<String>,
    pub amounts: Amounts,
    pub priority: Priority,
    pub state: LeaseState,
    /// TTL asked for (and of the last renewal).
    pub ttl_ms: i64,
    /// When it was asked for.
    pub created_ms: i64,
    /// Latest moment it may still be granted.
    pub wait_until_ms: i64,
    pub granted_ms: Option<i64>,
    pub expires_ms: Option<i64>,
    /// Set once preemption was announced: when it is revoked unless released first.
    pub revoke_ms: Option<i64>,
    /// When it reached its terminal state.
    pub ended_ms: Option<i64>,
    /// Why it was refused or preempted.
    pub reason: Option<String>,
}

impl Lease {
    /// Whether it still holds resources.
    pub fn is_granted(&self) -> bool {
        self.state == LeaseState::Granted
    }
}

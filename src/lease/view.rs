//! How leases look in the API, in Home Assistant events and on the dashboard: the request's
//! own words (`cpu_cores`, `memory_mb`, `slots`), times in Unix seconds.

use std::collections::BTreeMap;

use serde::Serialize;

use super::manager::Manager;
use super::types::{Amounts, Lease};

/// Amounts as a request names them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resources {
    pub cpu_cores: f64,
    pub memory_mb: u64,
    pub slots: BTreeMap<String, u32>,
}

impl From<&Amounts> for Resources {
    fn from(a: &Amounts) -> Self {
        Resources {
            cpu_cores: a.cpu_cores(),
            memory_mb: a.memory_mb,
            slots: a.slots.clone(),
        }
    }
}

/// One lease.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaseView {
    pub id: String,
    pub holder: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub resources: Resources,
    pub priority: &'static str,
    pub state: &'static str,
    pub created_at: i64,
    pub ttl_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Set while a preemption is announced: the lease is revoked then unless released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoke_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Place in the queue (1 = next), while queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// Latest moment it may still be granted, while queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_until: Option<i64>,
}

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

impl LeaseView {
    /// The view of `lease`, with its queue `position` if queued.
    pub fn of(lease: &Lease, position: Option<usize>) -> Self {
        let queued = lease.state == super::LeaseState::Queued;
        LeaseView {
            id: lease.id.clone(),
            holder: lease.holder.clone(),
            request_id: lease.request_id.clone(),
            resources: Resources::from(&lease.amounts),
            priority: lease.priority.as_str(),
            state: lease.state.as_str(),
            created_at: secs(lease.created_ms),
            ttl_seconds: lease.ttl_ms / 1000,
            granted_at: lease.granted_ms.map(secs),
            expires_at: lease.expires_ms.filter(|_| lease.is_granted()).map(secs),
            revoke_at: lease.revoke_ms.filter(|_| lease.is_granted()).map(secs),
            ended_at: lease.ended_ms.map(secs),
            reason: lease.reason.clone(),
            position: position.filter(|_| queued),
            wait_until: queued.then(|| secs(lease.wait_until_ms)),
        }
    }
}

/// Capacity in the request's words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityView {
    pub cpu_cores: f64,
    /// Memory that may be leased in total (the host's minus the reserve).
    pub memory_mb: u64,
    pub memory_reserve_mb: u64,
    pub slots: BTreeMap<String, u32>,
    pub max_concurrent: usize,
    pub queue_limit: usize,
}

/// What could be granted now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvailableView {
    pub cpu_cores: f64,
    /// The smaller of what the configured total leaves and the latest reading of memory
    /// available now minus the reserve.
    pub memory_mb: u64,
    pub slots: BTreeMap<String, u32>,
    pub concurrent: usize,
}

/// `GET /api/v1/leases`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusView {
    pub capacity: CapacityView,
    pub available: AvailableView,
    /// Granted leases.
    pub leases: Vec<LeaseView>,
    /// Queued requests in the order they will be served.
    pub queue: Vec<LeaseView>,
    /// Add-on holders now using more than they leased.
    pub overruns: Vec<super::overrun::Overrun>,
}

impl StatusView {
    /// The whole picture at `now_ms`.
    pub fn of(manager: &Manager, now_ms: i64) -> Self {
        let c = manager.capacity();
        let used = manager.used();
        let configured_left = c.memory_grantable_mb().saturating_sub(used.memory_mb);
        let memory_mb = manager
            .memory_headroom_mb()
            .map_or(configured_left, |h| h.min(configured_left));
        StatusView {
            capacity: CapacityView {
                cpu_cores: c.cpu_milli as f64 / 1000.0,
                memory_mb: c.memory_grantable_mb(),
                memory_reserve_mb: c.memory_reserve_mb,
                slots: c.slots.clone(),
                max_concurrent: c.max_concurrent,
                queue_limit: c.queue_limit,
            },
            available: AvailableView {
                cpu_cores: c.cpu_milli.saturating_sub(used.cpu_milli) as f64 / 1000.0,
                memory_mb,
                slots: c
                    .slots
                    .iter()
                    .map(|(n, size)| (n.clone(), size.saturating_sub(used.slot(n))))
                    .collect(),
                concurrent: c.max_concurrent.saturating_sub(manager.granted().len()),
            },
            leases: manager
                .granted()
                .into_iter()
                .map(|l| LeaseView::of(l, None))
                .collect(),
            queue: manager
                .queue(now_ms)
                .into_iter()
                .enumerate()
                .map(|(i, l)| LeaseView::of(l, Some(i + 1)))
                .collect(),
            overruns: Vec::new(),
        }
    }
}

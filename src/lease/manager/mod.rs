//! The lease manager: a pure state machine over capacity, a priority queue with ageing, TTLs
//! and preemption. Every call takes "now" (Unix ms) and returns what changed, so the service
//! persists and announces exactly that, and tests drive it with any sequence of times.
//!
//! Grants happen only at the head of the queue (strict order: priority with ageing, then
//! arrival), so a large request is never overtaken for ever by small ones, and within one
//! priority grants follow arrival. With preemption on, `high` and `critical` requests rank
//! above every aged `low`/`normal` one: they are the ones that may make room by preemption,
//! and an aged head that may not preempt must not keep them waiting. A new request joins the
//! queue and the queue is settled at once, so "granted on arrival" is the same path as
//! "granted from the queue".
//!
//! Memory granted is kept reserved against the latest reading of memory available until the
//! lease ends, or, for an add-on holder, until its measured memory has grown by the leased
//! amount: a reading taken after a grant does not show what the holder has not used yet.
//!
//! The `Manager` type's public face is here; the rest sits beside it, one file per concern:
//! - `state.rs`: the data the manager holds.
//! - `queue.rs`: the order of the queue (priority, ageing, arrival).
//! - `settle.rs`: what falls due at a moment (timeouts, revocations, expiries, grants).
//! - `plan.rs`: what the head waits for (leases to preempt, an estimate of the wait).
//! - `fit.rs`: whether a request fits now, after some leases end, or ever.
//! - `reserve.rs`: memory held back for granted leases.
//! - `book.rs`: grant bookkeeping and the changes it reports.
//! - `outcome.rs`: what the manager answers.

use std::collections::{BTreeMap, HashMap, VecDeque};

mod book;
mod fit;
mod outcome;
mod plan;
mod queue;
mod reserve;
mod settle;
mod state;

pub use outcome::{LeaseDecision, LeaseOpError, LeaseRefusal, LeaseUpdate};
pub use state::Manager;

use super::types::{Amounts, Capacity, Lease, LeasePolicy, LeaseState, Request};
use crate::event::LeaseChangeKind;

/// Everything the manager holds that must survive a restart.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub next_seq: u64,
    /// Live leases and the recent ended ones, in arrival order.
    pub leases: Vec<Lease>,
}

impl Manager {
    /// An empty manager.
    pub fn new(capacity: Capacity, policy: LeasePolicy) -> Self {
        Manager {
            capacity,
            policy,
            next_seq: 1,
            leases: HashMap::new(),
            queue: Vec::new(),
            granted: Vec::new(),
            used: Amounts::default(),
            available_mb: None,
            holders_mb: BTreeMap::new(),
            reserved: BTreeMap::new(),
            ended: VecDeque::new(),
        }
    }

    /// A manager holding what [`Self::save`] returned before a restart. Nothing is granted,
    /// expired or announced here: the next call settles the state at its own "now".
    pub fn restore(capacity: Capacity, policy: LeasePolicy, saved: Saved) -> Self {
        let mut manager = Manager::new(capacity, policy);
        manager.next_seq = saved.next_seq;
        let mut leases = saved.leases;
        leases.sort_by_key(|l| l.seq);
        for lease in leases {
            manager.next_seq = manager.next_seq.max(lease.seq + 1);
            match lease.state {
                LeaseState::Granted => {
                    manager.used.add(&lease.amounts);
                    manager.granted.push(lease.id.clone());
                    // Whether the holder used it yet is unknown: held back until it ends.
                    manager.reserve(&lease);
                }
                LeaseState::Queued => manager.queue.push(lease.id.clone()),
                _ => manager.ended.push_back(lease.id.clone()),
            }
            manager.leases.insert(lease.id.clone(), lease);
        }
        manager
    }

    /// What must survive a restart.
    pub fn save(&self) -> Saved {
        let mut leases: Vec<Lease> = self.leases.values().cloned().collect();
        leases.sort_by_key(|l| l.seq);
        Saved {
            next_seq: self.next_seq,
            leases,
        }
    }

    /// The capacity in effect.
    pub fn capacity(&self) -> &Capacity {
        &self.capacity
    }

    /// The time limits in effect.
    pub fn policy(&self) -> &LeasePolicy {
        &self.policy
    }

    /// Changes the capacity; leases already granted keep their resources even if they no
    /// longer fit (nothing is revoked for it), new grants wait until they fit again.
    pub fn set_capacity(&mut self, capacity: Capacity, now_ms: i64) -> Vec<LeaseUpdate> {
        self.capacity = capacity;
        self.settle(now_ms)
    }

    /// A new reading of the memory available now (MB); grants are checked against it minus
    /// the reserve, less the memory of granted leases not yet visible in it.
    pub fn set_available_memory(&mut self, available_mb: u64, now_ms: i64) -> Vec<LeaseUpdate> {
        self.set_memory_reading(available_mb, BTreeMap::new(), now_ms)
    }

    /// [`Self::set_available_memory`] with the measured memory of add-on holders (MB), so a
    /// lease's reservation shrinks as its holder grows into it.
    pub fn set_memory_reading(
        &mut self,
        available_mb: u64,
        holders_mb: BTreeMap<String, u64>,
        now_ms: i64,
    ) -> Vec<LeaseUpdate> {
        self.available_mb = Some(available_mb);
        self.holders_mb = holders_mb;
        self.settle(now_ms)
    }

    /// Resources held by granted leases.
    pub fn used(&self) -> &Amounts {
        &self.used
    }

    /// Granted leases, oldest grant first.
    pub fn granted(&self) -> Vec<&Lease> {
        self.granted
            .iter()
            .filter_map(|id| self.leases.get(id))
            .collect()
    }

    /// Queued requests in the order they would be served at `now_ms`.
    pub fn queue(&self, now_ms: i64) -> Vec<&Lease> {
        let mut queue: Vec<&Lease> = self
            .queue
            .iter()
            .filter_map(|id| self.leases.get(id))
            .collect();
        queue.sort_by_cached_key(|l| self.queue_key(l, now_ms));
        queue
    }

    /// One lease by id (live, or ended recently).
    pub fn get(&self, id: &str) -> Option<&Lease> {
        self.leases.get(id)
    }

    /// Place in the queue (1 = next) at `now_ms`.
    pub fn position(&self, id: &str, now_ms: i64) -> Option<usize> {
        self.queue(now_ms)
            .iter()
            .position(|l| l.id == id)
            .map(|p| p + 1)
    }

    /// The earliest moment something is due (an expiry, a revocation, a wait running out).
    pub fn next_deadline(&self) -> Option<i64> {
        let granted = self.granted.iter().filter_map(|id| self.leases.get(id));
        let due = granted.flat_map(|l| [l.expires_ms, l.revoke_ms]).flatten();
        let waits = self
            .queue
            .iter()
            .filter_map(|id| self.leases.get(id))
            .map(|l| l.wait_until_ms);
        due.chain(waits).min()
    }

    /// Decides a validated request: granted, queued or refused. Refused ones are recorded too
    /// (their id answers `GET`), so every request ends in exactly one terminal state.
    pub fn request(&mut self, request: Request, now_ms: i64) -> (LeaseDecision, Vec<LeaseUpdate>) {
        let mut changes = self.settle(now_ms);
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut lease = Lease {
            id: format!("lease-{seq}"),
            seq,
            holder: request.holder,
            request_id: request.request_id,
            amounts: request.amounts,
            priority: request.priority,
            state: LeaseState::Queued,
            ttl_ms: request.ttl_ms,
            created_ms: now_ms,
            wait_until_ms: now_ms.saturating_add(request.wait_ms),
            granted_ms: None,
            expires_ms: None,
            revoke_ms: None,
            ended_ms: None,
            reason: None,
        };
        if let Some(what) = self.never_fits(&lease.amounts) {
            let refusal = LeaseRefusal::ExceedsCapacity(what);
            lease.state = LeaseState::Refused;
            lease.ended_ms = Some(now_ms);
            lease.reason = Some(refusal.message());
            self.remember_ended(lease.clone());
            changes.push(self.refused(&lease.id, &refusal, now_ms));
            return (LeaseDecision::Refused(lease, refusal), changes);
        }
        let id = lease.id.clone();
        let queue_full = self.queue.len() >= self.capacity.queue_limit;
        if request.wait_ms <= 0 || queue_full {
            // No waiting (asked for, or no room in the queue): granted only if it would be
            // served first and fits now; it never joins the queue, so it cannot preempt
            // anyone either.
            let first = self
                .queue(now_ms)
                .first()
                .is_none_or(|head| self.queue_key(&lease, now_ms) < self.queue_key(head, now_ms));
            if first && self.fits(&lease.amounts, &Amounts::default(), 0) {
                self.leases.insert(id.clone(), lease);
                self.grant(&id, now_ms);
                changes.push(self.change(LeaseChangeKind::Granted, &id, now_ms));
                return (LeaseDecision::Granted(self.copy(&id)), changes);
            }
            let refusal = if request.wait_ms <= 0 {
                LeaseRefusal::Busy
            } else {
                LeaseRefusal::QueueFull
            };
            lease.state = LeaseState::Refused;
            lease.ended_ms = Some(now_ms);
            lease.reason = Some(refusal.message());
            self.remember_ended(lease.clone());
            changes.push(self.refused(&id, &refusal, now_ms));
            return (LeaseDecision::Refused(lease, refusal), changes);
        }
        self.leases.insert(id.clone(), lease);
        self.queue.push(id.clone());
        changes.extend(self.settle(now_ms));
        if self.leases.get(&id).is_some_and(|l| l.is_granted()) {
            let lease = self.copy(&id);
            return (LeaseDecision::Granted(lease), changes);
        }
        let position = self.position(&id, now_ms).unwrap_or(1);
        changes.push(self.change(LeaseChangeKind::Queued, &id, now_ms));
        let estimated_wait_ms = self.estimate_wait_ms(&id, now_ms);
        let lease = self.copy(&id);
        let decision = LeaseDecision::Queued {
            lease,
            position,
            estimated_wait_ms,
        };
        (decision, changes)
    }

    /// Releases a granted lease, or withdraws a queued request. The changes are returned also
    /// when it fails: what fell due before it (an expiry, a grant) happened anyway.
    pub fn release(
        &mut self,
        id: &str,
        now_ms: i64,
    ) -> (Vec<LeaseUpdate>, Result<(), LeaseOpError>) {
        let mut changes = self.settle(now_ms);
        if let Err(err) = self.live(id) {
            return (changes, Err(err));
        }
        self.end(id, LeaseState::Released, now_ms, None);
        changes.push(self.change(LeaseChangeKind::Released, id, now_ms));
        changes.extend(self.settle(now_ms));
        (changes, Ok(()))
    }

    /// Takes a request back as if it had never been made (its decision could not be saved):
    /// what it held or waited for is freed and the queue settled again. Unknown ids change
    /// nothing but the settling.
    pub fn withdraw(&mut self, id: &str, now_ms: i64) -> Vec<LeaseUpdate> {
        if let Some(lease) = self.leases.remove(id) {
            match lease.state {
                LeaseState::Granted => {
                    self.granted.retain(|g| g != id);
                    self.used.sub(&lease.amounts);
                    self.reserved.remove(id);
                }
                LeaseState::Queued => self.queue.retain(|q| q != id),
                _ => self.ended.retain(|e| e != id),
            }
        }
        self.settle(now_ms)
    }

    /// Renews a granted lease: it now ends `ttl_ms` from `now_ms`. Changes as for `release`.
    pub fn renew(
        &mut self,
        id: &str,
        ttl_ms: i64,
        now_ms: i64,
    ) -> (Vec<LeaseUpdate>, Result<(), LeaseOpError>) {
        let mut changes = self.settle(now_ms);
        let checked = self.live(id).and_then(|lease| {
            if lease.state == LeaseState::Queued {
                Err(LeaseOpError::NotGranted(id.to_string()))
            } else if lease.revoke_ms.is_some() {
                Err(LeaseOpError::Preempting(id.to_string()))
            } else {
                Ok(())
            }
        });
        if let Err(err) = checked {
            return (changes, Err(err));
        }
        if let Some(lease) = self.leases.get_mut(id) {
            lease.ttl_ms = ttl_ms;
            lease.expires_ms = Some(now_ms.saturating_add(ttl_ms));
        }
        changes.push(self.change(LeaseChangeKind::Renewed, id, now_ms));
        (changes, Ok(()))
    }

    /// Slot pools by name with their size (for the API).
    pub fn slot_pools(&self) -> &BTreeMap<String, u32> {
        &self.capacity.slots
    }
}

#[cfg(test)]
mod tests;

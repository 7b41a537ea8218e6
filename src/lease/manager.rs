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

use std::collections::{BTreeMap, HashMap, VecDeque};

mod fit;
mod outcome;
mod plan;

pub use outcome::{Change, Decision, LeaseOpError, Refusal};

use super::types::{Amounts, Capacity, Lease, LeaseState, Policy, Priority, Request};
use crate::event::LeaseChangeKind;

/// Ended leases kept for `GET /api/v1/leases/{id}` (older ones stay in the database only).
const HISTORY: usize = 1000;
/// Ageing never lifts a request more than this many levels (one above `critical`, so a request
/// that waited long enough is served before fresh critical ones).
const MAX_AGEING: u8 = 4;
/// Ranks of requests that may preempt, above any aged rank.
const PREEMPTOR_TIER: u8 = 16;

/// Memory a granted lease holds back from the readings.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reservation {
    holder: String,
    leased_mb: u64,
    /// The holder's measured memory when the lease was granted (add-on holders), if known.
    holder_at_grant_mb: Option<u64>,
}

impl Reservation {
    /// What a reading does not show yet: the leased memory less what the holder has grown by
    /// since the grant (all of it when the holder is not measured; what it uses now when it
    /// was not measured at the grant).
    fn outstanding_mb(&self, holders_mb: &BTreeMap<String, u64>) -> u64 {
        let grown = match (self.holder_at_grant_mb, holders_mb.get(&self.holder)) {
            (Some(then), Some(now)) => now.saturating_sub(then),
            (None, Some(now)) => *now,
            (_, None) => 0,
        };
        self.leased_mb.saturating_sub(grown)
    }
}

/// Everything the manager holds that must survive a restart.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub next_seq: u64,
    /// Live leases and the recent ended ones, in arrival order.
    pub leases: Vec<Lease>,
}

/// The lease manager; see the module doc.
#[derive(Debug, Clone)]
pub struct Manager {
    capacity: Capacity,
    policy: Policy,
    next_seq: u64,
    leases: HashMap<String, Lease>,
    /// Ids of queued requests (unordered; ordered when settling).
    queue: Vec<String>,
    /// Ids of granted leases.
    granted: Vec<String>,
    used: Amounts,
    /// The latest reading of memory available now (MB).
    available_mb: Option<u64>,
    /// The latest measured memory of holders that are add-ons (MB), by holder.
    holders_mb: BTreeMap<String, u64>,
    /// Memory of granted leases held back from the readings, by lease id.
    reserved: BTreeMap<String, Reservation>,
    /// Ended leases, oldest first, trimmed to [`HISTORY`].
    ended: VecDeque<String>,
}

impl Manager {
    /// An empty manager.
    pub fn new(capacity: Capacity, policy: Policy) -> Self {
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
    pub fn restore(capacity: Capacity, policy: Policy, saved: Saved) -> Self {
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
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Changes the capacity; leases already granted keep their resources even if they no
    /// longer fit (nothing is revoked for it), new grants wait until they fit again.
    pub fn set_capacity(&mut self, capacity: Capacity, now_ms: i64) -> Vec<Change> {
        self.capacity = capacity;
        self.settle(now_ms)
    }

    /// A new reading of the memory available now (MB); grants are checked against it minus
    /// the reserve, less the memory of granted leases not yet visible in it.
    pub fn set_available_memory(&mut self, available_mb: u64, now_ms: i64) -> Vec<Change> {
        self.set_memory_reading(available_mb, BTreeMap::new(), now_ms)
    }

    /// [`Self::set_available_memory`] with the measured memory of add-on holders (MB), so a
    /// lease's reservation shrinks as its holder grows into it.
    pub fn set_memory_reading(
        &mut self,
        available_mb: u64,
        holders_mb: BTreeMap<String, u64>,
        now_ms: i64,
    ) -> Vec<Change> {
        self.available_mb = Some(available_mb);
        self.holders_mb = holders_mb;
        self.settle(now_ms)
    }

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

    fn reserve(&mut self, lease: &Lease) {
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
    pub fn request(&mut self, request: Request, now_ms: i64) -> (Decision, Vec<Change>) {
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
            let refusal = Refusal::ExceedsCapacity(what);
            lease.state = LeaseState::Refused;
            lease.ended_ms = Some(now_ms);
            lease.reason = Some(refusal.message());
            self.remember_ended(lease.clone());
            changes.push(self.refused(&lease.id, &refusal, now_ms));
            return (Decision::Refused(lease, refusal), changes);
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
                return (Decision::Granted(self.copy(&id)), changes);
            }
            let refusal = if request.wait_ms <= 0 {
                Refusal::Busy
            } else {
                Refusal::QueueFull
            };
            lease.state = LeaseState::Refused;
            lease.ended_ms = Some(now_ms);
            lease.reason = Some(refusal.message());
            self.remember_ended(lease.clone());
            changes.push(self.refused(&id, &refusal, now_ms));
            return (Decision::Refused(lease, refusal), changes);
        }
        self.leases.insert(id.clone(), lease);
        self.queue.push(id.clone());
        changes.extend(self.settle(now_ms));
        if self.leases.get(&id).is_some_and(|l| l.is_granted()) {
            let lease = self.copy(&id);
            return (Decision::Granted(lease), changes);
        }
        let position = self.position(&id, now_ms).unwrap_or(1);
        changes.push(self.change(LeaseChangeKind::Queued, &id, now_ms));
        let estimated_wait_ms = self.estimate_wait_ms(&id, now_ms);
        let lease = self.copy(&id);
        let decision = Decision::Queued {
            lease,
            position,
            estimated_wait_ms,
        };
        (decision, changes)
    }

    /// Releases a granted lease, or withdraws a queued request. The changes are returned also
    /// when it fails: what fell due before it (an expiry, a grant) happened anyway.
    pub fn release(&mut self, id: &str, now_ms: i64) -> (Vec<Change>, Result<(), LeaseOpError>) {
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
    pub fn withdraw(&mut self, id: &str, now_ms: i64) -> Vec<Change> {
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
    ) -> (Vec<Change>, Result<(), LeaseOpError>) {
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

    /// Applies everything due at `now_ms`: waits run out, revocations, expiries, then grants
    /// from the head of the queue and, if the head cannot fit, preemption notices.
    pub fn settle(&mut self, now_ms: i64) -> Vec<Change> {
        let mut changes = Vec::new();
        let timed_out: Vec<String> = self
            .queue
            .iter()
            .filter_map(|id| self.leases.get(id))
            .filter(|l| l.wait_until_ms <= now_ms)
            .map(|l| l.id.clone())
            .collect();
        for id in timed_out {
            self.end(&id, LeaseState::TimedOut, now_ms, None);
            changes.push(self.change(LeaseChangeKind::TimedOut, &id, now_ms));
        }
        let revoke_due: Vec<(String, Priority)> = self
            .granted()
            .into_iter()
            .filter(|l| l.revoke_ms.is_some_and(|t| t <= now_ms))
            // A lease whose time ran out before its revocation fell due simply expired.
            .filter(|l| l.expires_ms.is_none_or(|t| l.revoke_ms < Some(t)))
            .map(|l| (l.id.clone(), l.priority))
            .collect();
        for (id, priority) in revoke_due {
            // Revoked only if someone still waits who may take its place; the request that
            // caused the notice may have been served or given up during the grace.
            let still_needed = self
                .queue
                .iter()
                .filter_map(|q| self.leases.get(q))
                .any(|q| q.priority.may_preempt(priority));
            if still_needed {
                let reason = "revoked: a higher-priority request needed its resources";
                self.end(&id, LeaseState::Preempted, now_ms, Some(reason.into()));
                changes.push(self.change(LeaseChangeKind::Preempted, &id, now_ms));
            } else {
                let Some(lease) = self.leases.get_mut(&id) else {
                    continue;
                };
                lease.revoke_ms = None;
                // One that has run out meanwhile is announced once, as expired, just below.
                if lease.expires_ms.is_none_or(|t| t > now_ms) {
                    changes.push(self.change(LeaseChangeKind::PreemptCancelled, &id, now_ms));
                }
            }
        }
        // After revocations: a notice cancelled just above leaves a lease that may also have
        // run out, and it must end now rather than at the next call.
        let expired: Vec<String> = self
            .granted()
            .into_iter()
            .filter(|l| l.expires_ms.is_some_and(|t| t <= now_ms))
            .map(|l| l.id.clone())
            .collect();
        for id in expired {
            self.end(&id, LeaseState::Expired, now_ms, None);
            changes.push(self.change(LeaseChangeKind::Expired, &id, now_ms));
        }
        let order: Vec<String> = self.queue(now_ms).iter().map(|l| l.id.clone()).collect();
        for id in order {
            let Some(head) = self.leases.get(&id) else {
                continue;
            };
            if self.fits(&head.amounts, &Amounts::default(), 0) {
                self.grant(&id, now_ms);
                changes.push(self.change(LeaseChangeKind::Granted, &id, now_ms));
                continue;
            }
            if let Some(grace_ms) = self.policy.preemption_grace_ms {
                for victim in self.victims(&id) {
                    if let Some(lease) = self.leases.get_mut(&victim) {
                        lease.revoke_ms = Some(now_ms.saturating_add(grace_ms));
                    }
                    changes.push(self.change(LeaseChangeKind::PreemptNotice, &victim, now_ms));
                }
            }
            // Strict order: nothing behind the head may take what the head waits for.
            break;
        }
        changes
    }

    /// Order in the queue: effective priority (with ageing) first, then arrival. With
    /// preemption on, requests that may preempt (`high`, `critical`) come before every aged
    /// one, by their own priority: only they can make room, and only as the head.
    fn queue_key(&self, lease: &Lease, now_ms: i64) -> (std::cmp::Reverse<u8>, u64) {
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

    fn grant(&mut self, id: &str, now_ms: i64) {
        self.queue.retain(|q| q != id);
        let Some(lease) = self.leases.get_mut(id) else {
            return;
        };
        lease.state = LeaseState::Granted;
        lease.granted_ms = Some(now_ms);
        lease.expires_ms = Some(now_ms.saturating_add(lease.ttl_ms));
        self.used.add(&lease.amounts);
        let lease = lease.clone();
        self.reserve(&lease);
        self.granted.push(id.to_string());
    }

    /// A lease that has not ended, or why not.
    fn live(&self, id: &str) -> Result<&Lease, LeaseOpError> {
        let lease = self
            .leases
            .get(id)
            .ok_or_else(|| LeaseOpError::NotFound(id.to_string()))?;
        if lease.state.is_terminal() {
            return Err(LeaseOpError::Ended {
                id: id.to_string(),
                state: lease.state,
            });
        }
        Ok(lease)
    }

    /// Moves a live lease to its terminal `state`, freeing what it held.
    fn end(&mut self, id: &str, state: LeaseState, now_ms: i64, reason: Option<String>) {
        let Some(mut lease) = self.leases.remove(id) else {
            return;
        };
        if lease.state == LeaseState::Granted {
            self.granted.retain(|g| g != id);
            self.used.sub(&lease.amounts);
            self.reserved.remove(id);
        } else {
            self.queue.retain(|q| q != id);
        }
        lease.state = state;
        lease.ended_ms = Some(now_ms);
        lease.reason = reason.or(lease.reason);
        self.remember_ended(lease);
    }

    fn remember_ended(&mut self, lease: Lease) {
        self.ended.push_back(lease.id.clone());
        self.leases.insert(lease.id.clone(), lease);
        while self.ended.len() > HISTORY {
            if let Some(old) = self.ended.pop_front() {
                self.leases.remove(&old);
            }
        }
    }

    /// A copy of a lease this call just looked up or made.
    fn copy(&self, id: &str) -> Lease {
        self.leases.get(id).cloned().unwrap_or_else(|| missing(id))
    }

    fn change(&self, kind: LeaseChangeKind, id: &str, now_ms: i64) -> Change {
        let lease = self.copy(id);
        let position = (lease.state == LeaseState::Queued)
            .then(|| self.position(id, now_ms))
            .flatten();
        Change {
            kind,
            lease,
            position,
            code: None,
        }
    }

    fn refused(&self, id: &str, refusal: &Refusal, now_ms: i64) -> Change {
        Change {
            code: Some(refusal.code()),
            ..self.change(LeaseChangeKind::Refused, id, now_ms)
        }
    }

    /// Slot pools by name with their size (for the API).
    pub fn slot_pools(&self) -> &BTreeMap<String, u32> {
        &self.capacity.slots
    }
}

/// Placeholder for a lease that vanished between two lines (cannot happen: every caller
/// looked it up first); keeps `change` total without a panic.
fn missing(id: &str) -> Lease {
    Lease {
        id: id.to_string(),
        seq: 0,
        holder: String::new(),
        request_id: None,
        amounts: Amounts::default(),
        priority: Priority::Low,
        state: LeaseState::Released,
        ttl_ms: 0,
        created_ms: 0,
        wait_until_ms: 0,
        granted_ms: None,
        expires_ms: None,
        revoke_ms: None,
        ended_ms: None,
        reason: None,
    }
}

#[cfg(test)]
#[path = "manager_tests.rs"]
mod tests;

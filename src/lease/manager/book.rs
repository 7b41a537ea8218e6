//! Grant bookkeeping: moving a lease into or out of the granted set with what it uses, keeping
//! the recent history, and describing each change for persistence and announcements.

use super::super::types::{Amounts, Lease, LeaseState, Priority};
use super::outcome::{LeaseOpError, LeaseRefusal, LeaseUpdate};
use super::state::{HISTORY, Manager};
use crate::event::LeaseChangeKind;

impl Manager {
    pub(super) fn grant(&mut self, id: &str, now_ms: i64) {
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
    pub(super) fn live(&self, id: &str) -> Result<&Lease, LeaseOpError> {
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
    pub(super) fn end(&mut self, id: &str, state: LeaseState, now_ms: i64, reason: Option<String>) {
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

    pub(super) fn remember_ended(&mut self, lease: Lease) {
        self.ended.push_back(lease.id.clone());
        self.leases.insert(lease.id.clone(), lease);
        while self.ended.len() > HISTORY {
            if let Some(old) = self.ended.pop_front() {
                self.leases.remove(&old);
            }
        }
    }

    /// A copy of a lease this call just looked up or made.
    pub(super) fn copy(&self, id: &str) -> Lease {
        self.leases.get(id).cloned().unwrap_or_else(|| missing(id))
    }

    pub(super) fn change(&self, kind: LeaseChangeKind, id: &str, now_ms: i64) -> LeaseUpdate {
        let lease = self.copy(id);
        let position = (lease.state == LeaseState::Queued)
            .then(|| self.position(id, now_ms))
            .flatten();
        LeaseUpdate {
            kind,
            lease,
            position,
            code: None,
        }
    }

    pub(super) fn refused(&self, id: &str, refusal: &LeaseRefusal, now_ms: i64) -> LeaseUpdate {
        LeaseUpdate {
            code: Some(refusal.code()),
            ..self.change(LeaseChangeKind::Refused, id, now_ms)
        }
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

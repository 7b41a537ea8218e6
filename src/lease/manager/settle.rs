//! Applying what fell due at a moment: waits running out, revocations after a preemption
//! notice, expiries, then grants from the head of the queue and, if the head cannot fit,
//! preemption notices.

use super::super::types::{Amounts, LeaseState, Priority};
use super::outcome::LeaseUpdate;
use super::state::Manager;
use crate::event::LeaseChangeKind;

impl Manager {
    /// Applies everything due at `now_ms`: waits run out, revocations, expiries, then grants
    /// from the head of the queue and, if the head cannot fit, preemption notices.
    pub fn settle(&mut self, now_ms: i64) -> Vec<LeaseUpdate> {
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
}

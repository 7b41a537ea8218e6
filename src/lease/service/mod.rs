//! The running lease manager: one [`Manager`] behind a mutex, on the app's clock, its changes
//! saved to SQLite before any caller hears of them, then announced on the bus.
//!
//! Saving is a group commit: each operation hands its changed rows to one writer task while
//! it still holds the manager's lock (so rows reach the database in the order they were
//! made) and waits for the commit outside the lock; the writer takes everything waiting as
//! one transaction. Under many concurrent callers that is one commit for many decisions.

use crate::util::time::DAY_MS;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::manager::{LeaseDecision, LeaseOpError, LeaseUpdate, Manager, Saved};
use super::overrun::{self, Overrun};
use super::request::{self, RequestError};
use super::rows;
use super::types::{Capacity, LeasePolicy, Request};
use super::view::{LeaseView, StatusView};
use crate::event::LeaseChange;
use crate::model::{Snapshot, registry};
use crate::store::{Store, StoreError};
use crate::util::{Clock, Emit, lock};

/// Ended leases kept in memory at start (older ones are read from the database on demand).
const RECENT_AT_START: u32 = 1000;
/// Ended leases are deleted from the database after this long.
const KEEP_ENDED_MS: i64 = 7 * DAY_MS;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Lease(#[from] LeaseOpError),
    /// The decision was made but could not be saved; the lease exists until it ends.
    #[error("the lease database could not be written: {0}")]
    NotSaved(String),
    #[error("the lease database could not be read: {0}")]
    Unreadable(String),
    #[error("the lease service has stopped")]
    Stopped,
}

/// One group of changes waiting to be saved, and who waits for it.
pub(super) struct Job {
    pub(super) changes: Vec<LeaseUpdate>,
    /// Leases taken back because their request could not be saved: their unsaved changes
    /// are dropped, never written nor announced.
    pub(super) withdrawn: Vec<String>,
    pub(super) done: oneshot::Sender<Result<(), String>>,
}

/// Handle to the running lease manager; cheap to clone.
#[derive(Clone)]
pub struct LeaseService {
    inner: Arc<Inner>,
}

struct Inner {
    manager: Mutex<Manager>,
    clock: Clock,
    store: Store,
    jobs: mpsc::UnboundedSender<Job>,
    /// Holders now using more than they leased, by holder.
    overruns: Mutex<HashMap<String, Overrun>>,
    host_cores: f64,
}

/// The writer task of a service, to be run on the app's tracker.
pub struct Writer {
    pub(super) store: Store,
    pub(super) jobs: mpsc::UnboundedReceiver<Job>,
    pub(super) emit: Emit<LeaseChange>,
}

impl LeaseService {
    /// Restores the leases saved in `store` (live ones and the queue come back as they were;
    /// what fell due while stopped is applied at the first call) and returns the service and
    /// its writer task.
    pub async fn open(
        store: Store,
        clock: Clock,
        capacity: Capacity,
        policy: LeasePolicy,
        host_cores: f64,
        emit: Emit<LeaseChange>,
    ) -> Result<(LeaseService, Writer), StoreError> {
        let (stored, max_seq) = store.load_leases(RECENT_AT_START).await?;
        let mut leases = Vec::with_capacity(stored.len());
        for row in &stored {
            match rows::from_row(row) {
                Some(lease) => leases.push(lease),
                None => tracing::warn!(id = %row.id, "unreadable lease row skipped"),
            }
        }
        let saved = Saved {
            next_seq: max_seq as u64 + 1,
            leases,
        };
        let manager = Manager::restore(capacity, policy, saved);
        let (jobs_tx, jobs) = mpsc::unbounded_channel();
        let service = LeaseService {
            inner: Arc::new(Inner {
                manager: Mutex::new(manager),
                clock,
                store: store.clone(),
                jobs: jobs_tx,
                overruns: Mutex::new(HashMap::new()),
                host_cores,
            }),
        };
        Ok((service, Writer { store, jobs, emit }))
    }

    pub(super) fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Hands `changes` to the writer (call with the manager locked, to keep their order).
    fn send(&self, changes: Vec<LeaseUpdate>) -> Option<oneshot::Receiver<Result<(), String>>> {
        self.send_job(changes, Vec::new())
    }

    fn send_job(
        &self,
        changes: Vec<LeaseUpdate>,
        withdrawn: Vec<String>,
    ) -> Option<oneshot::Receiver<Result<(), String>>> {
        if changes.is_empty() && withdrawn.is_empty() {
            return None;
        }
        let (done, wait) = oneshot::channel();
        self.inner
            .jobs
            .send(Job {
                changes,
                withdrawn,
                done,
            })
            .ok()?;
        Some(wait)
    }

    async fn saved(
        wait: Option<oneshot::Receiver<Result<(), String>>>,
    ) -> Result<(), ServiceError> {
        match wait {
            None => Ok(()),
            Some(wait) => match wait.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(err)) => Err(ServiceError::NotSaved(err)),
                Err(_) => Err(ServiceError::Stopped),
            },
        }
    }

    /// Reads a request (REST body or event data) and decides it.
    pub async fn request_json(&self, body: &Value) -> Result<LeaseDecision, ServiceError> {
        let request = {
            let manager = lock(&self.inner.manager);
            request::parse(body, manager.capacity(), manager.policy())?
        };
        self.request(request).await
    }

    /// Decides a validated request; answers once the decision is saved. All or nothing: a
    /// decision that could not be saved is taken back (not granted, not queued, not
    /// announced) and the caller gets the error.
    pub async fn request(&self, request: Request) -> Result<LeaseDecision, ServiceError> {
        let (decision, wait) = {
            let mut manager = lock(&self.inner.manager);
            let (decision, changes) = manager.request(request, self.now());
            (decision, self.send(changes))
        };
        if let Err(err) = Self::saved(wait).await {
            let id = decision.lease().id.clone();
            let wait = {
                let mut manager = lock(&self.inner.manager);
                let changes = manager.withdraw(&id, self.now());
                self.send_job(changes, vec![id.clone()])
            };
            tracing::warn!(resource_management_id = %id, error = %err, "lease request not saved: taken back");
            // What the withdrawal freed is saved with the next group if not now.
            let _ = Self::saved(wait).await;
            return Err(err);
        }
        Ok(decision)
    }

    /// Releases a lease (or withdraws a queued request).
    pub async fn release(&self, id: &str) -> Result<LeaseView, ServiceError> {
        self.operate(id, |m, now| m.release(id, now)).await
    }

    /// Renews a granted lease with the TTL in `body` (`{"ttl_seconds": N}`).
    pub async fn renew_json(&self, id: &str, body: &Value) -> Result<LeaseView, ServiceError> {
        let ttl_ms = {
            let manager = lock(&self.inner.manager);
            request::parse_renew(body, manager.policy())?
        };
        self.operate(id, |m, now| m.renew(id, ttl_ms, now)).await
    }

    async fn operate(
        &self,
        id: &str,
        op: impl FnOnce(&mut Manager, i64) -> (Vec<LeaseUpdate>, Result<(), LeaseOpError>),
    ) -> Result<LeaseView, ServiceError> {
        let (result, wait) = {
            let mut manager = lock(&self.inner.manager);
            let now = self.now();
            let (changes, result) = op(&mut manager, now);
            let view = manager
                .get(id)
                .map(|l| LeaseView::of(l, manager.position(id, now)));
            (result.map(|()| view), self.send(changes))
        };
        Self::saved(wait).await?;
        result?.ok_or_else(|| LeaseOpError::NotFound(id.to_string()).into())
    }

    /// Applies what fell due (expiries, revocations, waits run out, grants that follow).
    pub async fn settle(&self) -> Result<(), ServiceError> {
        let wait = {
            let mut manager = lock(&self.inner.manager);
            let changes = manager.settle(self.now());
            self.send(changes)
        };
        Self::saved(wait).await
    }

    /// A new reading of memory available now, in MB.
    pub async fn set_available_memory(&self, available_mb: u64) -> Result<(), ServiceError> {
        self.set_memory_reading(available_mb, std::collections::BTreeMap::new())
            .await
    }

    /// A new reading of memory available now, with the measured memory of add-on holders (MB).
    async fn set_memory_reading(
        &self,
        available_mb: u64,
        holders_mb: std::collections::BTreeMap<String, u64>,
    ) -> Result<(), ServiceError> {
        let wait = {
            let mut manager = lock(&self.inner.manager);
            let changes = manager.set_memory_reading(available_mb, holders_mb, self.now());
            self.send(changes)
        };
        Self::saved(wait).await
    }

    /// Capacity, what is available, granted leases and the queue.
    pub fn status(&self) -> StatusView {
        let mut status = {
            let manager = lock(&self.inner.manager);
            StatusView::of(&manager, self.now())
        };
        status.overruns = self.overruns();
        status
    }

    /// One lease by id: from memory, else (ended long ago) from the database.
    pub async fn get(&self, id: &str) -> Result<Option<LeaseView>, ServiceError> {
        {
            let manager = lock(&self.inner.manager);
            let now = self.now();
            if let Some(lease) = manager.get(id) {
                return Ok(Some(LeaseView::of(lease, manager.position(id, now))));
            }
        }
        let row = self
            .inner
            .store
            .load_lease(id)
            .await
            .map_err(|e| ServiceError::Unreadable(e.to_string()))?;
        Ok(row
            .as_ref()
            .and_then(rows::from_row)
            .map(|l| LeaseView::of(&l, None)))
    }

    /// Holders now using more than they leased.
    pub fn overruns(&self) -> Vec<Overrun> {
        let mut list: Vec<Overrun> = lock(&self.inner.overruns).values().cloned().collect();
        list.sort_by(|a, b| a.holder.cmp(&b.holder));
        list
    }

    /// Takes a snapshot's memory reading, applies what fell due (once: a new reading settles
    /// by itself) and checks add-on holders against their leases. Returns the holders that
    /// started overrunning with this snapshot.
    pub async fn observe(&self, snapshot: &Snapshot) -> Result<Vec<Overrun>, ServiceError> {
        match snapshot.value(registry::MEMORY_AVAILABLE.pattern) {
            Some(bytes) => {
                // Holders that are add-ons: their measured memory tells how much of a lease
                // is already in use (and so already out of the reading).
                let holders_mb = snapshot
                    .samples
                    .iter()
                    .filter_map(|s| {
                        let slug = s
                            .series
                            .id
                            .strip_prefix("addon.")?
                            .strip_suffix(".memory_bytes")?;
                        Some((slug.to_string(), (s.value / 1_048_576.0) as u64))
                    })
                    .collect();
                self.set_memory_reading((bytes / 1_048_576.0) as u64, holders_mb)
                    .await?
            }
            None => self.settle().await?,
        }
        let found = {
            let manager = lock(&self.inner.manager);
            overrun::find(&manager.granted(), snapshot, self.inner.host_cores)
        };
        let mut known = lock(&self.inner.overruns);
        let new: Vec<Overrun> = found
            .iter()
            .filter(|o| !known.contains_key(&o.holder))
            .cloned()
            .collect();
        *known = found.into_iter().map(|o| (o.holder.clone(), o)).collect();
        Ok(new)
    }

    /// The leases of `holder` that are granted, for an overrun announcement.
    pub fn granted_of(&self, holder: &str) -> Vec<LeaseView> {
        let manager = lock(&self.inner.manager);
        manager
            .granted()
            .into_iter()
            .filter(|l| l.holder == holder)
            .map(|l| LeaseView::of(l, None))
            .collect()
    }

    /// The earliest moment something is due.
    pub(super) fn next_deadline(&self) -> Option<i64> {
        lock(&self.inner.manager).next_deadline()
    }

    /// Deletes leases that ended more than a week ago.
    pub async fn prune(&self) -> Result<u64, StoreError> {
        self.inner
            .store
            .prune_leases(self.now() - KEEP_ENDED_MS)
            .await
    }
}

/// A lease change as the bus carries it.
pub fn announcement(change: &LeaseUpdate, at_ms: i64) -> LeaseChange {
    let lease = &change.lease;
    LeaseChange {
        lease_id: lease.id.clone(),
        holder: lease.holder.clone(),
        request_id: lease.request_id.clone(),
        at_ms,
        kind: change.kind,
        state: lease.state,
        expires_ms: lease.expires_ms.filter(|_| lease.is_granted()),
        revoke_ms: lease.revoke_ms.filter(|_| lease.is_granted()),
        position: change.position,
        reason: lease.reason.clone(),
        code: change.code,
    }
}

#[cfg(test)]
mod tests;

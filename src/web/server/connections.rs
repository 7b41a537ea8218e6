//! The open HTTP connections and the cap on them.
//!
//! A connection is *busy* while a request is being answered (an SSE stream is busy for its
//! whole life) and *idle* otherwise: waiting for its first request, half-sent, or kept alive
//! between requests. At the cap, a new connection takes the place of the oldest idle one, or
//! else of the oldest one still *receiving* its request body (a client that has not finished
//! sending is no better than a half-sent one), so a flood of half-open connections or of
//! bodies sent a byte at a time can never lock out `/healthz` or the dashboard; only when every
//! connection is busy answering is the newcomer refused.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// One admitted connection, as its task holds it.
#[derive(Debug)]
pub struct Admitted {
    pub id: u64,
    /// Requests in progress on it (0 = idle).
    pub busy: Arc<AtomicUsize>,
    /// Requests on it whose body is still arriving.
    pub receiving: Arc<AtomicUsize>,
    /// Cancelled when a newcomer takes this connection's place.
    pub evicted: CancellationToken,
}

/// Counters shown in Diagnostics.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct ConnectionCounts {
    pub open: usize,
    pub max: usize,
    /// Idle connections closed to make room since start.
    pub evicted: u64,
    /// Connections refused because every open one was busy.
    pub refused: u64,
}

#[derive(Debug)]
struct Entry {
    busy: Arc<AtomicUsize>,
    receiving: Arc<AtomicUsize>,
    evicted: CancellationToken,
}

/// The table of open connections; shared by the accept loops of every listener.
#[derive(Debug)]
pub struct ConnectionTable {
    max: usize,
    open: Mutex<BTreeMap<u64, Entry>>,
    next_id: AtomicU64,
    evicted: AtomicU64,
    refused: AtomicU64,
}

impl ConnectionTable {
    /// A table holding at most `max` connections (at least one).
    pub fn new(max: usize) -> Self {
        ConnectionTable {
            max: max.max(1),
            open: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    fn entries(&self) -> MutexGuard<'_, BTreeMap<u64, Entry>> {
        // The map stays consistent whatever panicked while holding the lock.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a new connection, closing the oldest idle one (else the oldest still receiving
    /// a request body) when the table is full; `None` when every open connection is busy
    /// answering.
    pub fn admit(&self) -> Option<Admitted> {
        let mut open = self.entries();
        if open.len() >= self.max {
            let oldest_idle = open
                .iter()
                .find(|(_, e)| e.busy.load(Ordering::Acquire) == 0)
                .or_else(|| {
                    open.iter()
                        .find(|(_, e)| e.receiving.load(Ordering::Acquire) > 0)
                })
                .map(|(id, _)| *id);
            match oldest_idle.and_then(|id| open.remove(&id)) {
                Some(entry) => {
                    entry.evicted.cancel();
                    self.evicted.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            }
        }
        // Ids only grow, so the map's order is the order of arrival.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let busy = Arc::new(AtomicUsize::new(0));
        let receiving = Arc::new(AtomicUsize::new(0));
        let evicted = CancellationToken::new();
        open.insert(
            id,
            Entry {
                busy: busy.clone(),
                receiving: receiving.clone(),
                evicted: evicted.clone(),
            },
        );
        Some(Admitted {
            id,
            busy,
            receiving,
            evicted,
        })
    }

    /// Forgets a connection that ended (a no-op for one already evicted).
    pub fn close(&self, id: u64) {
        self.entries().remove(&id);
    }

    /// Open connections, the cap and what the cap did.
    pub fn counts(&self) -> ConnectionCounts {
        ConnectionCounts {
            open: self.entries().len(),
            max: self.max,
            evicted: self.evicted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

/// Holds one count of a connection's counter for as long as it lives: a request in progress
/// (`busy`, dropped with its response body) or a request body still arriving (`receiving`,
/// dropped by the body wrapper once the body is whole).
#[derive(Debug)]
pub struct CountGuard(Arc<AtomicUsize>);

impl CountGuard {
    pub fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        CountGuard(counter.clone())
    }
}

impl Drop for CountGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A request in progress on its connection (its response body holds it).
pub type BusyGuard = CountGuard;
/// A request body still arriving on its connection.
pub type ReceivingGuard = CountGuard;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_full_table_closes_the_oldest_idle_connection() {
        let table = ConnectionTable::new(3);
        let a = table.admit().expect("room");
        let b = table.admit().expect("room");
        let c = table.admit().expect("room");
        let _busy_a = BusyGuard::new(&a.busy);
        let d = table.admit().expect("an idle one makes room");
        assert!(
            !a.evicted.is_cancelled(),
            "a busy connection is never evicted"
        );
        assert!(b.evicted.is_cancelled(), "the oldest idle one goes");
        assert!(!c.evicted.is_cancelled());
        assert!(!d.evicted.is_cancelled());
        let counts = table.counts();
        assert_eq!((counts.open, counts.evicted, counts.refused), (3, 1, 0));
    }

    #[test]
    fn a_table_of_busy_connections_refuses_newcomers() {
        let table = ConnectionTable::new(2);
        let a = table.admit().expect("room");
        let b = table.admit().expect("room");
        let _ga = BusyGuard::new(&a.busy);
        let gb = BusyGuard::new(&b.busy);
        assert!(table.admit().is_none());
        assert_eq!(table.counts().refused, 1);
        drop(gb);
        assert!(table.admit().is_some(), "idle again: evictable");
        assert!(b.evicted.is_cancelled());
    }

    #[test]
    fn closing_frees_a_place() {
        let table = ConnectionTable::new(1);
        let a = table.admit().expect("room");
        let _g = BusyGuard::new(&a.busy);
        assert!(table.admit().is_none());
        table.close(a.id);
        assert!(table.admit().is_some());
    }

    proptest! {
        /// Whatever the sequence of arrivals, requests and closes: never more open than the
        /// cap, never a busy connection evicted, and a newcomer refused only when all are busy.
        #[test]
        fn never_over_the_cap_and_never_evicts_a_busy_connection(
            max in 1usize..6,
            steps in proptest::collection::vec((0u8..4, 0usize..8), 1..80),
        ) {
            let table = ConnectionTable::new(max);
            let mut live: Vec<(Admitted, Option<BusyGuard>)> = Vec::new();
            for (op, pick) in steps {
                live.retain(|(a, _)| !a.evicted.is_cancelled());
                match op {
                    0 | 1 => {
                        let all_busy = live.len() >= max && live.iter().all(|(_, g)| g.is_some());
                        match table.admit() {
                            Some(a) => {
                                prop_assert!(!all_busy, "admitted although every place was busy");
                                live.push((a, None));
                            }
                            None => prop_assert!(all_busy, "refused with an idle place"),
                        }
                    }
                    2 if !live.is_empty() => {
                        let i = pick % live.len();
                        let (a, g) = &mut live[i];
                        *g = match g.take() { Some(_) => None, None => Some(BusyGuard::new(&a.busy)) };
                    }
                    3 if !live.is_empty() => {
                        let (a, _) = live.remove(pick % live.len());
                        table.close(a.id);
                    }
                    _ => {}
                }
                for (a, g) in &live {
                    prop_assert!(!(g.is_some() && a.evicted.is_cancelled()));
                }
                prop_assert!(table.counts().open <= max);
            }
        }
    }
}

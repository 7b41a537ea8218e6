//! Who wants which Home Assistant events. Components call [`HaEvents::subscribe`] (before or
//! after the link is up); the link subscribes in Home Assistant to every wanted type after each
//! (re)connect, unsubscribes a type when its last receiver is dropped, and hands each event to
//! the receivers of its type without ever waiting for them.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::{Notify, mpsc};

use super::events::{EventError, HaEvent};
use crate::util::lock;

/// Events a receiver may have waiting before new ones are dropped for it.
pub const DEFAULT_CAPACITY: usize = 256;
/// Parse errors logged one by one before only every hundredth is.
const LOGGED_PARSE_ERRORS: u64 = 10;

/// Hands out event receivers; cheap to clone, one per link.
#[derive(Clone, Default)]
pub struct HaEvents {
    registry: Arc<Registry>,
}

/// Counters of the event dispatch, for status and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HaEventStats {
    /// Live receivers.
    pub receivers: usize,
    /// Events handed to a receiver.
    pub delivered: u64,
    /// Events lost because a receiver was full.
    pub dropped: u64,
    /// Event messages that could not be read (never fatal to the link).
    pub parse_errors: u64,
}

#[derive(Default)]
struct Registry {
    receivers: Mutex<Receivers>,
    /// Wakes the link when the set of wanted event types may have changed.
    changed: Notify,
    next_key: AtomicU64,
    delivered: AtomicU64,
    dropped: AtomicU64,
    parse_errors: AtomicU64,
}

#[derive(Default)]
struct Receivers {
    entries: Vec<Entry>,
    /// Set when the link stopped for good: receivers then end instead of waiting.
    closed: bool,
}

struct Entry {
    key: u64,
    event_type: String,
    sender: mpsc::Sender<HaEvent>,
    missed: Arc<AtomicU64>,
    /// Events dropped since this receiver last took one (logged once per run of drops).
    dropping: u64,
}

/// Receives the events of one type; dropping it ends the subscription.
pub struct HaEventReceiver {
    receiver: mpsc::Receiver<HaEvent>,
    event_type: String,
    key: u64,
    missed: Arc<AtomicU64>,
    registry: Arc<Registry>,
}

impl HaEvents {
    /// A registry with no receivers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Receives every `event_type` event (`*` for all) from now on, across reconnects.
    pub fn subscribe(&self, event_type: &str) -> HaEventReceiver {
        self.subscribe_with_capacity(event_type, DEFAULT_CAPACITY)
    }

    /// [`Self::subscribe`] with room for `capacity` waiting events (at least one).
    pub fn subscribe_with_capacity(&self, event_type: &str, capacity: usize) -> HaEventReceiver {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let key = self.registry.next_key.fetch_add(1, Ordering::Relaxed);
        let missed = Arc::new(AtomicU64::new(0));
        {
            let mut receivers = lock(&self.registry.receivers);
            // After the link stopped, the sender is dropped here and the receiver ends at once.
            if !receivers.closed {
                receivers.entries.push(Entry {
                    key,
                    event_type: event_type.to_string(),
                    sender,
                    missed: missed.clone(),
                    dropping: 0,
                });
            }
        }
        self.registry.changed.notify_one();
        HaEventReceiver {
            receiver,
            event_type: event_type.to_string(),
            key,
            missed,
            registry: self.registry.clone(),
        }
    }

    /// Dispatch counters so far.
    pub fn stats(&self) -> HaEventStats {
        let r = &self.registry;
        HaEventStats {
            receivers: lock(&r.receivers).entries.len(),
            delivered: r.delivered.load(Ordering::Relaxed),
            dropped: r.dropped.load(Ordering::Relaxed),
            parse_errors: r.parse_errors.load(Ordering::Relaxed),
        }
    }

    /// The event types some receiver wants.
    pub(crate) fn wanted(&self) -> BTreeSet<String> {
        lock(&self.registry.receivers)
            .entries
            .iter()
            .map(|e| e.event_type.clone())
            .collect()
    }

    /// Resolves when the wanted types may have changed since the last call.
    pub(crate) async fn changed(&self) {
        self.registry.changed.notified().await;
    }

    /// Hands `event` (from Home Assistant's subscription to `event_type`) to its receivers.
    /// Never waits: a full receiver loses the event, and the loss is counted and logged.
    pub(crate) fn dispatch(&self, event_type: &str, event: HaEvent) {
        let r = &self.registry;
        let mut receivers = lock(&r.receivers);
        let mut gone = false;
        for entry in receivers
            .entries
            .iter_mut()
            .filter(|e| e.event_type == event_type)
        {
            match entry.sender.try_send(event.clone()) {
                Ok(()) => {
                    r.delivered.fetch_add(1, Ordering::Relaxed);
                    if entry.dropping > 0 {
                        tracing::info!(
                            event_type,
                            dropped = entry.dropping,
                            "a Home Assistant event receiver caught up"
                        );
                        entry.dropping = 0;
                    }
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    r.dropped.fetch_add(1, Ordering::Relaxed);
                    entry.missed.fetch_add(1, Ordering::Relaxed);
                    if entry.dropping == 0 {
                        tracing::warn!(
                            event_type,
                            "a Home Assistant event receiver is full: dropping its events until it catches up"
                        );
                    }
                    entry.dropping += 1;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => gone = true,
            }
        }
        if gone {
            receivers.entries.retain(|e| !e.sender.is_closed());
            r.changed.notify_one();
        }
    }

    /// Counts (and logs, sparingly) an event message that could not be read.
    pub(crate) fn note_parse_error(&self, error: &EventError) {
        let n = self.registry.parse_errors.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= LOGGED_PARSE_ERRORS || n.is_multiple_of(100) {
            tracing::warn!(error = %error, parse_errors = n, "ignored a Home Assistant event that could not be read");
        }
    }

    /// The link stopped for good: receivers end once they have taken what is queued.
    pub(crate) fn close(&self) {
        let mut receivers = lock(&self.registry.receivers);
        receivers.closed = true;
        receivers.entries.clear();
    }
}

impl HaEventReceiver {
    /// The next event; `None` once the link has stopped for good.
    pub async fn recv(&mut self) -> Option<HaEvent> {
        self.receiver.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Result<HaEvent, mpsc::error::TryRecvError> {
        self.receiver.try_recv()
    }

    /// The event type this receiver gets.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// Events lost for this receiver because it was full.
    pub fn missed(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }
}

impl Drop for HaEventReceiver {
    fn drop(&mut self) {
        lock(&self.registry.receivers)
            .entries
            .retain(|e| e.key != self.key);
        self.registry.changed.notify_one();
    }
}

impl std::fmt::Debug for HaEventReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HaEventReceiver")
            .field("event_type", &self.event_type)
            .field("missed", &self.missed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::events::{EventContext, EventData, EventOrigin};
    use super::*;

    fn event(n: u64) -> HaEvent {
        HaEvent {
            event_type: "test_event".into(),
            time_fired: "2026-01-01T00:00:00+00:00".into(),
            origin: EventOrigin::Local,
            context: EventContext::default(),
            data: EventData::Other(serde_json::json!({ "n": n })),
        }
    }

    #[test]
    fn a_full_receiver_loses_events_without_holding_up_the_others() {
        let events = HaEvents::new();
        let mut slow = events.subscribe_with_capacity("test_event", 2);
        let mut quick = events.subscribe("test_event");
        let mut other = events.subscribe("state_changed");
        for n in 0..5 {
            events.dispatch("test_event", event(n));
        }
        assert_eq!(slow.missed(), 3);
        assert_eq!(quick.missed(), 0);
        let got: Vec<_> = std::iter::from_fn(|| quick.try_recv().ok()).collect();
        assert_eq!(got.len(), 5);
        assert_eq!(slow.try_recv().ok(), Some(event(0)));
        assert_eq!(slow.try_recv().ok(), Some(event(1)));
        assert!(slow.try_recv().is_err());
        assert!(other.try_recv().is_err(), "other types are not delivered");
        let stats = events.stats();
        assert_eq!((stats.delivered, stats.dropped), (7, 3));
        // Having made room, the slow receiver gets new events again.
        events.dispatch("test_event", event(9));
        assert_eq!(slow.try_recv().ok(), Some(event(9)));
    }

    #[test]
    fn dropping_the_last_receiver_of_a_type_stops_wanting_it() {
        let events = HaEvents::new();
        let a = events.subscribe("state_changed");
        let b = events.subscribe("state_changed");
        let c = events.subscribe("call_service");
        assert_eq!(events.wanted().len(), 2);
        drop(a);
        assert!(events.wanted().contains("state_changed"));
        drop(b);
        assert_eq!(
            events.wanted().into_iter().collect::<Vec<_>>(),
            ["call_service"]
        );
        assert_eq!(events.stats().receivers, 1);
        drop(c);
        assert!(events.wanted().is_empty());
    }

    #[tokio::test]
    async fn receivers_end_when_the_link_stops_for_good() {
        let events = HaEvents::new();
        let mut before = events.subscribe("state_changed");
        events.dispatch("state_changed", event(1));
        events.close();
        assert_eq!(
            before.recv().await,
            Some(event(1)),
            "queued events are kept"
        );
        assert_eq!(before.recv().await, None);
        let mut after = events.subscribe("state_changed");
        assert_eq!(after.recv().await, None);
    }
}

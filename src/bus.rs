//! The typed event bus: one broadcast of [`Event`]s that the parts of the app publish to and
//! subscribe from. It sits above the alert engine in the layering (its `Event` names alert
//! transitions); producers below it publish through a [`util::Emit`](crate::util::Emit) that
//! `app.rs` builds with [`Bus::emitter`]. The engine's own tick fan-out (latest `watch`, the
//! alert engine's channel, the store's sized queue) stays as it is: see
//! docs/adr/0008-event-bus-and-derived-series.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::broadcast;

use crate::alert::AlertTransition;
use crate::event::{ActionResult, LeaseChange};
use crate::model::Snapshot;
use crate::util::Emit;

/// Events buffered per subscriber before it lags (about a minute of ticks with a burst of
/// transitions on top; a subscriber that falls further behind resyncs).
pub const CAPACITY: usize = 256;

/// Everything that travels on the bus.
#[derive(Debug, Clone)]
pub enum Event {
    /// Reserved: one tick of the engine, derived series included. Not published while nothing
    /// consumes it (every current reader takes ticks from the engine's own fan-out), so
    /// subscribers of other events do not wake, or lag, on every tick.
    Tick(Arc<Snapshot>),
    /// An alert changed state (pending, fired, escalated, resolved, acknowledged, …), in the
    /// order the alert engine made it. Subscribers that lag resync from the alert handle.
    Alert(Box<AlertTransition>),
    /// An add-on action finished (the advisor), whatever its outcome.
    ActionResult(ActionResult),
    /// A lease changed state, or its holder was told something (`crate::lease`).
    LeaseChanged(LeaseChange),
}

/// Handle to the bus; cheap to clone.
#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<Event>,
    lagged: Arc<AtomicU64>,
}

impl Bus {
    /// A bus whose subscribers each buffer `capacity` events.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Bus {
            tx,
            lagged: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Offers an event to every current subscriber; never blocks. No subscriber is fine.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    /// Every event from now on; `name` says who lags in the log.
    pub fn subscribe(&self, name: &'static str) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
            name,
            lagged: self.lagged.clone(),
        }
    }

    /// A typed sink for a producer below the bus: each value is wrapped by `wrap` and published.
    pub fn emitter<T: 'static>(&self, wrap: fn(T) -> Event) -> Emit<T> {
        let bus = self.clone();
        Emit::new(move |value| bus.publish(wrap(value)))
    }

    /// Events subscribers missed because they fell behind, since start, all subscribers.
    pub fn lagged_total(&self) -> u64 {
        self.lagged.load(Ordering::Relaxed)
    }
}

impl Default for Bus {
    fn default() -> Self {
        Bus::new(CAPACITY)
    }
}

/// What a subscriber gets next.
#[derive(Debug)]
pub enum Delivery {
    Event(Event),
    /// The subscriber fell behind and this many events were dropped for it (already counted
    /// and logged); it should resync from the source of truth.
    Missed(u64),
}

/// One subscriber's place on the bus. Lag is counted and logged here, so no receiver can
/// forget to.
pub struct Subscription {
    rx: broadcast::Receiver<Event>,
    name: &'static str,
    lagged: Arc<AtomicU64>,
}

impl Subscription {
    /// The next delivery; `None` once every bus handle is gone.
    pub async fn recv(&mut self) -> Option<Delivery> {
        match self.rx.recv().await {
            Ok(event) => Some(Delivery::Event(event)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                let total = self.lagged.fetch_add(missed, Ordering::Relaxed) + missed;
                tracing::warn!(
                    subscriber = self.name,
                    missed,
                    total,
                    "event bus subscriber fell behind; events skipped"
                );
                Some(Delivery::Missed(missed))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(ts_ms: i64) -> Event {
        Event::Tick(Arc::new(Snapshot {
            ts_ms,
            ..Snapshot::default()
        }))
    }

    fn ts(delivery: Option<Delivery>) -> Option<i64> {
        match delivery {
            Some(Delivery::Event(Event::Tick(s))) => Some(s.ts_ms),
            _ => None,
        }
    }

    #[tokio::test]
    async fn every_subscriber_gets_every_event_in_order() {
        let bus = Bus::new(8);
        let mut a = bus.subscribe("a");
        let mut b = bus.subscribe("b");
        let emit = bus.emitter(Event::Tick);
        bus.publish(tick(1));
        emit.emit(Arc::new(Snapshot {
            ts_ms: 2,
            ..Snapshot::default()
        }));
        assert_eq!((ts(a.recv().await), ts(a.recv().await)), (Some(1), Some(2)));
        assert_eq!((ts(b.recv().await), ts(b.recv().await)), (Some(1), Some(2)));
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_told_how_much_it_missed_and_the_bus_counts_it() {
        let bus = Bus::new(2);
        let mut slow = bus.subscribe("slow");
        for ts in 1..=5 {
            bus.publish(tick(ts));
        }
        assert!(matches!(slow.recv().await, Some(Delivery::Missed(3))));
        assert_eq!(bus.lagged_total(), 3);
        assert_eq!(ts(slow.recv().await), Some(4));
        assert_eq!(ts(slow.recv().await), Some(5));
    }

    #[tokio::test]
    async fn the_subscription_ends_when_the_bus_is_gone() {
        let bus = Bus::new(2);
        let mut sub = bus.subscribe("x");
        drop(bus);
        assert!(sub.recv().await.is_none());
    }
}

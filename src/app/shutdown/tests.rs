//! The shutdown order, observed: stand-in tasks that take time like the real ones record when
//! they really finish, so an order that only holds by luck (a stage not awaited before the next
//! one is cancelled) fails here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::*;
use crate::util::lock;

type Log = Arc<Mutex<Vec<String>>>;

fn record(log: &Log, step: impl Into<String>) {
    lock(log).push(step.into());
}

#[tokio::test]
async fn stages_stop_in_order_entities_go_unavailable_after_the_flush_and_before_the_link_closes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("h.db")).await.expect("open");
    let root = CancellationToken::new();
    let tracker = TaskTracker::new();
    let log: Log = Arc::default();
    let link_open = Arc::new(AtomicBool::new(true));
    // Writing the final batch takes longer than a request to Home Assistant, so a publisher
    // stopped before the flush was waited for would record first.
    let ms = |n| tokio::time::sleep(Duration::from_millis(n));

    let http_stop = root.child_token();
    let http = tracker.spawn({
        let (stop, log) = (http_stop.clone(), log.clone());
        async move {
            stop.cancelled().await;
            record(&log, "http stopped");
            Ok(())
        }
    });
    // The engine holds the writer's sender: the writer ends only once the engine is gone.
    let (queue_tx, mut queue_rx) = tokio::sync::mpsc::channel::<()>(1);
    let collect_stop = root.child_token();
    let engine = tracker.spawn({
        let (stop, log) = (collect_stop.clone(), log.clone());
        async move {
            stop.cancelled().await;
            ms(20).await;
            record(&log, "collection stopped");
            drop(queue_tx);
        }
    });
    let writer = tracker.spawn({
        let log = log.clone();
        async move {
            while queue_rx.recv().await.is_some() {}
            ms(80).await;
            record(&log, "store flushed");
        }
    });
    let publishers_stop = root.child_token();
    let publisher = tracker.spawn({
        let (stop, log, open) = (publishers_stop.clone(), log.clone(), link_open.clone());
        async move {
            stop.cancelled().await;
            // Marking entities unavailable is a request over the link: it takes a moment.
            ms(20).await;
            let link = if open.load(Ordering::SeqCst) {
                "link up"
            } else {
                "link already closed"
            };
            record(&log, format!("entities unavailable ({link})"));
        }
    });
    let links_stop = root.child_token();
    let link = tracker.spawn({
        let (stop, log, open) = (links_stop.clone(), log.clone(), link_open.clone());
        async move {
            stop.cancelled().await;
            open.store(false, Ordering::SeqCst);
            record(&log, "link closed");
        }
    });
    // A task that only the root token stops: nothing may be left running.
    let straggler = tracker.spawn({
        let root = root.clone();
        async move { root.cancelled().await }
    });

    let running = Running {
        addr: "127.0.0.1:0".parse().expect("addr"),
        root: root.clone(),
        tracker: tracker.clone(),
        http_stop,
        http,
        collect_stop,
        engine,
        flush: vec![("store writer", writer)],
        publishers_stop,
        publishers: vec![publisher],
        links_stop,
        links: vec![link],
        store: store.clone(),
    };
    running.shutdown_in_order().await.expect("clean stop");

    let steps = lock(&log).clone();
    let position = |step: &str| {
        steps
            .iter()
            .position(|s| s == step)
            .unwrap_or_else(|| panic!("'{step}' missing from {steps:?}"))
    };
    assert!(
        position("collection stopped") < position("store flushed"),
        "{steps:?}"
    );
    assert!(
        position("store flushed") < position("entities unavailable (link up)"),
        "{steps:?}"
    );
    assert!(
        position("entities unavailable (link up)") < position("link closed"),
        "{steps:?}"
    );
    assert!(
        position("http stopped") < position("store flushed"),
        "{steps:?}"
    );
    assert!(straggler.is_finished() && root.is_cancelled() && tracker.is_empty());
    assert!(
        store.recent_incidents(1).await.is_err(),
        "the store is closed last"
    );
}

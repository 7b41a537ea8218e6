use std::sync::Arc;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::super::RuleSet;
use super::super::engine;
use super::super::transition::{AlertTransition, TransitionKind};
use super::*;
use crate::model::{Sample, SeriesMeta, Snapshot, Unit};
use crate::store::Store;
use crate::util::Emit;

fn snapshot(ts_ms: i64, value: f64) -> Arc<Snapshot> {
    let meta = SeriesMeta::global("memory", "total_bytes", Unit::Bytes, "Installed memory");
    Arc::new(Snapshot {
        ts_ms,
        samples: vec![Sample {
            series: Arc::new(meta),
            value,
        }],
        ..Snapshot::default()
    })
}

fn rules(warn: f64) -> RuleSet {
    let mut problems = Vec::new();
    let rules = RuleSet::from_option(
        Some(
            &serde_json::json!([{"name": "always", "metric": "memory.total_bytes",
                                   "warn": warn, "for": "0s"}]),
        ),
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
    rules
}

#[tokio::test]
async fn the_active_list_follows_ticks_and_acknowledgements_and_stays_still_when_quiet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("h.db")).await.expect("open");
    let handle = AlertHandle::start(rules(1.0), store.clone(), 0, Emit::none())
        .await
        .expect("start");
    assert!(handle.active().is_empty());
    handle
        .evaluate(1000, engine::readings(&snapshot(1000, 4e9)))
        .await;
    let active = handle.active();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].status, crate::alert::Status::Firing);
    let id = active[0].incident_id.expect("incident");
    handle.acknowledge(id, 1500, None).await.expect("ack");
    assert!(handle.active()[0].acknowledged, "published at once");

    let other = Store::open(&dir.path().join("quiet.db"))
        .await
        .expect("open");
    let quiet = AlertHandle::start(rules(1e15), other.clone(), 0, Emit::none())
        .await
        .expect("start");
    let changes = quiet.inner.active.subscribe();
    for ts in [1000, 2000, 3000] {
        quiet
            .evaluate(ts, engine::readings(&snapshot(ts, 4e9)))
            .await;
    }
    assert!(!changes.has_changed().expect("open"), "nothing to tell");
    store.close().await;
    other.close().await;
}

#[tokio::test]
async fn the_task_rides_out_lag_and_stores_what_is_open_when_the_engine_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("h.db")).await.expect("open");
    let mut problems = Vec::new();
    let rules = RuleSet::from_option(
        Some(
            &serde_json::json!([{"name": "always", "metric": "memory.total_bytes",
                                   "warn": 1, "for": "0s"}]),
        ),
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let into = seen.clone();
    let emit = Emit::new(move |t: AlertTransition| crate::util::lock(&into).push(t.kind));
    let handle = AlertHandle::start(rules, store.clone(), 0, emit)
        .await
        .expect("start");
    // Three snapshots into a channel of one before the task reads: it lags by two.
    let (tx, rx) = broadcast::channel(1);
    for ts in [1000, 2000, 3000] {
        tx.send(snapshot(ts, 4e9)).expect("send");
    }
    drop(tx);
    run(handle.clone(), rx, CancellationToken::new()).await;
    assert_eq!(handle.firing_count().await, 1);
    let kinds = crate::util::lock(&seen).clone();
    assert_eq!(kinds, [TransitionKind::Pending, TransitionKind::Fired]);
    let stored = store.recent_incidents(10).await.expect("read");
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].fired_ms, stored[0].resolved_ms), (3000, None));
    store.close().await;
}

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::event::{LeaseChangeKind, LeaseState};
use crate::util::ManualClock;
use tokio_util::sync::CancellationToken;

fn capacity() -> Capacity {
    Capacity::for_tests(10)
}

fn policy() -> LeasePolicy {
    LeasePolicy {
        default_ttl_ms: 60_000,
        max_ttl_ms: 3_600_000,
        max_wait_ms: 600_000,
        preemption_grace_ms: Some(30_000),
        ageing_step_ms: 60_000,
    }
}

struct Running {
    service: LeaseService,
    stop: CancellationToken,
    writer: tokio::task::JoinHandle<()>,
    changes: Arc<Mutex<Vec<LeaseChange>>>,
}

async fn start(store: &Store, clock: &ManualClock) -> Running {
    let changes = Arc::new(Mutex::new(Vec::new()));
    let into = changes.clone();
    let emit = Emit::new(move |c| lock(&into).push(c));
    let (service, writer) = LeaseService::open(
        store.clone(),
        clock.clock(),
        capacity(),
        policy(),
        4.0,
        emit,
    )
    .await
    .expect("open");
    let stop = CancellationToken::new();
    let writer = tokio::spawn(writer.run(stop.clone()));
    Running {
        service,
        stop,
        writer,
        changes,
    }
}

impl Running {
    async fn stop(self) {
        self.stop.cancel();
        self.writer.await.expect("writer");
    }
}

fn heavy(holder: &str) -> serde_json::Value {
    json!({"holder": holder, "resources": {"slots": {"heavy": 1}, "memory_mb": 100}, "ttl_seconds": 120})
}

#[tokio::test]
async fn a_restart_brings_back_live_leases_and_the_queue_and_never_grants_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(1_700_000_000_000);
    let store = Store::open_with(
        &dir.path().join("history.db"),
        crate::store::StoreOptions {
            clock: clock.clock(),
            ..Default::default()
        },
    )
    .await
    .expect("store");

    let first = start(&store, &clock).await;
    let a = first.service.request_json(&heavy("a")).await.expect("a");
    let b = first.service.request_json(&heavy("b")).await.expect("b");
    assert!(matches!(a, LeaseDecision::Granted(_)));
    assert!(matches!(b, LeaseDecision::Queued { .. }));
    let before = first.service.status();
    let announced = lock(&first.changes).len();
    assert_eq!(announced, 2, "each decision announced once it was saved");
    first.stop().await;

    clock.advance(Duration::from_secs(30));
    let second = start(&store, &clock).await;
    assert_eq!(
        second.service.status(),
        before,
        "same leases and queue after the restart"
    );
    let a_id = a.lease().id.clone();
    let b_id = b.lease().id.clone();
    let left = second.service.get(&a_id).await.expect("get").expect("a");
    assert_eq!(left.expires_at, Some(1_700_000_120), "remaining TTL kept");

    // A new request gets a new id, never one used before the restart.
    let c = second.service.request_json(&heavy("c")).await.expect("c");
    assert_eq!(c.lease().seq, 3);
    clock.advance(Duration::from_secs(91));
    second.service.settle().await.expect("settle");
    let a_now = second.service.get(&a_id).await.expect("get").expect("a");
    assert_eq!(a_now.state, "expired");
    let b_now = second.service.get(&b_id).await.expect("get").expect("b");
    assert_eq!(b_now.state, "granted");
    let grants: Vec<_> = lock(&second.changes)
        .iter()
        .filter(|c| c.kind == LeaseChangeKind::Granted)
        .map(|c| c.lease_id.clone())
        .collect();
    assert_eq!(
        grants,
        std::slice::from_ref(&b_id),
        "b granted once, a not again"
    );
    second.stop().await;

    // A third start sees b still granted, a expired: read from the database.
    let third = start(&store, &clock).await;
    let status = third.service.status();
    assert_eq!(
        status
            .leases
            .iter()
            .map(|l| l.id.as_str())
            .collect::<Vec<_>>(),
        [b_id.as_str()]
    );
    assert_eq!(status.queue.len(), 1);
    assert_eq!(
        third
            .service
            .get(&a_id)
            .await
            .expect("get")
            .map(|l| l.state),
        Some(LeaseState::Expired.as_str())
    );
    third.stop().await;
}

#[tokio::test]
async fn bad_requests_change_nothing_and_errors_name_the_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(1_700_000_000_000);
    let store = Store::open(&dir.path().join("history.db"))
        .await
        .expect("store");
    let running = start(&store, &clock).await;
    let before = running.service.status();
    for body in [
        json!({"holder": "x", "resources": {"memory_mb": 0}}),
        json!({"holder": "x", "resources": {"slots": {"gpu": 1}}}),
        json!("nope"),
    ] {
        assert!(running.service.request_json(&body).await.is_err());
    }
    assert_eq!(running.service.status(), before);
    assert!(lock(&running.changes).is_empty());
    let err = running.service.release("lease-99").await.expect_err("none");
    assert!(matches!(
        err,
        ServiceError::Lease(LeaseOpError::NotFound(_))
    ));
    running.stop().await;
}

#[tokio::test]
async fn an_addon_holder_above_its_lease_is_an_overrun_and_memory_readings_count() {
    use crate::model::{Sample, SeriesMeta, Snapshot, Unit};
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(1_700_000_000_000);
    let store = Store::open(&dir.path().join("history.db"))
        .await
        .expect("store");
    let running = start(&store, &clock).await;
    let body = json!({"holder": "core_whisper", "resources": {"memory_mb": 1000}});
    running.service.request_json(&body).await.expect("granted");
    let sample = |id: &str, value: f64| {
        let (group, name) = id.split_once('.').expect("dotted");
        let mut meta = SeriesMeta::global(group, name, Unit::Bytes, "");
        meta.id = id.to_string();
        Sample {
            series: Arc::new(meta),
            value,
        }
    };
    let snapshot = Snapshot {
        samples: vec![
            sample("memory.available_bytes", 1500.0 * 1_048_576.0),
            sample("addon.core_whisper.memory_bytes", 1500.0 * 1_048_576.0),
        ],
        ..Snapshot::default()
    };
    let new = running.service.observe(&snapshot).await.expect("observe");
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].memory_mb, Some((1500, 1000)));
    let status = running.service.status();
    assert_eq!(status.overruns.len(), 1);
    // 1500 available - 800 reserve = 700 MB may be leased now.
    assert_eq!(status.available.memory_mb, 700);
    assert!(
        running
            .service
            .observe(&snapshot)
            .await
            .expect("again")
            .is_empty(),
        "announced once, while it lasts"
    );
    running.stop().await;
}

#[tokio::test]
async fn a_grant_that_cannot_be_saved_is_taken_back_and_never_announced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.db");
    let clock = ManualClock::new(1_700_000_000_000);
    let store = Store::open_with(
        &path,
        crate::store::StoreOptions {
            clock: clock.clock(),
            ..Default::default()
        },
    )
    .await
    .expect("store");
    let running = start(&store, &clock).await;
    // The lease table goes away under the service: every save of a lease fails from now on.
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
            .await
            .expect("connect");
        sqlx::query("DROP TABLE leases")
            .execute(&mut conn)
            .await
            .expect("drop");
        conn.close().await.expect("close");
    }
    let refused = running.service.request_json(&heavy("a")).await;
    assert!(
        matches!(refused, Err(ServiceError::NotSaved(_))),
        "{:?}",
        refused.as_ref().map(|d| d.lease().id.clone())
    );
    let status = running.service.status();
    assert!(
        status.leases.is_empty() && status.queue.is_empty(),
        "not saved, not granted: {status:?}"
    );
    assert!(
        status.available.slots.get("heavy").copied() == Some(1),
        "the slot is free again: {:?}",
        status.available
    );
    assert!(lock(&running.changes).is_empty(), "nothing announced");
    running.stop().await;
}

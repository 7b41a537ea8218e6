//! The writer against a scripted receiver on loopback: refused batches are dropped and
//! counted, failed ones wait on disk and go out in order, what is gathered at shutdown stays
//! on disk for the next start.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::bus::Bus;
use crate::config::RemoteWriteOptions;
use crate::model::{Sample, registry};

/// What the receiver answers, in order (then 204), and the bodies it accepted.
#[derive(Default)]
struct Receiver {
    script: Vec<u16>,
    calls: usize,
    accepted: Vec<Vec<proto::Series>>,
}

async fn receive(State(rx): State<Arc<Mutex<Receiver>>>, body: Bytes) -> StatusCode {
    let mut rx = lock(&rx);
    let code = rx.script.get(rx.calls).copied().unwrap_or(204);
    rx.calls += 1;
    if code == 204 {
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&body)
            .unwrap_or_default();
        rx.accepted.push(proto::tests::decode(&raw));
    }
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

async fn receiver(script: Vec<u16>) -> (String, Arc<Mutex<Receiver>>) {
    let state = Arc::new(Mutex::new(Receiver {
        script,
        ..Receiver::default()
    }));
    let app = Router::new()
        .route("/write", post(receive))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/write", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state)
}

fn tick(ts_ms: i64) -> Event {
    Event::Tick(Arc::new(Snapshot {
        ts_ms,
        samples: vec![Sample {
            series: Arc::new(registry::LOAD_1M.global()),
            value: ts_ms as f64,
        }],
        ..Snapshot::default()
    }))
}

async fn wait(
    status: &Arc<Mutex<RemoteWriteStatus>>,
    what: &str,
    done: impl Fn(&RemoteWriteStatus) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = lock(status).clone();
        if done(&now) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn refused_batches_are_counted_failed_ones_wait_on_disk_and_arrive_in_order() {
    // 1st batch refused for good (400), 2nd fails (503) and waits, then all is accepted.
    let (url, rx) = receiver(vec![400, 503]).await;
    let dir = tempfile::tempdir().expect("dir");
    let options = RemoteWriteOptions {
        url: Some(url),
        interval: 1,
        ..RemoteWriteOptions::default()
    };
    let (writer, status) =
        RemoteWriter::new(options, dir.path().to_path_buf(), Clock::default()).expect("writer");
    let bus = Bus::new(64);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(writer.run(bus.subscribe("test"), cancel.clone()));

    bus.publish(tick(1_000));
    wait(&status, "first batch refused", |s| s.rejected_samples == 1).await;
    bus.publish(tick(2_000));
    wait(&status, "second batch buffered", |s| {
        s.failures == 1 && s.buffered_batches == 1
    })
    .await;
    bus.publish(tick(3_000));
    wait(&status, "all sent after back-off", |s| {
        s.sent_samples == 2 && s.buffered_batches == 0
    })
    .await;
    let sent: Vec<i64> = lock(&rx)
        .accepted
        .iter()
        .flat_map(|series| {
            series
                .iter()
                .flat_map(|s| s.samples.iter().map(|(t, _)| *t))
        })
        .collect();
    assert_eq!(
        sent,
        [2_000, 3_000],
        "oldest first, the refused one never again"
    );
    let first = lock(&rx).accepted[0][0].clone();
    assert!(
        first
            .labels
            .contains(&("__name__".into(), "resource_manager_load_1m".into()))
    );
    assert!(first.labels.contains(&("host".into(), "local".into())));
    let done = lock(&status).clone();
    assert_eq!((done.failures, done.last_error.is_none()), (0, true));

    // Gathered but not yet sent at shutdown: kept on disk for the next start.
    lock(&rx).script = vec![503; 1000];
    lock(&rx).calls = 0;
    bus.publish(tick(4_000));
    wait(&status, "the last tick gathered", |s| {
        s.gathered_samples == 1
    })
    .await;
    cancel.cancel();
    task.await.expect("writer stops");
    let buffer = buffer::DiskBuffer::open(dir.path(), 1 << 20).expect("buffer");
    assert_eq!(buffer.samples(), 1, "the last tick waits on disk");
}

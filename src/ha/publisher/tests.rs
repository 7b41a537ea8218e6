use axum::extract::{Path, State};

use super::*;
use crate::config::{HaEndpoint, Secret};
use crate::ha::entities::sensor;
use crate::ha::plan::STALE_AFTER;
use crate::model::{Sample, SeriesMeta, Unit};
use crate::util::ManualClock;

type Posted = Arc<Mutex<Vec<String>>>;

/// A Home Assistant that accepts every state and remembers which entities it was sent.
async fn fake_core() -> (HaRest, Posted) {
    let posted = Posted::default();
    let app = axum::Router::new()
        .route(
            "/api/states/{id}",
            axum::routing::post(
                |State(posted): State<Posted>, Path(id): Path<String>| async move {
                    lock(&posted).push(id);
                    axum::Json(serde_json::json!({}))
                },
            ),
        )
        .with_state(posted.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let endpoint = HaEndpoint {
        rest_url: format!("http://{addr}/api"),
        websocket_url: format!("ws://{addr}/api/websocket"),
        token: Secret::new("token"),
    };
    (HaRest::new(&endpoint).expect("client"), posted)
}

fn cpu() -> SeriesMeta {
    SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU")
}

fn snapshot(cpu_usage: f64) -> Snapshot {
    Snapshot {
        ts_ms: 1_000,
        samples: vec![Sample {
            series: Arc::new(cpu()),
            value: cpu_usage,
        }],
        ..Snapshot::default()
    }
}

#[tokio::test]
async fn a_small_drift_goes_out_once_the_clock_says_the_entity_is_stale() {
    let (rest, posted) = fake_core().await;
    let manual = ManualClock::new(5_000);
    let status = Arc::new(Mutex::new(HaLinkStatus::default()));
    let options = PublishOptions::default();
    let cpu_entity = sensor(&options.entity_prefix, &cpu(), 0.0).entity_id;
    let mut publisher = Publisher::new(rest, options, status.clone(), None, manual.clock());
    let sent = || lock(&posted).iter().filter(|id| **id == cpu_entity).count();

    publisher.cycle(Trigger::Regular, &snapshot(10.0)).await;
    assert_eq!(sent(), 1, "first publication");
    publisher.cycle(Trigger::Regular, &snapshot(10.6)).await;
    assert_eq!(sent(), 1, "under the deadband and fresh");
    manual.advance(STALE_AFTER - Duration::from_secs(1));
    publisher.cycle(Trigger::Regular, &snapshot(10.6)).await;
    assert_eq!(sent(), 1, "a second short of stale");
    manual.advance(Duration::from_secs(1));
    publisher.cycle(Trigger::Regular, &snapshot(10.6)).await;
    assert_eq!(sent(), 2, "stale: the drift goes out");
    assert_eq!(
        lock(&status).last_publish_ms,
        Some(5_000 + STALE_AFTER.as_millis() as i64),
        "stamped by the clock"
    );
}

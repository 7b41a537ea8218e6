//! Typed events from a REAL Home Assistant Core (scripts/ha-core.sh): a component subscribes to
//! `state_changed`, a state set over the REST API arrives as a typed event, and the
//! subscription is back after Core restarts, which is counted once from Core's own start and
//! stop events. `#[ignore]`d for plain `cargo test`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::ha::HaCore;
use resource_manager::config::{HaEndpoint, Secret};
use resource_manager::ha::HaLinkStatus;
use resource_manager::ha::ws::{EventData, HaEventReceiver, HaEvents, HaState, run_link};
use resource_manager::supervisor::core_starts::CoreStarts;
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

async fn set_state(ha: &HaCore, entity_id: &str, state: &str) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/states/{entity_id}", ha.url))
        .bearer_auth(&ha.token)
        .json(&json!({"state": state, "attributes": {"unit_of_measurement": "W", "friendly_name": "Events test"}}))
        .send()
        .await
        .expect("POST state");
    assert!(
        response.status().is_success(),
        "POST state: {}",
        response.status()
    );
}

/// The next `state_changed` of `entity_id` (others, e.g. HA's own sensors, are skipped).
async fn next_change(
    receiver: &mut HaEventReceiver,
    entity_id: &str,
) -> (Option<HaState>, HaState, String) {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), receiver.recv())
            .await
            .expect("a state_changed event within 10 s")
            .expect("link alive");
        if let EventData::StateChanged(change) = event.data
            && change.entity_id == entity_id
        {
            let new = change.new_state.expect("new state");
            return (change.old_state, new, event.context.id);
        }
    }
}

// Two workers: the link keeps running while a worker waits for Core to restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Home Assistant Core; scripts/test.sh runs it"]
async fn real_ha_state_set_over_rest_arrives_as_a_typed_state_changed_event_also_after_a_restart_which_is_counted_once()
 {
    let ha = HaCore::start();
    let endpoint = HaEndpoint {
        rest_url: format!("{}/api", ha.url),
        websocket_url: format!("{}/api/websocket", ha.url.replacen("http://", "ws://", 1)),
        token: Secret::new(ha.token.clone()),
    };
    let events = HaEvents::new();
    let mut receiver = events.subscribe("state_changed");
    let status = Arc::new(Mutex::new(HaLinkStatus::default()));
    let (readiness_tx, mut readiness) = watch::channel(Default::default());
    let (_commands, commands_rx) = mpsc::channel(4);
    let cancel = CancellationToken::new();
    let core = CoreStarts::default();
    let link = tokio::spawn(run_link(
        endpoint,
        status,
        readiness_tx,
        commands_rx,
        (events.clone(), core.clone()),
        cancel.clone(),
    ));
    tokio::time::timeout(Duration::from_secs(15), readiness.wait_for(|r| r.ready))
        .await
        .expect("link ready")
        .expect("link alive");
    // The subscription is sent right after auth; give its result a moment before firing.
    tokio::time::sleep(Duration::from_millis(300)).await;

    set_state(&ha, "sensor.rm_events_test", "41").await;
    let (old, new, context) = next_change(&mut receiver, "sensor.rm_events_test").await;
    assert!(old.is_none(), "a new entity has no old state");
    assert_eq!(new.state, "41");
    assert_eq!(new.attributes["unit_of_measurement"], "W");
    assert!(
        new.last_changed_ms()
            .is_some_and(|ms| ms > 1_700_000_000_000)
    );
    assert!(!context.is_empty());
    let now = resource_manager::util::unix_ms;
    assert_eq!(core.counts(now()), Some((0, 0)), "running is no restart");

    set_state(&ha, "sensor.rm_events_test", "42").await;
    let (old, new, _) = next_change(&mut receiver, "sensor.rm_events_test").await;
    assert_eq!(old.expect("old state").state, "41");
    assert_eq!(new.state, "42");

    // After a restart the link reconnects and subscribes again on its own.
    let generation = readiness.borrow().generation;
    tokio::task::block_in_place(|| ha.restart());
    tokio::time::timeout(
        Duration::from_secs(30),
        readiness.wait_for(|r| r.ready && r.generation > generation),
    )
    .await
    .expect("link ready again")
    .expect("link alive");
    tokio::time::sleep(Duration::from_millis(300)).await;
    set_state(&ha, "sensor.rm_events_test", "43").await;
    let (_, new, _) = next_change(&mut receiver, "sensor.rm_events_test").await;
    assert_eq!(new.state, "43");
    assert_eq!(events.stats().parse_errors, 0);
    // Counted once, whether the link saw `homeassistant_started` or found Core running after
    // its `homeassistant_stop`: wait for the started event that may still come.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while core.counts(now()) != Some((1, 1)) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(core.counts(now()), Some((1, 1)), "one restart");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(core.counts(now()), Some((1, 1)), "and only one");

    cancel.cancel();
    link.await.expect("link task");
}

//! Leases from a REAL Home Assistant Core (scripts/ha-core.sh): an automation fires
//! `resource_manager_lease_request`, waits for `_granted` with its `request_id`, runs, and
//! releases; a script made from the shipped blueprint does the same around its actions; the
//! lease sensors appear. `#[ignore]`d for plain `cargo test`; scripts/test.sh runs it.

mod common;

use std::time::Duration;

use common::TestApp;
use common::ha::HaCore;
use resource_manager::config::Config;

/// An automation doing the round trip by hand, a script from the blueprint, and two flags
/// that show their actions ran.
const PACKAGE: &str = r#"
input_boolean:
  automation_ran:
  blueprint_ran:
  denied_seen:
automation:
  - id: lease_denied
    alias: Lease refused
    triggers:
      - trigger: event
        event_type: rm_test_bad
    actions:
      - event: resource_manager_lease_request
        event_data:
          request_id: bad-1
          holder: automation.lease_denied
          resources: {memory_mb: 0}
      - wait_for_trigger:
          - trigger: event
            event_type: resource_manager_lease_denied
            event_data: {request_id: bad-1, code: bad_request}
        timeout: {seconds: 20}
        continue_on_timeout: false
      - action: input_boolean.turn_on
        target: {entity_id: input_boolean.denied_seen}
  - id: lease_round_trip
    alias: Lease round trip
    triggers:
      - trigger: event
        event_type: rm_test_go
    actions:
      - event: resource_manager_lease_request
        event_data:
          request_id: auto-1
          holder: automation.lease_round_trip
          resources: {memory_mb: 64, slots: {heavy: 1}}
          priority: high
          ttl_seconds: 120
          wait_seconds: 30
      - wait_for_trigger:
          - trigger: event
            event_type: resource_manager_lease_granted
            event_data: {request_id: auto-1}
        timeout: {seconds: 20}
        continue_on_timeout: false
      - action: input_boolean.turn_on
        target: {entity_id: input_boolean.automation_ran}
      - event: resource_manager_lease_release
        event_data:
          request_id: auto-1
          lease_id: "{{ wait.trigger.event.data.lease_id }}"
script:
  lease_blueprint:
    use_blueprint:
      path: resource_manager/run_with_lease.yaml
      input:
        holder: blueprint_test
        memory_mb: 32
        slot: heavy
        priority: normal
        ttl_seconds: 60
        wait_seconds: 30
        actions:
          - action: input_boolean.turn_on
            target: {entity_id: input_boolean.blueprint_ran}
"#;

fn config(dir: &std::path::Path, ha: &HaCore) -> Config {
    let options = serde_json::json!({"sample_interval_seconds": 1, "log_level": "warning",
        "home_assistant": {"entity_prefix": "rmtest", "publish_interval_seconds": 5}});
    common::ha::config_with_ha(dir, ha, &ha.token, options, &[])
}

async fn post_ha(ha: &HaCore, path: &str) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/{path}", ha.url))
        .bearer_auth(&ha.token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("POST to HA");
    assert!(res.status().is_success(), "POST {path}: {}", res.status());
}

/// The lease the app knows by `holder`, once it reached `state`.
async fn wait_lease(app: &TestApp, id: &str, state: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = app.get(&format!("api/v1/leases/{id}")).await;
        if status == 200 {
            let lease: serde_json::Value = serde_json::from_str(&body).expect("json");
            if lease["state"] == state {
                return lease;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{id} not {state}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core; scripts/test.sh runs it"]
async fn real_ha_automation_and_blueprint_script_get_a_lease_run_and_release_it() {
    let blueprint = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/blueprints/script/resource_manager/run_with_lease.yaml"
    ))
    .expect("blueprint");
    let ha = HaCore::start_with(&[
        ("packages/leases.yaml", PACKAGE),
        (
            "blueprints/script/resource_manager/run_with_lease.yaml",
            &blueprint,
        ),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), &ha)).await;
    app.wait_status(Duration::from_secs(15), |s| {
        s["links"]["home_assistant"]["state"] == "connected"
    })
    .await;
    // The link subscribes to the lease events right after it connects; the sensors show
    // that the lease side is running.
    ha.wait_state(
        "sensor.rmtest_leases_active",
        Duration::from_secs(10),
        |s| s["state"] == "0",
    )
    .await;

    post_ha(&ha, "events/rm_test_go").await;
    let lease = wait_lease(&app, "lease-1", "released").await;
    assert_eq!(lease["holder"], "automation.lease_round_trip");
    assert_eq!(lease["request_id"], "auto-1");
    ha.wait_state(
        "input_boolean.automation_ran",
        Duration::from_secs(5),
        |s| s["state"] == "on",
    )
    .await;

    post_ha(&ha, "events/rm_test_bad").await;
    ha.wait_state("input_boolean.denied_seen", Duration::from_secs(20), |s| {
        s["state"] == "on"
    })
    .await;

    post_ha(&ha, "services/script/lease_blueprint").await;
    let lease = wait_lease(&app, "lease-2", "released").await;
    assert_eq!(lease["holder"], "blueprint_test");
    assert_eq!(lease["resources"]["slots"]["heavy"], 1);
    assert_eq!(lease["resources"]["memory_mb"], 32);
    ha.wait_state("input_boolean.blueprint_ran", Duration::from_secs(5), |s| {
        s["state"] == "on"
    })
    .await;
    let slots = ha
        .wait_state(
            "sensor.rmtest_leases_slots_heavy",
            Duration::from_secs(10),
            |s| s["state"] == "0",
        )
        .await;
    assert_eq!(slots["attributes"]["capacity"], 1);
    app.stop().await;
    let after = ha
        .state("sensor.rmtest_leases_active")
        .await
        .expect("sensor");
    assert_eq!(after["state"], "unavailable", "marked at shutdown");
}

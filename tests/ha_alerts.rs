//! Alerts reach a REAL Home Assistant Core: a firing alert turns its binary sensor on, creates
//! the persistent notification and fires `resource_manager_alert` (seen on a WebSocket
//! subscription); resolving turns it off and dismisses the notification. Memory is driven
//! through a fixture /proc tree (RM_HOST_PROC) so the test controls the signal.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::TestApp;
use common::ha::{HaCore, notifications, ws_command, ws_connect};
use futures_util::StreamExt;
use serde_json::{Value, json};

fn write_proc(proc: &Path, used_percent: u64) {
    let total = 1_000_000u64;
    let available = total * (100 - used_percent) / 100;
    std::fs::write(proc.join("meminfo"), format!("MemTotal: {total} kB\nMemFree: {available} kB\nMemAvailable: {available} kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n")).expect("meminfo");
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core; scripts/test.sh runs it"]
async fn real_ha_alert_fires_notifies_and_resolves() {
    let ha = HaCore::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let proc = dir.path().join("proc");
    std::fs::create_dir_all(&proc).expect("proc dir");
    write_proc(&proc, 90);
    let options = json!({
        "sample_interval_seconds": 1, "log_level": "warning",
        "home_assistant": {"entity_prefix": "rmalert"},
        "alert_rules": [{"metric": "memory.used_percent", "warn": 80, "critical": 99, "clear": 50, "for": "2s", "cooldown": "1m"}]
    });
    let config = common::ha::config_with_ha(
        dir.path(),
        &ha,
        &ha.token,
        options,
        &[("RM_HOST_PROC", proc.to_string_lossy().into_owned())],
    );

    let mut events = ws_connect(&ha).await;
    ws_command(
        &mut events,
        1,
        json!({"type": "subscribe_events", "event_type": "resource_manager_alert"}),
    )
    .await;
    let mut queries = ws_connect(&ha).await;

    let app = TestApp::start(config).await;
    let sensor = "binary_sensor.rmalert_alert_memory_used_percent";
    let fired = ha
        .wait_state(sensor, Duration::from_secs(20), |s| s["state"] == "on")
        .await;
    assert_eq!(fired["attributes"]["device_class"], "problem");
    assert_eq!(fired["attributes"]["severity"], "warning");
    assert_eq!(fired["attributes"]["threshold"], 80.0);
    assert!(
        fired["attributes"]["since"]
            .as_str()
            .is_some_and(|s| s.ends_with("+00:00"))
    );
    ha.wait_state(
        "sensor.rmalert_alerts_firing",
        Duration::from_secs(5),
        |s| s["state"] == "1",
    )
    .await;

    // The event, seen on our own subscription.
    let deadline = Instant::now() + Duration::from_secs(10);
    let event = loop {
        assert!(Instant::now() < deadline, "no resource_manager_alert event");
        let frame = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("event in time")
            .expect("frame")
            .expect("ok");
        let message: Value = serde_json::from_str(frame.to_text().expect("text")).expect("json");
        if message["type"] == "event" {
            break message["event"].clone();
        }
    };
    assert_eq!(event["event_type"], "resource_manager_alert");
    assert_eq!(event["data"]["kind"], "fired");
    assert_eq!(event["data"]["alert"]["series"], "memory.used_percent");

    let id = "rmalert_alert_memory_used_percent";
    assert!(
        notifications(&mut queries, 10)
            .await
            .contains(&id.to_string()),
        "notification created"
    );

    // Memory drops: the mean falls past the clear level, the alert resolves.
    write_proc(&proc, 10);
    ha.wait_state(sensor, Duration::from_secs(20), |s| s["state"] == "off")
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut query_id = 11;
    while notifications(&mut queries, query_id)
        .await
        .contains(&id.to_string())
    {
        assert!(Instant::now() < deadline, "notification not dismissed");
        query_id += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ha.wait_state(
        "sensor.rmalert_alerts_firing",
        Duration::from_secs(5),
        |s| s["state"] == "0",
    )
    .await;
    let alerts = app.get_json("api/v1/alerts").await;
    assert!(alerts.to_string().contains("recovered"), "{alerts}");
    app.stop().await;
}

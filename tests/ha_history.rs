//! A full data disk reaches a REAL Home Assistant Core: the history problem sensor turns on
//! with the reason, a persistent notification appears and the status sensor says degraded;
//! once space returns all of it clears by itself. The data directory is a tmpfs the test
//! mounts (root only).

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use common::disk::{Tmpfs, fill};
use common::ha::{HaCore, notifications, ws_connect};
use serde_json::json;

#[tokio::test]
#[ignore = "needs a real Home Assistant Core and root (tmpfs); scripts/test.sh runs it"]
async fn real_ha_hears_when_history_is_not_saved_and_when_it_is_again() {
    let ha = HaCore::start();
    let fs = Tmpfs::mount("3m");
    let options = json!({
        "sample_interval_seconds": 1, "write_batch_seconds": 5, "log_level": "warning",
        "home_assistant": {"entity_prefix": "rmhist", "publish_interval_seconds": 5}
    });
    let config = common::ha::config_with_ha(fs.path(), &ha, &ha.token, options, &[]);
    let app = TestApp::start(config).await;
    let sensor = "binary_sensor.rmhist_history_problem";
    ha.wait_state(sensor, Duration::from_secs(30), |s| s["state"] == "off")
        .await;

    let filler = fill(fs.path());
    let on = ha
        .wait_state(sensor, Duration::from_secs(30), |s| s["state"] == "on")
        .await;
    assert_eq!(on["attributes"]["device_class"], "problem");
    assert_eq!(on["attributes"]["reason"], "disk_full");
    assert!(
        on["attributes"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("History is not being saved: the data disk is full")),
        "{on}"
    );
    let status = ha
        .wait_state("sensor.rmhist_status", Duration::from_secs(20), |s| {
            s["state"] == "degraded"
        })
        .await;
    assert!(
        status["attributes"]["degraded_sources"]
            .to_string()
            .contains("history"),
        "{status}"
    );
    let mut ws = ws_connect(&ha).await;
    let mut query = 0;
    let mut held = async |ws: &mut common::ha::Socket| {
        query += 1;
        notifications(ws, query)
            .await
            .contains(&"rmhist_history".to_string())
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while !held(&mut ws).await {
        assert!(
            Instant::now() < deadline,
            "no notification while history is not saved"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    std::fs::remove_file(&filler).expect("free space");
    ha.wait_state(sensor, Duration::from_secs(30), |s| s["state"] == "off")
        .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while held(&mut ws).await {
        assert!(
            Instant::now() < deadline,
            "notification not dismissed after writes resumed"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    ha.wait_state("sensor.rmhist_status", Duration::from_secs(20), |s| {
        s["state"] == "ok"
    })
    .await;
    let saved = app.get_json("api/v1/status").await;
    assert!(saved["store"]["failure"].is_null(), "{}", saved["store"]);
    app.stop().await;
}

//! Against a REAL Home Assistant Core (scripts/ha-core.sh): entities, restart, outage, bad token.
//! `#[ignore]`d for plain `cargo test`; scripts/test.sh runs them.

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use common::ha::HaCore;
use resource_manager::config::Config;

fn standalone_with_ha(dir: &std::path::Path, ha: &HaCore, token: &str) -> Config {
    let options = serde_json::json!({"sample_interval_seconds": 1, "write_batch_seconds": 5,
        "log_level": "warning",
        "home_assistant": {"entity_prefix": "rmtest", "publish_interval_seconds": 5}});
    common::ha::config_with_ha(dir, ha, token, options, &[])
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core; scripts/test.sh runs it"]
async fn real_ha_gets_sensors_with_units_and_classes_matching_the_status_and_a_bad_token_is_reported()
 {
    let ha = HaCore::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(standalone_with_ha(dir.path(), &ha, &ha.token)).await;
    app.wait_status(Duration::from_secs(15), |s| {
        s["links"]["home_assistant"]["state"] == "connected"
    })
    .await;

    let memory = ha
        .wait_state(
            "sensor.rmtest_memory_total_bytes",
            Duration::from_secs(10),
            |_| true,
        )
        .await;
    let status = app.get_json("api/v1/status").await;
    let total = status["values"]["memory.total_bytes"]
        .as_f64()
        .expect("total memory");
    assert_eq!(
        memory["state"],
        format!("{:.0}", total / 1e6),
        "HA state agrees with /api/v1/status"
    );
    let attributes = &memory["attributes"];
    assert_eq!(attributes["unit_of_measurement"], "MB");
    assert_eq!(attributes["device_class"], "data_size");
    assert_eq!(attributes["state_class"], "measurement");
    assert_eq!(attributes["icon"], "mdi:memory");
    assert!(
        attributes["friendly_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );

    let cpu = ha
        .wait_state("sensor.rmtest_cpu_usage", Duration::from_secs(10), |_| true)
        .await;
    assert_eq!(cpu["attributes"]["unit_of_measurement"], "%");
    assert!(
        cpu["state"]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .is_some_and(|v| (0.0..=100.0).contains(&v))
    );
    let root = ha
        .wait_state(
            "sensor.rmtest_disk_root_used_percent",
            Duration::from_secs(10),
            |_| true,
        )
        .await;
    assert_eq!(root["attributes"]["state_class"], "measurement");
    // Counters are total_increasing; loopback and virtual interfaces stay on the dashboard only.
    let metrics = app.get_json("api/v1/metrics").await;
    let physical = metrics["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["family"] == "net.rx_errors_total" && m["labels"]["kind"] == "physical")
        .and_then(|m| m["labels"]["interface"].as_str())
        .expect("this machine has a physical network interface")
        .to_string();
    let errors = ha
        .wait_state(
            &format!("sensor.rmtest_net_{physical}_rx_errors_total"),
            Duration::from_secs(10),
            |_| true,
        )
        .await;
    assert_eq!(errors["attributes"]["state_class"], "total_increasing");
    assert!(
        ha.state("sensor.rmtest_net_lo_rx_errors_total")
            .await
            .is_none(),
        "loopback is not published"
    );
    assert!(
        ha.state("sensor.rmtest_cpu_core0_usage").await.is_none(),
        "per-core CPU is not published"
    );
    let health = ha
        .wait_state("sensor.rmtest_status", Duration::from_secs(10), |_| true)
        .await;
    assert_eq!(health["state"], "ok");
    // The dashboard's satisfaction votes become a sensor too (no votes yet: unknown).
    let satisfaction = ha
        .wait_state(
            "sensor.rmtest_satisfaction",
            Duration::from_secs(10),
            |_| true,
        )
        .await;
    assert_eq!(satisfaction["state"], "unknown");
    assert_eq!(satisfaction["attributes"]["votes_7d"], 0);
    assert_eq!(satisfaction["attributes"]["unit_of_measurement"], "%");

    // Latency and request volume, as the publisher measured them (printed, not asserted).
    tokio::time::sleep(Duration::from_secs(12)).await;
    let status = app.get_json("api/v1/status").await;
    let link = &status["links"]["home_assistant"];
    println!(
        "sample-to-HA latency p50 {} ms, p99 {} ms; {} entities; {} requests in the last minute; {} total",
        link["latency_ms_p50"],
        link["latency_ms_p99"],
        link["entities"],
        link["requests_last_minute"],
        link["requests_total"]
    );

    // A wrong token: a clear error, backing off, the app keeps collecting.
    let bad_dir = tempfile::tempdir().expect("tempdir");
    let bad = TestApp::start(standalone_with_ha(bad_dir.path(), &ha, "not-a-valid-token")).await;
    let status = bad
        .wait_status(Duration::from_secs(10), |s| {
            s["links"]["home_assistant"]["state"] == "auth_failed"
        })
        .await;
    assert!(
        status["links"]["home_assistant"]["last_error"]
            .as_str()
            .expect("error")
            .contains("token"),
        "{status}"
    );
    assert!(
        !status.to_string().contains("not-a-valid-token"),
        "the token itself is never shown"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = bad.get_json("api/v1/status").await;
    assert!(
        later["links"]["home_assistant"]["reconnects"]
            .as_u64()
            .unwrap_or(99)
            <= 1,
        "backs off instead of looping: {later}"
    );
    assert!(
        later["engine"]["ticks"].as_u64() > status["engine"]["ticks"].as_u64(),
        "still collecting"
    );
    bad.stop().await;

    // Shutdown marks the entities unavailable.
    app.stop().await;
    let after = ha
        .state("sensor.rmtest_cpu_usage")
        .await
        .expect("still known to HA");
    assert_eq!(after["state"], "unavailable");
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core; scripts/test.sh runs it"]
async fn real_ha_restart_and_a_minute_long_outage_are_survived_and_entities_come_back() {
    let ha = HaCore::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(standalone_with_ha(dir.path(), &ha, &ha.token)).await;
    ha.wait_state(
        "sensor.rmtest_memory_used_percent",
        Duration::from_secs(20),
        |_| true,
    )
    .await;

    // Restart: REST-created states vanish; they must be back within 5 s of Core being ready.
    ha.restart();
    let ready = Instant::now();
    ha.wait_state(
        "sensor.rmtest_memory_used_percent",
        Duration::from_secs(5),
        |_| true,
    )
    .await;
    println!(
        "entities back {} ms after Home Assistant was ready again",
        ready.elapsed().as_millis()
    );

    // Core's restarts as the link counts them. The restart above blocked this runtime (and
    // the app in it) until Core ran again, so the link may have missed it; the outage below
    // runs with the app alive and must count exactly one more.
    let restarts =
        |s: &serde_json::Value| s["values"]["addon.homeassistant.restarts_total"].as_f64();
    let counted = restarts(&app.get_json("api/v1/status").await).expect("Core's restarts");

    // Outage of a minute: collection and storage go on, the link shows degraded, no panic.
    ha.stop();
    let before = app
        .wait_status(Duration::from_secs(30), |s| {
            s["links"]["home_assistant"]["state"] != "connected"
        })
        .await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let during = app.get_json("api/v1/status").await;
    assert_ne!(during["links"]["home_assistant"]["state"], "connected");
    assert!(during["links"]["home_assistant"]["last_error"].is_string());
    assert!(
        during["engine"]["ticks"].as_u64().expect("ticks")
            >= before["engine"]["ticks"].as_u64().expect("ticks") + 50,
        "kept collecting"
    );
    assert!(
        during["store"]["flushes"].as_u64().expect("flushes")
            > before["store"]["flushes"].as_u64().expect("flushes"),
        "kept storing"
    );

    // Core back: the app's reconnect waits stay short however long Core was away, so the
    // entities are back within 5 s of Core answering again. Core starts on a thread of its
    // own so the app (in this runtime) runs on meanwhile, as it would in production.
    let starting = ha.start_again_in_background();
    let answering = ha.wait_answering(Duration::from_secs(120)).await;
    let mut running_after = None;
    let back = loop {
        if ha
            .state("sensor.rmtest_memory_used_percent")
            .await
            .is_some()
        {
            break answering.elapsed();
        }
        if running_after.is_none() && ha.core_state().await.as_deref() == Some("RUNNING") {
            running_after = Some(answering.elapsed());
        }
        assert!(
            answering.elapsed() < Duration::from_secs(30),
            "entities not back 30 s after Home Assistant answered again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!(
        "after the 60 s outage: entities back {} ms after Home Assistant answered GET /api/ again (Core RUNNING after {} ms)",
        back.as_millis(),
        running_after.map_or_else(|| "?".to_string(), |d| d.as_millis().to_string())
    );
    assert!(
        back <= Duration::from_secs(5),
        "entities back {back:?} after Home Assistant answered again; at most 5 s expected"
    );
    // Stopped and started again is one restart, whether the link saw it starting or found it
    // running after it refused connections.
    let status = app
        .wait_status(Duration::from_secs(20), |s| {
            restarts(s) == Some(counted + 1.0)
        })
        .await;
    assert_eq!(restarts(&status), Some(counted + 1.0));
    tokio::task::spawn_blocking(move || starting.join())
        .await
        .expect("join")
        .expect("ha-core.sh start");
    app.wait_status(Duration::from_secs(10), |s| {
        s["links"]["home_assistant"]["state"] == "connected"
    })
    .await;
    app.stop().await;
}

//! Per-add-on stats (this file), add-on actions (`control.rs`), advice and its actions
//! (`advice.rs`) against an EMULATED
//! Supervisor (`emulator.rs`; the real one cannot run here).

mod addon_web;
mod advice;
mod board;
#[path = "../common/mod.rs"]
mod common;
mod control;
mod emulator;
mod facts;
mod faults;
mod hang;
mod idle;
mod ingress;
mod mqtt;
mod restarts;
mod storage;

use std::collections::HashMap;
use std::time::Duration;

use common::TestApp;
use emulator::{Role, Supervisor};
use resource_manager::config::{Cli, Config, PublishOptions};
use resource_manager::ha::entities::entities;
use resource_manager::model::{Sample, Snapshot, registry};

fn addon_mode_config(dir: &std::path::Path, supervisor_url: &str) -> Config {
    addon_mode_config_with(
        dir,
        supervisor_url,
        serde_json::json!({"sample_interval_seconds": 1, "addon_stats_interval_seconds": 10,
            "log_level": "warning", "self_scaling": {"enabled": false}}),
    )
}

/// Add-on mode (the Supervisor's token and URL in the environment) with `options` as the
/// add-on's options file.
fn addon_mode_config_with(
    dir: &std::path::Path,
    supervisor_url: &str,
    options: serde_json::Value,
) -> Config {
    let mut options = options;
    if options.get("access").is_none() {
        options["access"] = serde_json::json!({"api_token": common::ADDON_API_TOKEN});
    }
    let path = dir.join("options.json");
    std::fs::write(&path, options.to_string()).expect("options");
    let cli = Cli {
        options: Some(path),
        data_dir: Some(dir.join("data")),
        ..Cli::default()
    };
    let env: HashMap<&str, String> = HashMap::from([
        ("SUPERVISOR_TOKEN", "emulated-token".to_string()),
        ("SUPERVISOR_URL", supervisor_url.to_string()),
    ]);
    Config::load(&cli, &|k| env.get(k).cloned()).expect("add-on mode config")
}

/// The app in add-on mode against the emulator at `url`, and its data directory.
async fn addon_app(url: &str) -> (tempfile::TempDir, TestApp) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(addon_mode_config(dir.path(), url)).await;
    (dir, app)
}

/// Once the Supervisor's host facts and stats are in (what the wear tests wait for).
async fn polled(app: &TestApp) -> serde_json::Value {
    app.wait_status(Duration::from_secs(5), |s| {
        s["data_disk"]["host"].is_object()
            && s["values"]["addon.supervisor.cpu_percent"].is_number()
    })
    .await
}

#[tokio::test]
async fn emulated_supervisor_with_manager_role_gives_per_addon_series_and_rates() {
    let url = Supervisor::start(Role::Manager, vec![]).await.url;
    let (_dir, app) = addon_app(&url).await;
    let status = app
        .wait_status(Duration::from_secs(5), |s| {
            s["values"]["addon.core_mosquitto.memory_bytes"].is_number()
                && s["links"]["supervisor"]["state"] == "ok"
        })
        .await;
    assert_eq!(
        status["values"]["addon.core_mosquitto.memory_bytes"],
        30_000_000.0
    );
    assert_eq!(
        status["values"]["addon.homeassistant.memory_bytes"],
        400_000_000.0
    );
    assert_eq!(status["values"]["addon.supervisor.cpu_percent"], 1.5);
    assert_eq!(
        status["values"]["addon.core_configurator.ingress_answering"], 1.0,
        "the File editor's Ingress (a loopback listener) was probed and answered"
    );
    assert!(
        status["values"]["addon.core_samba.memory_bytes"].is_null(),
        "stopped add-ons are skipped"
    );
    assert_eq!(status["links"]["supervisor"]["addons_running"], 2);
    let host = &status["links"]["supervisor"]["host"];
    assert_eq!(host["operating_system"], "Home Assistant OS 16.3");
    assert!(
        !status.to_string().contains("my-secret-host"),
        "host names stay out of the status"
    );
    // Rates need two polls (10 s apart): counters grow 10 000 bytes per call between polls.
    let status = app
        .wait_status(Duration::from_secs(15), |s| {
            s["values"]["addon.core_mosquitto.net_rx_bytes_per_second"].is_number()
        })
        .await;
    let rate = status["values"]["addon.core_mosquitto.net_rx_bytes_per_second"]
        .as_f64()
        .expect("rate");
    assert!(
        rate > 0.0 && rate < 10_000.0,
        "rate from cumulative counters: {rate}"
    );
    let metrics = app.get_json("api/v1/metrics").await;
    assert!(
        metrics["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .any(|m| m["id"] == "addon.core_configurator.memory_bytes"
                && m["labels"]["addon"] == "core_configurator")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_data_disk_is_marked_with_the_host_figures_and_its_wear_is_a_series_and_a_sensor() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let (dir, app) = addon_app(&supervisor.url).await;
    let status = app
        .wait_status(Duration::from_secs(5), |s| {
            s["values"]["disk.life_time_used_percent"].is_number()
                && s["data_disk"]["host"].is_object()
        })
        .await;
    assert_eq!(status["values"]["disk.life_time_used_percent"], 10.0);

    // The API marks the mount holding the data directory once, with the Supervisor's figures.
    let disk = &status["data_disk"];
    let mount = disk["mount"].as_str().expect("mount");
    assert!(
        status["values"][format!("disk.{mount}.total_bytes")].is_number(),
        "the marked mount is one the disk card lists: {disk}"
    );
    assert_eq!(
        disk["data_dir"],
        dir.path().join("data").display().to_string()
    );
    assert_eq!(disk["host"]["total_gb"], 58.0);
    assert_eq!(disk["host"]["used_gb"], 21.5);
    assert_eq!(disk["host"]["free_gb"], 36.5);
    assert_eq!(disk["host"]["life_time_used_percent"], 10.0);
    assert_eq!(disk["life_time_used_percent"], 10.0);

    // Stored like any series, and on /metrics as a ratio.
    let metrics = app.get_json("api/v1/metrics").await;
    assert!(
        metrics["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .any(|m| m["id"] == "disk.life_time_used_percent" && m["unit"] == "percent"),
        "{metrics}"
    );
    let (code, text) = app.get("metrics").await;
    assert_eq!(code, 200);
    assert!(
        text.contains("resource_manager_disk_life_time_used_ratio{host=\"local\"} 0.1\n"),
        "{text}"
    );

    // Home Assistant gets it as a percent sensor.
    let family = registry::by_id("disk.life_time_used_percent").expect("registry");
    let snapshot = Snapshot {
        ts_ms: 1,
        samples: vec![Sample {
            series: std::sync::Arc::new(family.global()),
            value: 10.0,
        }],
        ..Snapshot::default()
    };
    let options = PublishOptions::default();
    let plan = entities(&options, &snapshot, None);
    let sensor = plan
        .iter()
        .find(|e| {
            e.entity_id
                == format!(
                    "sensor.{}_disk_life_time_used_percent",
                    options.entity_prefix
                )
        })
        .expect("planned sensor");
    assert_eq!(sensor.state.state, "10");
    assert_eq!(sensor.state.attributes["unit_of_measurement"], "%");
    assert_eq!(sensor.state.attributes["state_class"], "measurement");
    app.stop().await;
}

#[tokio::test]
async fn a_host_without_disk_wear_gives_no_sample_rather_than_zero() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.set_life_time(None);
    let (_dir, app) = addon_app(&supervisor.url).await;
    let status = polled(&app).await;
    assert!(
        status["values"]["disk.life_time_used_percent"].is_null(),
        "{}",
        status["values"]
    );
    assert!(status["data_disk"]["host"]["life_time_used_percent"].is_null());
    assert_eq!(status["data_disk"]["host"]["free_gb"], 36.5);
    let (_, text) = app.get("metrics").await;
    assert!(
        !text.contains("resource_manager_disk_life_time_used_ratio{"),
        "{text}"
    );
    app.stop().await;

    // A null from the Supervisor is the same as absent.
    supervisor.set_life_time(Some(serde_json::Value::Null));
    let (_dir, app) = addon_app(&supervisor.url).await;
    let status = polled(&app).await;
    assert!(status["values"]["disk.life_time_used_percent"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn emulated_supervisor_with_default_role_reports_forbidden_calls_instead_of_failing() {
    let url = Supervisor::start(Role::Default, vec![]).await.url;
    let (_dir, app) = addon_app(&url).await;
    let status = app
        .wait_status(Duration::from_secs(5), |s| {
            s["links"]["supervisor"]["state"] == "forbidden"
        })
        .await;
    let forbidden: Vec<&str> = status["links"]["supervisor"]["forbidden"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        forbidden.contains(&"/addons") && forbidden.contains(&"/supervisor/stats"),
        "{forbidden:?}"
    );
    assert!(
        status["links"]["supervisor"]["last_error"]
            .as_str()
            .expect("error")
            .contains("manager")
    );
    // Core stats are still allowed with this role, and the host keeps being measured.
    let status = app
        .wait_status(Duration::from_secs(3), |s| {
            s["degraded_sources"]
                .as_array()
                .is_some_and(|d| d.iter().any(|x| x == "supervisor"))
        })
        .await;
    assert!(status["values"]["addon.homeassistant.memory_bytes"].is_number());
    assert!(status["values"]["memory.total_bytes"].is_number());
    app.stop().await;
}

#[tokio::test]
async fn emulated_supervisor_5xx_on_one_addon_degrades_without_losing_the_others() {
    let url = Supervisor::start(Role::Manager, vec!["core_configurator"])
        .await
        .url;
    let (_dir, app) = addon_app(&url).await;
    let status = app
        .wait_status(Duration::from_secs(5), |s| {
            s["links"]["supervisor"]["state"] == "degraded"
        })
        .await;
    assert!(
        status["links"]["supervisor"]["last_error"]
            .as_str()
            .expect("error")
            .contains("500")
    );
    let status = app
        .wait_status(Duration::from_secs(3), |s| {
            s["values"]["addon.core_mosquitto.memory_bytes"].is_number()
        })
        .await;
    assert!(status["values"]["addon.core_configurator.memory_bytes"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn an_addon_using_more_than_its_lease_is_flagged_as_an_overrun() {
    let url = Supervisor::start(Role::Manager, vec![]).await.url;
    let (_dir, app) = addon_app(&url).await;
    // The emulated mosquitto uses 30 MB; it leases 10.
    let res = app
        .client
        .post(format!("{}/api/v1/leases", app.base))
        .json(&serde_json::json!({"holder": "core_mosquitto", "resources": {"memory_mb": 10}}))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status().as_u16(), 201);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let overruns = loop {
        let leases = app.get_json("api/v1/leases").await;
        if leases["overruns"].as_array().is_some_and(|o| !o.is_empty()) {
            break leases["overruns"].clone();
        }
        assert!(std::time::Instant::now() < deadline, "no overrun: {leases}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(overruns[0]["holder"], "core_mosquitto");
    assert_eq!(overruns[0]["memory_mb"], serde_json::json!([28, 10]));
    app.stop().await;
}

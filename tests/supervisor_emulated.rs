//! Per-add-on stats against an EMULATED Supervisor (the real one cannot run here), built from the
//! documented response shapes: `{"result":"ok","data":…}` envelopes, 403 for a weak role, 5xx.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use common::TestApp;
use resource_manager::config::{Cli, Config};
use serde_json::{Value, json};

/// How the emulated Supervisor behaves.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    /// `hassio_role: manager`: everything answers.
    Manager,
    /// `hassio_role: default`: `/addons` and stats are forbidden.
    Default,
}

#[derive(Clone)]
struct Emulator {
    role: Role,
    calls: Arc<AtomicU64>,
    /// Slugs whose stats call fails with 500.
    broken: Arc<Vec<&'static str>>,
}

fn ok(data: Value) -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({"result": "ok", "data": data})))
}

fn forbidden() -> (StatusCode, Json<Value>) {
    (
        StatusCode::FORBIDDEN,
        Json(json!({"result": "error", "message": "Access not allowed"})),
    )
}

async fn addons(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    if e.role == Role::Default {
        return forbidden();
    }
    ok(json!({"addons": [
        {"name": "Mosquitto broker", "slug": "core_mosquitto", "state": "started", "version": "6.4.0", "repository": "core"},
        {"name": "File editor", "slug": "core_configurator", "state": "started", "version": "5.8.0", "repository": "core"},
        {"name": "Samba share", "slug": "core_samba", "state": "stopped", "version": "12.3.0", "repository": "core"}
    ]}))
}

fn stats(e: &Emulator, memory: u64) -> Value {
    // Cumulative counters grow by a fixed amount per call, so rates are predictable.
    let n = e.calls.fetch_add(1, Ordering::SeqCst);
    json!({"cpu_percent": 1.5, "memory_usage": memory, "memory_limit": 4_000_000_000u64, "memory_percent": memory as f64 / 4e7,
           "network_rx": 1_000_000 + n * 10_000, "network_tx": 500_000 + n * 10_000, "blk_read": 0, "blk_write": 4096 * n})
}

async fn addon_stats(
    State(e): State<Emulator>,
    Path(slug): Path<String>,
) -> (StatusCode, Json<Value>) {
    if e.role == Role::Default {
        return forbidden();
    }
    if e.broken.contains(&slug.as_str()) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"result": "error", "message": "Docker API error"})),
        );
    }
    match slug.as_str() {
        "core_mosquitto" => ok(stats(&e, 30_000_000)),
        "core_configurator" => ok(stats(&e, 90_000_000)),
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({"result": "error", "message": "App is not running"})),
        ),
    }
}

async fn core_stats(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    ok(stats(&e, 400_000_000))
}

async fn supervisor_stats(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    if e.role == Role::Default {
        return forbidden();
    }
    ok(stats(&e, 120_000_000))
}

async fn info() -> (StatusCode, Json<Value>) {
    ok(
        json!({"supervisor": "2026.11.0", "homeassistant": "2026.11.2", "hassos": "16.3", "docker": "28.0.4", "hostname": "my-secret-host",
              "operating_system": "Home Assistant OS 16.3", "machine": "raspberrypi5-64", "arch": "aarch64", "state": "running"}),
    )
}

async fn host_info() -> (StatusCode, Json<Value>) {
    ok(
        json!({"hostname": "my-secret-host", "kernel": "6.12.20", "operating_system": "Home Assistant OS 16.3", "disk_total": 58.0, "disk_used": 21.5, "disk_free": 36.5, "disk_life_time": 10.0, "chassis": "embedded"}),
    )
}

async fn os_info() -> (StatusCode, Json<Value>) {
    ok(
        json!({"version": "16.3", "version_latest": "16.3", "update_available": false, "board": "rpi5-64", "boot": "A"}),
    )
}

async fn start_emulator(role: Role, broken: Vec<&'static str>) -> String {
    let emulator = Emulator {
        role,
        calls: Arc::new(AtomicU64::new(0)),
        broken: Arc::new(broken),
    };
    let app = Router::new()
        .route("/addons", get(addons))
        .route("/addons/{slug}/stats", get(addon_stats))
        .route("/core/stats", get(core_stats))
        .route("/supervisor/stats", get(supervisor_stats))
        .route("/info", get(info))
        .route("/host/info", get(host_info))
        .route("/os/info", get(os_info))
        .with_state(emulator);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn addon_mode_config(dir: &std::path::Path, supervisor_url: &str) -> Config {
    let options = dir.join("options.json");
    std::fs::write(&options, r#"{"sample_interval_seconds": 1, "addon_stats_interval_seconds": 10, "log_level": "warning"}"#).expect("options");
    let cli = Cli {
        options: Some(options),
        data_dir: Some(dir.join("data")),
        ..Cli::default()
    };
    let env: HashMap<&str, String> = HashMap::from([
        ("SUPERVISOR_TOKEN", "emulated-token".to_string()),
        ("SUPERVISOR_URL", supervisor_url.to_string()),
    ]);
    Config::load(&cli, &|k| env.get(k).cloned()).expect("add-on mode config")
}

#[tokio::test]
async fn emulated_supervisor_with_manager_role_gives_per_addon_series_and_rates() {
    let url = start_emulator(Role::Manager, vec![]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(addon_mode_config(dir.path(), &url)).await;
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
async fn emulated_supervisor_with_default_role_reports_forbidden_calls_instead_of_failing() {
    let url = start_emulator(Role::Default, vec![]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(addon_mode_config(dir.path(), &url)).await;
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
    let url = start_emulator(Role::Manager, vec!["core_configurator"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(addon_mode_config(dir.path(), &url)).await;
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

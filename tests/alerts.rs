//! Alerts through the real app: a rule that fires on this machine at once, its incident in the
//! API and in SQLite, acknowledgement, and what a restart keeps.

mod common;

use std::path::Path;
use std::time::Duration;

use common::TestApp;
use resource_manager::config::{Cli, Config};
use serde_json::{Value, json};

/// Standalone config (1 s ticks) with these alert rules.
fn config(dir: &Path, rules: Value) -> Config {
    let options = dir.join("options.json");
    std::fs::write(&options, json!({ "alert_rules": rules }).to_string()).expect("options");
    let cli = Cli {
        data_dir: Some(dir.join("data")),
        options: Some(options),
        listen: Some("127.0.0.1:0".into()),
        sample_interval_seconds: Some("1".into()),
        log_level: Some("warning".into()),
        ..Cli::default()
    };
    Config::load(&cli, &|_| None).expect("valid test config")
}

/// Installed memory is always above one byte: fires on the first tick.
fn always() -> Value {
    json!([{"name": "always", "metric": "memory.total_bytes", "warn": 1, "for": "0s",
            "cooldown": "1h", "severity": "info"}])
}

async fn wait_alerts(app: &TestApp, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let alerts = app.get_json("api/v1/alerts").await;
        if check(&alerts) {
            return alerts;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "alerts never matched: {alerts}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ack(app: &TestApp, id: &str, body: &str, content_type: &str) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}/api/v1/alerts/{id}/ack", app.base))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn a_firing_rule_shows_up_is_stored_once_and_can_be_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), always())).await;
    let alerts = wait_alerts(&app, |a| a["firing"] == 1).await;
    let active = &alerts["active"][0];
    assert_eq!(active["rule"], "always");
    assert_eq!(active["status"], "firing");
    assert_eq!(active["severity"], "info");
    assert_eq!(active["object_id"], "alert_always");
    assert!(
        active["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Installed memory is")),
        "{active}"
    );
    let id = active["incident_id"].as_i64().expect("incident id");
    // Stored at the transition: one row, while the value stays above for many ticks.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let alerts = app.get_json("api/v1/alerts").await;
    let recent = alerts["recent"].as_array().expect("recent");
    assert_eq!(recent.len(), 1, "{alerts}");
    assert_eq!(recent[0]["id"], id);
    assert_eq!(recent[0]["notifications"], 1);
    assert!(recent[0]["resolved_ms"].is_null());

    let (code, body) = ack(
        &app,
        &id.to_string(),
        r#"{"note": "known: it is RAM"}"#,
        "application/json",
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let acked_at = body["acknowledged_ms"].as_i64().expect("acknowledged");
    assert_eq!(body["ack_note"], "known: it is RAM");
    let (code, again) = ack(&app, &id.to_string(), "{}", "application/json").await;
    assert_eq!(
        (code, again["acknowledged_ms"].as_i64()),
        (200, Some(acked_at)),
        "idempotent"
    );
    let alerts = app.get_json("api/v1/alerts").await;
    assert_eq!(alerts["active"][0]["acknowledged"], true);
    assert_eq!(alerts["recent"][0]["acknowledged_ms"], acked_at);

    for (path, body, content_type, code, parameter) in [
        ("999", "{}", "application/json", 404, None),
        ("abc", "{}", "application/json", 400, Some("id")),
        (
            &*id.to_string(),
            "[1]",
            "application/json",
            400,
            Some("body"),
        ),
        (
            &*id.to_string(),
            "{\"who\": 1}",
            "application/json",
            400,
            Some("body"),
        ),
        (
            &*id.to_string(),
            "not json",
            "application/json",
            400,
            Some("body"),
        ),
        (&*id.to_string(), "{}", "text/plain", 403, None),
    ] {
        let (got, body) = ack(&app, path, body, content_type).await;
        assert_eq!(got, code, "{path} {body}");
        if let Some(parameter) = parameter {
            assert_eq!(body["error"]["parameter"], parameter, "{body}");
        }
    }
    let (code, _) = app.get("api/v1/alerts?limit=0").await;
    assert_eq!(code, 400);
    app.stop().await;

    // A restart carries the incident on: same id, still acknowledged, no second row.
    let app = TestApp::start(config(dir.path(), always())).await;
    let alerts = wait_alerts(&app, |a| a["firing"] == 1).await;
    assert_eq!(alerts["active"][0]["incident_id"], id);
    assert_eq!(alerts["active"][0]["acknowledged"], true);
    assert_eq!(alerts["recent"].as_array().map(Vec::len), Some(1));
    app.stop().await;

    // Without the rule, the incident closes at start.
    let app = TestApp::start(config(dir.path(), json!([]))).await;
    let alerts = app.get_json("api/v1/alerts").await;
    assert_eq!(alerts["firing"], 0);
    assert_eq!(
        alerts["recent"][0]["resolution"], "rule_removed",
        "{alerts}"
    );
    app.stop().await;
}

#[tokio::test]
async fn rules_lists_defaults_and_options_with_their_source_and_targets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = json!([
        {"metric": "cpu.usage", "warn": 85},
        {"metric": "temp.max_celsius", "enabled": false},
        {"name": "root_low", "metric": "disk./.free_bytes", "direction": "below", "warn": 1e9}
    ]);
    let app = TestApp::start(config(dir.path(), rules)).await;
    app.wait_status(Duration::from_secs(3), |s| {
        s["values"]["cpu.usage"].is_number()
    })
    .await;
    let list = app.get_json("api/v1/alerts/rules").await;
    let rules = list["rules"].as_array().expect("rules");
    let find = |name: &str| {
        rules
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing in {list}"))
    };
    let cpu = find("cpu_usage");
    assert_eq!(cpu["source"], "default_changed");
    assert_eq!(cpu["warn"], 85.0);
    assert_eq!(cpu["for"], "15m");
    assert_eq!(cpu["targets"], json!(["cpu.usage"]));
    assert_eq!(find("memory_used_percent")["source"], "default");
    assert_eq!(find("temp_max_celsius")["enabled"], false);
    let root = find("root_low");
    assert_eq!(root["source"], "options");
    assert_eq!(root["direction"], "below");
    assert_eq!(root["unit"], "bytes");
    let disks = find("disk_used_percent")["targets"]
        .as_array()
        .expect("targets")
        .clone();
    assert!(
        disks.iter().any(|t| t == "disk./.used_percent"),
        "{disks:?}"
    );
    app.stop().await;
}

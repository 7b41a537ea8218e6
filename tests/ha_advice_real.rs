//! The advisor with a REAL Home Assistant Core (scripts/ha-core.sh): entity churn created
//! through HA's REST API is counted from `state_changed`, ranked, and turned into a
//! `recorder: exclude:` snippet that HA's own configuration check accepts; decisions are
//! announced as notifications and the advice sensors appear. `#[ignore]`d for plain
//! `cargo test`.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::TestApp;
use common::ha::{HaCore, config_with_ha, notifications, ws_command, ws_connect};
use futures_util::StreamExt;
use serde_json::{Value, json};

async fn set_state(client: &reqwest::Client, ha: &HaCore, entity_id: &str, state: String) {
    let response = client
        .post(format!("{}/api/states/{entity_id}", ha.url))
        .bearer_auth(&ha.token)
        .json(&json!({"state": state, "attributes": {"unit_of_measurement": "W"}}))
        .send()
        .await
        .expect("POST state");
    assert!(response.status().is_success(), "{}", response.status());
}

/// The Python of the venv scripts/ha-core.sh installs.
fn ha_python() -> PathBuf {
    let venv = std::env::var_os("HA_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/resource-manager/ha-venv")
        });
    venv.join("bin/python")
}

/// HA's own configuration check (`homeassistant.scripts.check_config.check`, what
/// `hass --script check_config` runs, called directly so no requirement is installed) on a
/// configuration made of `yaml`: (failed domains, incorrect domains, the recorder's exclude).
fn check_config(yaml: &str) -> Value {
    let dir = tempfile::tempdir().expect("dir");
    let config = format!(
        "homeassistant: {{name: Test, latitude: 52.52, longitude: 13.40, elevation: 0, unit_system: metric, time_zone: UTC, currency: EUR, country: DE, language: en}}\n{yaml}"
    );
    std::fs::write(dir.path().join("configuration.yaml"), config).expect("config");
    let script = r#"
import json, sys
from homeassistant.scripts.check_config import check
res = check(sys.argv[1])
rec = res["components"].get("recorder") or {}
print("RESULT=" + json.dumps({"except": sorted(res["except"]), "warn": sorted(res["warn"]), "exclude": rec.get("exclude")}, default=str))
"#;
    let out = std::process::Command::new(ha_python())
        .arg("-c")
        .arg(script)
        .arg(dir.path())
        .output()
        .expect("run HA's config check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT="))
        .unwrap_or_else(|| {
            panic!(
                "no result:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).expect("json")
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core; scripts/test.sh runs it"]
async fn real_ha_entity_churn_is_ranked_and_the_recorder_snippet_passes_ha_config_check() {
    let ha = HaCore::start();
    let dir = tempfile::tempdir().expect("dir");
    let app = TestApp::start(config_with_ha(
        dir.path(),
        &ha,
        &ha.token,
        json!({"log_level": "warning"}),
        &[],
    ))
    .await;
    app.wait_status(Duration::from_secs(20), |s| {
        s["links"]["home_assistant"]["state"] == "connected"
    })
    .await;
    let client = reqwest::Client::new();
    // The subscription is up once a change is counted.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut n = 0;
    loop {
        n += 1;
        set_state(&client, &ha, "sensor.rm_probe", n.to_string()).await;
        let recorder = app.get_json("api/v1/recorder").await;
        if recorder["total_writes"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no state_changed counted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // One entity many times a minute, three similar plugs often, others rarely.
    for i in 0..180 {
        set_state(
            &client,
            &ha,
            "sensor.rm_grid_power",
            format!("{}", 1000 + i),
        )
        .await;
        if i % 6 == 0 {
            for plug in 1..=3 {
                set_state(
                    &client,
                    &ha,
                    &format!("sensor.rm_plug_{plug}_power"),
                    format!("{i}.{plug}"),
                )
                .await;
            }
        }
        if i % 90 == 0 {
            set_state(
                &client,
                &ha,
                "sensor.rm_room_temperature",
                format!("2{}", i / 90),
            )
            .await;
            set_state(
                &client,
                &ha,
                "binary_sensor.rm_door",
                if i == 0 { "on" } else { "off" }.into(),
            )
            .await;
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let recorder = loop {
        let recorder = app.get_json("api/v1/recorder").await;
        let top = &recorder["entities"][0];
        if top["entity_id"] == "sensor.rm_grid_power" && top["writes"].as_u64() >= Some(180) {
            break recorder;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "ranking not complete: {recorder}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let ranked: Vec<&str> = recorder["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .filter_map(|e| e["entity_id"].as_str())
        .filter(|e| e.contains(".rm_"))
        .collect();
    assert_eq!(ranked[0], "sensor.rm_grid_power", "{recorder}");
    let rank = |id: &str| ranked.iter().position(|e| *e == id).expect(id);
    for plug in 1..=3 {
        let plug = format!("sensor.rm_plug_{plug}_power");
        assert!(
            rank(&plug) < rank("sensor.rm_room_temperature"),
            "{ranked:?}"
        );
        assert!(rank(&plug) < rank("binary_sensor.rm_door"), "{ranked:?}");
    }
    assert_eq!(recorder["domains"][0]["domain"], "sensor");
    let snippet = recorder["snippet"].as_str().expect("a snippet").to_string();
    assert!(
        snippet.contains("      - sensor.rm_grid_power\n"),
        "{snippet}"
    );
    assert!(snippet.contains("\"sensor.rm_plug_*_power\""), "{snippet}");
    assert!(
        !snippet.contains("rm_room_temperature") && !snippet.contains("rm_door"),
        "{snippet}"
    );

    let checked = check_config(&snippet);
    assert_eq!(checked["except"], json!([]), "{checked}");
    assert_eq!(checked["warn"], json!([]), "{checked}");
    let exclude = &checked["exclude"];
    assert!(
        exclude["entities"]
            .as_array()
            .is_some_and(|e| e.contains(&json!("sensor.rm_grid_power"))),
        "{checked}"
    );
    assert_eq!(
        exclude["entity_globs"],
        json!(["sensor.rm_plug_*_power"]),
        "{checked}"
    );
    // And the check is not a rubber stamp: a wrong key is reported.
    let broken = check_config("recorder:\n  exclude:\n    entitys:\n      - sensor.x\n");
    assert_ne!(
        (&broken["except"], &broken["warn"]),
        (&json!([]), &json!([])),
        "{broken}"
    );

    // A decision (a dry run here: standalone) is announced as an event and a notification.
    let mut events = ws_connect(&ha).await;
    ws_command(
        &mut events,
        1,
        json!({"type": "subscribe_events", "event_type": "resource_manager_action"}),
    )
    .await;
    let res = app
        .client
        .post(format!("{}/api/v1/actions", app.base))
        .json(&json!({"kind": "restart", "addon": "core_mosquitto"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status().as_u16(), 200);
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let frame = events.next().await.expect("frame").expect("ok frame");
            let message: Value =
                serde_json::from_str(frame.to_text().expect("text")).expect("json");
            if message["type"] == "event" {
                return message["event"].clone();
            }
        }
    })
    .await
    .expect("a resource_manager_action event within 10 s");
    assert_eq!(event["event_type"], "resource_manager_action");
    assert_eq!(event["data"]["result"], "dry_run", "{event}");
    assert_eq!(event["data"]["addon"], "core_mosquitto");
    assert_eq!(event["data"]["origin"], "user");
    let mut ws = ws_connect(&ha).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut id = 10;
    loop {
        id += 1;
        if notifications(&mut ws, id)
            .await
            .iter()
            .any(|n| n == "resource_manager_action_core_mosquitto")
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no notification");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sensor = ha
        .wait_state(
            "sensor.resource_manager_recommendations_open",
            Duration::from_secs(40),
            |s| {
                s["state"]
                    .as_str()
                    .is_some_and(|v| v.parse::<u32>().is_ok())
            },
        )
        .await;
    assert!(
        sensor["attributes"]["state_class"] == "measurement",
        "{sensor}"
    );
    let saving = ha
        .wait_state(
            "sensor.resource_manager_recommendations_top_saving",
            Duration::from_secs(5),
            |_| true,
        )
        .await;
    assert_eq!(saving["attributes"]["unit_of_measurement"], "MB");
    app.stop().await;
    ha.stop();
}

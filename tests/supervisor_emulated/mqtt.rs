//! The broker from the Supervisor's `/services/mqtt` (add-on mode, `services: [mqtt:want]`):
//! its credentials are used, without a provider the add-on stays on REST and moves to MQTT
//! when one appears, and an uninstalled add-on's entities leave Home Assistant at once.

use std::time::Duration;

use serde_json::{Value, json};

use super::common;
use super::common::TestApp;
use super::common::ha::{HaCore, ws_command, ws_connect};
use super::common::mqtt::{
    Mosquitto, TestClient, entry, numeric, registry, setup_ha_mqtt, wait_registry,
};
use super::emulator::{Role, Supervisor};

#[tokio::test]
#[ignore = "needs mosquitto; scripts/test.sh runs it"]
async fn the_supervisors_mqtt_service_names_the_broker_and_its_credentials() {
    let broker = Mosquitto::start_with(Some(("addons", "from-the-supervisor")));
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.provide_mqtt(broker.port, "addons", "from-the-supervisor");
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(super::addon_mode_config(dir.path(), &supervisor.url)).await;
    let status = app
        .wait_status(Duration::from_secs(15), |s| {
            s["links"]["home_assistant"]["mqtt"]["state"] == "connected"
        })
        .await;
    let mqtt = &status["links"]["home_assistant"]["mqtt"];
    assert_eq!(mqtt["broker_source"], "supervisor");
    assert_eq!(mqtt["broker"], format!("127.0.0.1:{}", broker.port));
    assert!(
        !status.to_string().contains("from-the-supervisor"),
        "the password is never shown"
    );
    // The broker refuses anonymous clients: the add-on got in with the Supervisor's login, and
    // said `online`. The test reads it with the same login.
    let mut test = TestClient::connect_as(
        broker.port,
        Some(("addons", "from-the-supervisor")),
        &["resource_manager/+/availability"],
    )
    .await;
    test.wait_for(Duration::from_secs(10), |_, payload, retained| {
        retained && payload == b"online"
    })
    .await;
    app.stop().await;
    test.wait_for(Duration::from_secs(10), |_, payload, _| {
        payload == b"offline"
    })
    .await;
}

#[tokio::test]
async fn without_a_broker_add_on_the_status_says_so_and_entities_stay_on_rest() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(super::addon_mode_config(dir.path(), &supervisor.url)).await;
    let status = app
        .wait_status(Duration::from_secs(15), |s| {
            s["links"]["home_assistant"]["mqtt"]["state"] == "no_broker"
        })
        .await;
    let mqtt = &status["links"]["home_assistant"]["mqtt"];
    assert!(
        mqtt["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("Service not enabled")),
        "{mqtt}"
    );
    assert_ne!(status["links"]["home_assistant"]["transport"], "mqtt");
    app.stop().await;
}

/// Standalone against the REAL Home Assistant Core, with the emulated Supervisor as the
/// add-on's Supervisor (add-on list, stats and `/services/mqtt`): Core's REST and WebSocket
/// are the real ones, which the emulator cannot proxy.
fn with_real_core(
    dir: &std::path::Path,
    ha: &HaCore,
    supervisor: &Supervisor,
    prefix: &str,
) -> resource_manager::config::Config {
    let options = json!({"sample_interval_seconds": 1, "addon_stats_interval_seconds": 10,
        "log_level": "warning",
        "home_assistant": {"entity_prefix": prefix, "publish_interval_seconds": 5,
            "transport": "auto", "addon_entities": true}});
    let mut config = common::ha::config_with_ha(dir, ha, &ha.token, options, &[]);
    config.supervisor = Some(resource_manager::config::SupervisorEndpoint {
        url: supervisor.url.clone(),
        token: resource_manager::config::Secret::new("emulated-token"),
    });
    config
}

fn on(entries: &[Value], part: &str) -> Vec<Value> {
    entries
        .iter()
        .filter(|e| e["entity_id"].as_str().is_some_and(|i| i.contains(part)))
        .cloned()
        .collect()
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core and mosquitto; scripts/test.sh runs it"]
async fn an_add_on_uninstalled_while_running_leaves_the_registry_with_its_device() {
    let broker = Mosquitto::start();
    let ha = HaCore::start();
    setup_ha_mqtt(&ha, broker.port).await;
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.provide_mqtt(broker.port, "addons", "unused");
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(with_real_core(dir.path(), &ha, &supervisor, "rmgone")).await;
    let mut ws = ws_connect(&ha).await;
    let mut id = 0;
    let wait = Duration::from_secs(60);
    let entries = wait_registry(&mut ws, &mut id, "rmgone_", wait, |e| {
        !on(e, "_addon_core_configurator_").is_empty()
            && !on(e, "_addon_core_mosquitto_").is_empty()
    })
    .await;
    let editor = on(&entries, "_addon_core_configurator_");
    assert!(
        editor.iter().all(|e| e["platform"] == "mqtt"),
        "{editor:#?}"
    );
    let device = editor[0]["device_id"]
        .as_str()
        .expect("on a device")
        .to_string();
    id += 1;
    let devices = ws_command(&mut ws, id, json!({"type": "config/device_registry/list"})).await;
    let named = devices
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["id"] == device.as_str())
        .map(|d| d["name"].clone());
    assert_eq!(named, Some(json!("File editor (add-on)")));

    supervisor.uninstall("core_configurator");
    let entries = wait_registry(&mut ws, &mut id, "rmgone_", wait, |e| {
        on(e, "_addon_core_configurator_").is_empty()
    })
    .await;
    assert!(
        !on(&entries, "_addon_core_mosquitto_").is_empty(),
        "the other add-on keeps its entities: {entries:#?}"
    );
    let deadline = std::time::Instant::now() + wait;
    loop {
        id += 1;
        let devices = ws_command(&mut ws, id, json!({"type": "config/device_registry/list"})).await;
        let list = devices.as_array().expect("devices");
        if !list.iter().any(|d| d["id"] == device.as_str()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the add-on's device stayed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = app
        .wait_status(wait, |s| {
            s["links"]["home_assistant"]["mqtt"]["removed"].as_u64() >= Some(editor.len() as u64)
        })
        .await;
    // Two more publications later, nothing brought it back.
    let published = status["links"]["home_assistant"]["last_publish_ms"]
        .as_i64()
        .expect("published");
    app.wait_status(wait, |s| {
        s["links"]["home_assistant"]["last_publish_ms"].as_i64() > Some(published + 10_000)
    })
    .await;
    let entries = registry(&mut ws, &mut id, "rmgone_").await;
    assert!(on(&entries, "_addon_core_configurator_").is_empty());
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core and mosquitto; scripts/test.sh runs it"]
async fn auto_moves_from_rest_to_mqtt_when_the_supervisor_gets_a_broker_without_a_restart() {
    let broker = Mosquitto::start();
    let ha = HaCore::start();
    setup_ha_mqtt(&ha, broker.port).await;
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(with_real_core(dir.path(), &ha, &supervisor, "rmlate")).await;
    let wait = Duration::from_secs(60);
    // No broker yet: REST, as before MQTT existed (the state carries the token's user).
    let rest_cpu = ha
        .wait_state("sensor.rmlate_cpu_usage", wait, numeric)
        .await;
    assert!(!rest_cpu["context"]["user_id"].is_null(), "{rest_cpu}");
    let status = app
        .wait_status(wait, |s| {
            s["links"]["home_assistant"]["transport"] == "rest"
                && s["links"]["home_assistant"]["mqtt"]["state"] == "no_broker"
        })
        .await;
    assert!(
        status["links"]["home_assistant"]["mqtt"]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("Service not enabled")),
        "{status}"
    );
    let mut ws = ws_connect(&ha).await;
    let mut id = 0;
    assert!(
        registry(&mut ws, &mut id, "rmlate_").await.is_empty(),
        "REST states have no registry entries"
    );

    // A broker add-on is installed: the add-on finds it and moves every entity, also those
    // that publish only on change (alerts, leases), keeping their ids.
    supervisor.provide_mqtt(broker.port, "addons", "unused");
    let moved = [
        "sensor.rmlate_cpu_usage",
        "sensor.rmlate_leases_active",
        "binary_sensor.rmlate_alert_memory_used_percent",
    ];
    let entries = wait_registry(&mut ws, &mut id, "rmlate_", Duration::from_secs(120), |e| {
        moved.iter().all(|m| e.iter().any(|e| e["entity_id"] == *m))
    })
    .await;
    for m in moved {
        assert_eq!(entry(&entries, m)["platform"], "mqtt", "{m}");
    }
    assert!(
        entries
            .iter()
            .all(|e| !e["entity_id"].as_str().is_some_and(|i| i.ends_with("_2"))),
        "no second ids: {entries:#?}"
    );
    let status = app.get_json("api/v1/status").await;
    assert_eq!(status["links"]["home_assistant"]["transport"], "mqtt");
    // REST no longer writes these ids: after two more publications the state is still the
    // MQTT entity's (no user in its context, the device's name in front of its own; a REST
    // write carries the token's user and the bare name).
    let published = status["links"]["home_assistant"]["last_publish_ms"]
        .as_i64()
        .expect("published");
    app.wait_status(wait, |s| {
        s["links"]["home_assistant"]["last_publish_ms"].as_i64() > Some(published + 10_000)
    })
    .await;
    let cpu = ha
        .wait_state("sensor.rmlate_cpu_usage", wait, numeric)
        .await;
    assert!(cpu["context"]["user_id"].is_null(), "{cpu}");
    assert!(
        cpu["attributes"]["friendly_name"]
            .as_str()
            .is_some_and(|n| n.starts_with("Resource Manager ")),
        "{cpu}"
    );
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs mosquitto and the openssl CLI; scripts/test.sh runs it"]
async fn the_supervisors_ssl_broker_is_reached_over_tls_checked_never_in_clear() {
    let certs = tempfile::tempdir().expect("tempdir");
    let ca = common::mqtt::throwaway_ca(certs.path(), "ca");
    let (cert, key) = common::mqtt::server_cert(certs.path(), &ca);
    let broker = Mosquitto::start_tls(&cert, &key);
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.provide_mqtt_tls(broker.tls_port.expect("TLS listener"));
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(super::addon_mode_config(dir.path(), &supervisor.url)).await;
    // The throwaway CA is not one of the system's: TLS is tried, and refused.
    let status = app
        .wait_status(Duration::from_secs(15), |s| {
            s["links"]["home_assistant"]["mqtt"]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("TLS to the broker"))
        })
        .await;
    let mqtt = &status["links"]["home_assistant"]["mqtt"];
    assert_eq!(mqtt["tls"], true, "{mqtt}");
    assert_eq!(mqtt["state"], "disconnected", "{mqtt}");
    assert!(
        mqtt["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("UnknownIssuer")),
        "{mqtt}"
    );
    app.stop().await;
}

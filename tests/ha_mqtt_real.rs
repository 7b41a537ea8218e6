//! MQTT discovery against a REAL Home Assistant Core (scripts/ha-core.sh) and a REAL Mosquitto
//! (Debian's, started here on loopback), with Core's MQTT integration set up through its
//! config flow. `#[ignore]`d for plain `cargo test`; scripts/test.sh runs them.

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use common::ha::{HaCore, ws_command, ws_connect};
use common::mqtt::{Mosquitto, TestClient, entry, numeric, registry, setup_ha_mqtt, wait_registry};
use serde_json::{Value, json};

const NODE: &str = "rm_0123456789ab";

fn options(prefix: &str, transport: &str, port: u16) -> Value {
    json!({"sample_interval_seconds": 1, "write_batch_seconds": 5, "log_level": "warning",
        "home_assistant": {"entity_prefix": prefix, "publish_interval_seconds": 5,
            "transport": transport},
        "mqtt": {"host": "127.0.0.1", "port": port}})
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core and mosquitto; scripts/test.sh runs it"]
async fn real_ha_owns_mqtt_entities_with_the_rest_ids_on_devices_and_keeps_names_and_areas() {
    let broker = Mosquitto::start();
    let ha = HaCore::start_with(&[(
        "packages/energy.yaml",
        "recorder:\n  commit_interval: 1\nenergy:\n",
    )]);
    setup_ha_mqtt(&ha, broker.port).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = |transport| {
        let options = options("rmq", transport, broker.port);
        common::ha::config_with_ha(dir.path(), &ha, &ha.token, options, &[])
    };
    let wait = Duration::from_secs(30);

    // Today's users: REST-written states.
    let app = TestApp::start(config("rest")).await;
    ha.wait_state("sensor.rmq_cpu_usage", wait, numeric).await;
    app.stop().await;
    // A retained discovery of an entity an earlier run had, that no longer exists.
    std::fs::write(dir.path().join("data/mqtt_node_id"), NODE).expect("node id");
    let test = TestClient::connect(broker.port, &["resource_manager/#"]).await;
    let gone = json!({"name": "Gone", "unique_id": format!("{NODE}_gone_metric"),
        "object_id": "rmq_gone_metric", "state_topic": "resource_manager/x/gone"});
    test.publish(
        &format!("homeassistant/sensor/{NODE}/gone_metric/config"),
        gone.to_string().as_bytes(),
        true,
    )
    .await;

    // MQTT takes over: same entity ids, now with unique ids, on the box's device.
    let app = TestApp::start(config("auto")).await;
    let mut ws = ws_connect(&ha).await;
    let mut id = 0;
    let entries = wait_registry(&mut ws, &mut id, "rmq_", wait, |e| {
        [
            "sensor.rmq_cpu_usage",
            "sensor.rmq_energy_kwh_total",
            "sensor.rmq_leases_active",
            "sensor.rmq_recommendations_open",
            "binary_sensor.rmq_alert_memory_used_percent",
        ]
        .iter()
        .all(|id| e.iter().any(|e| e["entity_id"] == *id))
    })
    .await;
    let cpu = entry(&entries, "sensor.rmq_cpu_usage");
    assert_eq!(cpu["platform"], "mqtt");
    assert_eq!(cpu["unique_id"], format!("{NODE}_cpu_usage"));
    assert!(
        entries
            .iter()
            .all(|e| !e["entity_id"].as_str().is_some_and(|i| i.ends_with("_2"))),
        "no entity took a second id beside a REST one: {entries:#?}"
    );
    assert_eq!(
        entry(&entries, "sensor.rmq_status")["entity_category"],
        "diagnostic"
    );
    // Every publisher moved: history, alerts, leases, advice, engine mode, energy.
    for moved in [
        "binary_sensor.rmq_history_problem",
        "binary_sensor.rmq_alert_memory_used_percent",
        "sensor.rmq_alerts_firing",
        "sensor.rmq_leases_active",
        "sensor.rmq_recommendations_open",
        "sensor.rmq_engine_mode",
        "sensor.rmq_energy_kwh_total",
    ] {
        assert_eq!(entry(&entries, moved)["platform"], "mqtt", "{moved}");
    }
    let box_device = cpu["device_id"].as_str().expect("on a device").to_string();
    id += 1;
    let devices = ws_command(&mut ws, id, json!({"type": "config/device_registry/list"})).await;
    let device = devices
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["id"] == box_device.as_str())
        .expect("the box's device")
        .clone();
    assert_eq!(device["name"], "Resource Manager");
    assert_eq!(device["sw_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(device["identifiers"], json!([["mqtt", NODE]]));
    assert_eq!(
        entry(&entries, "sensor.rmq_energy_kwh_total")["device_id"],
        box_device.as_str()
    );
    let status = app.get_json("api/v1/status").await;
    let link = &status["links"]["home_assistant"];
    assert_eq!(link["transport"], "mqtt", "{link}");
    assert_eq!(link["mqtt"]["state"], "connected", "{link}");
    let cpu_state = ha.wait_state("sensor.rmq_cpu_usage", wait, numeric).await;
    assert_eq!(cpu_state["attributes"]["unit_of_measurement"], "%");
    assert_eq!(cpu_state["attributes"]["state_class"], "measurement");

    // The entity of an earlier run is removed once the others were announced again.
    wait_registry(&mut ws, &mut id, "rmq_", wait, |e| {
        !e.iter().any(|e| e["entity_id"] == "sensor.rmq_gone_metric")
    })
    .await;
    app.wait_status(wait, |s| {
        s["links"]["home_assistant"]["mqtt"]["removed"].as_u64() >= Some(1)
    })
    .await;

    // The user renames the entity and gives it an area.
    id += 1;
    let area = ws_command(
        &mut ws,
        id,
        json!({"type": "config/area_registry/create", "name": "Server cupboard"}),
    )
    .await;
    let area_id = area["area_id"].as_str().expect("area id").to_string();
    id += 1;
    let updated = ws_command(
        &mut ws,
        id,
        json!({"type": "config/entity_registry/update", "entity_id": "sensor.rmq_cpu_usage",
            "name": "Box CPU", "area_id": area_id}),
    )
    .await;
    assert_eq!(updated["entity_entry"]["name"], "Box CPU", "{updated}");

    // Home Assistant says it is back (as it did once already when its MQTT integration
    // started): everything is announced again.
    let before = app.get_json("api/v1/status").await["links"]["home_assistant"]["mqtt"].clone();
    let reannounces = before["reannounces"].as_u64().expect("count");
    test.publish("homeassistant/status", b"online", false).await;
    let after = app
        .wait_status(wait, |s| {
            s["links"]["home_assistant"]["mqtt"]["reannounces"].as_u64() > Some(reannounces)
        })
        .await["links"]["home_assistant"]["mqtt"]
        .clone();
    let announced = after["entities"].as_u64().expect("entities");
    assert!(
        after["discovery_messages"].as_u64().expect("count")
            >= before["discovery_messages"].as_u64().expect("count") + announced,
        "every config sent again: {before} → {after}"
    );

    // A clean stop leaves the entities unavailable; the next start keeps name and area.
    app.stop().await;
    ha.wait_state("sensor.rmq_cpu_usage", wait, |s| {
        s["state"] == "unavailable"
    })
    .await;
    let app = TestApp::start(config("auto")).await;
    ha.wait_state("sensor.rmq_cpu_usage", wait, numeric).await;
    let entries = registry(&mut ws, &mut id, "rmq_").await;
    let cpu = entry(&entries, "sensor.rmq_cpu_usage");
    assert_eq!(cpu["name"], "Box CPU");
    assert_eq!(cpu["area_id"], area_id.as_str());

    // Long-term statistics and the Energy dashboard accept the MQTT sensors.
    let energy_id = "sensor.rmq_energy_kwh_total";
    id += 1;
    common::ha::seed_energy_statistics(&mut ws, id, energy_id).await;
    id += 1;
    ws_command(
        &mut ws,
        id,
        json!({"type": "energy/save_prefs",
            "device_consumption": [{"stat_consumption": energy_id}]}),
    )
    .await;
    let deadline = Instant::now() + wait;
    let issues = loop {
        id += 1;
        let result = ws_command(&mut ws, id, json!({"type": "energy/validate"})).await;
        let issues = result["device_consumption"][0].clone();
        if !issues.to_string().contains("statistics_not_defined") || Instant::now() > deadline {
            break issues;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(issues, json!([]), "energy/validate found issues");
    id += 1;
    let stats = ws_command(&mut ws, id, json!({"type": "recorder/validate_statistics"})).await;
    let ours: Vec<&String> = stats
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|k| k.contains("rmq_"))
        .collect();
    assert!(ours.is_empty(), "recorder/validate_statistics: {stats}");
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core and mosquitto; scripts/test.sh runs it"]
async fn sigkill_makes_the_entities_unavailable_through_the_last_will() {
    let broker = Mosquitto::start();
    let ha = HaCore::start();
    setup_ha_mqtt(&ha, broker.port).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let options_file = dir.path().join("options.json");
    let mut options = options("rmkill", "mqtt", broker.port);
    common::ha::pin_cadence(&mut options);
    std::fs::write(&options_file, options.to_string()).expect("options");
    let data = dir.path().join("data");
    let (options_arg, data_arg) = (
        options_file.to_string_lossy().into_owned(),
        data.to_string_lossy().into_owned(),
    );
    let mut app = common::spawn_with_env(
        &[],
        &[
            "--options",
            &options_arg,
            "--data-dir",
            &data_arg,
            "--listen",
            "127.0.0.1:0",
        ],
        &[("HA_URL", &ha.url), ("HA_TOKEN", &ha.token)],
    );
    let wait = Duration::from_secs(30);
    ha.wait_state("sensor.rmkill_cpu_usage", wait, numeric)
        .await;
    app.signal("KILL");
    let killed = Instant::now();
    common::wait_exit(&mut app.child, Duration::from_secs(5));
    // The broker sees the socket close at once; the keep-alive (1.5 × 15 s) bounds a silent
    // loss. Either way the last will says `offline`.
    let bound = Duration::from_secs(23);
    ha.wait_state("sensor.rmkill_cpu_usage", bound, |s| {
        s["state"] == "unavailable"
    })
    .await;
    assert!(killed.elapsed() < bound);
    let mut test = TestClient::connect(broker.port, &["resource_manager/+/availability"]).await;
    test.wait_for(wait, |_, payload, retained| {
        retained && payload == b"offline"
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core and mosquitto; scripts/test.sh runs it"]
async fn with_the_broker_stopped_collection_goes_on_the_status_says_so_and_it_reconnects() {
    let mut broker = Mosquitto::start();
    let ha = HaCore::start();
    setup_ha_mqtt(&ha, broker.port).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let options = options("rmdown", "auto", broker.port);
    let config = common::ha::config_with_ha(dir.path(), &ha, &ha.token, options, &[]);
    let app = TestApp::start(config).await;
    let wait = Duration::from_secs(30);
    ha.wait_state("sensor.rmdown_cpu_usage", wait, numeric)
        .await;

    broker.stop();
    let down = app
        .wait_status(wait, |s| {
            s["links"]["home_assistant"]["mqtt"]["state"] == "disconnected"
        })
        .await;
    assert!(
        down["links"]["home_assistant"]["mqtt"]["last_error"].is_string(),
        "{down}"
    );
    let ticks = down["engine"]["ticks"].as_u64().expect("ticks");
    app.wait_status(wait, |s| s["engine"]["ticks"].as_u64() >= Some(ticks + 3))
        .await;

    broker.start_again();
    app.wait_status(Duration::from_secs(90), |s| {
        let mqtt = &s["links"]["home_assistant"]["mqtt"];
        mqtt["state"] == "connected" && mqtt["reconnects"].as_u64() >= Some(1)
    })
    .await;
    // Home Assistant reconnects on its own; the broker lost everything (no persistence) and
    // the add-on announced it all again.
    ha.wait_state("sensor.rmdown_cpu_usage", Duration::from_secs(90), numeric)
        .await;
    app.stop().await;
}

/// Standalone with `mqtt` options and a Home Assistant that is never reached (the broker
/// side is what is tested: the connection, `online`, and its status).
fn tls_config(dir: &std::path::Path, mqtt: Value) -> resource_manager::config::Config {
    let options = json!({"sample_interval_seconds": 1, "log_level": "warning",
        "home_assistant": {"entity_prefix": "rmtls", "transport": "mqtt"}, "mqtt": mqtt});
    let path = dir.join("options.json");
    std::fs::write(&path, options.to_string()).expect("options");
    let cli = resource_manager::config::Cli {
        options: Some(path),
        data_dir: Some(dir.join("data")),
        ..resource_manager::config::Cli::default()
    };
    let env = |k: &str| match k {
        "HA_URL" => Some("http://127.0.0.1:9".to_string()),
        "HA_TOKEN" => Some("unused".to_string()),
        _ => None,
    };
    resource_manager::config::Config::load(&cli, &env).expect("config")
}

#[tokio::test]
#[ignore = "needs mosquitto and the openssl CLI; scripts/test.sh runs it"]
async fn tls_to_the_broker_checks_its_certificate_against_the_ca_file_and_refuses_a_wrong_one() {
    let certs = tempfile::tempdir().expect("tempdir");
    let ca = common::mqtt::throwaway_ca(certs.path(), "ca");
    let other_ca = common::mqtt::throwaway_ca(certs.path(), "other-ca");
    let (cert, key) = common::mqtt::server_cert(certs.path(), &ca);
    let broker = Mosquitto::start_tls(&cert, &key);
    let tls_port = broker.tls_port.expect("TLS listener");
    let wait = Duration::from_secs(20);

    // The right CA: connected over TLS, `online` said through it.
    let mut test = TestClient::connect(broker.port, &["resource_manager/+/availability"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(tls_config(
        dir.path(),
        json!({"host": "127.0.0.1", "port": tls_port, "tls": true,
            "ca_file": ca.to_string_lossy()}),
    ))
    .await;
    let status = app
        .wait_status(wait, |s| {
            s["links"]["home_assistant"]["mqtt"]["state"] == "connected"
        })
        .await;
    assert_eq!(
        status["links"]["home_assistant"]["mqtt"]["broker"],
        format!("127.0.0.1:{tls_port}")
    );
    assert_eq!(status["links"]["home_assistant"]["mqtt"]["tls"], true);
    // Subscribed before the add-on connected: a live message, not a retained one.
    test.wait_for(wait, |_, payload, _| payload == b"online")
        .await;
    app.stop().await;
    test.wait_for(wait, |_, payload, _| payload == b"offline")
        .await;

    // A CA that did not sign the broker's certificate: refused, and the status says why.
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(tls_config(
        dir.path(),
        json!({"host": "127.0.0.1", "port": tls_port, "tls": true,
            "ca_file": other_ca.to_string_lossy()}),
    ))
    .await;
    let status = app
        .wait_status(wait, |s| {
            s["links"]["home_assistant"]["mqtt"]["last_error"].is_string()
        })
        .await;
    let mqtt = &status["links"]["home_assistant"]["mqtt"];
    assert_eq!(mqtt["state"], "disconnected", "{mqtt}");
    let error = mqtt["last_error"].as_str().expect("error");
    assert!(
        error.contains("TLS to the broker") && error.contains("UnknownIssuer"),
        "{error}"
    );
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core and mosquitto; scripts/test.sh runs it"]
async fn auto_stays_on_rest_while_the_configured_broker_is_down_and_moves_when_it_answers() {
    let mut broker = Mosquitto::start();
    let ha = HaCore::start();
    setup_ha_mqtt(&ha, broker.port).await;
    broker.stop();
    let dir = tempfile::tempdir().expect("tempdir");
    let options = options("rmlater", "auto", broker.port);
    let config = common::ha::config_with_ha(dir.path(), &ha, &ha.token, options, &[]);
    let app = TestApp::start(config).await;
    let wait = Duration::from_secs(30);
    ha.wait_state("sensor.rmlater_cpu_usage", wait, numeric)
        .await;
    let status = app
        .wait_status(wait, |s| {
            s["links"]["home_assistant"]["transport"] == "rest"
        })
        .await;
    assert_eq!(
        status["links"]["home_assistant"]["mqtt"]["state"], "disconnected",
        "{status}"
    );

    broker.start_again();
    let mut ws = ws_connect(&ha).await;
    let mut id = 0;
    // Reconnect back-off (at most 60 s) and a publish interval.
    let entries = wait_registry(&mut ws, &mut id, "rmlater_", Duration::from_secs(90), |e| {
        e.iter()
            .any(|e| e["entity_id"] == "sensor.rmlater_cpu_usage" && e["platform"] == "mqtt")
    })
    .await;
    assert!(
        entries
            .iter()
            .all(|e| !e["entity_id"].as_str().is_some_and(|i| i.ends_with("_2"))),
        "{entries:#?}"
    );
    let status = app.get_json("api/v1/status").await;
    assert_eq!(status["links"]["home_assistant"]["transport"], "mqtt");
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs mosquitto and the openssl CLI; scripts/test.sh runs it"]
async fn a_broker_that_requires_a_client_certificate_takes_the_configured_one() {
    let certs = tempfile::tempdir().expect("tempdir");
    let ca = common::mqtt::throwaway_ca(certs.path(), "ca");
    let (cert, key) = common::mqtt::server_cert(certs.path(), &ca);
    let (client, client_key) = common::mqtt::client_cert(certs.path(), &ca);
    let broker = Mosquitto::start_tls_with(&cert, &key, Some(&ca));
    let tls_port = broker.tls_port.expect("TLS listener");
    let wait = Duration::from_secs(20);
    let mqtt = |with_cert: bool| {
        let mut mqtt = json!({"host": "127.0.0.1", "port": tls_port, "tls": true,
            "ca_file": ca.to_string_lossy()});
        if with_cert {
            mqtt["client_cert"] = json!(client.to_string_lossy());
            mqtt["client_key"] = json!(client_key.to_string_lossy());
        }
        mqtt
    };

    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(tls_config(dir.path(), mqtt(true))).await;
    app.wait_status(wait, |s| {
        s["links"]["home_assistant"]["mqtt"]["state"] == "connected"
    })
    .await;
    app.stop().await;

    // Without one the broker ends the handshake: refused, never connected.
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(tls_config(dir.path(), mqtt(false))).await;
    let status = app
        .wait_status(wait, |s| {
            s["links"]["home_assistant"]["mqtt"]["last_error"].is_string()
        })
        .await;
    let mqtt = &status["links"]["home_assistant"]["mqtt"];
    assert_eq!(mqtt["state"], "disconnected", "{mqtt}");
    assert!(mqtt["connected_since_ms"].is_null(), "{mqtt}");
    assert!(
        mqtt["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("TLS to the broker") && e.contains("CertificateRequired")),
        "{mqtt}"
    );
    app.stop().await;
}

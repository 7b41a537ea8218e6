//! The broker from the Supervisor's `/services/mqtt` (add-on mode, `services: [mqtt:want]`):
//! its credentials are used, and without a provider the add-on stays on REST.

use std::time::Duration;

use super::common::TestApp;
use super::common::mqtt::{Mosquitto, TestClient};
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

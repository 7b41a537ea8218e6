//! `AddonControl` through the real client against the emulated Supervisor: documented paths,
//! the token, the envelope, and every way an action can fail.

use std::time::Duration;

use resource_manager::config::{Secret, SupervisorEndpoint};
use resource_manager::supervisor::{AddonControl, AddonSlug, SupervisorClient, SupervisorError};

use crate::emulator::{Role, Supervisor};

fn slug(s: &str) -> AddonSlug {
    AddonSlug::parse(s).expect("valid slug")
}

#[tokio::test]
async fn restart_through_emulated_supervisor_posts_to_the_documented_path() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let control: Box<dyn AddonControl> = Box::new(supervisor.client());
    control
        .restart(&slug("core_mosquitto"))
        .await
        .expect("restart done");
    let calls = supervisor.actions();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "POST");
    assert_eq!(calls[0].path, "/addons/core_mosquitto/restart");
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some("Bearer emulated-token")
    );
    assert_eq!(calls[0].body, "", "actions carry no payload");
}

#[tokio::test]
async fn stop_and_start_through_emulated_supervisor_post_to_their_paths_and_change_the_state() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let client = supervisor.client();
    let configurator = slug("core_configurator");
    client.stop(&configurator).await.expect("stop done");
    assert_eq!(
        supervisor.state("core_configurator").as_deref(),
        Some("stopped")
    );
    client.start(&configurator).await.expect("start done");
    assert_eq!(
        supervisor.state("core_configurator").as_deref(),
        Some("started")
    );
    let paths: Vec<String> = supervisor.actions().into_iter().map(|c| c.path).collect();
    assert_eq!(
        paths,
        [
            "/addons/core_configurator/stop",
            "/addons/core_configurator/start"
        ]
    );
}

#[tokio::test]
async fn a_refused_stop_reports_the_supervisor_message() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.refuse("core_samba", "stop", 400, "App core_samba is not running");
    let err = supervisor
        .client()
        .stop(&slug("core_samba"))
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, SupervisorError::Api { status: 400, message, .. } if message == "App core_samba is not running"),
        "{err:?}"
    );
    assert!(err.to_string().contains("/addons/core_samba/stop"), "{err}");
}

#[tokio::test]
async fn an_unknown_addon_reports_the_supervisor_message() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let err = supervisor
        .client()
        .restart(&slug("core_nothere"))
        .await
        .expect_err("unknown");
    assert!(
        matches!(&err, SupervisorError::Api { status: 404, message, .. } if message == "App core_nothere does not exist"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_action_without_the_manager_role_is_forbidden_with_a_clear_message() {
    let supervisor = Supervisor::start(Role::Default, vec![]).await;
    let err = supervisor
        .client()
        .restart(&slug("core_mosquitto"))
        .await
        .expect_err("forbidden");
    assert!(matches!(err, SupervisorError::Forbidden { .. }), "{err:?}");
    assert!(err.to_string().contains("hassio_role"), "{err}");
}

#[tokio::test]
async fn a_5xx_on_an_action_reports_the_supervisor_unavailable() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.refuse("core_mosquitto", "restart", 500, "Docker API error");
    let err = supervisor
        .client()
        .restart(&slug("core_mosquitto"))
        .await
        .expect_err("5xx");
    assert!(
        matches!(&err, SupervisorError::Unavailable { status: 500, message, .. } if message == "Docker API error"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_action_that_outlasts_its_timeout_reports_a_timeout() {
    let supervisor =
        Supervisor::start_with_delay(Role::Manager, vec![], Duration::from_millis(800)).await;
    let client = supervisor
        .client()
        .with_action_timeout(Duration::from_millis(200));
    let err = client
        .restart(&slug("core_mosquitto"))
        .await
        .expect_err("timeout");
    assert!(matches!(err, SupervisorError::Timeout { .. }), "{err:?}");
    assert!(
        err.to_string().contains("did not answer within 200ms"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_supervisor_is_reported_as_such() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let client = SupervisorClient::new(&SupervisorEndpoint {
        url,
        token: Secret::new("t"),
    })
    .expect("client");
    let err = client
        .start(&slug("core_mosquitto"))
        .await
        .expect_err("unreachable");
    assert!(
        matches!(err, SupervisorError::Unreachable { .. }),
        "{err:?}"
    );
}

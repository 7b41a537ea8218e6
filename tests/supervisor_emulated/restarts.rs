//! Restarts and crashes counted from the EMULATED Supervisor's `/addons` states (after
//! `supervisor/api/apps.py` `APIApps.list_apps`: each add-on's `state`), polled every 10 s:
//! a stop and a start again is a restart, a state of `error` a crash, and two restarts within
//! the hour put the restart-loop rule's series at its warning level.

use std::time::Duration;

use crate::addon_app;
use crate::emulator::{Role, Supervisor};

#[tokio::test]
async fn emulated_supervisor_restarts_and_crashes_are_counted_and_reach_the_loop_rule() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let (_dir, app) = addon_app(&supervisor.url).await;
    let id = |what: &str| format!("addon.core_mosquitto.{what}");
    let seen = |status: &serde_json::Value, what: &str| status["values"][id(what)].as_f64();
    let first = app
        .wait_status(Duration::from_secs(15), |s| {
            s["values"][id("restarts_total")].is_number()
        })
        .await;
    assert_eq!(
        seen(&first, "restarts_total"),
        Some(0.0),
        "running is no restart"
    );

    // Crashed (error) for a poll, then started again; then stopped and started by hand.
    for (down, count) in [("error", 1.0), ("stopped", 2.0)] {
        supervisor.set_state("core_mosquitto", down);
        app.wait_status(Duration::from_secs(25), |s| {
            s["values"][id("cpu_percent")].is_null()
        })
        .await;
        supervisor.set_state("core_mosquitto", "started");
        let status = app
            .wait_status(Duration::from_secs(25), |s| {
                s["values"][id("restarts_total")].as_f64() == Some(count)
            })
            .await;
        assert_eq!(seen(&status, "restarts_last_hour"), Some(count));
        assert_eq!(
            seen(&status, "crashes_total"),
            Some(1.0),
            "{}",
            status["values"]
        );
    }
    // The restart-loop rule watches the last hour's restarts, warning from two.
    let rules = app.get_json("api/v1/alerts/rules").await;
    let rule = rules["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["name"] == "addon_restarts_last_hour")
        .cloned()
        .expect("the restart-loop rule");
    assert_eq!(rule["warn"], 2.0, "{rule}");
    app.stop().await;
}

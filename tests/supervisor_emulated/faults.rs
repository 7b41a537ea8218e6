//! An EMULATED Supervisor that answers slowly, with 5xx, with malformed JSON, or not at all:
//! collection and storage go on, the status names the degraded link, and it recovers by itself.

use std::time::Duration;

use serde_json::Value;

use super::addon_app;
use super::emulator::{Fault, Role, Supervisor};

fn supervisor(status: &Value) -> &Value {
    &status["links"]["supervisor"]
}

fn ticks(status: &Value) -> u64 {
    status["engine"]["ticks"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulated_supervisor_slow_failing_malformed_or_silent_degrades_the_link_and_recovers() {
    let emulated = Supervisor::start(Role::Manager, vec![]).await;
    let (_dir, app) = addon_app(&emulated.url).await;
    let healthy = |s: &Value| {
        supervisor(s)["state"] == "ok"
            && s["values"]["addon.core_mosquitto.memory_bytes"].is_number()
    };
    app.wait_status(Duration::from_secs(20), healthy).await;

    for (fault, says) in [
        (Fault::ServerError, "503"),
        (Fault::Malformed, "unexpected answer"),
        (Fault::Silent, "did not answer"),
    ] {
        emulated.set_fault(fault);
        let before = app.get_json("api/v1/status").await;
        let degraded = app
            .wait_status(Duration::from_secs(60), |s| {
                supervisor(s)["state"] != "ok"
                    && supervisor(s)["last_error"]
                        .as_str()
                        .is_some_and(|e| e.contains(says))
            })
            .await;
        // The host's own collection never waited for the Supervisor.
        assert!(
            ticks(&degraded) > ticks(&before),
            "{fault:?}: ticks went on"
        );
        assert!(degraded["values"]["cpu.usage"].is_number(), "{fault:?}");
        assert!(
            degraded["ts"].as_i64() > before["ts"].as_i64(),
            "{fault:?}: the snapshot moved on"
        );
        emulated.set_fault(Fault::None);
        app.wait_status(Duration::from_secs(60), healthy).await;
    }

    // Slow but within the read timeout: the link stays up and the ticks keep their pace.
    emulated.set_fault(Fault::Slow(Duration::from_secs(2)));
    let before = app.get_json("api/v1/status").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = app.get_json("api/v1/status").await;
    assert!(
        ticks(&after) >= ticks(&before) + 3,
        "1 s ticks went on while the Supervisor took 2 s per answer: {} -> {}",
        ticks(&before),
        ticks(&after)
    );
    app.stop().await;
}

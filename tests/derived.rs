//! A derived series (`cpu.busy_cores`, computed from the tick's `cpu.usage` and core count) is
//! treated like a collected one: it is in the status values, on `/metrics`, and in the stored
//! history that survives a restart.

mod common;

use std::time::Duration;

use common::{TestApp, config};
use serde_json::Value;

fn busy_cores_as_computed_from(status: &Value) -> Option<(f64, f64)> {
    let values = status["values"].as_object()?;
    let busy = values.get("cpu.busy_cores")?.as_f64()?;
    let usage = values.get("cpu.usage")?.as_f64()?;
    let cores = values
        .keys()
        .filter(|k| k.starts_with("cpu.core") && k.ends_with(".usage"))
        .count();
    Some((busy, usage / 100.0 * cores as f64))
}

#[tokio::test]
async fn the_derived_busy_cores_series_is_served_published_and_stored_like_a_collected_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 1, 5)).await;
    let status = app
        .wait_status(Duration::from_secs(15), |s| {
            s["values"]["cpu.busy_cores"].is_number()
        })
        .await;
    let (busy, expected) = busy_cores_as_computed_from(&status).expect("inputs in the same tick");
    assert!((busy - expected).abs() < 1e-9, "{busy} vs {expected}");
    assert!(busy >= 0.0);

    let (code, metrics) = app.get("metrics").await;
    assert_eq!(code, 200);
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("resource_manager_cpu_busy_cores{host=\"local\"} ")),
        "{metrics}"
    );
    let before = app
        .get_json("api/v1/metrics/cpu.busy_cores/history?resolution=raw&from=0")
        .await;
    let first_t = before["points"][0]["t"].as_f64().expect("a point");
    // Stopping writes what is buffered; a new app has only SQLite to read the old points from.
    app.stop().await;

    let app = TestApp::start(config(dir.path(), 1, 5)).await;
    let history = app
        .get_json("api/v1/metrics/cpu.busy_cores/history?resolution=raw&from=0")
        .await;
    assert_eq!(history["series"]["id"], "cpu.busy_cores");
    let points = history["points"].as_array().expect("points");
    assert!(
        points.iter().any(|p| p["t"].as_f64() == Some(first_t)),
        "the first run's point {first_t} was stored: {history}"
    );
    app.stop().await;
}

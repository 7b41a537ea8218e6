//! What takes the data disk, against the EMULATED Supervisor's walk (`facts::disk_usage`, after
//! `supervisor/api/host.py` `_system_disk_usage_data`): asked once at depth 2, shown by
//! `GET /api/v1/storage` with each add-on's data folder named as `/addons` names it, stored as
//! series, and planned as Home Assistant sensors.

use std::time::Duration;

use resource_manager::config::PublishOptions;
use resource_manager::ha::entities::entities;
use resource_manager::model::{Sample, Snapshot, registry};
use serde_json::Value;

use crate::addon_app;
use crate::emulator::{Role, Supervisor};

/// The storage view once the first walk is in.
async fn walked(app: &crate::common::TestApp) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let view = app.get_json("api/v1/storage").await;
        if view["available"] == true {
            return view;
        }
        assert!(tokio::time::Instant::now() < deadline, "no walk: {view}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn emulated_supervisor_disk_walk_lists_each_addons_data_in_the_storage_view_and_series() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.install("Frigate", "a0d7b954_frigate", "started");
    let (_dir, app) = addon_app(&supervisor.url).await;
    let view = walked(&app).await;
    assert_eq!(
        supervisor.usage_queries(),
        ["max_depth=2"],
        "one walk, deep enough"
    );

    let rows = |key: &str| -> Vec<(String, String, f64)> {
        view[key]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap_or_default().to_string(),
                    r["name"].as_str().unwrap_or_default().to_string(),
                    r["bytes"].as_f64().unwrap_or(f64::NAN),
                )
            })
            .collect()
    };
    let parts = rows("parts");
    assert_eq!(
        parts[0],
        ("backup".into(), "Backups".into(), 12e9),
        "{view}"
    );
    assert!(
        parts.iter().any(|p| p.0 == "apps_data"),
        "v1's addons_data read as apps_data"
    );
    assert_eq!(parts.len(), 8, "{parts:?}");
    let addons = rows("addons");
    assert_eq!(
        addons[0],
        ("a0d7b954_frigate".into(), "Frigate".into(), 8e9)
    );
    let slugs: Vec<&str> = addons.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        slugs,
        [
            "a0d7b954_frigate",
            "core_mosquitto",
            "core_configurator",
            "core_samba"
        ]
    );
    assert_eq!(view["used_bytes"], 30e9);
    assert!(view["walks"]["walks"].as_u64() == Some(1), "{view}");
    // No history yet: no growth figure rather than a zero.
    assert!(view["parts"][0]["week"].is_null(), "{}", view["parts"][0]);

    // Each part and add-on folder is a series with the walk's value, and the parts are
    // planned as Home Assistant sensors (add-on folders only with `addon_entities`).
    let status = app
        .wait_status(Duration::from_secs(5), |s| {
            s["values"]["storage.backup.used_bytes"].is_number()
        })
        .await;
    assert_eq!(status["values"]["addon.a0d7b954_frigate.data_bytes"], 8e9);
    let sample = |meta: resource_manager::model::SeriesMeta, value: f64| Sample {
        series: std::sync::Arc::new(meta),
        value,
    };
    let snapshot = Snapshot {
        ts_ms: 1,
        samples: vec![
            sample(
                registry::STORAGE_PART.instance("backup", &["Backups"]),
                12e9,
            ),
            sample(
                registry::ADDON_DATA.instance("a0d7b954_frigate", &["Frigate"]),
                8e9,
            ),
        ],
        ..Snapshot::default()
    };
    let options = PublishOptions::default();
    let plan = entities(&options, &snapshot, None);
    let sensor = plan
        .iter()
        .find(|e| e.entity_id == "sensor.resource_manager_storage_backup_used_bytes")
        .expect("a sensor for the backups");
    assert_eq!(sensor.state.state, "12000");
    assert_eq!(sensor.state.attributes["unit_of_measurement"], "MB");
    assert_eq!(sensor.state.attributes["device_class"], "data_size");
    assert!(
        !plan.iter().any(|e| e.entity_id.contains("data_bytes")),
        "add-on folders stay off without addon_entities"
    );
    app.stop().await;
}

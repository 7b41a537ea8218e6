//! `import_ha_statistics` against a REAL Home Assistant Core: hourly statistics put into its
//! recorder with `recorder/import_statistics` come back into our store, converted to our unit,
//! and only for hours before our own history.

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use common::ha::{HaCore, ws_command, ws_connect};
use serde_json::{Value, json};

const HOUR: i64 = 3600;

fn iso(s: i64) -> String {
    let days = s.div_euclid(86_400);
    let (y, m, d) = resource_manager::model::civil_from_days(days);
    let rem = s.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00+00:00",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[tokio::test]
#[ignore = "needs a real Home Assistant Core; scripts/test.sh runs it"]
async fn statistics_imported_into_home_assistant_come_back_into_our_store() {
    let ha = HaCore::start_with(&[(
        "packages/recorder.yaml",
        "recorder:\n  commit_interval: 1\n",
    )]);
    let mut ws = ws_connect(&ha).await;
    let now = resource_manager::util::unix_ms() / 1000;
    let first_hour = (now - 3 * 86_400) / HOUR * HOUR;
    let stats: Vec<Value> = (0..48)
        .map(|k| json!({"start": iso(first_hour + k * HOUR), "mean": 1000.0 + k as f64, "min": 900.0, "max": 1100.0}))
        .collect();
    let imported = ws_command(
        &mut ws,
        1,
        json!({
            "type": "recorder/import_statistics",
            "metadata": {
                "statistic_id": "sensor.system_monitor_memory_use",
                "source": "recorder",
                "name": "Memory use",
                "unit_of_measurement": "MiB",
                "has_mean": true,
                "has_sum": false,
            },
            "stats": stats,
        }),
    )
    .await;
    assert!(imported.is_null(), "import_statistics answered {imported}");
    // The recorder imports in its own thread: wait until Core lists the statistic.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut id = 2;
    loop {
        let listed = ws_command(
            &mut ws,
            id,
            json!({"type": "recorder/list_statistic_ids", "statistic_type": "mean"}),
        )
        .await;
        id += 1;
        if listed
            .to_string()
            .contains("sensor.system_monitor_memory_use")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "statistic never listed: {listed}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let options = json!({"sample_interval_seconds": 1, "write_batch_seconds": 5,
        "log_level": "warning", "import_ha_statistics": true,
        "home_assistant": {"entity_prefix": "rmstats", "publish_interval_seconds": 60}});
    let config = common::ha::config_with_ha(dir.path(), &ha, &ha.token, options, &[]);
    let app = TestApp::start(config).await;
    let path = format!(
        "api/v1/metrics/memory.used_bytes/history?from={}&to={}&resolution=1h",
        first_hour,
        first_hour + 48 * HOUR
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let points = loop {
        let history = app.get_json(&path).await;
        let points = history["points"].as_array().cloned().unwrap_or_default();
        if points.len() == 48 {
            break points;
        }
        assert!(Instant::now() < deadline, "not imported: {history}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    for (k, p) in points.iter().enumerate() {
        assert_eq!(p["t"].as_f64(), Some((first_hour + k as i64 * HOUR) as f64));
        let want = (1000.0 + k as f64) * 1_048_576.0;
        let got = p["v"].as_f64().expect("value");
        assert!((got / want - 1.0).abs() < 1e-6, "hour {k}: {got} vs {want}");
    }
    app.stop().await;
}

//! The HTTP API of the real app, started on port 0 with a temporary SQLite file.

mod common;

use std::time::Duration;

use common::{TestApp, config};

#[tokio::test]
async fn status_shows_this_machines_real_values_within_two_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 5, 60)).await;
    let status = app
        .wait_status(Duration::from_secs(2), |s| {
            s["values"]["cpu.usage"].is_number()
                && s["values"]["memory.total_bytes"].as_f64().unwrap_or(0.0) > 0.0
        })
        .await;
    assert_eq!(status["status"], "ok", "{status}");
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        status["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .any(|s| s["source"] == "disk")
    );
    let (code, page) = app.get("").await;
    assert_eq!(code, 200);
    assert!(
        page.contains("memory.total_bytes"),
        "page shows current values"
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_lists_dotted_series_with_units_and_descriptions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 5, 60)).await;
    app.wait_status(Duration::from_secs(2), |s| {
        s["values"]["cpu.usage"].is_number()
    })
    .await;
    let list = app.get_json("api/v1/metrics").await;
    let metrics = list["metrics"].as_array().expect("metrics");
    let find = |id: &str| {
        metrics
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing in {list}"))
    };
    assert_eq!(find("cpu.usage")["unit"], "percent");
    assert_eq!(find("memory.used_bytes")["unit"], "bytes");
    assert!(
        find("memory.used_bytes")["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert!(metrics.iter().any(|m| {
        m["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("disk./") && id.ends_with(".used_percent"))
    }));
    app.stop().await;
}

#[tokio::test]
async fn bad_history_parameters_get_400_with_a_json_error_naming_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 5, 60)).await;
    for (query, parameter) in [
        ("from=abc", "from"),
        ("to=-5", "to"),
        ("from=2000&to=1000", "from"),
        ("resolution=5m", "resolution"),
        ("step=1", "query"),
    ] {
        let (code, body) = app
            .get(&format!("api/v1/metrics/cpu.usage/history?{query}"))
            .await;
        assert_eq!(code, 400, "{query}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("json error body");
        assert_eq!(json["error"]["parameter"], parameter, "{query}: {body}");
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let (code, body) = app.get("api/v1/metrics/no.such.series/history").await;
    assert_eq!(code, 404, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).expect("json")["error"]["code"],
        "unknown_series"
    );
    let (code, _) = app.get("api/v1/nothing-here").await;
    assert_eq!(code, 404);
    app.stop().await;
}

#[tokio::test]
async fn history_serves_buffered_then_written_points_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 1, 5)).await;
    // Wait until at least one batch reached SQLite.
    app.wait_status(Duration::from_secs(15), |s| {
        s["store"]["flushes"].as_u64().unwrap_or(0) >= 1
            && s["engine"]["ticks"].as_u64().unwrap_or(0) >= 7
    })
    .await;
    let raw = app
        .get_json("api/v1/metrics/memory.used_bytes/history?resolution=raw")
        .await;
    let points = raw["points"].as_array().expect("points");
    assert!(points.len() >= 7, "{raw}");
    assert!(
        points
            .windows(2)
            .all(|w| w[0]["t"].as_f64() < w[1]["t"].as_f64()),
        "ordered, no duplicates"
    );
    let minute = app
        .get_json("api/v1/metrics/memory.used_bytes/history?resolution=1m")
        .await;
    let buckets = minute["points"].as_array().expect("points");
    let counted: u64 = buckets
        .iter()
        .map(|b| b["n"].as_u64().expect("count"))
        .sum();
    assert!(
        counted >= points.len() as u64,
        "minute buckets count every raw sample: {minute}"
    );
    // Disk ids hold slashes: they travel percent-encoded.
    let status = app.get_json("api/v1/status").await;
    // How power is obtained is said, and the raw batches' commits are in the write ledger.
    let method = status["power"]["method"].as_str().unwrap_or_default();
    assert!(
        ["rapl", "hwmon", "model", "none"].contains(&method),
        "{}",
        status["power"]
    );
    let writes = status["store"]["writes"]["by_source"]
        .as_array()
        .expect("ledger");
    let raw = writes
        .iter()
        .find(|w| w[0] == "raw_batches")
        .expect("raw batches in the ledger");
    assert!(raw[1]["commits"].as_u64().unwrap_or(0) >= 1, "{writes:?}");
    assert!(
        raw[1]["wal_frames"].as_u64().unwrap_or(0) >= 1,
        "{writes:?}"
    );
    let disk_id = status["values"]
        .as_object()
        .expect("values")
        .keys()
        .find(|k| k.starts_with("disk./") && k.ends_with(".total_bytes"))
        .cloned()
        .expect("a disk");
    let encoded = disk_id.replace('/', "%2F");
    let disk = app
        .get_json(&format!("api/v1/metrics/{encoded}/history"))
        .await;
    assert_eq!(disk["series"]["id"], disk_id.as_str());
    let first_t = points[0]["t"].as_f64().expect("t");
    app.stop().await;

    let app = TestApp::start(config(dir.path(), 1, 5)).await;
    let from = first_t.floor() as i64;
    let again = app
        .get_json(&format!(
            "api/v1/metrics/memory.used_bytes/history?resolution=raw&from={from}"
        ))
        .await;
    let kept = again["points"].as_array().expect("points");
    assert!(
        kept.len() >= points.len(),
        "history kept across restart: before {} after {}",
        points.len(),
        kept.len()
    );
    app.stop().await;
}

#[tokio::test]
async fn page_and_assets_use_relative_urls_so_ingress_prefixes_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 5, 60)).await;
    let (_, page) = app.get("").await;
    for attr in ["href=\"/", "src=\"/", "action=\"/"] {
        assert!(!page.contains(attr), "absolute URL ({attr}) in page");
    }
    assert!(page.contains("static/app.js?v="), "versioned asset URL");
    let res = app
        .client
        .get(format!("{}/static/app.css", app.base))
        .send()
        .await
        .expect("css");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .expect("header")
            .contains("immutable")
    );
    let js = app
        .client
        .get(format!("{}/static/app.js", app.base))
        .send()
        .await
        .expect("js")
        .text()
        .await
        .expect("body");
    assert!(
        js.contains("EventSource(\"api/v1/live\")"),
        "script connects relatively"
    );
    app.stop().await;
}

#[tokio::test]
async fn healthz_answers_ok() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 5, 60)).await;
    assert_eq!(app.get_json("healthz").await["status"], "ok");
    app.stop().await;
}

/// Needs Debian's `promtool` (package `prometheus`): run by scripts/test.sh.
#[tokio::test]
#[ignore = "needs promtool; scripts/test.sh runs it"]
async fn prometheus_exposition_passes_promtool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 5, 60)).await;
    app.wait_status(Duration::from_secs(2), |s| {
        s["values"]["cpu.usage"].is_number()
    })
    .await;
    let res = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/plain; version=0.0.4")
    );
    let body = res.text().await.expect("body");
    assert!(body.contains("resource_manager_cpu_usage_ratio{host=\"local\"} "));
    assert!(body.contains("resource_manager_memory_used_bytes{host=\"local\"} "));
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool is installed (apt-get install prometheus)");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool output");
    assert!(
        out.status.success(),
        "promtool rejected /metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    app.stop().await;
}

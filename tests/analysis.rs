//! The analysis in the running app: imported history gives forecasts within a minute of
//! start; the findings are on the API (bad parameters refused by name) and the derived
//! series (days until full, health score, anomaly score) reach `/metrics`; the page and the
//! status report show them, and an alert rule on days until full fires.

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use resource_manager::store::Store;
use resource_manager::store::import::parse;
use serde_json::Value;

const DAY: i64 = 86_400;

/// Ten days of a disk filling at 1 GB a day with some noise, ending a minute ago.
fn history(now_s: i64) -> String {
    let mut text = String::from("ts,series,value\n");
    let start = now_s - 10 * DAY;
    let total = 100e9;
    for k in 0..(10 * 24 * 12) {
        let ts = start + k * 300;
        let wobble = ((k * 7919) % 100) as f64 / 100.0 * 0.2e9;
        let used = 40e9 + (ts - start) as f64 / DAY as f64 * 1e9 + wobble;
        text.push_str(&format!("{ts},disk./data.used_bytes,{used}\n"));
        text.push_str(&format!("{ts},disk./data.free_bytes,{}\n", total - used));
        text.push_str(&format!("{ts},disk./data.total_bytes,{total}\n"));
        text.push_str(&format!(
            "{ts},disk./data.used_percent,{}\n",
            used / total * 100.0
        ));
    }
    text
}

async fn poll(app: &TestApp, path: &str, timeout: Duration, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let body = app.get_json(path).await;
        if ok(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} not ready: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn imported_history_yields_forecasts_on_the_api_and_derived_series_on_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A rule on the derived series: warn while a disk is forecast full within 60 days.
    let options = dir.path().join("options.json");
    std::fs::write(
        &options,
        serde_json::json!({
            "sample_interval_seconds": 1, "write_batch_seconds": 5, "log_level": "warning",
            "alert_rules": [{"name": "disk_filling", "metric": "disk.*.days_until_full",
                             "direction": "below", "warn": 60, "clear": 70, "for": "0s"}]
        })
        .to_string(),
    )
    .expect("options");
    let cli = resource_manager::config::Cli {
        options: Some(options),
        data_dir: Some(dir.path().join("data")),
        listen: Some("127.0.0.1:0".into()),
        ..resource_manager::config::Cli::default()
    };
    let cfg = resource_manager::config::Config::load(&cli, &|_| None).expect("config");
    std::fs::create_dir_all(&cfg.data_dir).expect("data dir");
    let now_s = resource_manager::util::unix_ms() / 1000 - 60;
    let store = Store::open(&cfg.database_path()).await.expect("open");
    let rows = parse(&history(now_s), now_s * 1000 + 60_000).expect("parse");
    store.import(&rows).await.expect("import");
    store.close().await;

    let app = TestApp::start(cfg).await;
    let forecasts = poll(&app, "api/v1/forecasts", Duration::from_secs(60), |b| {
        b["made_ms"].as_i64().unwrap_or(0) > 0
    })
    .await;
    let list = forecasts["forecasts"].as_array().expect("list");
    let disk = list
        .iter()
        .find(|f| f["series"] == "disk./data.used_bytes")
        .unwrap_or_else(|| panic!("a forecast for the imported disk: {forecasts}"));
    assert_eq!(disk["method"], "linear");
    assert_eq!(disk["resource"], "disk");
    // 50 GB used of 100 GB, 1 GB a day: about 50 days.
    let eta = disk["eta_seconds"].as_f64().expect("growing") / DAY as f64;
    assert!((40.0..60.0).contains(&eta), "{disk}");
    let low = disk["eta_low_seconds"].as_f64().expect("low");
    let high = disk["eta_high_seconds"].as_f64().expect("high");
    assert!(
        low <= eta * DAY as f64 && eta * DAY as f64 <= high,
        "{disk}"
    );
    assert!((disk["slope_per_day"].as_f64().expect("slope") / 1e9 - 1.0).abs() < 0.1);

    let path = app
        .get_json("api/v1/forecasts/disk.%2Fdata.used_bytes?horizon=86400")
        .await;
    let points = path["points"].as_array().expect("points");
    assert!(points.len() > 10);
    for p in points {
        let (v, lo, hi) = (p["value"].as_f64(), p["low"].as_f64(), p["high"].as_f64());
        assert!(lo <= v && v <= hi, "{p}");
    }

    for (query, parameter) in [
        (
            "api/v1/forecasts/disk.%2Fdata.used_bytes?horizon=soon",
            "horizon",
        ),
        (
            "api/v1/forecasts/disk.%2Fdata.used_bytes?horizon=1",
            "horizon",
        ),
        ("api/v1/leaks?since=1", "query"),
        ("api/v1/health?x=1", "query"),
    ] {
        let (status, body) = app.get(query).await;
        assert_eq!(status, 400, "{query}: {body}");
        let body: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(body["error"]["parameter"], parameter, "{body}");
        assert_eq!(body["error"]["code"], "bad_parameter");
    }
    let (status, _) = app.get("api/v1/forecasts/no.such").await;
    assert_eq!(status, 404);

    let health = app.get_json("api/v1/health").await;
    let score = health["health"]["score"].as_f64().expect("score");
    assert!((0.0..=100.0).contains(&score));
    let bottleneck = app.get_json("api/v1/bottleneck").await;
    assert!(
        bottleneck["bottleneck"]["evidence"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    for path in ["api/v1/leaks", "api/v1/anomalies"] {
        assert!(app.get_json(path).await["made_ms"].as_i64() > Some(0));
    }
    let backtests = app.get_json("api/v1/backtests").await;
    let linear = backtests["kinds"]
        .as_array()
        .and_then(|k| k.iter().find(|k| k["method"] == "linear").cloned())
        .unwrap_or_else(|| panic!("a linear backtest: {backtests}"));
    assert!(linear["ours"]["cases"].as_u64() > Some(0));
    assert!(linear["baseline"]["cases"] == linear["ours"]["cases"]);
    // Pooled scores keep their error and width (they were 0 when pooled); the calibrated band
    // is scored beside, and the measured figures name their data.
    assert!(
        linear["ours"]["mean_abs_error"].as_f64() > Some(0.0),
        "{linear}"
    );
    assert!(
        linear["ours"]["mean_width"].as_f64() > Some(0.0),
        "{linear}"
    );
    assert!(linear["calibrated"]["coverage"].is_number(), "{linear}");
    assert!(backtests["anomaly_days"]["days"].is_u64(), "{backtests}");
    let reference = backtests["reference"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !reference.is_empty()
            && reference
                .iter()
                .all(|r| r["data"].as_str().is_some_and(|d| !d.is_empty())),
        "{backtests}"
    );

    // The dashboard has its places for the findings; the status report has their lines.
    let (_, page) = app.get("").await;
    assert!(!page.contains("Forecasts arrive in a later version"));
    for section in [
        "Outlook",
        "Leaks, anomalies and bottleneck",
        "Forecast accuracy (backtests)",
        "static/analysis.js",
    ] {
        assert!(page.contains(section), "{section} missing from the page");
    }
    let (_, report) = app.get("api/v1/status.md").await;
    assert!(
        report.contains("- **Outlook:** Disk /data full in about"),
        "{report}"
    );
    assert!(report.contains("- **Health score:** "), "{report}");
    assert!(
        report.contains("- **Forecast accuracy:** linear: "),
        "{report}"
    );

    // The derived series ride on the next ticks: on /metrics in Prometheus' base unit.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, metrics) = app.get("metrics").await;
        let full = metrics.lines().find(|l| {
            l.starts_with(
                "resource_manager_disk_days_until_full_seconds{mount=\"/data\",host=\"local\"}",
            )
        });
        if let (Some(line), true) = (
            full,
            metrics.contains("resource_manager_health_score{host=\"local\"} "),
        ) {
            let seconds: f64 = line
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("value");
            assert!((seconds / eta / DAY as f64 - 1.0).abs() < 0.01, "{line}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "derived series missing:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let alerts = poll(&app, "api/v1/alerts", Duration::from_secs(30), |a| {
        let text = a.to_string();
        text.contains("disk_filling") && text.contains("\"firing\"")
    })
    .await;
    assert!(
        alerts.to_string().contains("disk./data.days_until_full"),
        "{alerts}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_runner_analyses_again_after_another_process_imports_history() {
    use resource_manager::analysis::runner::{self, Analysis, AnalysisSchedule, Parts};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.db");
    let store = Store::open(&path).await.expect("open");
    let (_tx, latest) = tokio::sync::watch::channel(std::sync::Arc::new(
        resource_manager::model::Snapshot::default(),
    ));
    let handle = Analysis::default();
    let stop = tokio_util::sync::CancellationToken::new();
    // The engine's lease gate: the first ask (the backtests) is put off (user work holds the
    // resources).
    let gate = std::sync::Arc::new(Gate::default());
    let parts = Parts {
        store: store.clone(),
        clock: store.clock().clone(),
        values: Default::default(),
        alerts: Box::new(|| (0, 0, 0)),
        latest,
        sys: dir.path().join("no-sys"),
        schedule: AnalysisSchedule {
            first: Duration::ZERO,
            every: Duration::from_secs(3600),
            backtests_every: Duration::from_secs(3600),
            import_check: Duration::from_millis(100),
        },
        pace: Default::default(),
        gate: Some(gate.clone()),
    };
    let task = tokio::spawn(runner::run(handle.clone(), parts, stop.clone()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while handle.report().runs < 1 {
        assert!(Instant::now() < deadline, "no first run");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asks = gate.asks.lock().expect("asks").clone();
    assert_eq!(
        asks[..2],
        ["backtests", "analysis"],
        "backtests put off, the run goes on without them: {asks:?}"
    );
    assert_eq!(
        *gate.finished.lock().expect("finished"),
        1,
        "the permit is given back"
    );
    assert!(handle.report().findings.forecasts.is_empty());

    // Another handle on the same file, as `resource-manager import` would open it.
    let other = Store::open(&path).await.expect("open again");
    let now_s = resource_manager::util::unix_ms() / 1000 - 60;
    let rows = parse(&history(now_s), now_s * 1000 + 60_000).expect("parse");
    other.import(&rows).await.expect("import");
    other.close().await;
    // The series were registered through the other handle: the runner reloads them.
    while !handle
        .report()
        .findings
        .forecasts
        .iter()
        .any(|f| f.series == "disk./data.used_bytes")
    {
        assert!(
            Instant::now() < deadline,
            "no forecast after the import: {:?}",
            handle.report().findings.forecasts
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(handle.report().backtests.made_ms > 0);
    stop.cancel();
    task.await.expect("runner");
    store.close().await;
}

/// A lease gate that puts the first job off and records what was asked.
#[derive(Default)]
struct Gate {
    asks: std::sync::Mutex<Vec<&'static str>>,
    finished: std::sync::Mutex<usize>,
}

impl resource_manager::store::writer::JobGate for Gate {
    fn start(
        &self,
        job: &'static str,
    ) -> resource_manager::store::writer::GateFuture<'_, Option<String>> {
        let mut asks = self.asks.lock().expect("asks");
        asks.push(job);
        let first = asks.len() == 1;
        Box::pin(async move { (!first).then(|| "permit".to_string()) })
    }

    fn finish(&self, permit: String) -> resource_manager::store::writer::GateFuture<'_, ()> {
        assert_eq!(permit, "permit");
        *self.finished.lock().expect("finished") += 1;
        Box::pin(async {})
    }
}

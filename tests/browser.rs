//! The dashboard in real headless Chromium: `tests/browser/run.mjs` (playwright-core) drives
//! Debian's `chromium` against the real binary behind a proxy that behaves like Home
//! Assistant's Ingress. This test seeds a week of history first, so the chart has 7 days of
//! 1-minute data to draw; `run.mjs` gives the binary a fixture `/proc` (`RM_HOST_PROC`) in
//! which memory is 93 % used and options that judge the memory rule over 2 s, so an alert
//! fires on any machine.
//!
//! Screenshots go to `target/screenshots/`, or to `docs/screenshots/` with
//! `RM_UPDATE_SCREENSHOTS=1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use resource_manager::model::{Sample, SeriesMeta, Snapshot, Unit};
use resource_manager::store::Store;

const MINUTE_MS: i64 = 60_000;

/// Writes one reading a minute for the last 7 days and rolls it up, as a week of running would.
/// Returns the number of points a 7-day, 1-minute chart of `cpu.usage` holds.
async fn seed_week(dir: &Path) -> usize {
    let store = Store::open(&dir.join(resource_manager::config::DATABASE_FILE))
        .await
        .expect("store");
    let cpu = Arc::new(SeriesMeta::global(
        "cpu",
        "usage",
        Unit::Percent,
        "CPU busy time, all cores",
    ));
    let memory = Arc::new(SeriesMeta::global(
        "memory",
        "used_percent",
        Unit::Percent,
        "Share of memory in use",
    ));
    let now = resource_manager::util::unix_ms();
    let end = now - 2 * MINUTE_MS;
    let start = end - 7 * 24 * 60 * MINUTE_MS;
    let snapshots: Vec<Arc<Snapshot>> = (0..)
        .map(|i| start + i * MINUTE_MS)
        .take_while(|ts| *ts <= end)
        .map(|ts| {
            let phase = (ts / MINUTE_MS) as f64;
            Arc::new(Snapshot {
                ts_ms: ts,
                samples: vec![
                    Sample {
                        series: cpu.clone(),
                        value: 30.0 + 25.0 * (phase / 240.0).sin() + 10.0 * (phase / 7.0).sin(),
                    },
                    Sample {
                        series: memory.clone(),
                        value: 40.0 + 10.0 * (phase / 1440.0).sin(),
                    },
                ],
                sources: Vec::new(),
                processes: Arc::default(),
                views: Default::default(),
            })
        })
        .collect();
    let points = snapshots.len();
    for chunk in snapshots.chunks(1000) {
        store.write_batch(chunk).await.expect("write seed batch");
    }
    while store.roll_up(now).await.expect("roll up") > 0 {}
    store.close().await;
    points
}

/// Copies the seeded data directory somewhere that outlives the test.
fn keep_copy(from: &Path) {
    let target = std::env::temp_dir().join(format!("rm-seeded-{}", std::process::id()));
    std::fs::create_dir_all(&target).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), target.join(entry.file_name())).expect("copy");
        }
    }
    println!("seeded data copied to {}", target.display());
}

fn screenshot_dir(root: &Path) -> PathBuf {
    if std::env::var_os("RM_UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
        root.join("docs/screenshots")
    } else {
        root.join("target/screenshots")
    }
}

#[tokio::test]
#[ignore = "needs chromium and node; scripts/test.sh runs it"]
async fn dashboard_works_in_chromium_behind_an_ingress_proxy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "Debian's chromium is missing: run scripts/provision.sh"
    );
    if !browser_dir.join("node_modules/playwright-core").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&browser_dir)
            .status()
            .expect("npm is installed (scripts/provision.sh)");
        assert!(status.success(), "npm ci failed in tests/browser");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let points = seed_week(dir.path()).await;
    // RM_BROWSER_KEEP_DATA=1 keeps the seeded data directory for running run.mjs by hand.
    if std::env::var_os("RM_BROWSER_KEEP_DATA").is_some_and(|v| v == "1") {
        keep_copy(dir.path());
    }
    let metrics = dir.path().join("browser-metrics.json");
    let out = Command::new("node")
        .args(["--test", "run.mjs"])
        .current_dir(&browser_dir)
        .env("RM_BIN", env!("CARGO_BIN_EXE_resource-manager"))
        .env("RM_DATA_DIR", dir.path())
        .env("RM_SEEDED_POINTS", (points - 5).to_string())
        .env("SCREENSHOT_DIR", screenshot_dir(root))
        .env("METRICS_FILE", &metrics)
        .output()
        .expect("node is installed (scripts/provision.sh)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser tests failed (output above)");
    assert!(
        stdout.contains("# fail 0"),
        "node's test runner reported failures"
    );
    let measured = std::fs::read_to_string(&metrics).expect("metrics written by run.mjs");
    println!("browser measurements: {measured}");
}

//! Pressure stall information on this machine's real kernel: the binary's `pressure.*` series
//! rise when `stress-ng` makes work wait for the CPU and the disk, and fall back afterwards.
//! Skipped only where the kernel has no PSI (then the binary must give no such series at all).

mod common;

use std::time::{Duration, Instant};

use common::{fast_write_args, spawn_binary};
use serde_json::Value;

fn value(status: &Value, id: &str) -> Option<f64> {
    status["values"][id].as_f64()
}

#[test]
#[ignore = "loads the CPU and the disk with stress-ng for about 20 s; scripts/test.sh runs it"]
fn under_stress_ng_cpu_and_io_pressure_rise_and_the_series_say_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    let app = spawn_binary(&fast_write_args(data));
    let mut guard = common::KillOnDrop(Vec::new());
    let base = app.base.clone();
    let status = || common::blocking_get_json(&base, "api/v1/status");
    // The first tick: PSI series, or none at all on a kernel without PSI.
    let deadline = Instant::now() + Duration::from_secs(10);
    let first = loop {
        let s = status();
        if value(&s, "cpu.usage").is_some() {
            break s;
        }
        assert!(Instant::now() < deadline, "no tick: {s}");
        std::thread::sleep(Duration::from_millis(200));
    };
    if !std::path::Path::new("/proc/pressure/cpu").exists() {
        let any = first["values"]
            .as_object()
            .is_some_and(|v| v.keys().any(|k| k.starts_with("pressure.")));
        assert!(!any, "no PSI here, yet pressure series: {first}");
        return;
    }
    let baseline = value(&first, "pressure.cpu.some_percent").expect("cpu pressure");
    let total_before = value(&first, "pressure.io.some_seconds_total").expect("io stall time");
    guard.0.push(app.child);

    // Twice as many CPU hogs as cores, and disk writers with fsync.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let stress = std::process::Command::new("stress-ng")
        .args([
            "--cpu",
            &(2 * cores).to_string(),
            "--hdd",
            "2",
            "--hdd-bytes",
            "64m",
        ])
        .args(["--temp-path", dir.path().to_str().expect("utf-8")])
        .args(["--timeout", "25s", "--quiet"])
        .spawn()
        .expect("stress-ng (scripts/provision.sh installs it)");
    guard.0.push(stress);
    let deadline = Instant::now() + Duration::from_secs(20);
    let loaded = loop {
        let s = status();
        let cpu = value(&s, "pressure.cpu.some_percent").unwrap_or(0.0);
        // This machine may be busy already (CI builds beside the tests): a clear rise, or
        // saturation, whatever the start.
        if cpu >= (baseline + 10.0).min(95.0) {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "CPU pressure did not rise (baseline {baseline:.1} %): {}",
            s["values"]
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let cpu = value(&loaded, "pressure.cpu.some_percent").expect("cpu");
    let io_total = value(&loaded, "pressure.io.some_seconds_total").expect("io");
    eprintln!(
        "pressure: cpu some {baseline:.1} % before, {cpu:.1} % under stress-ng; io stall time \
         +{:.2} s",
        io_total - total_before
    );
    assert!(io_total >= total_before, "a stall time never goes back");
}

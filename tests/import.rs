//! `resource-manager import`: a CSV of history comes back from the store as it went in, a bad
//! file loads nothing and names its bad lines, and imported history merges with live data.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use resource_manager::model::{Sample, Snapshot, registry};
use resource_manager::store::import::parse;
use resource_manager::store::{Resolution, Store, StoreOptions};
use resource_manager::util::ManualClock;

const HOUR: i64 = 3600;

fn run_import(data: &Path, file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_resource-manager"))
        .arg("import")
        .arg("--data-dir")
        .arg(data)
        .arg(file)
        .env_remove("SUPERVISOR_TOKEN")
        .env_remove("HA_URL")
        .env_remove("HA_TOKEN")
        .output()
        .expect("run binary")
}

/// Three days of one value a minute for two series, ending an hour ago (whole seconds).
fn csv(now_s: i64) -> (String, Vec<(i64, f64)>) {
    let start = (now_s - 3 * 24 * HOUR) / 3600 * 3600 - HOUR;
    let mut text = String::from("ts,series,value\n");
    let mut disk = Vec::new();
    for k in 0..(3 * 24 * 60) {
        let ts = start + k * 60;
        let used = 1.0e9 + k as f64 * 1000.0;
        text.push_str(&format!("{ts},disk./data.used_bytes,{used}\n"));
        text.push_str(&format!("{ts},memory.used_percent,{}\n", 40 + k % 7));
        disk.push((ts, used));
    }
    (text, disk)
}

#[tokio::test]
async fn an_imported_file_round_trips_through_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let now_s = resource_manager::util::unix_ms() / 1000;
    let (text, disk) = csv(now_s);
    let file = dir.path().join("history.csv");
    std::fs::write(&file, &text).expect("write csv");
    let out = run_import(&data, &file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("imported 8640 values of 2 series"),
        "{stdout}"
    );

    let store = Store::open(&data.join("history.db")).await.expect("open");
    let from = disk[0].0 * 1000;
    let to = (disk[disk.len() - 1].0 + 60) * 1000;
    let history = store
        .history("disk./data.used_bytes", from, to, Resolution::Minute)
        .await
        .expect("history");
    let got: Vec<(i64, f64)> = history.points.iter().map(|p| (p.t as i64, p.v)).collect();
    let want: Vec<(i64, f64)> = disk
        .iter()
        .map(|(t, v)| (*t, f64::from(*v as f32)))
        .collect();
    assert_eq!(got, want);
    let hours = store
        .history("memory.used_percent", from, to, Resolution::Hour)
        .await
        .expect("hours");
    assert_eq!(hours.points.len(), 72);
    assert_eq!(hours.series.unit, registry::MEMORY_USED_PERCENT.unit);
    store.close().await;
}

#[test]
fn a_file_with_bad_lines_loads_nothing_and_names_each_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "ts,series,value\n1700000000,cpu.usage,10\n1700000060,cpu.usage,ten\n1700000120,no.such,1\n",
    )
    .expect("write");
    let out = run_import(&data, &file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("line 3: 'ten' is not a finite number"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 4: unknown series 'no.such'"),
        "{stderr}"
    );
    assert!(!data.join("history.db").exists(), "nothing may be written");
}

#[tokio::test]
async fn imported_history_merges_with_live_data_already_rolled_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.db");
    // On an hour boundary (500 000 hours).
    let now_ms: i64 = 1_800_000_000_000;
    let clock = ManualClock::new(now_ms);
    let opts = StoreOptions {
        clock: clock.clock(),
        ..StoreOptions::default()
    };
    let store = Store::open_with(&path, opts).await.expect("open");
    // Live data: one value a minute over the last three hours, rolled up.
    let meta = Arc::new(registry::CPU_USAGE.global());
    let live_from = now_ms - 3 * HOUR * 1000;
    let ticks: Vec<Arc<Snapshot>> = (0..180)
        .map(|k| {
            Arc::new(Snapshot {
                ts_ms: live_from + k * 60_000,
                samples: vec![Sample {
                    series: meta.clone(),
                    value: 50.0,
                }],
                ..Snapshot::default()
            })
        })
        .collect();
    store.write_batch(&ticks).await.expect("write");
    while store.roll_up(now_ms).await.expect("roll") > 0 {}
    // Imported: the day before, and the second half of the first live hour.
    let mut text = String::from("ts,series,value\n");
    let day_from = live_from / 1000 - 24 * HOUR;
    for k in 0..(24 * 60) {
        text.push_str(&format!("{},cpu.usage,10\n", day_from + k * 60));
    }
    text.push_str(&format!("{},cpu.usage,90\n", live_from / 1000 + 1800 + 1));
    let rows = parse(&text, now_ms).expect("parse");
    store.import(&rows).await.expect("import");
    let hours = store
        .history("cpu.usage", day_from * 1000, now_ms, Resolution::Hour)
        .await
        .expect("history");
    assert_eq!(hours.points.len(), 24 + 3, "{:?}", hours.points);
    assert!(hours.points[..24].iter().all(|p| p.v == 10.0));
    // The first live hour: 60 live values of 50 and one imported 90.
    let merged = &hours.points[24];
    assert_eq!(merged.n, Some(61));
    assert_eq!(merged.max, Some(90.0));
    store.close().await;
}

#[tokio::test]
async fn the_same_rows_imported_twice_are_refused_and_counted_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now_ms: i64 = 1_800_000_000_000;
    let clock = ManualClock::new(now_ms);
    let opts = StoreOptions {
        clock: clock.clock(),
        ..StoreOptions::default()
    };
    let store = Store::open_with(&dir.path().join("history.db"), opts)
        .await
        .expect("open");
    let mut text = String::from("ts,series,value\n");
    let from = now_ms / 1000 - 2 * 24 * HOUR;
    for k in 0..(24 * 60) {
        text.push_str(&format!("{},cpu.usage,{}\n", from + k * 60, k % 100));
    }
    let rows = parse(&text, now_ms).expect("parse");
    store.import(&rows).await.expect("first import");
    let before = store
        .history("cpu.usage", from * 1000, now_ms, Resolution::Hour)
        .await
        .expect("history");
    let err = store
        .import(&rows)
        .await
        .expect_err("second import refused");
    assert!(err.to_string().contains("imported already"), "{err}");
    let after = store
        .history("cpu.usage", from * 1000, now_ms, Resolution::Hour)
        .await
        .expect("history");
    assert_eq!(before.points.len(), 24);
    assert_eq!(
        before.points.iter().map(|p| p.n).collect::<Vec<_>>(),
        after.points.iter().map(|p| p.n).collect::<Vec<_>>(),
        "counts unchanged"
    );
    store.close().await;
}

//! A real full disk: the data directory is a 3 MB tmpfs this test mounts (root only), filled
//! with a file until the kernel says ENOSPC, then freed. Run by `scripts/test.sh`.

mod common;

use std::time::{Duration, Instant};

use common::disk::{Tmpfs, fill};
use common::history::{integrity, ticks_on_disk};
use common::{fast_write_args, spawn_binary, wait_exit};

fn wait_for(
    app: &common::ChildApp,
    what: &str,
    timeout: Duration,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let status = app.get_json("api/v1/status");
        if ok(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {timeout:?}: {status}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// SIGTERM, a clean exit, and a history file that passes `integrity_check`; returns a runtime
/// and the file for more reading.
fn stop_cleanly(
    app: &mut common::ChildApp,
    data: &std::path::Path,
) -> (tokio::runtime::Runtime, std::path::PathBuf) {
    app.signal("TERM");
    assert!(
        wait_exit(&mut app.child, Duration::from_secs(15)).success(),
        "clean stop"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let db = data.join("history.db");
    assert_eq!(rt.block_on(integrity(&db)), "ok");
    (rt, db)
}

#[test]
#[ignore = "mounts a tmpfs: needs root; run by scripts/test.sh"]
fn a_full_data_disk_is_reported_and_nothing_reported_saved_is_lost_once_space_returns() {
    let fs = Tmpfs::mount("3m");
    let data = fs.path().to_string_lossy().into_owned();
    let args = fast_write_args(&data);
    let mut app = spawn_binary(&args);
    wait_for(&app, "a first flush", Duration::from_secs(20), |s| {
        s["store"]["flushes"].as_u64().unwrap_or(0) >= 1
    });
    let filler = fill(fs.path());
    let full = wait_for(
        &app,
        "degraded status naming the full disk",
        Duration::from_secs(30),
        |s| s["status"] == "degraded" && s["store"]["failure"]["reason"] == "disk_full",
    );
    eprintln!("while full: {}", full["store"]);
    let saved_while_full = full["store"]["saved_until_ms"]
        .as_i64()
        .expect("saved_until_ms");
    std::thread::sleep(Duration::from_secs(6));
    let still = app.get_json("api/v1/status");
    assert_eq!(
        still["store"]["saved_until_ms"].as_i64(),
        Some(saved_while_full),
        "nothing is saved while the disk is full: {still}"
    );
    assert_eq!(still["status"], "degraded");

    std::fs::remove_file(&filler).expect("free space");
    let freed_at = Instant::now();
    let ok = wait_for(
        &app,
        "writes resumed",
        Duration::from_secs(5 + 30 + 5),
        |s| {
            s["status"] == "ok"
                && s["store"]["failure"].is_null()
                && s["store"]["saved_until_ms"].as_i64() > Some(saved_while_full)
        },
    );
    eprintln!("resumed after {:?}: {}", freed_at.elapsed(), ok["store"]);
    let reported_saved = ok["store"]["saved_until_ms"].as_i64().expect("saved");

    let (rt, db) = stop_cleanly(&mut app, fs.path());
    let ticks = rt.block_on(ticks_on_disk(&db));
    let first = *ticks.first().expect("ticks");
    let last = *ticks.last().expect("ticks");
    assert!(
        last >= reported_saved,
        "the newest tick reported saved ({reported_saved}) is on disk (last {last})"
    );
    // One tick a second with nothing lost: no hole longer than a couple of ticks.
    let worst_gap = ticks.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    assert!(
        worst_gap <= 2_500,
        "gap of {worst_gap} ms in {} ticks from {first} to {last}",
        ticks.len()
    );
}

/// Started on a full disk (the history cannot even be created), the binary does not exit into
/// the watchdog's restart loop: it serves, degraded, on a history in memory, and once space
/// returns it moves that history to the disk and goes on there, in the same process.
#[test]
#[ignore = "mounts a tmpfs: needs root; run by scripts/test.sh"]
fn started_on_a_full_disk_it_serves_degraded_then_moves_its_history_to_the_disk() {
    let fs = Tmpfs::mount("3m");
    let data = fs.path().to_string_lossy().into_owned();
    let filler = fill(fs.path());
    let args = fast_write_args(&data);
    let mut app = spawn_binary(&args);
    let full = wait_for(
        &app,
        "degraded status naming the full disk",
        Duration::from_secs(20),
        |s| s["status"] == "degraded" && s["store"]["failure"]["reason"] == "disk_full",
    );
    let error = full["store"]["failure"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("kept in memory"), "{}", full["store"]);
    // It measures and keeps the ticks meanwhile.
    let kept = wait_for(&app, "ticks kept in memory", Duration::from_secs(20), |s| {
        s["store"]["flushes"].as_u64().unwrap_or(0) >= 1
    });
    let kept_until = kept["store"]["saved_until_ms"].as_i64().expect("kept");
    assert_eq!(
        kept["status"], "degraded",
        "still degraded: nothing is on the disk"
    );

    std::fs::remove_file(&filler).expect("free space");
    let freed_at = Instant::now();
    // Tried again every 10 s, then a start again (a few seconds).
    let ok = wait_for(&app, "history on the disk", Duration::from_secs(40), |s| {
        s["status"] == "ok"
            && s["store"]["failure"].is_null()
            && s["store"]["saved_until_ms"].as_i64() > Some(kept_until)
    });
    eprintln!(
        "on the disk {:?} after space returned: {}",
        freed_at.elapsed(),
        ok["store"]
    );
    assert!(
        app.child.try_wait().expect("child").is_none(),
        "the same process goes on"
    );
    // The minutes kept in memory are in the history on the disk (as raw batches, or merged
    // into the hour's rollups when the hour turned meanwhile: 1-minute points cover both).
    let history = app.get_json(&format!(
        "api/v1/metrics/cpu.usage/history?from={}&to={}&resolution=1m",
        kept_until / 1000 - 600,
        kept_until / 1000 + 1
    ));
    let earliest = history["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter_map(|p| p["t"].as_f64())
        .fold(f64::INFINITY, f64::min);
    assert!(
        earliest * 1000.0 <= kept_until as f64,
        "the minutes kept in memory moved to the disk: {history}"
    );
    stop_cleanly(&mut app, fs.path());
}

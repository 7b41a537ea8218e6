//! SIGKILL during writes: the restart loses at most the unflushed batch and SQLite stays intact.

mod common;

use std::time::{Duration, Instant};

use common::{fast_write_args, spawn_binary, wait_exit};
use sqlx::Connection;

fn raw_points(app: &common::ChildApp, from: i64) -> usize {
    let history = app.get_json(&format!(
        "api/v1/metrics/memory.used_bytes/history?resolution=raw&from={from}"
    ));
    history["points"].as_array().expect("points").len()
}

#[test]
fn sigkill_loses_at_most_the_unflushed_batch_and_keeps_the_database_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_string_lossy().into_owned();
    let args = fast_write_args(&data);
    let from = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        - 5;
    // Batch of 5 s at 1 s ticks: at most ~6 ticks unflushed, plus the one in flight.
    let max_loss = 7;
    let mut seen_before = 0;
    for round in 0..3u64 {
        let mut app = spawn_binary(&args);
        let deadline = Instant::now() + Duration::from_secs(30);
        // Let it write a couple of batches, then kill it at a varying point of the batch cycle.
        loop {
            let status = app.get_json("api/v1/status");
            if status["store"]["flushes"].as_u64().unwrap_or(0) >= 2 {
                break;
            }
            assert!(Instant::now() < deadline, "no flush: {status}");
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(700 * round + 300));
        let before = raw_points(&app, from);
        assert!(
            before >= seen_before,
            "round {round}: history shrank from {seen_before} to {before}"
        );
        app.signal("KILL");
        let status = wait_exit(&mut app.child, Duration::from_secs(10));
        assert!(!status.success());

        let app = spawn_binary(&args);
        let after = raw_points(&app, from);
        assert!(
            after + max_loss >= before,
            "round {round}: lost {} points (before {before}, after {after})",
            before.saturating_sub(after)
        );
        seen_before = after;
        let mut app = app;
        app.signal("TERM");
        assert!(
            wait_exit(&mut app.child, Duration::from_secs(15)).success(),
            "clean stop after SIGTERM"
        );
        // A clean stop writes everything: nothing lost.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let check: String = rt.block_on(async {
            let url = format!("sqlite://{}/history.db", data);
            let mut conn = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("open db");
            sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&mut conn)
                .await
                .expect("integrity check")
        });
        assert_eq!(check, "ok", "round {round}");
    }
}

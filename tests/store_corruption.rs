//! A damaged history never stops the add-on: each kind of damage found by a skeptical user
//! (garbage mid-file, a truncated file, a garbled header, a damaged write-ahead log) with the
//! real binary: it starts, serves, moves the file aside or reports the loss, and says so; a
//! second start moves nothing again.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{spawn_binary, wait_exit};
use resource_manager::config::DATABASE_FILE;
use resource_manager::model::{Sample, SeriesMeta, Snapshot, Unit};
use resource_manager::store::Store;

const BASE: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// A history with `batches` committed writes of 20 ticks × 30 series.
async fn seed(dir: &Path, batches: usize) -> Store {
    let store = Store::open(&dir.join(DATABASE_FILE)).await.expect("open");
    let metas: Vec<Arc<SeriesMeta>> = (0..30)
        .map(|i| {
            Arc::new(SeriesMeta::global(
                "test",
                &format!("s{i}"),
                Unit::Count,
                "test",
            ))
        })
        .collect();
    for b in 0..batches {
        let ticks: Vec<Arc<Snapshot>> = (0..20)
            .map(|t| {
                let ts = BASE + ((b * 20 + t) as i64) * 1000;
                Arc::new(Snapshot {
                    ts_ms: ts,
                    samples: metas
                        .iter()
                        .map(|m| Sample {
                            series: m.clone(),
                            value: ts as f64,
                        })
                        .collect(),
                    ..Snapshot::default()
                })
            })
            .collect();
        for tick in ticks {
            store.enqueue(tick);
        }
        store.flush().await.expect("write");
    }
    store
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn corrupt_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        // The log moved with it (`…-wal`) belongs to the same copy.
        .filter(|n| n.contains(".corrupt-") && !n.ends_with("-wal"))
        .collect();
    names.sort();
    names
}

/// Starts the binary on `dir`, returns its status, stops it cleanly.
fn start_and_stop(dir: &Path) -> serde_json::Value {
    let data = dir.to_string_lossy().into_owned();
    let mut app = spawn_binary(&[
        "--data-dir",
        &data,
        "--listen",
        "127.0.0.1:0",
        "--log-level",
        "warning",
    ]);
    let status = app.get_json("api/v1/status");
    app.signal("TERM");
    assert!(
        wait_exit(&mut app.child, Duration::from_secs(15)).success(),
        "clean stop"
    );
    status
}

fn notices(status: &serde_json::Value) -> Vec<(String, String)> {
    status["store"]["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap_or_default().to_string(),
                n["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Damages the closed database with `damage`, then checks two starts.
fn check_moved_aside(damage: impl FnOnce(&Path)) {
    let dir = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async { seed(dir.path(), 20).await.close().await });
    damage(&dir.path().join(DATABASE_FILE));

    let first = start_and_stop(dir.path());
    let moved = corrupt_files(dir.path());
    assert_eq!(moved.len(), 1, "the damaged file is kept aside: {moved:?}");
    let found = notices(&first);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "moved_aside");
    assert!(
        found[0].1.contains(&moved[0]),
        "the notice names the file: {}",
        found[0].1
    );
    assert!(found[0].1.contains(".recover"), "and how to recover it");
    // A fresh history saves normally, but the status says history was lost while the
    // notice stands.
    assert!(first["store"]["failure"].is_null(), "{}", first["store"]);
    assert_eq!(first["status"], "degraded", "{}", first["store"]);

    let second = start_and_stop(dir.path());
    assert_eq!(
        corrupt_files(dir.path()),
        moved,
        "a second start moves nothing"
    );
    assert_eq!(
        notices(&second).len(),
        1,
        "the notice is still shown after a restart"
    );
}

#[test]
fn garbage_in_the_middle_of_the_database_moves_it_aside_and_starts_fresh() {
    check_moved_aside(|path| {
        let mut bytes = std::fs::read(path).expect("read");
        assert!(bytes.len() > 16_384, "seeded file is {} bytes", bytes.len());
        // Pages 2 and 3 hold the first tables' b-trees: quick_check must see this.
        for (i, b) in bytes[4096..4096 + 8192].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        std::fs::write(path, bytes).expect("write");
    });
}

#[test]
fn a_truncated_database_moves_it_aside_and_starts_fresh() {
    check_moved_aside(|path| {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .expect("open");
        file.set_len(1000).expect("truncate");
    });
}

#[test]
fn a_garbled_header_moves_it_aside_and_starts_fresh() {
    check_moved_aside(|path| {
        let mut bytes = std::fs::read(path).expect("read");
        for b in bytes[..100].iter_mut() {
            *b ^= 0xa5;
        }
        std::fs::write(path, bytes).expect("write");
    });
}

/// The files a crash leaves: a seeded history copied while its store is open, log included.
fn crash_image() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = tempfile::tempdir().expect("tempdir");
    runtime().block_on(async {
        let store = seed(dir.path(), 10).await;
        for name in [DATABASE_FILE.to_string(), format!("{DATABASE_FILE}-wal")] {
            std::fs::copy(dir.path().join(&name), image.path().join(&name)).expect("copy");
        }
        store.close().await;
    });
    image
}

#[test]
fn a_damaged_write_ahead_log_is_reported_as_lost_history() {
    let image = crash_image();
    let wal = image.path().join(format!("{DATABASE_FILE}-wal"));
    let mut bytes = std::fs::read(&wal).expect("wal");
    assert!(
        bytes.len() > 32 + 3 * 4120,
        "the log holds frames: {} bytes",
        bytes.len()
    );
    let at = bytes.len() * 2 / 3;
    bytes[at] ^= 0xff;
    std::fs::write(&wal, bytes).expect("write wal");

    let first = start_and_stop(image.path());
    let found = notices(&first);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "lost_data");
    assert!(found[0].1.contains("write-ahead log"), "{}", found[0].1);
    assert!(
        corrupt_files(image.path()).is_empty(),
        "the database itself is fine"
    );
    // While the notice stands, the history is not "ok".
    assert_eq!(first["status"], "degraded");
    assert!(
        first["degraded_sources"]
            .as_array()
            .is_some_and(|d| d.iter().any(|s| s == "history")),
        "{}",
        first["degraded_sources"]
    );

    let second = start_and_stop(image.path());
    assert_eq!(notices(&second).len(), 1, "reported once, shown for a week");
}

#[test]
fn a_write_ahead_log_cut_to_half_by_a_power_loss_is_reported_as_lost_history() {
    let image = crash_image();
    let wal = image.path().join(format!("{DATABASE_FILE}-wal"));
    let bytes = std::fs::read(&wal).expect("wal");
    assert!(bytes.len() > 32 + 3 * 4120, "the log holds frames");
    // A torn write: the file ends part-way through a frame.
    std::fs::write(&wal, &bytes[..bytes.len() / 2 + 11]).expect("truncate wal");

    let first = start_and_stop(image.path());
    let found = notices(&first);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "lost_data");
    assert!(
        found[0].1.contains("part-way through a write"),
        "{}",
        found[0].1
    );
    assert_eq!(first["status"], "degraded");
}

#[test]
fn history_the_previous_run_saved_that_is_gone_is_reported_as_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(DATABASE_FILE);
    runtime().block_on(async {
        let store = seed(dir.path(), 10).await;
        // What a clean stop records: the newest tick on disk.
        store.mark_saved().await.expect("mark");
        store.close().await;
        // The newest rows vanish (a file replaced by an older copy, pages lost).
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
            .await
            .expect("open");
        let gone = sqlx::query("DELETE FROM raw_batches WHERE start_ms >= ?")
            .bind(BASE + 100 * 1000)
            .execute(&mut conn)
            .await
            .expect("delete")
            .rows_affected();
        assert!(gone > 0);
        conn.close().await.expect("close");
    });
    let first = start_and_stop(dir.path());
    let found = notices(&first);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "lost_data");
    assert!(found[0].1.contains("is missing"), "{}", found[0].1);
    assert!(corrupt_files(dir.path()).is_empty());
    let second = start_and_stop(dir.path());
    assert_eq!(
        notices(&second).len(),
        1,
        "reported once, not again at every start"
    );
}

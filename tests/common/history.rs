//! Synthetic ticks and a look at what a history file really holds, through a connection of
//! its own (not the store under test).

use std::path::Path;
use std::sync::Arc;

use resource_manager::model::{Sample, SeriesMeta, Snapshot, Unit};
use sqlx::Connection;

/// 2026-01-01T00:00:00Z.
pub const BASE: i64 = 1_767_225_600_000;

/// `n` global test series `test.s0` … `test.s<n-1>`.
pub fn metas(n: usize) -> Vec<Arc<SeriesMeta>> {
    (0..n)
        .map(|i| {
            Arc::new(SeriesMeta::global(
                "test",
                &format!("s{i}"),
                Unit::Count,
                "test series",
            ))
        })
        .collect()
}

/// One tick of every series at `ts_ms`, values derived from the time.
pub fn tick(ts_ms: i64, metas: &[Arc<SeriesMeta>]) -> Arc<Snapshot> {
    Arc::new(Snapshot {
        ts_ms,
        samples: metas
            .iter()
            .enumerate()
            .map(|(i, m)| Sample {
                series: m.clone(),
                value: (ts_ms / 1000 + i as i64) as f64,
            })
            .collect(),
        ..Snapshot::default()
    })
}

async fn connect(path: &Path) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect(&format!("sqlite:{}?mode=ro", path.display()))
        .await
        .expect("open the history read-only")
}

/// Timestamps of every tick in the file, oldest first.
pub async fn ticks_on_disk(path: &Path) -> Vec<i64> {
    let mut conn = connect(path).await;
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT start_ms, data FROM raw_batches ORDER BY start_ms")
            .fetch_all(&mut conn)
            .await
            .expect("rows");
    let mut out = Vec::new();
    for (start, data) in rows {
        resource_manager::store::codec::decode_batch(start, &data, |ts, _, _| {
            if out.last() != Some(&ts) {
                out.push(ts)
            }
        })
        .expect("decode");
    }
    out
}

/// `PRAGMA integrity_check` of the file.
pub async fn integrity(path: &Path) -> String {
    sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connect(path).await)
        .await
        .expect("integrity check")
}

/// Pages the file holds now (committed, log included).
pub async fn page_count(path: &Path) -> u64 {
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&mut connect(path).await)
        .await
        .expect("page_count");
    pages as u64
}

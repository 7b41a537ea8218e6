//! The host dimension's migration (0009): a database written before hosts existed opens and
//! serves its history under host `local`, and remote hosts' series are stored beside it.

use std::str::FromStr;
use std::sync::Arc;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::codec::BatchEncoder;
use super::{Resolution, Store};
use crate::model::{Sample, Snapshot, registry};

/// A history as the release before hosts wrote it: only the migrations up to 0006 applied
/// (by sqlx's migrator, so its bookkeeping is the real one), one series, one raw batch.
async fn database_before_hosts(dir: &std::path::Path) -> std::path::PathBuf {
    let old = dir.join("migrations-before-hosts");
    std::fs::create_dir_all(&old).expect("dir");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let number: u32 = name
            .get(..4)
            .and_then(|n| n.parse().ok())
            .unwrap_or(u32::MAX);
        if number <= 6 {
            std::fs::copy(&path, old.join(&name)).expect("copy");
        }
    }
    let db = dir.join("history.db");
    let mut conn = SqliteConnectOptions::from_str("sqlite:")
        .expect("options")
        .filename(&db)
        .create_if_missing(true)
        .connect()
        .await
        .expect("connect");
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .expect("migrator")
        .run(&mut conn)
        .await
        .expect("old migrations");
    sqlx::query("INSERT INTO series (id, key, family, labels, unit, kind, description, first_seen_ms) VALUES (1, 'cpu.usage', 'cpu.usage', '{}', 'percent', 'gauge', 'CPU', 1000)")
        .execute(&mut conn)
        .await
        .expect("series");
    let mut batch = BatchEncoder::new(1_000);
    batch.push(1_000, &[(1, 10.0)]);
    batch.push(6_000, &[(1, 30.0)]);
    let (start, end, ticks, data) = batch.finish();
    sqlx::query("INSERT INTO raw_batches (start_ms, end_ms, ticks, data) VALUES (?, ?, ?, ?)")
        .bind(start)
        .bind(end)
        .bind(i64::from(ticks))
        .bind(data)
        .execute(&mut conn)
        .await
        .expect("batch");
    conn.close().await.expect("close");
    db
}

#[tokio::test]
async fn a_history_from_before_hosts_is_served_under_local_and_remote_series_join_it() {
    let dir = tempfile::tempdir().expect("dir");
    let db = database_before_hosts(dir.path()).await;
    let store = Store::open(&db).await.expect("opens and migrates");

    let series = store.series();
    assert_eq!(series.len(), 1);
    assert_eq!(
        (series[0].id.as_str(), series[0].host.as_str()),
        ("cpu.usage", "local")
    );
    let history = store
        .history("cpu.usage", 0, 10_000, Resolution::Raw)
        .await
        .expect("history");
    let values: Vec<(f64, f64)> = history.points.iter().map(|p| (p.t, p.v)).collect();
    assert_eq!(values, [(1.0, 10.0), (6.0, 30.0)]);

    // New ticks carry local and remote series; each is stored under its host.
    let local = Arc::new(registry::CPU_USAGE.global());
    let remote = Arc::new(registry::CPU_USAGE.global().on_host(&Arc::from("nas")));
    store.enqueue(Arc::new(Snapshot {
        ts_ms: 11_000,
        samples: vec![
            Sample {
                series: local,
                value: 50.0,
            },
            Sample {
                series: remote,
                value: 70.0,
            },
        ],
        ..Snapshot::default()
    }));
    store.flush().await.expect("written");
    store.close().await;

    let store = Store::open(&db).await.expect("reopens");
    let hosts: Vec<(String, String)> = store.series().into_iter().map(|s| (s.id, s.host)).collect();
    assert_eq!(
        hosts,
        [
            ("cpu.usage".to_string(), "local".to_string()),
            ("nas:cpu.usage".to_string(), "nas".to_string())
        ]
    );
    let remote = store
        .history("nas:cpu.usage", 0, 20_000, Resolution::Raw)
        .await
        .expect("remote history");
    assert_eq!(remote.points.len(), 1);
    assert_eq!(remote.points[0].v, 70.0);
    let local = store
        .history("cpu.usage", 0, 20_000, Resolution::Raw)
        .await
        .expect("local history");
    assert_eq!(local.points.len(), 3, "old history and the new tick");
}

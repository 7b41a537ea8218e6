//! How many bytes of raw history a day of ticks adds on an add-on box, through the real store
//! on a real SQLite file (prints numbers, asserts nothing about them).
//!
//! The host part is this machine's own series set (one real tick of the host collectors); the
//! Supervisor part is `BENCH_ADDONS` add-ons (default 20) with the poller's series: stats that
//! change once per 30 s poll and are repeated by the ticks between, restarts, crashes, and for
//! half of them Ingress answering and the hung verdict, which rarely change. Each tick every
//! value that changes on each tick gets a new one. A day of 5 s ticks is written in batches
//! of 300 s (the defaults).
//!
//! Reported: raw-batch bytes a day as stored, and as they would be if every value of every tick
//! were kept (the same ticks encoded without the store's on-change rule). The disk sees these
//! bytes about twice (log, then checkpoint) plus page overhead: `scripts/bench-writes.py`
//! measures that for a standalone run.
//!
//! Run with `cargo bench --bench store_size`; without `--bench` it writes an hour as a smoke test.

use std::sync::Arc;

use anyhow::{Context, Result};
use resource_manager::collect::{Engine, Tick, host_collectors};
use resource_manager::config::SysRoot;
use resource_manager::model::{Sample, SeriesMeta, Snapshot, registry};
use resource_manager::store::Store;
use resource_manager::store::codec::BatchEncoder;
use resource_manager::util::unix_ms;

const TICK_MS: i64 = 5_000;
const BATCH_TICKS: usize = 60;
const POLL_TICKS: i64 = 6;
const DAY_MS: i64 = 86_400_000;

/// A series and how often its value changes, in ticks (`None`: never).
struct Source {
    meta: Arc<SeriesMeta>,
    value: f64,
    changes_every: Option<i64>,
}

fn main() -> Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let addons: usize = std::env::var("BENCH_ADDONS")
        .ok()
        .map(|v| v.parse().context("BENCH_ADDONS must be a count"))
        .transpose()?
        .unwrap_or(20);
    let span_ms = if full { DAY_MS } else { DAY_MS / 24 };
    let sources = sources(addons);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot build the tokio runtime")?;
    let dir = tempfile::tempdir().context("temporary folder")?;
    let (stored, every_tick, values) =
        runtime.block_on(write_span(&dir.path().join("size.db"), &sources, span_ms))?;
    let per_day = |bytes: u64| bytes as f64 * DAY_MS as f64 / span_ms as f64 / 1e6;
    println!(
        "\n== raw history a day: {} series, {addons} add-ons ==",
        sources.len()
    );
    println!(
        "stored (on-change rule):  {:>7.2} MB/day of raw batches",
        per_day(stored)
    );
    println!(
        "every value of every tick: {:>7.2} MB/day ({:.0} values a tick)",
        per_day(every_tick),
        values
    );
    Ok(())
}

/// This machine's host series, then the add-ons' as the Supervisor poller makes them.
fn sources(addons: usize) -> Vec<Source> {
    let root = SysRoot::default();
    let mut engine = Engine::new(host_collectors(&root), &root);
    let _baseline = engine.tick(&Tick::now(), unix_ms());
    let host = engine.tick(&Tick::now(), unix_ms());
    let mut out: Vec<Source> = host
        .samples
        .iter()
        .map(|s| Source {
            meta: s.series.clone(),
            value: s.value,
            changes_every: (!registry::stored_on_change(&s.series.family)).then_some(1),
        })
        .collect();
    for n in 0..addons {
        let slug = format!("addon_{n}");
        let with_ingress = n % 2 == 0;
        let families = registry::ADDON_FAMILIES
            .iter()
            .map(|f| (*f, Some(POLL_TICKS)))
            .chain(registry::ADDON_RESTART_FAMILIES.iter().map(|f| (*f, None)))
            .chain(
                registry::ADDON_STUCK_FAMILIES
                    .iter()
                    .filter(|_| with_ingress)
                    .map(|f| (*f, None)),
            );
        for (family, changes_every) in families {
            out.push(Source {
                meta: Arc::new(family.instance(&slug, &[&slug])),
                value: 1.0,
                changes_every,
            });
        }
    }
    out
}

/// Writes `span_ms` of ticks; returns the raw-batch bytes stored, the bytes every value of
/// every tick would take, and the values in a tick.
async fn write_span(
    path: &std::path::Path,
    sources: &[Source],
    span_ms: i64,
) -> Result<(u64, u64, f64)> {
    let store = Store::open(path).await.context("open the store")?;
    let start = 1_800_000_000_000_i64;
    let ticks = span_ms / TICK_MS;
    let ids: Vec<u32> = (1..=sources.len() as u32).collect();
    let mut every_tick = 0u64;
    let mut encoder = BatchEncoder::new(start);
    let mut batch: Vec<Arc<Snapshot>> = Vec::with_capacity(BATCH_TICKS);
    for i in 0..ticks {
        let ts = start + i * TICK_MS;
        let samples: Vec<Sample> = sources
            .iter()
            .map(|s| Sample {
                series: s.meta.clone(),
                value: match s.changes_every {
                    Some(every) => s.value + (i / every) as f64 * 0.25,
                    None => s.value,
                },
            })
            .collect();
        let pairs: Vec<(u32, f32)> = ids
            .iter()
            .zip(&samples)
            .map(|(id, s)| (*id, s.value as f32))
            .collect();
        encoder.push(ts, &pairs);
        batch.push(Arc::new(Snapshot {
            ts_ms: ts,
            samples,
            ..Snapshot::default()
        }));
        if batch.len() == BATCH_TICKS {
            store.write_batch(&batch).await.context("write a batch")?;
            batch.clear();
            every_tick += encoder.finish().3.len() as u64;
            encoder = BatchEncoder::new(ts + 1);
        }
    }
    store
        .write_batch(&batch)
        .await
        .context("write the last batch")?;
    every_tick += encoder.finish().3.len() as u64;
    store.close().await;
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        path.display()
    ))
    .await
    .context("open the file again")?;
    let stored: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM raw_batches")
        .fetch_one(&mut db)
        .await
        .context("sum the raw batches")?;
    Ok((stored as u64, every_tick, sources.len() as f64))
}

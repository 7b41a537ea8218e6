//! Properties of the history store on a real SQLite file: rollups equal a recomputation from
//! the raw samples, and retention never deletes inside its window.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::history::{BASE, metas};
use proptest::prelude::*;
use resource_manager::config::Retention;
use resource_manager::model::{Sample, SeriesMeta, Snapshot};
use resource_manager::store::{Resolution, Store};

const HOUR: i64 = 3_600_000;

fn snapshot(ts_ms: i64, values: &[(Arc<SeriesMeta>, f64)]) -> Arc<Snapshot> {
    Arc::new(Snapshot {
        ts_ms,
        samples: values
            .iter()
            .map(|(m, v)| Sample {
                series: m.clone(),
                value: *v,
            })
            .collect(),
        ..Snapshot::default()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Expected (count, min, max, mean) per bucket, from the values as stored (f32).
fn recompute(points: &[(i64, f64)], step: i64) -> BTreeMap<i64, (u32, f64, f64, f64)> {
    let mut out: BTreeMap<i64, (u32, f64, f64, f64)> = BTreeMap::new();
    for &(ts, v) in points {
        let v = f64::from(v as f32);
        let e = out.entry(ts.div_euclid(step) * step).or_insert((
            0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
        ));
        e.0 += 1;
        e.1 = e.1.min(v);
        e.2 = e.2.max(v);
        e.3 += v;
    }
    for e in out.values_mut() {
        e.3 /= f64::from(e.0);
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn rollups_equal_a_recomputation_from_raw_samples(
        gaps in proptest::collection::vec(1i64..400_000, 1..300),
        values in proptest::collection::vec(-1e6f64..1e6, 300),
        present in proptest::collection::vec(any::<bool>(), 300),
        batch in 1usize..40,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        runtime().block_on(async {
            let store = Store::open(&dir.path().join("h.db")).await.expect("open");
            let series = metas(2);
            let mut ts = BASE + 123;
            let mut expected: Vec<Vec<(i64, f64)>> = vec![Vec::new(), Vec::new()];
            let mut snapshots = Vec::new();
            for (i, gap) in gaps.iter().enumerate() {
                ts += gap;
                let mut vals = vec![(series[0].clone(), values[i])];
                expected[0].push((ts, values[i]));
                if present[i] {
                    vals.push((series[1].clone(), -values[i] / 3.0));
                    expected[1].push((ts, -values[i] / 3.0));
                }
                snapshots.push(snapshot(ts, &vals));
            }
            for chunk in snapshots.chunks(batch) {
                store.write_batch(chunk).await.expect("write");
            }
            // Roll up everything (several calls: each rolls a bounded number of hours).
            while store.roll_up(ts + 2 * HOUR).await.expect("roll up") > 0 {}
            for (meta, points) in series.iter().zip(&expected) {
                if points.is_empty() {
                    // Never written: the store does not know it.
                    prop_assert!(store.history(&meta.id, BASE, ts + 1, Resolution::Minute).await.is_err());
                    continue;
                }
                for (resolution, step) in [(Resolution::Minute, 60_000), (Resolution::Hour, HOUR)] {
                    let history = store.history(&meta.id, BASE, ts + 1, resolution).await.expect("history");
                    let want = recompute(points, step);
                    prop_assert_eq!(history.points.len(), want.len(), "{:?} {}", resolution, meta.id);
                    for (p, (t, (n, min, max, mean))) in history.points.iter().zip(&want) {
                        prop_assert_eq!((p.t * 1000.0).round() as i64, *t);
                        prop_assert_eq!(p.n, Some(*n));
                        prop_assert!(close(p.min.expect("min"), *min) && close(p.max.expect("max"), *max));
                        // Minute means are stored as f32.
                        prop_assert!((p.v - mean).abs() <= 1e-6 * mean.abs().max(1.0) + 1e-7 * max.abs().max(min.abs()), "mean {} vs {}", p.v, mean);
                    }
                }
            }
            store.close().await;
            Ok(())
        })?;
    }

    #[test]
    fn retention_never_deletes_inside_its_window(
        raw_hours in 1u32..30,
        minute_days in 1u32..4,
        hour_days in 1u32..8,
        now_offset in 0i64..HOUR,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        runtime().block_on(async {
            let store = Store::open(&dir.path().join("h.db")).await.expect("open");
            let series = metas(1);
            // Ten days of one sample every 10 minutes.
            let step = 600_000;
            let end = BASE + 10 * 24 * HOUR;
            let all: Vec<Arc<Snapshot>> = (0..)
                .map(|i| BASE + i * step)
                .take_while(|t| *t < end)
                .map(|t| snapshot(t, &[(series[0].clone(), (t / step) as f64)]))
                .collect();
            for chunk in all.chunks(6) {
                store.write_batch(chunk).await.expect("write");
            }
            while store.roll_up(end).await.expect("roll up") > 0 {}
            let now = end + now_offset;
            let retention = Retention { raw_hours, minute_days, hour_days };
            store.apply_retention(now, &retention).await.expect("retention");
            let id = &series[0].id;
            let count_in = |points: &[resource_manager::store::Point], from: i64| points.iter().filter(|p| (p.t * 1000.0) as i64 >= from).count() as i64;

            let raw_from = now - i64::from(raw_hours) * HOUR;
            let raw = store.history(id, raw_from, now, Resolution::Raw).await.expect("raw");
            let want_raw = all.iter().filter(|s| s.ts_ms >= raw_from).count() as i64;
            prop_assert_eq!(count_in(&raw.points, raw_from), want_raw);

            let minute_from = now - i64::from(minute_days) * 24 * HOUR;
            let minutes = store.history(id, minute_from, now, Resolution::Minute).await.expect("minutes");
            let first_minute = minute_from.div_euclid(60_000) * 60_000;
            let want_minutes = all.iter().filter(|s| s.ts_ms >= first_minute).count() as i64;
            prop_assert_eq!(minutes.points.len() as i64, want_minutes);

            let hour_from = now - i64::from(hour_days) * 24 * HOUR;
            let hours = store.history(id, hour_from, now, Resolution::Hour).await.expect("hours");
            let first_hour = hour_from.div_euclid(HOUR) * HOUR;
            let want_hours = (end - first_hour.max(BASE)).div_euclid(HOUR);
            prop_assert_eq!(hours.points.len() as i64, want_hours);
            store.close().await;
            Ok(())
        })?;
    }
}

/// Series that rarely change (the data disk's parts, once per walk; whether an add-on is hung,
/// once per advice pass): the collector repeats them every tick, the store keeps a value when
/// it changes or an hour after the last one kept, on a real file.
#[test]
fn series_stored_on_change_are_kept_once_an_hour_or_when_they_change() {
    use resource_manager::model::registry;
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("h.db")).await.expect("store");
        let part = Arc::new(registry::STORAGE_PART.instance("backup", &["Backups"]));
        let hung = Arc::new(registry::ADDON_HUNG.instance("core_samba", &["Samba"]));
        let cpu = Arc::new(registry::CPU_USAGE.global());
        // Two hours of 5 s ticks; the backups grow once, at 90 minutes; Samba is judged hung
        // from minute 100 to 110.
        let ticks: Vec<Arc<Snapshot>> = (0..(2 * HOUR / 5_000))
            .map(|i| {
                let ts = BASE + i * 5_000;
                let backups = if ts - BASE < 90 * 60_000 { 1e9 } else { 2e9 };
                let minute = (ts - BASE) / 60_000;
                let stuck = if (100..110).contains(&minute) {
                    1.0
                } else {
                    0.0
                };
                snapshot(
                    ts,
                    &[
                        (part.clone(), backups),
                        (hung.clone(), stuck),
                        (cpu.clone(), 10.0),
                    ],
                )
            })
            .collect();
        for chunk in ticks.chunks(24) {
            store.write_batch(chunk).await.expect("write");
        }
        let raw = |id: &'static str| {
            let store = store.clone();
            async move {
                store
                    .history(id, BASE, BASE + 2 * HOUR, Resolution::Raw)
                    .await
                    .expect("history")
                    .points
                    .iter()
                    .map(|p| ((p.t * 1000.0) as i64 - BASE, p.v))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            raw("storage.backup.used_bytes").await,
            [(0, 1e9), (HOUR, 1e9), (90 * 60_000, 2e9)],
            "the first, an hour on, and the change"
        );
        assert_eq!(
            raw("addon.core_samba.hung").await,
            [
                (0, 0.0),
                (HOUR, 0.0),
                (100 * 60_000, 1.0),
                (110 * 60_000, 0.0)
            ],
            "the first, an hour on, and each change"
        );
        // Read by the minute, every minute holds the value the collector saw.
        let minutes = store
            .history(
                "addon.core_samba.hung",
                BASE,
                BASE + 2 * HOUR,
                Resolution::Minute,
            )
            .await
            .expect("minutes")
            .points;
        let want: Vec<(i64, f64)> = (0..120)
            .map(|m| (m * 60_000, if (100..110).contains(&m) { 1.0 } else { 0.0 }))
            .collect();
        let got: Vec<(i64, f64)> = minutes
            .iter()
            .map(|p| ((p.t * 1000.0) as i64 - BASE, p.v))
            .collect();
        assert_eq!(got, want, "no empty minute between kept values");
        assert_eq!(
            raw("cpu.usage").await.len(),
            ticks.len(),
            "others every tick"
        );
    });
}

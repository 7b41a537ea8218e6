//! Analysis benchmark (`cargo bench --bench analysis`; without `--bench` a smoke run). Prints,
//! never judges:
//!
//! 1. CPU time of one analysis run over 500 series with 30 days of history (target ≤ 200 ms),
//!    as the runner feeds it (hours for days 3–30, 5-minute buckets of the minutes for the last
//!    two days), and the pessimistic case of all 30 days as one-minute rollups bucketed first.
//!    The 500: 10 disks (used, free, total, percent, reads, writes), host memory and swap,
//!    40 add-ons (memory, memory share, CPU), CPU and load, and 300 other gauges with daily
//!    cycles (temperatures, network rates). Forecasts run on what fills (disks, memory, swap,
//!    add-on memory), leak detection on memory, anomalies on every gauge.
//! 2. What the analysis adds to each tick: the derive stage copying its latest values (10
//!    disks' days until full, the health and anomaly scores, 2 leak rates) into the snapshot.
//! 3. Reading that history from SQLite as the runner does (500 series: 28 days of hour rows and
//!    2 days of minute rows, imported first, and 55 minutes of 5 s ticks not rolled up yet),
//!    wall time and CPU time of the process (SQLite runs on sqlx's worker thread) and of the
//!    calling thread. `-- load` runs only this part.
//! 4. Coverage of the 80 % intervals and point error per forecast kind, beside the
//!    least-squares baseline: on the synthetic suite, and on the recorded trace of a real
//!    machine in `tests/fixtures/analysis/trace.csv`.

use std::hint::black_box;

use resource_manager::analysis::Obs;
use resource_manager::analysis::accuracy::plan_for;
use resource_manager::analysis::backtest::{self, Plan, Score};
use resource_manager::analysis::forecast::Method;
use resource_manager::analysis::report::{self, Context, SeriesData};
use resource_manager::analysis::runner::{BUCKET_SECONDS, bucket};
use resource_manager::analysis::synthetic::{START, Shape, suite};
use resource_manager::collect::thread_cpu_time;
use resource_manager::model::{Kind, Unit};
use resource_manager::store::Point;

const DAY: f64 = 86_400.0;

fn shapes() -> Vec<(String, Unit, Shape)> {
    let mut out = Vec::new();
    let g = |base: f64, noise: f64| Shape::flat(base, noise);
    for d in 0..10 {
        let used = Shape {
            slope_per_day: 0.2e9 * d as f64,
            ..g(40e9, 0.1e9)
        };
        out.push((format!("disk./d{d}.used_bytes"), Unit::Bytes, used));
        out.push((
            format!("disk./d{d}.free_bytes"),
            Unit::Bytes,
            g(60e9, 0.1e9),
        ));
        out.push((
            format!("disk./d{d}.total_bytes"),
            Unit::Bytes,
            g(100e9, 0.0),
        ));
        out.push((
            format!("disk./d{d}.used_percent"),
            Unit::Percent,
            g(40.0, 0.1),
        ));
        out.push((
            format!("disk./d{d}.read_bytes_per_second"),
            Unit::BytesPerSecond,
            g(1e5, 5e4),
        ));
        out.push((
            format!("disk./d{d}.write_bytes_per_second"),
            Unit::BytesPerSecond,
            g(2e5, 5e4),
        ));
    }
    for (id, unit, shape) in [
        (
            "memory.used_bytes",
            Unit::Bytes,
            Shape {
                daily: 2e8,
                ..g(2e9, 5e7)
            },
        ),
        ("memory.total_bytes", Unit::Bytes, g(4e9, 0.0)),
        ("memory.available_bytes", Unit::Bytes, g(2e9, 5e7)),
        ("memory.used_percent", Unit::Percent, g(50.0, 1.0)),
        ("swap.used_bytes", Unit::Bytes, g(1e8, 1e6)),
        ("swap.total_bytes", Unit::Bytes, g(1e9, 0.0)),
        ("swap.used_percent", Unit::Percent, g(10.0, 0.1)),
        (
            "swap.in_bytes_per_second",
            Unit::BytesPerSecond,
            g(100.0, 50.0),
        ),
        (
            "cpu.usage",
            Unit::Percent,
            Shape {
                daily: 5.0,
                ..g(15.0, 3.0)
            },
        ),
        ("cpu.iowait", Unit::Percent, g(2.0, 1.0)),
        ("load.1m", Unit::Ratio, g(0.8, 0.2)),
    ] {
        out.push((id.to_string(), unit, shape));
    }
    for a in 0..40 {
        let memory = Shape {
            saw: 3e7,
            saw_period: 1800.0,
            slope_per_day: if a == 7 { 4e7 } else { 0.0 },
            ..g(2e8, 2e6)
        };
        out.push((format!("addon.a{a}.memory_bytes"), Unit::Bytes, memory));
        out.push((
            format!("addon.a{a}.memory_percent"),
            Unit::Percent,
            g(5.0, 0.1),
        ));
        out.push((
            format!("addon.a{a}.cpu_percent"),
            Unit::Percent,
            g(1.0, 0.5),
        ));
    }
    let mut k = 0;
    while out.len() < 500 {
        let shape = Shape {
            daily: 3.0,
            ..g(40.0 + k as f64, 1.0)
        };
        out.push((format!("temp.t{k}.celsius"), Unit::Celsius, shape));
        k += 1;
    }
    out
}

fn empty(id: &str, unit: Unit) -> SeriesData {
    SeriesData {
        id: id.to_string(),
        family: id.split('.').next().unwrap_or_default().to_string(),
        unit,
        kind: Kind::Gauge,
        mean: Vec::new(),
        min: Vec::new(),
        max: Vec::new(),
    }
}

/// The series as the runner builds them; `all_minutes`: 30 days of one-minute points bucketed.
fn prepare(all_minutes: bool) -> (Vec<SeriesData>, f64) {
    let mut cpu = 0.0;
    let end = START + 30.0 * DAY;
    let series = shapes()
        .into_iter()
        .enumerate()
        .map(|(i, (id, unit, shape))| {
            let minutes = shape.sample(START, 30.0, 60.0, i as u64 + 1);
            let split = end - 2.0 * DAY;
            let (old, recent): (Vec<Obs>, Vec<Obs>) = if all_minutes {
                (Vec::new(), minutes)
            } else {
                minutes.into_iter().partition(|o| o.t < split)
            };
            let to_points = |obs: &[Obs]| -> Vec<Point> {
                obs.iter()
                    .map(|o| Point {
                        t: o.t,
                        v: o.v,
                        min: Some(o.v),
                        max: Some(o.v),
                        n: Some(60),
                    })
                    .collect()
            };
            let mut data = empty(&id, unit);
            // Hours as the rollups hold them (built outside the timed part).
            let mut hours = empty(&id, unit);
            bucket(&to_points(&old), 3600.0, &mut hours);
            data.mean = hours.mean;
            data.min = hours.min;
            data.max = hours.max;
            let points = to_points(&recent);
            let started = thread_cpu_time();
            bucket(&points, BUCKET_SECONDS, &mut data);
            cpu += thread_cpu_time().saturating_sub(started).as_secs_f64() * 1000.0;
            data
        })
        .collect();
    (series, cpu)
}

fn time_runs(series: &[SeriesData], runs: usize) -> (f64, f64) {
    let ctx = Context {
        now: START + 30.0 * DAY,
        ..Context::default()
    };
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = thread_cpu_time();
            black_box(report::analyze(black_box(series), &ctx));
            thread_cpu_time().saturating_sub(started).as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[runs / 2], times[runs - 1])
}

fn line(kind: &str, what: &str, ours: &Score, base: &Score) {
    println!(
        "  {kind:<10} {what:<28} coverage {:>5.1} % (baseline {:>5.1} %)  relative error {:.4} (baseline {:.4})  cases {}",
        ours.coverage * 100.0,
        base.coverage * 100.0,
        ours.relative_error,
        base.relative_error,
        ours.cases
    );
}

fn trace() -> Vec<(String, Vec<Obs>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/analysis/trace.csv"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut by: std::collections::BTreeMap<String, Vec<Obs>> = Default::default();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if let [t, s, v] = f[..]
            && let (Ok(t), Ok(v)) = (t.parse::<f64>(), v.parse::<f64>())
        {
            by.entry(s.to_string()).or_default().push(Obs::new(t, v));
        }
    }
    by.into_iter().collect()
}

/// CPU time of the whole process: SQLite runs on sqlx's worker thread, which the calling
/// thread's clock does not see.
fn process_cpu_time() -> std::time::Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    std::time::Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Imports 30 days of 500 series (hourly values, then one a minute for the last 2 days), adds
/// 55 minutes of live 5 s ticks not rolled up yet (as the store holds them between two hourly
/// rollups, in 300 s batches, the add-on's defaults), and times `runner::load_all` over them.
fn load_cost() {
    use resource_manager::analysis::runner::load_all;
    use resource_manager::model::{Sample, Snapshot, registry};
    use resource_manager::store::Store;
    use resource_manager::store::import::ImportRow;
    use std::sync::Arc;
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        println!("no runtime for the load benchmark");
        return;
    };
    runtime.block_on(async {
        let Ok(dir) = tempfile::tempdir() else {
            println!("no temp dir for the load benchmark");
            return;
        };
        let Ok(store) = Store::open(&dir.path().join("history.db")).await else {
            println!("cannot open a store for the load benchmark");
            return;
        };
        // The live hour ends before the real clock's hour: everything is history.
        let live_ms = resource_manager::util::unix_ms() / 3_600_000 * 3_600_000 - 3_600_000;
        let start = live_ms - 30 * 86_400_000;
        let split = live_ms - 2 * 86_400_000;
        let names: Vec<String> = (0..500).map(|k| format!("temp.t{k}.celsius")).collect();
        let mut rows = Vec::new();
        for series in &names {
            let mut t = start;
            while t < live_ms {
                rows.push(ImportRow {
                    ts_ms: t,
                    series: series.clone(),
                    value: 40.0 + (t / 60_000 % 7) as f64,
                });
                t += if t < split { 3_600_000 } else { 60_000 };
            }
        }
        rows.sort_by_key(|r| r.ts_ms);
        let started = std::time::Instant::now();
        if let Err(err) = store.import(&rows).await {
            println!("import failed: {err}");
            return;
        }
        let import_s = started.elapsed().as_secs_f64();
        let metas: Vec<Arc<_>> = names
            .iter()
            .filter_map(|n| registry::meta_for_id(n).map(Arc::new))
            .collect();
        let ticks: Vec<Arc<Snapshot>> = (0..660)
            .map(|i| {
                let ts_ms = live_ms + i * 5_000;
                let samples = metas
                    .iter()
                    .enumerate()
                    .map(|(k, meta)| Sample {
                        series: meta.clone(),
                        value: 40.0 + ((ts_ms / 5_000 + k as i64) % 9) as f64,
                    })
                    .collect();
                Arc::new(Snapshot {
                    ts_ms,
                    samples,
                    ..Snapshot::default()
                })
            })
            .collect();
        for batch in ticks.chunks(60) {
            if let Err(err) = store.write_batch(batch).await {
                println!("writing live ticks failed: {err}");
                return;
            }
        }
        let now_ms = live_ms + 55 * 60_000;
        let mut runs = Vec::new();
        for _ in 0..3 {
            let (process, thread) = (process_cpu_time(), thread_cpu_time());
            let wall = std::time::Instant::now();
            let loaded = load_all(&store, now_ms).await.map_or(0, |s| s.len());
            runs.push((
                process_cpu_time().saturating_sub(process).as_secs_f64() * 1000.0,
                thread_cpu_time().saturating_sub(thread).as_secs_f64() * 1000.0,
                wall.elapsed().as_secs_f64() * 1000.0,
                loaded,
            ));
        }
        let all: Vec<String> = runs.iter().map(|r| format!("{:.0}", r.0)).collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (process, thread, wall, loaded) = runs[1];
        println!(
            "reading the runner's input from SQLite: {loaded} series, median of 3 reads: {process:.0} ms process CPU (all threads; runs {}), of it {thread:.0} ms on the calling thread, {wall:.0} ms wall (after importing {} values in {import_s:.1} s and writing 55 minutes of 5 s ticks)",
            all.join(", "),
            rows.len()
        );
        store.close().await;
    });
}

/// CPU per tick of the derive stage with and without the analysis' values (microseconds).
fn tick_cost() -> (f64, f64) {
    use resource_manager::collect::derive::{AnalysisValues, apply, standard, with_analysis};
    use resource_manager::model::{Sample, Snapshot, registry};
    use std::sync::Arc;
    let values = AnalysisValues::default();
    let mut samples: Vec<Sample> = (0..10)
        .map(|d| Sample {
            series: Arc::new(registry::DISK_DAYS_UNTIL_FULL.instance(&format!("/d{d}"), &[])),
            value: 20.0,
        })
        .collect();
    for family in [&registry::HEALTH_SCORE, &registry::ANOMALY_SCORE] {
        samples.push(Sample {
            series: Arc::new(family.global()),
            value: 1.0,
        });
    }
    for slug in ["a", "b"] {
        samples.push(Sample {
            series: Arc::new(registry::LEAK_RATE.instance(slug, &[])),
            value: 1.0,
        });
    }
    values.set(samples);
    let base = Snapshot {
        samples: (0..100)
            .map(|k| Sample {
                series: Arc::new(registry::TEMP_SENSOR.instance(&format!("t{k}"), &[])),
                value: 1.0,
            })
            .collect(),
        ..Snapshot::default()
    };
    let runs = 20_000;
    let per = |mut derivers: Vec<Box<dyn resource_manager::collect::derive::Derive>>| {
        let started = thread_cpu_time();
        for _ in 0..runs {
            let mut s = base.clone();
            apply(&mut derivers, &mut s);
            black_box(&s);
        }
        thread_cpu_time().saturating_sub(started).as_secs_f64() * 1e6 / runs as f64
    };
    (per(standard()), per(with_analysis(values)))
}

fn main() {
    // `cargo test --benches` runs this unoptimised: then only prove it runs.
    if !std::env::args().any(|a| a == "--bench") {
        let (series, _) = prepare(false);
        black_box(report::analyze(&series[..20], &Context::default()));
        println!("smoke run (pass --bench, as `cargo bench` does, for real numbers)");
        return;
    }
    // `cargo bench --bench analysis -- load`: only the reading.
    if std::env::args().any(|a| a == "load") {
        load_cost();
        return;
    }
    let (without, with) = tick_cost();
    println!(
        "derive stage per tick (100-sample snapshot cloned each time): {without:.2} µs without the analysis' values, {with:.2} µs with 14 of them"
    );
    let (series, bucket_ms) = prepare(false);
    let (median, worst) = time_runs(&series, 9);
    println!("analysis of 500 series, 30 days (hours + 2 days of 5-minute buckets):");
    println!(
        "  CPU per run: median {median:.1} ms, worst {worst:.1} ms (target <= 200 ms); bucketing the minutes {bucket_ms:.1} ms"
    );
    let (series, bucket_ms) = prepare(true);
    let (median, worst) = time_runs(&series, 5);
    println!("analysis of 500 series, 30 days all as 1-minute rollups (bucketed to 5 minutes):");
    println!(
        "  CPU per run: median {median:.1} ms, worst {worst:.1} ms, plus bucketing {bucket_ms:.1} ms"
    );
    load_cost();
    let (series, _) = prepare(false);
    let started = thread_cpu_time();
    let bt = black_box(resource_manager::analysis::accuracy::backtests(
        &series,
        300.0,
        ((START + 30.0 * DAY) * 1000.0) as i64,
    ));
    println!(
        "backtests and the anomaly replay (background job, every 6 h) over those 500 series: {:.0} ms CPU ({} series-days replayed, {} flagged)",
        thread_cpu_time().saturating_sub(started).as_secs_f64() * 1000.0,
        bt.anomaly_days.days,
        bt.anomaly_days.flagged
    );

    println!(
        "backtests, 80 % intervals (rolling origin; history 7 d, horizon 1 d, step 6 h), synthetic suite of 21 days:"
    );
    let plan = Plan {
        history: 7.0 * DAY,
        horizon: DAY,
        step: DAY / 4.0,
        tolerance: 3600.0,
    };
    for method in [Method::Linear, Method::DailyMax] {
        let (mut ours, mut base) = (Vec::new(), Vec::new());
        for (name, obs) in suite(21.0) {
            let obs: Vec<Obs> = obs
                .chunks(5)
                .map(|c| Obs::new(c[0].t, c.iter().map(|o| o.v).sum::<f64>() / c.len() as f64))
                .collect();
            if let Some(o) = backtest::run(&obs, method, &plan) {
                line(method.as_str(), name, &o.ours, &o.baseline);
                line("calibrated", name, &o.calibrated, &o.baseline);
                ours.push(o.ours);
                base.push(o.baseline);
            }
        }
        line(
            method.as_str(),
            "ALL",
            &Score::pool(ours.iter()),
            &Score::pool(base.iter()),
        );
    }
    let trace = trace();
    if trace.is_empty() {
        println!("no recorded trace found");
        return;
    }
    println!("backtests on the recorded trace of this machine (10 s samples, linear kind):");
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    for (name, obs) in &trace {
        let span = obs.last().map_or(0.0, |o| o.t) - obs.first().map_or(0.0, |o| o.t);
        let Some(plan) = plan_for(span, 10.0) else {
            continue;
        };
        if let Some(o) = backtest::run(obs, Method::Linear, &plan) {
            line("linear", name, &o.ours, &o.baseline);
            ours.push(o.ours);
            base.push(o.baseline);
        }
    }
    line(
        "linear",
        "ALL",
        &Score::pool(ours.iter()),
        &Score::pool(base.iter()),
    );
}

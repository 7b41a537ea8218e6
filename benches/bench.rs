//! Benchmarks that print numbers (they never assert timings).
//!
//! Run with `cargo bench --bench bench` (or `scripts/bench.sh`, which adds process-level figures
//! and a summary table). Without `--bench` on the command line (e.g. `cargo test --all-targets`)
//! every section runs once with tiny counts, as a smoke test.
//!
//! Environment:
//! - `BENCH_TICKS` back-to-back host ticks (default 1000)
//! - `BENCH_SPACED_TICKS` host ticks spaced `BENCH_SPACING_MS` apart (default 200 x 250 ms = 50 s)
//! - `BENCH_SCANS` process scans spaced `BENCH_SPACING_MS` apart (default 100)
//! - `BENCH_RESULTS` file to write `label<TAB>value` lines to, for scripts/bench.sh

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use resource_manager::collect::{Engine, Tick, host_collectors, thread_cpu_time};
use resource_manager::config::{DATABASE_FILE, SysRoot};
use resource_manager::model::{Sample, SeriesMeta, Snapshot, Unit};
use resource_manager::store::{Resolution, Store};
use resource_manager::util::unix_ms;

const SERIES: usize = 100;
const BATCH_TICKS: usize = 12;
const QUERY_RUNS: usize = 20;
const RAW_INTERVAL_MS: i64 = 5_000;
const ROLLUP_FILL_INTERVAL_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Counts and spans of one run: full for `cargo bench`, tiny for the smoke test.
struct Plan {
    full: bool,
    ticks: usize,
    spaced_ticks: usize,
    scans: usize,
    spacing: Duration,
    raw_span_ms: i64,
    query_runs: usize,
    rollup_span_ms: i64,
}

impl Plan {
    fn from_env() -> Result<Self> {
        let full = std::env::args().any(|a| a == "--bench");
        let spacing_ms = env_usize("BENCH_SPACING_MS", 250)?;
        Ok(if full {
            Plan {
                full,
                ticks: env_usize("BENCH_TICKS", 1000)?,
                spaced_ticks: env_usize("BENCH_SPACED_TICKS", 200)?,
                scans: env_usize("BENCH_SCANS", 100)?,
                spacing: Duration::from_millis(spacing_ms as u64),
                raw_span_ms: DAY_MS,
                query_runs: QUERY_RUNS,
                rollup_span_ms: 30 * DAY_MS,
            }
        } else {
            Plan {
                full,
                ticks: 5,
                spaced_ticks: 3,
                scans: 3,
                spacing: Duration::from_millis(10),
                raw_span_ms: HOUR_MS,
                query_runs: 2,
                rollup_span_ms: 3 * HOUR_MS,
            }
        })
    }
}

fn env_usize(key: &str, default: usize) -> Result<usize> {
    match std::env::var(key) {
        Ok(text) => text
            .trim()
            .parse()
            .with_context(|| format!("{key}={text:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}

/// Collected results, printed as they come and written to `BENCH_RESULTS` at the end.
#[derive(Default)]
struct Report {
    rows: Vec<(String, String)>,
}

impl Report {
    fn add(&mut self, label: &str, value: impl Into<String>) {
        let value = value.into();
        println!("  {label:<64} {value}");
        self.rows.push((label.to_string(), value));
    }

    fn save(&self) -> Result<()> {
        let Ok(path) = std::env::var("BENCH_RESULTS") else {
            return Ok(());
        };
        let mut text = String::new();
        for (label, value) in &self.rows {
            writeln!(text, "{label}\t{value}").context("formatting results")?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {path}"))
    }
}

/// Nearest-rank percentile of a sorted slice.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// (median, p99) of unsorted values.
fn median_p99(values: &[f64]) -> (f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    (percentile(&sorted, 0.5), percentile(&sorted, 0.99))
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<()> {
    let plan = Plan::from_env()?;
    let mut report = Report::default();
    if !plan.full {
        println!("smoke run (pass --bench, as `cargo bench` does, for real numbers)");
    }
    bench_ticks(&plan, &mut report);
    bench_process_scans(&plan, &mut report)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot build the tokio runtime")?;
    runtime.block_on(bench_store(&plan, &mut report))?;
    report.save()
}

/// Section 1: CPU and wall time of one tick of the host collectors.
fn bench_ticks(plan: &Plan, report: &mut Report) {
    println!("\n== host collectors: one tick ==");
    let root = SysRoot::default();
    let mut engine = Engine::new(host_collectors(&root), &root);
    // Priming tick: counters get their baseline, buffers their capacity.
    let primed = engine.tick(&Tick::now(), unix_ms());
    report.add(
        "tick: samples per snapshot",
        primed.samples.len().to_string(),
    );
    let degraded: Vec<&str> = primed.degraded().map(|s| s.source).collect();
    if !degraded.is_empty() {
        println!(
            "  (degraded sources on this machine: {})",
            degraded.join(", ")
        );
    }

    let (cpu, wall) = run_ticks(&mut engine, plan.ticks, Duration::ZERO);
    let (cpu_med, cpu_p99) = median_p99(&cpu);
    let (wall_med, wall_p99) = median_p99(&wall);
    let n = plan.ticks;
    report.add(
        &format!("tick CPU, back to back ({n} ticks) median / p99"),
        format!("{cpu_med:.1} / {cpu_p99:.1} µs"),
    );
    report.add(
        &format!("tick wall, back to back ({n} ticks) median / p99"),
        format!("{wall_med:.1} / {wall_p99:.1} µs"),
    );

    // Pressure stall information alone: the budget is 5 µs of a tick. Ticks 5 s apart
    // on their stamps (the default sample interval), so the files are read every other tick
    // (about every 10 s, avg10's window) and the ticks between repeat the last values.
    let mut pressure = resource_manager::collect::pressure::PressureCollector::new(&root);
    let mut out = Vec::with_capacity(16);
    let mut psi = Vec::with_capacity(plan.ticks);
    let start = std::time::Instant::now();
    for i in 0..plan.ticks {
        out.clear();
        let tick = Tick {
            now: start + Duration::from_secs(5 * i as u64),
        };
        let cpu_before = thread_cpu_time();
        let read = resource_manager::collect::Collector::collect(&mut pressure, &tick, &mut out);
        psi.push(micros(thread_cpu_time().saturating_sub(cpu_before)));
        std::hint::black_box(read.is_ok());
    }
    let psi_mean = psi.iter().sum::<f64>() / psi.len().max(1) as f64;
    let reads: Vec<f64> = psi.iter().step_by(2).copied().collect();
    let (read_med, read_p99) = median_p99(&reads);
    report.add(
        &format!(
            "pressure (PSI) part of a tick CPU, {} series, 5 s ticks: mean; reading ticks median / p99",
            out.len()
        ),
        format!("{psi_mean:.1}; {read_med:.1} / {read_p99:.1} µs"),
    );

    let (cpu, wall) = run_ticks(&mut engine, plan.spaced_ticks, plan.spacing);
    let (cpu_med, cpu_p99) = median_p99(&cpu);
    let (wall_med, wall_p99) = median_p99(&wall);
    let label = format!(
        "{} ticks, {} ms apart",
        plan.spaced_ticks,
        plan.spacing.as_millis()
    );
    report.add(
        &format!("tick CPU, spaced ({label}) median / p99"),
        format!("{cpu_med:.1} / {cpu_p99:.1} µs"),
    );
    report.add(
        &format!("tick wall, spaced ({label}) median / p99"),
        format!("{wall_med:.1} / {wall_p99:.1} µs"),
    );
}

/// CPU and wall microseconds of `count` ticks, sleeping `spacing` before each.
fn run_ticks(engine: &mut Engine, count: usize, spacing: Duration) -> (Vec<f64>, Vec<f64>) {
    let mut cpu = Vec::with_capacity(count);
    let mut wall = Vec::with_capacity(count);
    for _ in 0..count {
        if !spacing.is_zero() {
            std::thread::sleep(spacing);
        }
        let cpu_before = thread_cpu_time();
        let started = Instant::now();
        let snapshot = engine.tick(&Tick::now(), unix_ms());
        let elapsed = started.elapsed();
        let cpu_used = thread_cpu_time().saturating_sub(cpu_before);
        std::hint::black_box(snapshot);
        cpu.push(micros(cpu_used));
        wall.push(micros(elapsed));
    }
    (cpu, wall)
}

/// Section 2: CPU of one scan of every process.
fn bench_process_scans(plan: &Plan, report: &mut Report) -> Result<()> {
    println!("\n== process collector: one scan ==");
    let root = SysRoot::default();
    let mut engine = Engine::new(host_collectors(&root), &root);
    engine
        .scan_processes(Instant::now(), unix_ms())
        .context("priming process scan")?;
    let mut cpu = Vec::with_capacity(plan.scans);
    let mut wall = Vec::with_capacity(plan.scans);
    for _ in 0..plan.scans {
        std::thread::sleep(plan.spacing);
        let cpu_before = thread_cpu_time();
        let started = Instant::now();
        engine
            .scan_processes(Instant::now(), unix_ms())
            .context("process scan")?;
        wall.push(micros(started.elapsed()));
        cpu.push(micros(thread_cpu_time().saturating_sub(cpu_before)));
    }
    // The top lists reach a snapshot through a tick (outside the timed part).
    let processes = engine.tick(&Tick::now(), unix_ms()).processes.total;
    let (cpu_med, cpu_p99) = median_p99(&cpu);
    let (wall_med, wall_p99) = median_p99(&wall);
    let label = format!(
        "{} scans, {} ms apart",
        plan.scans,
        plan.spacing.as_millis()
    );
    report.add("processes on this machine", processes.to_string());
    report.add(
        &format!("process scan CPU ({label}) median / p99"),
        format!("{cpu_med:.0} / {cpu_p99:.0} µs"),
    );
    report.add(
        &format!("process scan wall ({label}) median / p99"),
        format!("{wall_med:.0} / {wall_p99:.0} µs"),
    );
    if processes > 0 {
        report.add(
            "process scan CPU per process (median)",
            format!("{:.2} µs", cpu_med / processes as f64),
        );
    }
    Ok(())
}

/// The synthetic series: 100 gauges.
fn synthetic_series() -> Vec<Arc<SeriesMeta>> {
    (0..SERIES)
        .map(|i| {
            Arc::new(SeriesMeta::global(
                "bench",
                &format!("s{i:03}"),
                Unit::Percent,
                format!("synthetic series {i}"),
            ))
        })
        .collect()
}

/// One synthetic snapshot at `ts_ms`: smooth values that differ per series and tick.
fn synthetic_snapshot(series: &[Arc<SeriesMeta>], tick: usize, ts_ms: i64) -> Arc<Snapshot> {
    let samples = series
        .iter()
        .enumerate()
        .map(|(i, meta)| Sample {
            series: meta.clone(),
            value: 50.0 + 40.0 * ((tick as f64) * 0.013 + i as f64).sin() + (tick % 7) as f64 * 0.1,
        })
        .collect();
    Arc::new(Snapshot {
        ts_ms,
        samples,
        ..Snapshot::default()
    })
}

/// Writes `span_ms` of data ending before `end_ms` at `interval_ms`, in batches of 12 ticks.
/// Returns the ticks written and the time spent inside `write_batch`.
async fn fill(
    store: &Store,
    series: &[Arc<SeriesMeta>],
    end_ms: i64,
    span_ms: i64,
    interval_ms: i64,
) -> Result<(usize, Duration)> {
    let ticks = (span_ms / interval_ms) as usize;
    let start_ms = end_ms - ticks as i64 * interval_ms;
    let mut spent = Duration::ZERO;
    let mut batch = Vec::with_capacity(BATCH_TICKS);
    let mut written = 0;
    for tick in 0..ticks {
        batch.push(synthetic_snapshot(
            series,
            tick,
            start_ms + tick as i64 * interval_ms,
        ));
        if batch.len() == BATCH_TICKS || tick + 1 == ticks {
            let started = Instant::now();
            written += store.write_batch(&batch).await.context("write_batch")?;
            spent += started.elapsed();
            batch.clear();
        }
    }
    Ok((written, spent))
}

/// Median wall time of `runs` history queries, and the points returned.
async fn time_history(
    store: &Store,
    key: &str,
    from_ms: i64,
    to_ms: i64,
    resolution: Resolution,
    runs: usize,
) -> Result<(f64, usize)> {
    let mut times = Vec::with_capacity(runs);
    let mut points = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let history = store
            .history(key, from_ms, to_ms, resolution)
            .await
            .context("history query")?;
        times.push(millis(started.elapsed()));
        points = history.points.len();
    }
    Ok((median_p99(&times).0, points))
}

/// Bytes of the database with its WAL and shared-memory files.
fn database_bytes(dir: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(dir.join(format!("{DATABASE_FILE}{suffix}"))).ok())
        .map(|m| m.len())
        .sum()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Sections 3 and 4: ingest rate, query times and database sizes.
async fn bench_store(plan: &Plan, report: &mut Report) -> Result<()> {
    let series = synthetic_series();
    let key = series[SERIES / 2].id.clone();
    let now = unix_ms();

    println!("\n== store: ingest and raw history ==");
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let path: PathBuf = dir.path().join(DATABASE_FILE);
    let store = Store::open(&path)
        .await
        .context("cannot open the raw store")?;
    let (ticks, spent) = fill(&store, &series, now, plan.raw_span_ms, RAW_INTERVAL_MS).await?;
    let samples = ticks * SERIES;
    let batches = ticks.div_ceil(BATCH_TICKS);
    report.add(
        &format!("ingest: {samples} samples ({SERIES} series, {BATCH_TICKS}-tick batches)"),
        format!("{:.0} samples/s", samples as f64 / spent.as_secs_f64()),
    );
    report.add(
        "ingest: write_batch time per 12-tick batch (mean)",
        format!("{:.2} ms", millis(spent) / batches as f64),
    );
    let span_h = plan.raw_span_ms / HOUR_MS;
    let (median, points) = time_history(
        &store,
        &key,
        now - plan.raw_span_ms,
        now,
        Resolution::Raw,
        plan.query_runs,
    )
    .await?;
    ensure!(
        points == ticks,
        "raw history returned {points} points, expected {ticks}"
    );
    report.add(
        &format!(
            "history raw {span_h} h, one series ({points} points), median of {}",
            plan.query_runs
        ),
        format!("{median:.2} ms"),
    );
    store.close().await;
    report.add(
        &format!("DB size: {span_h} h raw at 5 s x {SERIES} series (after checkpoint)"),
        mib(database_bytes(dir.path())),
    );

    println!("\n== store: rollups and minute history ==");
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let path = dir.path().join(DATABASE_FILE);
    let store = Store::open(&path)
        .await
        .context("cannot open the rollup store")?;
    let end = now - now.rem_euclid(HOUR_MS);
    let (ticks, spent) = fill(
        &store,
        &series,
        end,
        plan.rollup_span_ms,
        ROLLUP_FILL_INTERVAL_MS,
    )
    .await?;
    let days = plan.rollup_span_ms / DAY_MS;
    let span = if days > 0 {
        format!("{days} d")
    } else {
        format!("{} h", plan.rollup_span_ms / HOUR_MS)
    };
    println!(
        "  (filled {span} at 60 s instead of 5 s: {ticks} ticks, written in {:.1} s)",
        spent.as_secs_f64()
    );
    report.add(
        &format!("ingest: write_batch per 12-tick batch, {span} fill (mean)"),
        format!(
            "{:.2} ms",
            millis(spent) / ticks.div_ceil(BATCH_TICKS) as f64
        ),
    );
    // Reopen after a checkpoint so the raw-only size can be told apart from the rollups.
    store.close().await;
    let raw_only = database_bytes(dir.path());
    let opening = Instant::now();
    let store = Store::open(&path)
        .await
        .context("cannot reopen the rollup store")?;
    report.add(
        &format!(
            "open: WAL check + quick_check + migrations of a {} history",
            mib(raw_only)
        ),
        format!("{:.1} ms", millis(opening.elapsed())),
    );
    let started = Instant::now();
    let mut hours = 0;
    loop {
        let rolled = store.roll_up(now).await.context("roll_up")?;
        if rolled == 0 {
            break;
        }
        hours += rolled;
    }
    let rollup_time = started.elapsed();
    report.add(
        &format!("roll_up: {hours} hours x {SERIES} series (60 samples/h each)"),
        format!(
            "{:.2} ms per hour",
            millis(rollup_time) / hours.max(1) as f64
        ),
    );
    let (median, points) = time_history(
        &store,
        &key,
        end - plan.rollup_span_ms,
        end,
        Resolution::Minute,
        plan.query_runs,
    )
    .await?;
    ensure!(
        points == ticks,
        "minute history returned {points} points, expected {ticks}"
    );
    report.add(
        &format!(
            "history 1m {span}, one series ({points} points), median of {}",
            plan.query_runs
        ),
        format!("{median:.2} ms"),
    );
    let (median, points) = time_history(
        &store,
        &key,
        end - plan.rollup_span_ms,
        end,
        Resolution::Hour,
        plan.query_runs,
    )
    .await?;
    report.add(
        &format!(
            "history 1h {span}, one series ({points} points), median of {}",
            plan.query_runs
        ),
        format!("{median:.2} ms"),
    );
    let stats = store.stats().await.context("store stats")?;
    store.close().await;
    let total = database_bytes(dir.path());
    report.add(
        &format!("DB size: {span} raw at 60 s x {SERIES} series"),
        mib(raw_only),
    );
    report.add(
        &format!(
            "DB size: same + rollups ({} hour rows, {} with minutes)",
            stats.hour_rows, stats.minute_rows
        ),
        format!(
            "{} (rollups {})",
            mib(total),
            mib(total.saturating_sub(raw_only))
        ),
    );
    Ok(())
}

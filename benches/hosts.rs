//! Benchmarks of several hosts and remote write (issue 15); they print numbers, never assert.
//!
//! Run with `cargo bench --bench hosts` (scripts/bench.sh runs it too). Without `--bench` on
//! the command line every section runs a few times, as a smoke test.
//!
//! 1. Scrape and parse of one node_exporter page: the real default page of Debian's
//!    node_exporter 1.5 (tests/fixtures/node_exporter/default.txt, 507 samples) served over
//!    loopback HTTP, fetched, parsed and mapped; CPU time of this thread and of parse + map
//!    alone.
//! 2. Remote write of 10,000 samples (100 series x 100 ticks): CPU time of encoding and
//!    compressing one request, and its size before and after snappy.
//! 3. The local tick: the host collectors alone (what runs without the `hosts` option, the
//!    same code as before hosts existed) and with two remote hosts of ~100 series each.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use resource_manager::collect::remote::map::{MapState, map_page};
use resource_manager::collect::remote::text::parse;
use resource_manager::collect::remote::{RemoteCollector, RemoteHost, RemoteHosts};
use resource_manager::collect::{Collector, Engine, Tick, host_collectors, thread_cpu_time};
use resource_manager::config::SysRoot;
use resource_manager::model::{Sample, Snapshot, registry};
use resource_manager::publish::remote_write::proto;
use resource_manager::util::{lock, unix_ms};

const PAGE: &str = include_str!("../tests/fixtures/node_exporter/default.txt");

fn median_p99(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() -> Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    if !full {
        println!("smoke run (pass --bench, as `cargo bench` does, for real numbers)");
    }
    let runs = if full { 2000 } else { 3 };
    bench_parse(runs);
    bench_scrape(if full { 500 } else { 3 })?;
    bench_remote_write(if full { 50 } else { 1 });
    bench_tick(if full { 1000 } else { 3 });
    Ok(())
}

/// Parse and map alone, per page.
fn bench_parse(runs: usize) {
    println!(
        "\n== node_exporter page: parse + map ({} bytes) ==",
        PAGE.len()
    );
    let mut state = MapState::new("nas");
    let mut cpu = Vec::with_capacity(runs);
    let mut mapped = 0;
    let mut parsed = 0;
    for i in 0..runs {
        let before = thread_cpu_time();
        let page = parse(PAGE);
        let mut out = Vec::with_capacity(64);
        map_page(
            &page,
            1_795_991_769_034 + i as i64 * 1000,
            &mut state,
            &mut out,
        );
        cpu.push(micros(thread_cpu_time().saturating_sub(before)));
        parsed = page.samples.len();
        mapped = out.len();
        std::hint::black_box(out);
    }
    let (med, p99) = median_p99(cpu);
    println!("  {parsed} samples parsed, {mapped} series mapped");
    println!("  parse + map CPU median / p99: {med:.1} / {p99:.1} µs ({runs} runs)");
}

/// A loopback HTTP server answering every request with the page.
fn serve_page() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            // Head and body go out at once, as an exporter's do (no delayed-ACK stall).
            let _ = stream.set_nodelay(true);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut request = Vec::new();
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                    if request.windows(4).any(|w| w == b"\r\n\r\n") {
                        request.clear();
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n",
                            PAGE.len()
                        );
                        let mut response = head.into_bytes();
                        response.extend_from_slice(PAGE.as_bytes());
                        if stream.write_all(&response).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    Ok(port)
}

/// Fetch over loopback, parse and map, per scrape: the CPU of the scraping thread (a
/// current-thread runtime, so the request's own work is counted too).
fn bench_scrape(runs: usize) -> Result<()> {
    println!("\n== node_exporter scrape over loopback HTTP: fetch + parse + map ==");
    let port = serve_page()?;
    let url = format!("http://127.0.0.1:{port}/metrics");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::new();
    let mut state = MapState::new("nas");
    let mut cpu = Vec::with_capacity(runs);
    let mut wall = Vec::with_capacity(runs);
    runtime.block_on(async {
        for i in 0..runs + 1 {
            let before = thread_cpu_time();
            let started = Instant::now();
            let body = client.get(&url).send().await?.bytes().await?;
            let text = String::from_utf8_lossy(&body);
            let page = parse(&text);
            let mut out = Vec::with_capacity(64);
            map_page(&page, unix_ms() + i as i64, &mut state, &mut out);
            std::hint::black_box(out);
            // The first request opens the connection; later ones reuse it, as scrapes do.
            if i > 0 {
                cpu.push(micros(thread_cpu_time().saturating_sub(before)));
                wall.push(micros(started.elapsed()));
            }
        }
        anyhow::Ok(())
    })?;
    let (cpu_med, cpu_p99) = median_p99(cpu);
    let (wall_med, wall_p99) = median_p99(wall);
    println!("  scrape CPU median / p99: {cpu_med:.1} / {cpu_p99:.1} µs ({runs} scrapes)");
    println!("  scrape wall median / p99: {wall_med:.1} / {wall_p99:.1} µs");
    Ok(())
}

/// One request of 10,000 samples.
fn bench_remote_write(runs: usize) {
    println!("\n== remote write: 10,000 samples (100 series x 100 ticks) ==");
    let metas: Vec<_> = (0..100)
        .map(|i| {
            let mount = format!("/mnt/disk{i}");
            Arc::new(registry::DISK_USED_PERCENT.instance(&mount, &[&mount]))
        })
        .collect();
    let ticks: Vec<Arc<Snapshot>> = (0..100)
        .map(|t| {
            Arc::new(Snapshot {
                ts_ms: 1_795_991_769_000 + t * 5_000,
                samples: metas
                    .iter()
                    .enumerate()
                    .map(|(i, m)| Sample {
                        series: m.clone(),
                        value: 40.0 + (i as f64) * 0.1 + (t as f64) * 0.01,
                    })
                    .collect(),
                ..Snapshot::default()
            })
        })
        .collect();
    let mut cpu = Vec::with_capacity(runs);
    let mut sizes = (0, 0);
    for _ in 0..runs {
        let before = thread_cpu_time();
        let series = proto::series_of(&ticks);
        let raw = proto::encode(&series);
        let body = snap::raw::Encoder::new()
            .compress_vec(&raw)
            .unwrap_or_default();
        cpu.push(micros(thread_cpu_time().saturating_sub(before)));
        sizes = (raw.len(), body.len());
        std::hint::black_box(body);
    }
    let (med, p99) = median_p99(cpu);
    println!("  encode + compress CPU median / p99: {med:.0} / {p99:.0} µs ({runs} runs)");
    println!(
        "  bytes sent: {} compressed ({} before snappy, {:.1} bytes per sample)",
        sizes.1,
        sizes.0,
        sizes.1 as f64 / 10_000.0
    );
}

fn run_ticks(engine: &mut Engine, count: usize) -> Vec<f64> {
    (0..count)
        .map(|_| {
            let before = thread_cpu_time();
            let snapshot = engine.tick(&Tick::now(), unix_ms());
            let used = thread_cpu_time().saturating_sub(before);
            std::hint::black_box(snapshot);
            micros(used)
        })
        .collect()
}

/// The local tick without hosts, and with two scraped hosts handed to it.
fn bench_tick(runs: usize) {
    println!("\n== local tick ==");
    let root = SysRoot::default();
    let mut local = Engine::new(host_collectors(&root), &root);
    local.tick(&Tick::now(), unix_ms());
    let (med, p99) = median_p99(run_ticks(&mut local, runs));
    println!("  host collectors only (no hosts option) CPU median / p99: {med:.1} / {p99:.1} µs");

    let hosts: Vec<RemoteHost> = ["nas", "pve"]
        .iter()
        .map(|name| {
            let host = RemoteHost::new(name, "http://127.0.0.1/metrics", Duration::from_secs(30));
            let mut state = MapState::new(name);
            let mut samples = Vec::new();
            map_page(&parse(PAGE), 1_000, &mut state, &mut samples);
            samples.clear();
            map_page(&parse(PAGE), 31_000, &mut state, &mut samples);
            {
                let mut shared = lock(&host.shared);
                shared.samples = samples;
                shared.scraped_at = Some(std::time::Instant::now() + Duration::from_secs(3600));
                shared.status.up = Some(true);
            }
            host
        })
        .collect();
    let remote = RemoteHosts {
        hosts: Arc::new(hosts),
    };
    let mut collectors: Vec<Box<dyn Collector>> = host_collectors(&root);
    collectors.push(Box::new(RemoteCollector::new(remote)));
    let mut with_hosts = Engine::new(collectors, &root);
    let primed = with_hosts.tick(&Tick::now(), unix_ms());
    let (med, p99) = median_p99(run_ticks(&mut with_hosts, runs));
    println!(
        "  with two remote hosts ({} samples per tick) CPU median / p99: {med:.1} / {p99:.1} µs",
        primed.samples.len()
    );
}

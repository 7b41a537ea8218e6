//! Lease benchmarks that print numbers (they never assert timings).
//!
//! 1. The manager alone: decisions per second and the latency of one decision (a request, a
//!    release or a renewal, each settling what fell due), p50 and p99, over a mixed workload
//!    with a queue.
//! 2. HTTP: the real app on loopback, `LEASE_BENCH_CLIENTS` clients (default 50) each asking
//!    for a lease and releasing it again; round-trip p50/p99 and requests per second (the
//!    decisions are saved to SQLite before each answer). Twice: back to back (the clients
//!    saturate the two cores they share with the server, so the latency is mostly queueing
//!    behind each other), and paced (`LEASE_BENCH_PACE_MS`, default 10 ms between one
//!    client's rounds: 50 clients then offer several thousand requests a second, which is
//!    still far beyond what automations on one box send).
//!
//! Run with `cargo bench --bench leases`; without `--bench` (e.g. `cargo test --all-targets`)
//! both run once with tiny counts as a smoke test.
//!
//! Environment: `LEASE_BENCH_DECISIONS` (default 200000), `LEASE_BENCH_CLIENTS` (50),
//! `LEASE_BENCH_ROUNDS` per client (200), `LEASE_BENCH_PACE_MS` (10).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use resource_manager::config::{Cli, Config};
use resource_manager::event::LeaseChangeKind;
use resource_manager::lease::{
    Amounts, Capacity, LeaseDecision, LeasePolicy, LeaseUpdate, Manager, Priority, Request,
};
use resource_manager::util::p50_p99;
use serde_json::json;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A tiny deterministic generator (no dependency, same workload every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

fn count_grants(changes: &[LeaseUpdate]) -> u64 {
    changes
        .iter()
        .filter(|c| c.kind == LeaseChangeKind::Granted)
        .count() as u64
}

fn manager_bench(decisions: usize) {
    let capacity = Capacity {
        cpu_milli: 8000,
        memory_total_mb: 16_000,
        memory_reserve_mb: 1600,
        slots: BTreeMap::from([("heavy".to_string(), 2), ("gpu".to_string(), 1)]),
        max_concurrent: 16,
        queue_limit: 100,
    };
    let policy = LeasePolicy {
        default_ttl_ms: 60_000,
        max_ttl_ms: 3_600_000,
        max_wait_ms: 600_000,
        preemption_grace_ms: Some(30_000),
        ageing_step_ms: 60_000,
    };
    let mut manager = Manager::new(capacity, policy);
    let mut rng = Lcg(42);
    let mut live: Vec<String> = Vec::new();
    let mut now = 1_700_000_000_000i64;
    let mut latencies = Vec::with_capacity(decisions);
    let (mut granted, mut queued, mut refused) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    for _ in 0..decisions {
        now += rng.next(50) as i64;
        let op = rng.next(10);
        let t0 = Instant::now();
        if op < 6 || live.is_empty() {
            let mut slots = BTreeMap::new();
            match rng.next(4) {
                0 => {
                    slots.insert("heavy".to_string(), 1);
                }
                1 => {
                    slots.insert("gpu".to_string(), 1);
                }
                _ => {}
            }
            let request = Request {
                holder: "bench".into(),
                request_id: None,
                amounts: Amounts {
                    cpu_milli: rng.next(2000) + 1,
                    memory_mb: rng.next(2000),
                    slots,
                },
                priority: [
                    Priority::Low,
                    Priority::Normal,
                    Priority::High,
                    Priority::Critical,
                ][rng.next(4) as usize],
                ttl_ms: 1000 + rng.next(10_000) as i64,
                wait_ms: rng.next(30_000) as i64,
            };
            let (decision, changes) = manager.request(request, now);
            match &decision {
                LeaseDecision::Granted(l) => live.push(l.id.clone()),
                LeaseDecision::Queued { lease, .. } => {
                    queued += 1;
                    live.push(lease.id.clone());
                }
                LeaseDecision::Refused(..) => refused += 1,
            }
            granted += count_grants(&changes);
        } else if op < 9 {
            let i = rng.next(live.len() as u64) as usize;
            let id = live.swap_remove(i);
            granted += count_grants(&manager.release(&id, now).0);
        } else {
            let i = rng.next(live.len() as u64) as usize;
            granted += count_grants(&manager.renew(&live[i], 30_000, now).0);
        }
        latencies.push(t0.elapsed().as_nanos() as u64);
        if live.len() > 2000 {
            live.drain(..1000);
        }
    }
    let elapsed = started.elapsed();
    let (p50, p99) = p50_p99(latencies.iter().copied()).unwrap_or((0, 0));
    let max = latencies.iter().max().copied().unwrap_or(0);
    println!(
        "lease manager: {decisions} decisions in {:.3} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  decisions per second   {:.0}",
        decisions as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  latency p50 / p99 / max  {:.1} / {:.1} / {:.1} µs",
        p50 as f64 / 1e3,
        p99 as f64 / 1e3,
        max as f64 / 1e3
    );
    println!(
        "  grants {granted} (at once or from the queue), queued {queued}, refused {refused}; queue at end {}",
        manager.queue(now).len()
    );
}

async fn http_bench(clients: usize, rounds: usize, pace: Duration) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = dir.path().join("options.json");
    std::fs::write(
        &options,
        json!({"log_level": "error", "leases": {"cpu_cores": 64, "max_concurrent": 1000,
            "slots": [{"name": "heavy", "size": 8}]}})
        .to_string(),
    )?;
    let cli = Cli {
        data_dir: Some(dir.path().to_path_buf()),
        listen: Some("127.0.0.1:0".into()),
        options: Some(options),
        ..Cli::default()
    };
    let config = Config::load(&cli, &|_| None).context("config")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let app = tokio::spawn(resource_manager::app::run(config, listener, async move {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients * 2)
        .build()?;
    // Warm up: a connection per client (opened at once, so the pool keeps one each) and the
    // first database pages; a TCP connect inside the measured run would time the handshake.
    let warm: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url) = (client.clone(), format!("{base}/api/v1/leases"));
            tokio::spawn(async move { client.get(url).send().await?.bytes().await })
        })
        .collect();
    for task in warm {
        task.await??;
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..clients {
        let (client, base) = (client.clone(), base.clone());
        // Paced clients start spread over one pace interval, as independent automations do;
        // started together they would stay in step and queue 50 deep every round.
        let offset = pace.mul_f64(Lcg(n as u64 + 1).next(1000) as f64 / 1000.0);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let mut times = Vec::with_capacity(rounds * 2);
            let mut statuses = [0u64; 3];
            for round in 0..rounds {
                let resources = if round % 3 == 0 {
                    json!({"slots": {"heavy": 1}, "cpu_cores": 0.5})
                } else {
                    json!({"cpu_cores": 0.5, "memory_mb": 16})
                };
                let body = json!({"holder": format!("bench-{n}"), "resources": resources,
                                  "wait_seconds": 0, "ttl_seconds": 60});
                let t0 = Instant::now();
                let at = t0.duration_since(started).as_millis() as u64;
                let res = client
                    .post(format!("{base}/api/v1/leases"))
                    .json(&body)
                    .send()
                    .await?;
                let status = res.status().as_u16();
                let answer: serde_json::Value = res.json().await?;
                times.push((at, t0.elapsed().as_micros() as u64));
                match status {
                    201 => statuses[0] += 1,
                    409 => statuses[1] += 1,
                    _ => statuses[2] += 1,
                }
                if status == 201 {
                    let id = answer["id"].as_str().unwrap_or_default().to_string();
                    let t0 = Instant::now();
                    let at = t0.duration_since(started).as_millis() as u64;
                    client
                        .delete(format!("{base}/api/v1/leases/{id}"))
                        .send()
                        .await?
                        .bytes()
                        .await?;
                    times.push((at, t0.elapsed().as_micros() as u64));
                }
                if !pace.is_zero() {
                    tokio::time::sleep(pace).await;
                }
            }
            anyhow::Ok((times, statuses))
        }));
    }
    let mut times = Vec::new();
    let mut statuses = [0u64; 3];
    for task in tasks {
        let (t, s) = task.await??;
        times.extend(t);
        for i in 0..3 {
            statuses[i] += s[i];
        }
    }
    let elapsed = started.elapsed();
    let (p50, p99) = p50_p99(times.iter().map(|t| t.1)).unwrap_or((0, 0));
    let mode = if pace.is_zero() {
        "back to back".to_string()
    } else {
        format!("paced, {} ms between a client's rounds", pace.as_millis())
    };
    println!(
        "lease HTTP ({mode}): {clients} concurrent clients, {} requests in {:.2} s",
        times.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "  requests per second      {:.0}",
        times.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  round trip p50 / p99     {:.2} / {:.2} ms",
        p50 as f64 / 1e3,
        p99 as f64 / 1e3
    );
    println!(
        "  granted {}, busy {}, other {}",
        statuses[0], statuses[1], statuses[2]
    );
    print_tail_over_time(&times, p99);
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(30), app).await???;
    Ok(())
}

/// Where in the run the requests slower than the p99 fell, in tenths of the run: a tail spread
/// evenly is queueing on the shared cores; one bunched in a tenth is something else running
/// then (a tick, a process scan, an analysis run, a checkpoint).
fn print_tail_over_time(times: &[(u64, u64)], p99: u64) {
    let end = times.iter().map(|t| t.0).max().unwrap_or(0) + 1;
    let mut tenths = [0usize; 10];
    for &(at, micros) in times {
        if micros > p99 {
            tenths[(at * 10 / end) as usize] += 1;
        }
    }
    println!("  slower than p99, by tenth of the run: {tenths:?}");
}

fn main() -> Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let decisions = if full {
        env("LEASE_BENCH_DECISIONS", 200_000)
    } else {
        1000
    };
    let clients = if full {
        env("LEASE_BENCH_CLIENTS", 50)
    } else {
        4
    };
    let rounds = if full {
        env("LEASE_BENCH_ROUNDS", 200)
    } else {
        3
    };
    manager_bench(decisions);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let pace = Duration::from_millis(env("LEASE_BENCH_PACE_MS", 10) as u64);
    runtime.block_on(http_bench(clients, rounds, Duration::ZERO))?;
    runtime.block_on(http_bench(clients, rounds, pace))?;
    Ok(())
}

//! Records the labelled bottleneck situations of `tests/fixtures/analysis/bottleneck/`: real
//! load made with stress-ng on this machine, read by the product's own host collectors.
//!
//! Not a timing benchmark: a recorder that lives with the benches because it needs a release
//! build and a quiet machine (any other load would change the labels' truth). Run as root:
//!
//!     cargo bench --bench record_bottlenecks                          # 53 situations, 25 min
//!     RECORD_SET=held-out cargo bench --bench record_bottlenecks      # 26 more, 13 min
//!
//! Each situation runs stress-ng for `RUN_S` seconds while the collectors tick every second;
//! the readings are the mean of the ticks from `SETTLE_S` on (load has built up, the pressure
//! files have a full `avg10` window), and the top processes by CPU from the last scan. Memory
//! situations run stress-ng in a memory cgroup (v1) smaller than its working set, with a
//! swap file switched on for them only: the box swaps as a Pi with too little RAM does, without
//! risking the out-of-memory killer on this shared machine. Situations run in a fixed shuffled
//! order so one's after-effects do not always fall on the same label. Without `--bench` (as in
//! `cargo test --all-targets`) it lists the situations and records nothing.

mod situations;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use resource_manager::collect::{Engine, Tick, host_collectors};
use resource_manager::config::SysRoot;
use resource_manager::util::unix_ms;
use serde_json::json;
use situations::{Situation, Stress, situations};

const RUN_S: u64 = 22;
const SETTLE_S: u64 = 10;
const COOL_S: u64 = 6;
const OUT: &str = "tests/fixtures/analysis/bottleneck/recorded.json";
const CGROUP: &str = "/sys/fs/cgroup/memory/rm_bottleneck";
const SWAP_FILE: &str = "/work/.rm-bottleneck-swap";
const STRESS_DIR: &str = "/work/.rm-bottleneck-tmp";
const FILL_FILE: &str = "/dev/shm/rm-bottleneck-fill";

fn main() -> Result<()> {
    let set = std::env::var("RECORD_SET").unwrap_or_else(|_| "development".into());
    let Some(list) = situations(&set) else {
        bail!("RECORD_SET is {set:?}; allowed: development, held-out");
    };
    let out_file = match set.as_str() {
        "development" => OUT.to_string(),
        _ => OUT.replace(".json", &format!("-{set}.json")),
    };
    if !std::env::args().any(|a| a == "--bench") {
        println!("{} labelled situations (record with --bench)", list.len());
        return Ok(());
    }
    std::fs::create_dir_all(STRESS_DIR).context("stress-ng's folder")?;
    let _cleanup = Cleanup;
    let mut records = Vec::new();
    let started = Instant::now();
    for (n, situation) in list.iter().enumerate() {
        let record = record(situation)?;
        println!(
            "[{:>2}/{}] {:>5.0} s  {:<28} cpu {:>3.0} % iowait {:>3.0} % psi cpu/mem/io {:?}",
            n + 1,
            list.len(),
            started.elapsed().as_secs_f64(),
            situation.name,
            record["values"]["cpu.usage"].as_f64().unwrap_or(f64::NAN),
            record["values"]["cpu.iowait"].as_f64().unwrap_or(f64::NAN),
            [
                &record["values"]["pressure.cpu.some_percent"],
                &record["values"]["pressure.memory.some_percent"],
                &record["values"]["pressure.io.some_percent"]
            ],
        );
        records.push(record);
        std::thread::sleep(Duration::from_secs(COOL_S));
    }
    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or_default().trim().to_string())
        })
        .unwrap_or_default();
    let out = json!({
        "set": set,
        "recorded_ms": unix_ms(),
        "machine": machine,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "run_seconds": RUN_S,
        "averaged_from_second": SETTLE_S,
        "situations": records,
    });
    std::fs::write(&out_file, serde_json::to_string_pretty(&out)? + "\n")
        .context("write the fixture")?;
    println!("wrote {} situations to {out_file}", list.len());
    Ok(())
}

/// Runs one situation and returns its readings.
fn record(situation: &Situation) -> Result<serde_json::Value> {
    let root = SysRoot::default();
    let mut engine = Engine::new(host_collectors(&root), &root);
    engine.tick(&Tick::now(), unix_ms());
    if situation.fill_percent > 0 {
        fill(situation.fill_percent)?;
    }
    let mut children: Vec<Child> = Vec::new();
    for stress in situation.stress {
        children.push(spawn(stress)?);
    }
    let begun = Instant::now();
    let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    let mut cores = 0usize;
    let mut processes = Vec::new();
    for second in 1..=RUN_S {
        std::thread::sleep(
            (begun + Duration::from_secs(second)).saturating_duration_since(Instant::now()),
        );
        let now = Instant::now();
        if second % 5 == 0 {
            engine
                .scan_processes(now, unix_ms())
                .context("process scan")?;
        }
        let snapshot = engine.tick(&Tick { now }, unix_ms());
        if second < SETTLE_S {
            continue;
        }
        cores = snapshot
            .samples
            .iter()
            .filter(|s| s.series.family == "cpu.core_usage")
            .count();
        for sample in &snapshot.samples {
            let entry = sums.entry(sample.series.id.clone()).or_insert((0.0, 0));
            entry.0 += sample.value;
            entry.1 += 1;
        }
        processes = snapshot
            .processes
            .by_cpu
            .iter()
            .take(5)
            .map(|p| json!([p.name, p.cpu_percent]))
            .collect();
    }
    for mut child in children {
        // stress-ng stops itself at its timeout; this only reaps it (or ends a late one).
        let _ = Command::new("kill").arg(child.id().to_string()).status();
        child.wait().context("wait for stress-ng")?;
    }
    let _ = Command::new("sync").status();
    let _ = std::fs::remove_file(FILL_FILE);
    if situation.stress.iter().any(|s| s.memory_limit_mb.is_some()) {
        swap(false)?;
    }
    let values: BTreeMap<String, f64> = sums
        .into_iter()
        .map(|(id, (sum, n))| (id, sum / f64::from(n.max(1))))
        .collect();
    Ok(json!({
        "name": situation.name,
        "label": situation.label,
        "also_right": situation.also_right,
        "stress": situation.stress.iter().map(|s| s.args.join(" ")).collect::<Vec<_>>(),
        "memory_limit_mb": situation.stress.iter().find_map(|s| s.memory_limit_mb),
        "fill_percent": situation.fill_percent,
        "values": values,
        "cores": cores,
        "processes": processes,
    }))
}

/// Starts one stress-ng, in the memory cgroup when it has a limit.
fn spawn(stress: &Stress) -> Result<Child> {
    let mut args: Vec<String> = stress.args.iter().map(|a| a.to_string()).collect();
    args.extend([
        "--timeout".into(),
        format!("{RUN_S}s"),
        "--temp-path".into(),
        STRESS_DIR.into(),
        "--quiet".into(),
    ]);
    let mut command = match stress.memory_limit_mb {
        Some(limit) => {
            swap(true)?;
            std::fs::create_dir_all(CGROUP).context("memory cgroup (v1)")?;
            std::fs::write(
                Path::new(CGROUP).join("memory.limit_in_bytes"),
                format!("{}", limit * 1024 * 1024),
            )
            .context("set the memory limit")?;
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!(
                    "echo $$ > {CGROUP}/cgroup.procs && exec stress-ng \"$@\""
                ))
                .arg("sh")
                .args(&args);
            c
        }
        None => {
            let mut c = Command::new("stress-ng");
            c.args(&args);
            c
        }
    };
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start stress-ng (apt-get install stress-ng)")
}

/// Brings the RAM in use to `percent` of it with a tmpfs file (allocated at once, unlike a
/// process writing its pages).
fn fill(percent: u32) -> Result<()> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").context("read /proc/meminfo")?;
    let kb = |key: &str| {
        meminfo
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let (total, available) = (kb("MemTotal:"), kb("MemAvailable:"));
    let want_used = total * u64::from(percent) / 100;
    let more_kb = want_used.saturating_sub(total.saturating_sub(available));
    if more_kb > 0 {
        run("fallocate", &["-l", &format!("{more_kb}K"), FILL_FILE])?;
    }
    Ok(())
}

/// Switches the swap file on (created once) or off.
fn swap(on: bool) -> Result<()> {
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
    let active = swaps.contains(SWAP_FILE);
    if on && !active {
        if !Path::new(SWAP_FILE).exists() {
            run("fallocate", &["-l", "3G", SWAP_FILE])?;
            std::fs::set_permissions(
                SWAP_FILE,
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )?;
            run("mkswap", &[SWAP_FILE])?;
        }
        run("swapon", &[SWAP_FILE])?;
    } else if !on && active {
        run("swapoff", &[SWAP_FILE])?;
    }
    Ok(())
}

fn run(program: &str, args: &[&str]) -> Result<()> {
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("run {program}"))?;
    if !status.success() {
        bail!("{program} {args:?} failed: {status}");
    }
    Ok(())
}

/// Leaves the machine as found: swap off, swap file, cgroup and stress folder gone.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(FILL_FILE);
        let _ = swap(false);
        let _ = std::fs::remove_file(SWAP_FILE);
        let _ = std::fs::remove_dir(CGROUP);
        let _ = std::fs::remove_dir_all(STRESS_DIR);
    }
}

//! The power collector's cost per tick (RAPL over a sysfs tree, hwmon) and the power derive
//! stage's (model, energy, per add-on power, cost). Prints numbers; never asserts timings.
//! `cargo bench --bench power`; without `--bench` (e.g. `cargo test --all-targets`) it runs a
//! few ticks as a smoke test. The engine's own CPU under full load against normal pace is
//! measured by `tests/power.rs` under stress-ng (it needs the whole app and a loaded host).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use resource_manager::collect::derive::{self, Derive};
use resource_manager::collect::power::{
    self, EnergyCounter, PowerCollector, PowerPlan, PowerProfile, RaplZone,
};
use resource_manager::collect::{Collector, Tick, thread_cpu_time};
use resource_manager::config::{PowerOptions, PowerPreset};
use resource_manager::model::{Sample, Snapshot, registry};

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::create_dir_all(path.parent().context("parent")?)?;
    std::fs::write(path, text).with_context(|| path.display().to_string())
}

/// CPU microseconds per call of `f`, over `n` calls.
fn per_call(n: usize, mut f: impl FnMut(usize) -> Result<()>) -> Result<f64> {
    let before = thread_cpu_time();
    for i in 0..n {
        f(i)?;
    }
    Ok((thread_cpu_time() - before).as_secs_f64() * 1e6 / n as f64)
}

fn main() -> Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 20_000 } else { 10 };
    let dir = tempfile::tempdir()?;
    let mut zones = Vec::new();
    for (i, name) in ["package-0", "package-1"].iter().enumerate() {
        let zone = dir
            .path()
            .join(format!("sys/class/powercap/intel-rapl:{i}"));
        write(&zone.join("name"), name)?;
        write(&zone.join("energy_uj"), "123456789012")?;
        write(&zone.join("max_energy_range_uj"), "262143328850")?;
        zones.push(RaplZone {
            energy: zone.join("energy_uj"),
            max_range_uj: 262_143_328_850,
        });
    }
    let hwmon = dir.path().join("sys/class/hwmon/hwmon0/power1_input");
    write(&hwmon, "4250000")?;

    let start = Tick::now();
    let mut out = Vec::with_capacity(4);
    let mut rapl = PowerCollector::rapl(zones);
    let rapl_us = per_call(n, |i| {
        out.clear();
        rapl.collect(&start.later(i as f64), &mut out)?;
        Ok(())
    })?;
    let mut hw = PowerCollector::hwmon(hwmon);
    let hwmon_us = per_call(n, |i| {
        out.clear();
        hw.collect(&start.later(i as f64), &mut out)?;
        Ok(())
    })?;

    // The derive stage over a tick with CPU use and 20 add-ons, with a price.
    let plan = PowerPlan {
        collector: None,
        model: PowerProfile {
            idle_watts: 10.0,
            max_watts: 28.0,
            preset: PowerPreset::MiniPc,
        },
        modelled: true,
        method: "model",
        board: power::Board {
            name: None,
            from: "none",
            kind: None,
        },
        reasons: Vec::new(),
    };
    let options = PowerOptions {
        energy_price: Some(0.3),
        ..PowerOptions::default()
    };
    let mut derivers: Vec<Box<dyn Derive>> =
        power::derivers(&plan, &options, EnergyCounter::default());
    let mut samples = vec![Sample {
        series: Arc::new(registry::CPU_USAGE.global()),
        value: 40.0,
    }];
    for k in 0..20 {
        let slug = format!("addon_{k}");
        samples.push(Sample {
            series: Arc::new(registry::ADDON_CPU.instance(&slug, &[&slug])),
            value: 1.0,
        });
    }
    let derive_us = per_call(n, |i| {
        let mut snapshot = Snapshot {
            ts_ms: i as i64 * 5000,
            samples: samples.clone(),
            ..Snapshot::default()
        };
        derive::apply(&mut derivers, &mut snapshot);
        Ok(())
    })?;
    let clone_us = per_call(n, |i| {
        let snapshot = Snapshot {
            ts_ms: i as i64,
            samples: samples.clone(),
            ..Snapshot::default()
        };
        drop(snapshot);
        Ok(())
    })?;

    println!("power collector per tick (CPU, {n} ticks):");
    println!("  RAPL, 2 zones:          {rapl_us:8.2} µs");
    println!("  hwmon power1_input:     {hwmon_us:8.2} µs");
    println!(
        "  derive stage (model, energy, 20 add-ons, cost): {:8.2} µs",
        (derive_us - clone_us).max(0.0)
    );
    Ok(())
}

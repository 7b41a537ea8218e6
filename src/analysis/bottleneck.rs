//! Bottleneck diagnosis: when the box is busy or slow, what it is short of, and who uses it.
//! Each verdict carries the readings it rests on.

use serde::Serialize;

/// What the box is short of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bottleneck {
    /// Not busy: nothing to diagnose.
    None,
    Cpu,
    Memory,
    Io,
    Thermal,
}

/// Recent readings (averages over the last minutes) the diagnosis works from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Readings {
    /// Percent of all cores.
    pub cpu_usage: f64,
    pub iowait: f64,
    pub cores: f64,
    pub load_1m: f64,
    pub memory_used_percent: f64,
    /// Swap traffic, bytes per second in + out.
    pub swap_bytes_per_second: f64,
    pub temp_max_celsius: Option<f64>,
    /// Whether `/sys` reports CPU throttling (None: not readable here).
    pub throttled: Option<bool>,
    /// Named CPU users (add-ons, processes), percent of the host.
    pub cpu_users: Vec<(String, f64)>,
    /// Disks by I/O, bytes per second (reads + writes).
    pub disks: Vec<(String, f64)>,
    /// Pressure stall information (`None` on a kernel without PSI).
    pub pressure: Pressure,
}

/// Share of time some task waited for each resource (PSI `some`, percent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Pressure {
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub io: Option<f64>,
}

impl Readings {
    /// The readings from the latest value of each series (`value(id)`, `ids` naming every
    /// series there is), the count of cores, the top processes by CPU and the throttling flag:
    /// how the analysis reads them, and how the labelled recordings are replayed.
    pub fn from_latest<'a>(
        ids: impl Iterator<Item = &'a str> + Clone,
        value: impl Fn(&str) -> Option<f64>,
        cores: f64,
        processes: &[(String, f64)],
        throttled: Option<bool>,
    ) -> Readings {
        let instance = |id: &'a str, prefix: &str, suffix: &str| {
            id.strip_prefix(prefix)?
                .strip_suffix(suffix)
                .filter(|i| !i.is_empty())
        };
        let get = |id: &str| value(id).unwrap_or(0.0);
        let mut cpu_users: Vec<(String, f64)> = ids
            .clone()
            .filter_map(|id| {
                let slug = instance(id, "addon.", ".cpu_percent")?;
                Some((format!("add-on {slug}"), value(id)?))
            })
            .collect();
        cpu_users.extend(
            processes
                .iter()
                .map(|(name, pct)| (format!("process {name}"), *pct)),
        );
        let disks = ids
            .filter_map(|id| {
                let mount = instance(id, "disk.", ".read_bytes_per_second")?;
                let write = value(&format!("disk.{mount}.write_bytes_per_second"));
                Some((mount.to_string(), value(id)? + write.unwrap_or(0.0)))
            })
            .collect();
        Readings {
            cpu_usage: get("cpu.usage"),
            iowait: get("cpu.iowait"),
            cores,
            load_1m: get("load.1m"),
            memory_used_percent: get("memory.used_percent"),
            swap_bytes_per_second: get("swap.in_bytes_per_second")
                + get("swap.out_bytes_per_second"),
            temp_max_celsius: value("temp.max_celsius"),
            throttled,
            cpu_users,
            disks,
            pressure: Pressure {
                cpu: value("pressure.cpu.some_percent"),
                memory: value("pressure.memory.some_percent"),
                io: value("pressure.io.some_percent"),
            },
        }
    }
}

/// The diagnosis with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BottleneckVerdict {
    pub kind: Bottleneck,
    /// The add-on, process or disk most involved.
    pub culprit: Option<String>,
    pub evidence: Vec<String>,
}

/// CPU usage from which the box counts as CPU-bound.
pub const CPU_BUSY: f64 = 85.0;
/// iowait from which the box counts as I/O-bound.
pub const IOWAIT_BUSY: f64 = 20.0;
/// Memory use and swap traffic that together mean memory-bound.
pub const MEMORY_BUSY: f64 = 85.0;
pub const SWAP_BUSY: f64 = 1_000_000.0;
/// Pressure (share of time some task waited) from which a resource is the bottleneck even when
/// "% used" looks fine: work waiting for memory a fifth of the time is reclaim or swap-in;
/// for the disks a third; for the CPU half (a busy box queues a little on it all the time).
pub const MEMORY_PRESSURE_BUSY: f64 = 20.0;
pub const IO_PRESSURE_BUSY: f64 = 30.0;
pub const CPU_PRESSURE_BUSY: f64 = 50.0;
/// CPU busy plus waiting for the disks (percent of the time) from which the box counts as
/// saturated: less than a tenth of the time idle.
pub const SATURATED: f64 = 90.0;
/// Temperature treated as the limit when the hardware says nothing.
pub const HOT_CELSIUS: f64 = 80.0;

/// Diagnoses `r`: thermal first (it slows everything else), then memory (swapping shows up as
/// I/O and CPU), then I/O, then CPU.
pub fn diagnose(r: &Readings) -> BottleneckVerdict {
    let top = |list: &[(String, f64)]| {
        list.iter()
            .filter(|(_, v)| v.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .cloned()
    };
    let hot = r.temp_max_celsius.filter(|t| *t >= HOT_CELSIUS);
    if r.throttled == Some(true) || hot.is_some() {
        let mut evidence = Vec::new();
        if r.throttled == Some(true) {
            evidence.push("the CPU reports thermal throttling".to_string());
        }
        if let Some(t) = r.temp_max_celsius {
            evidence.push(format!(
                "hottest sensor {t:.0} °C (limit {HOT_CELSIUS:.0} °C)"
            ));
        }
        return BottleneckVerdict {
            kind: Bottleneck::Thermal,
            culprit: None,
            evidence,
        };
    }
    let waited = |what: &str, p: Option<f64>| {
        p.map(|p| format!("work waited for {what} {p:.0} % of the time"))
    };
    let at_least = |p: Option<f64>, busy: f64| p.is_some_and(|p| p >= busy);
    // Swap traffic is disk traffic: when it is most of what the disks move, their waits are
    // the memory's, however much RAM looks free (a container at its limit, a zram-less box
    // whose cache was squeezed out).
    let disk_bytes: f64 = r.disks.iter().map(|d| d.1).filter(|v| v.is_finite()).sum();
    let swapping = r.swap_bytes_per_second >= SWAP_BUSY
        && (r.memory_used_percent >= MEMORY_BUSY || r.swap_bytes_per_second * 2.0 >= disk_bytes);
    if swapping || at_least(r.pressure.memory, MEMORY_PRESSURE_BUSY) {
        let mut evidence = vec![format!("memory {:.0} % used", r.memory_used_percent)];
        if r.swap_bytes_per_second > 0.0 {
            evidence.push(format!(
                "swapping {:.1} MB/s",
                r.swap_bytes_per_second / 1_000_000.0
            ));
        }
        evidence.extend(waited("memory", r.pressure.memory));
        return BottleneckVerdict {
            kind: Bottleneck::Memory,
            culprit: None,
            evidence,
        };
    }
    // Running or waiting for the disks nearly all the time, yet neither past its own mark: the
    // box is busy all the same, short of whichever work waited for longer. (A CPU past its
    // mark is the CPU's: two busy threads on two cores queue for nothing, so their CPU
    // pressure stays low.)
    let saturated = r.cpu_usage + r.iowait >= SATURATED;
    let io_waited_longer = match (r.pressure.io, r.pressure.cpu) {
        (Some(io), Some(cpu)) => io > cpu,
        _ => r.iowait * 2.0 > r.cpu_usage,
    };
    if r.iowait >= IOWAIT_BUSY
        || at_least(r.pressure.io, IO_PRESSURE_BUSY)
        || (saturated && r.cpu_usage < CPU_BUSY && io_waited_longer)
    {
        let disk = top(&r.disks);
        let mut evidence = vec![format!("CPU waits for disks {:.0} % of the time", r.iowait)];
        evidence.extend(waited("the disks", r.pressure.io));
        if let Some((name, bps)) = &disk {
            evidence.push(format!("{name} moves {:.1} MB/s", bps / 1_000_000.0));
        }
        return BottleneckVerdict {
            kind: Bottleneck::Io,
            culprit: disk.map(|d| d.0),
            evidence,
        };
    }
    let per_core = if r.cores > 0.0 {
        r.load_1m / r.cores
    } else {
        0.0
    };
    if r.cpu_usage >= CPU_BUSY
        || per_core >= 1.5
        || at_least(r.pressure.cpu, CPU_PRESSURE_BUSY)
        || saturated
    {
        let user = top(&r.cpu_users);
        let mut evidence = vec![format!("CPU {:.0} % busy", r.cpu_usage)];
        if per_core >= 1.5 {
            evidence.push(format!("load {:.1} per core", per_core));
        }
        evidence.extend(waited("the CPU", r.pressure.cpu));
        if let Some((name, pct)) = &user {
            evidence.push(format!("{name} uses {pct:.0} % of the CPU"));
        }
        return BottleneckVerdict {
            kind: Bottleneck::Cpu,
            culprit: user.map(|u| u.0),
            evidence,
        };
    }
    BottleneckVerdict {
        kind: Bottleneck::None,
        culprit: None,
        evidence: vec![format!(
            "CPU {:.0} %, iowait {:.0} %, memory {:.0} %: not busy",
            r.cpu_usage, r.iowait, r.memory_used_percent
        )],
    }
}

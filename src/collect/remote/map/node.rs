//! node_exporter's families mapped to ours: CPU seconds to shares, memory and swap, swap
//! traffic, filesystems, network rates and errors, temperatures, load and uptime.

use std::collections::HashMap;

use super::state::{MapState, push};
use crate::collect::cpu::{self, CpuTimes};
use crate::collect::disk::PSEUDO_FILESYSTEMS;
use crate::collect::remote::text::{Page, PromSample};
use crate::collect::thermal::sanitize;
use crate::model::Sample;
use crate::model::registry;

/// Bytes per page for `node_vmstat_pswpin/out` (pages): 4 KiB on the machines we meet.
const PAGE_BYTES: f64 = 4096.0;

/// node_exporter's families, read in one pass.
#[derive(Default)]
struct NodePage<'p> {
    cpus: HashMap<&'p str, CpuTimes>,
    gauges: HashMap<&'p str, f64>,
    /// mountpoint → (device, fstype, size, free, avail)
    filesystems: Vec<(&'p str, &'p str, [Option<f64>; 3])>,
    net: Vec<(&'p str, &'p str, f64)>,
    temps: Vec<(String, f64)>,
}

fn read_node_page<'p>(page: &'p Page<'_>) -> NodePage<'p> {
    let mut node = NodePage::default();
    for s in &page.samples {
        match s.name {
            "node_cpu_seconds_total" => {
                // node_exporter's seconds come from the kernel's 1/100 s ticks: as ticks they
                // go through the same arithmetic as this box's /proc/stat.
                let ticks = (s.value * 100.0).round().max(0.0) as u64;
                let mode = s.label("mode");
                let when = |counts: bool| if counts { ticks } else { 0 };
                node.cpus.entry(s.label("cpu")).or_default().add(&CpuTimes {
                    total: ticks,
                    idle: when(matches!(mode, "idle" | "iowait")),
                    iowait: when(mode == "iowait"),
                    steal: when(mode == "steal"),
                });
            }
            "node_memory_MemTotal_bytes"
            | "node_memory_MemAvailable_bytes"
            | "node_memory_MemFree_bytes"
            | "node_memory_Buffers_bytes"
            | "node_memory_Cached_bytes"
            | "node_memory_SwapTotal_bytes"
            | "node_memory_SwapFree_bytes"
            | "node_vmstat_pswpin"
            | "node_vmstat_pswpout"
            | "node_load1"
            | "node_load5"
            | "node_load15"
            | "node_boot_time_seconds"
            | "node_time_seconds" => {
                node.gauges.insert(s.name, s.value);
            }
            "node_filesystem_size_bytes"
            | "node_filesystem_free_bytes"
            | "node_filesystem_avail_bytes" => filesystem(&mut node, s),
            "node_network_receive_bytes_total"
            | "node_network_transmit_bytes_total"
            | "node_network_receive_errs_total"
            | "node_network_transmit_errs_total" => {
                node.net.push((s.name, s.label("device"), s.value));
            }
            "node_hwmon_temp_celsius" => {
                let name = sanitize(&format!("{}_{}", s.label("chip"), s.label("sensor")));
                node.temps.push((name, s.value));
            }
            "node_thermal_zone_temp" => {
                let mut name = sanitize(s.label("type"));
                if name.is_empty() || node.temps.iter().any(|(n, _)| *n == name) {
                    name = sanitize(&format!("{}_{}", s.label("type"), s.label("zone")));
                }
                node.temps.push((name, s.value));
            }
            _ => {}
        }
    }
    node
}

fn filesystem<'p>(node: &mut NodePage<'p>, s: &'p PromSample<'_>) {
    let fstype = s.label("fstype");
    if PSEUDO_FILESYSTEMS.contains(&fstype) {
        return;
    }
    let mount = s.label("mountpoint");
    let slot = match s.name {
        "node_filesystem_size_bytes" => 0,
        "node_filesystem_free_bytes" => 1,
        _ => 2,
    };
    match node.filesystems.iter_mut().find(|(m, _, _)| *m == mount) {
        Some(fs) => fs.2[slot] = Some(s.value),
        None => {
            let mut values = [None; 3];
            values[slot] = Some(s.value);
            node.filesystems.push((mount, s.label("device"), values));
        }
    }
}

pub(super) fn map_node_exporter(
    page: &Page<'_>,
    now_ms: i64,
    elapsed: Option<f64>,
    state: &mut MapState,
    out: &mut Vec<Sample>,
) {
    use registry as r;
    let node = read_node_page(page);
    map_cpu(&node, state, out);

    let g = |name: &str| node.gauges.get(name).copied();
    if let Some(total) = g("node_memory_MemTotal_bytes").filter(|t| *t > 0.0) {
        let available = g("node_memory_MemAvailable_bytes").or_else(|| {
            Some(
                g("node_memory_MemFree_bytes")?
                    + g("node_memory_Buffers_bytes").unwrap_or(0.0)
                    + g("node_memory_Cached_bytes").unwrap_or(0.0),
            )
        });
        push(out, state.meta(&r::MEMORY_TOTAL, None, &[], None), total);
        if let Some(available) = available {
            let used = (total - available).max(0.0);
            push(
                out,
                state.meta(&r::MEMORY_AVAILABLE, None, &[], None),
                available,
            );
            push(out, state.meta(&r::MEMORY_USED, None, &[], None), used);
            let percent = used / total * 100.0;
            push(
                out,
                state.meta(&r::MEMORY_USED_PERCENT, None, &[], None),
                percent,
            );
        }
    }
    if let (Some(total), Some(free)) = (
        g("node_memory_SwapTotal_bytes"),
        g("node_memory_SwapFree_bytes"),
    ) {
        let used = (total - free).max(0.0);
        push(out, state.meta(&r::SWAP_TOTAL, None, &[], None), total);
        push(out, state.meta(&r::SWAP_USED, None, &[], None), used);
        let percent = if total > 0.0 {
            used / total * 100.0
        } else {
            0.0
        };
        push(
            out,
            state.meta(&r::SWAP_USED_PERCENT, None, &[], None),
            percent,
        );
    }
    for (name, family) in [
        ("node_vmstat_pswpin", &r::SWAP_IN),
        ("node_vmstat_pswpout", &r::SWAP_OUT),
    ] {
        if let Some(pages) = g(name)
            && let Some(rate) = state.rate(name.to_string(), pages, elapsed)
        {
            push(out, state.meta(family, None, &[], None), rate * PAGE_BYTES);
        }
    }
    for (name, family) in [
        ("node_load1", &r::LOAD_1M),
        ("node_load5", &r::LOAD_5M),
        ("node_load15", &r::LOAD_15M),
    ] {
        if let Some(load) = g(name) {
            push(out, state.meta(family, None, &[], None), load);
        }
    }
    if let Some(boot) = g("node_boot_time_seconds") {
        let now = g("node_time_seconds").unwrap_or(now_ms as f64 / 1000.0);
        push(
            out,
            state.meta(&r::UPTIME, None, &[], None),
            (now - boot).max(0.0),
        );
    }
    map_filesystems(&node, state, out);
    map_network(&node, elapsed, state, out);
    if let Some(max) = node.temps.iter().map(|(_, t)| *t).reduce(f64::max) {
        push(out, state.meta(&r::TEMP_MAX, None, &[], None), max);
    }
    for (name, celsius) in &node.temps {
        if !name.is_empty() {
            push(
                out,
                state.meta(&r::TEMP_SENSOR, Some(name), &[name], None),
                *celsius,
            );
        }
    }
}

/// CPU shares from the seconds counters, all CPUs and per core.
fn map_cpu(node: &NodePage<'_>, state: &mut MapState, out: &mut Vec<Sample>) {
    use registry as r;
    let mut all = (CpuTimes::default(), CpuTimes::default());
    let mut cores: Vec<(&str, f64)> = Vec::new();
    for (cpu, now) in &node.cpus {
        let Some(before) = state.cpus.insert((*cpu).to_string(), *now) else {
            continue;
        };
        // A core whose counters went back (a reboot) is left out of the whole too.
        let Some((busy, _, _)) = cpu::usage(before, *now) else {
            continue;
        };
        all.0.add(&before);
        all.1.add(now);
        cores.push((cpu, busy));
    }
    if let Some((busy, iowait, steal)) = cpu::usage(all.0, all.1) {
        push(out, state.meta(&r::CPU_USAGE, None, &[], None), busy);
        push(out, state.meta(&r::CPU_IOWAIT, None, &[], None), iowait);
        push(out, state.meta(&r::CPU_STEAL, None, &[], None), steal);
    }
    cores.sort_by_key(|(cpu, _)| cpu.parse::<u32>().unwrap_or(u32::MAX));
    for (cpu, usage) in cores {
        let instance = format!("core{cpu}");
        push(
            out,
            state.meta(&r::CPU_CORE_USAGE, Some(&instance), &[cpu], None),
            usage,
        );
    }
}

fn map_filesystems(node: &NodePage<'_>, state: &mut MapState, out: &mut Vec<Sample>) {
    use registry as r;
    let mut seen_devices: Vec<&str> = Vec::new();
    let mut mounts: Vec<_> = node.filesystems.iter().collect();
    // The shortest mount point of a device stands for it (bind mounts repeat the device).
    mounts.sort_by_key(|(mount, _, _)| mount.len());
    for (mount, device, [size, free, avail]) in mounts {
        let (Some(size), Some(free), Some(avail)) = (*size, *free, *avail) else {
            continue;
        };
        if size <= 0.0 || seen_devices.contains(device) {
            continue;
        }
        seen_devices.push(device);
        let used = (size - free).max(0.0);
        let percent = if used + avail > 0.0 {
            used / (used + avail) * 100.0
        } else {
            0.0
        };
        push(
            out,
            state.meta(&r::DISK_TOTAL, Some(mount), &[mount], None),
            size,
        );
        push(
            out,
            state.meta(&r::DISK_USED, Some(mount), &[mount], None),
            used,
        );
        push(
            out,
            state.meta(&r::DISK_FREE, Some(mount), &[mount], None),
            avail,
        );
        push(
            out,
            state.meta(&r::DISK_USED_PERCENT, Some(mount), &[mount], None),
            percent,
        );
    }
}

/// How an interface's name suggests it is built (the remote sysfs is out of reach).
fn interface_kind(name: &str) -> &'static str {
    const VIRTUAL: &[&str] = &[
        "veth",
        "docker",
        "br-",
        "virbr",
        "vnet",
        "tun",
        "tap",
        "hassio",
        "cni",
        "flannel",
        "cali",
        "vxlan",
        "wg",
        "ifb",
        "dummy",
        "lxc",
        "zt",
        "tailscale",
        "vmbr",
        "fwbr",
        "fwpr",
        "fwln",
    ];
    if name == "lo" {
        "loopback"
    } else if VIRTUAL.iter().any(|p| name.starts_with(p)) {
        "virtual"
    } else {
        "physical"
    }
}

fn map_network(
    node: &NodePage<'_>,
    elapsed: Option<f64>,
    state: &mut MapState,
    out: &mut Vec<Sample>,
) {
    use registry as r;
    for (name, device, value) in &node.net {
        if device.is_empty() {
            continue;
        }
        let kind = interface_kind(device);
        let args = [*device, kind];
        let extra = Some(("kind", kind));
        match *name {
            "node_network_receive_bytes_total" | "node_network_transmit_bytes_total" => {
                let family = if name.contains("receive") {
                    &r::NET_RX
                } else {
                    &r::NET_TX
                };
                if let Some(rate) = state.rate(format!("{name}/{device}"), *value, elapsed) {
                    push(out, state.meta(family, Some(device), &args, extra), rate);
                }
            }
            _ => {
                let family = if name.contains("receive") {
                    &r::NET_RX_ERRORS
                } else {
                    &r::NET_TX_ERRORS
                };
                push(out, state.meta(family, Some(device), &args, extra), *value);
            }
        }
    }
}

//! The host-wide families of the table: CPU, memory and swap, load and uptime.

use super::family::{Family, g, i, on_change, with_ha};
use super::ha::{Entities, HaSensor};
use crate::model::Unit::{Bytes, BytesPerSecond, Percent, Ratio, Seconds};

// CPU (collect/cpu.rs).
pub const CPU_USAGE: Family = g(
    "cpu.usage",
    Percent,
    "CPU busy time, all cores",
    "CPU usage",
    "resource_manager_cpu_usage_ratio",
);
/// Derived (`collect/derive.rs`), not read: `cpu.usage` / 100 × the cores in the tick.
pub const CPU_BUSY_CORES: Family = g(
    "cpu.busy_cores",
    Ratio,
    "Cores' worth of CPU time in use",
    "Busy CPU cores",
    "resource_manager_cpu_busy_cores",
);
pub const CPU_IOWAIT: Family = g(
    "cpu.iowait",
    Percent,
    "CPU time waiting for disk I/O",
    "CPU time waiting for disks",
    "resource_manager_cpu_iowait_ratio",
);
pub const CPU_STEAL: Family = g(
    "cpu.steal",
    Percent,
    "CPU time taken by the hypervisor",
    "CPU time taken by the hypervisor",
    "resource_manager_cpu_steal_ratio",
);
/// Per core; the instance is `core<N>`, the label value `<N>`.
pub const CPU_CORE_USAGE: Family = with_ha(
    i(
        "cpu.*.usage",
        "cpu.core_usage",
        "core",
        Percent,
        "CPU busy time of core {}",
        "CPU {} usage",
        "resource_manager_cpu_core_usage_ratio",
    ),
    HaSensor::for_unit(Percent).only(Entities::DashboardOnly),
);

// Memory and swap (collect/memory.rs).
pub const MEMORY_TOTAL: Family = on_change(g(
    "memory.total_bytes",
    Bytes,
    "Installed memory",
    "Installed memory",
    "resource_manager_memory_total_bytes",
));
pub const MEMORY_USED: Family = g(
    "memory.used_bytes",
    Bytes,
    "Memory in use (total minus available)",
    "Memory in use",
    "resource_manager_memory_used_bytes",
);
pub const MEMORY_AVAILABLE: Family = g(
    "memory.available_bytes",
    Bytes,
    "Memory available for new work without swapping",
    "Available memory",
    "resource_manager_memory_available_bytes",
);
pub const MEMORY_USED_PERCENT: Family = g(
    "memory.used_percent",
    Percent,
    "Share of memory in use",
    "Memory in use",
    "resource_manager_memory_used_ratio",
);
pub const SWAP_TOTAL: Family = on_change(g(
    "swap.total_bytes",
    Bytes,
    "Swap space",
    "Swap space",
    "resource_manager_swap_total_bytes",
));
pub const SWAP_USED: Family = g(
    "swap.used_bytes",
    Bytes,
    "Swap space in use",
    "Swap in use",
    "resource_manager_swap_used_bytes",
);
pub const SWAP_USED_PERCENT: Family = g(
    "swap.used_percent",
    Percent,
    "Share of swap in use",
    "Swap in use",
    "resource_manager_swap_used_ratio",
);
pub const SWAP_IN: Family = g(
    "swap.in_bytes_per_second",
    BytesPerSecond,
    "Memory read back from swap",
    "Swap-in rate",
    "resource_manager_swap_in_bytes_per_second",
);
pub const SWAP_OUT: Family = g(
    "swap.out_bytes_per_second",
    BytesPerSecond,
    "Memory written out to swap",
    "Swap-out rate",
    "resource_manager_swap_out_bytes_per_second",
);

// Load and uptime (collect/system.rs).
pub const LOAD_1M: Family = g(
    "load.1m",
    Ratio,
    "Load average over 1 minute",
    "Load average (1 min)",
    "resource_manager_load_1m",
);
pub const LOAD_5M: Family = g(
    "load.5m",
    Ratio,
    "Load average over 5 minutes",
    "Load average (5 min)",
    "resource_manager_load_5m",
);
pub const LOAD_15M: Family = g(
    "load.15m",
    Ratio,
    "Load average over 15 minutes",
    "Load average (15 min)",
    "resource_manager_load_15m",
);
pub const UPTIME: Family = g(
    "system.uptime_seconds",
    Seconds,
    "Time since the host booted",
    "Uptime",
    "resource_manager_system_uptime_seconds",
);

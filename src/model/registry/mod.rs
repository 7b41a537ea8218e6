//! Every series family the add-on knows, in one table: id pattern, unit, kind, descriptions,
//! Home Assistant presentation and Prometheus name.
//!
//! Collectors and the Supervisor poller build their [`SeriesMeta`] from here, the alert
//! catalog is a view over it, the HA publisher and `/metrics` read their names and attributes
//! from it, and the dashboard names its series through it. A test in `collect/` checks that
//! every series a collector or the poller emits is found here with the same unit and kind.

use super::{Kind, SeriesMeta, Unit};

/// How a family is shown as a Home Assistant sensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HaSensor {
    /// Factor from the stored value to the shown one (bytes to MB, seconds to hours).
    pub scale: f64,
    /// `unit_of_measurement`, if any.
    pub unit: Option<&'static str>,
    pub device_class: Option<&'static str>,
    /// Decimals of the state text.
    pub decimals: usize,
    /// Which series of the family become entities.
    pub entity: Entities,
}

/// Which series of a family become Home Assistant entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entities {
    /// Every series (subject to the `groups` option).
    All,
    /// Only physical network interfaces: loopback and virtual ones change constantly and would
    /// flood Home Assistant's recorder for little use.
    Physical,
    /// None: the family stays on the dashboard (per-core CPU).
    DashboardOnly,
}

impl HaSensor {
    /// The presentation a unit gets unless a family says otherwise.
    pub const fn for_unit(unit: Unit) -> HaSensor {
        let (scale, unit, device_class, decimals) = match unit {
            Unit::Percent => (1.0, Some("%"), None, 1),
            Unit::Bytes => (1e-6, Some("MB"), Some("data_size"), 0),
            Unit::BytesPerSecond => (1e-3, Some("kB/s"), Some("data_rate"), 0),
            Unit::Celsius => (1.0, Some("°C"), Some("temperature"), 1),
            // Hours with one decimal: a seconds counter would change on every publication.
            Unit::Seconds => (1.0 / 3600.0, Some("h"), Some("duration"), 1),
            Unit::Days => (1.0, Some("d"), Some("duration"), 1),
            Unit::Count => (1.0, None, None, 0),
            Unit::Ratio => (1.0, None, None, 2),
            Unit::Watts => (1.0, Some("W"), Some("power"), 1),
            // Three decimals: a small box adds a few Wh an hour, and HA's Energy dashboard
            // sums the differences.
            Unit::KilowattHours => (1.0, Some("kWh"), Some("energy"), 3),
            // The unit is the `currency` label (entities.rs); no device class: HA's `monetary`
            // allows only `state_class: total`, and this is a rate (per month).
            Unit::Money => (1.0, None, None, 2),
        };
        HaSensor {
            scale,
            unit,
            device_class,
            decimals,
            entity: Entities::All,
        }
    }

    /// Disk sizes are shown in GB with two decimals.
    const fn gigabytes() -> HaSensor {
        HaSensor {
            scale: 1e-9,
            unit: Some("GB"),
            device_class: Some("data_size"),
            decimals: 2,
            entity: Entities::All,
        }
    }

    const fn only(mut self, entity: Entities) -> HaSensor {
        self.entity = entity;
        self
    }
}

/// One family of series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Family {
    /// Series id, or a pattern whose `*` stands for one instance (mount, add-on slug, …).
    pub pattern: &'static str,
    /// [`SeriesMeta::family`]: the id without the instance, the Prometheus name's stem.
    pub family: &'static str,
    /// Name of the instance label (`mount`, `interface`, …); `None` for a global series.
    pub label: Option<&'static str>,
    pub unit: Unit,
    pub kind: Kind,
    /// [`SeriesMeta::description`] (HA's `friendly_name`); each `{}` takes one argument the
    /// collector supplies (mount point, interface name and kind, add-on name, …).
    pub description: &'static str,
    /// Plain-words name for alert messages; `{}` is replaced by the instance.
    pub title: &'static str,
    /// Name in the Prometheus exposition (base units, `_ratio`, `_total`).
    pub prometheus: &'static str,
    pub ha: HaSensor,
}

impl Family {
    /// The group: the id's first segment (`cpu`, `disk`, `addon`, …).
    pub fn group(&self) -> &'static str {
        self.pattern.split('.').next().unwrap_or_default()
    }

    /// The metadata of the family's one series (a global family).
    pub fn global(&self) -> SeriesMeta {
        self.meta(None, &[])
    }

    /// The metadata of one instance (`disk./data.used_bytes`); `args` fill the description.
    pub fn instance(&self, instance: &str, args: &[&str]) -> SeriesMeta {
        self.meta(Some(instance), args)
    }

    fn meta(&self, instance: Option<&str>, args: &[&str]) -> SeriesMeta {
        let (id, labels) = match (instance, self.label) {
            (Some(instance), Some(label)) => (
                self.pattern.replacen('*', instance, 1),
                vec![(label, instance.to_string())],
            ),
            _ => (self.pattern.to_string(), Vec::new()),
        };
        SeriesMeta {
            id,
            host: None,
            family: self.family.to_string(),
            labels,
            unit: self.unit,
            kind: self.kind,
            description: fill(self.description, args),
        }
    }
}

/// `template` with each `{}` replaced by the next argument (missing ones by nothing).
fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut parts = template.split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        out.push_str(args.next().copied().unwrap_or_default());
        out.push_str(part);
    }
    out
}

/// `measurement` for gauges, `total_increasing` for counters (also outside the registry).
pub fn state_class(kind: Kind) -> &'static str {
    match kind {
        Kind::Gauge => "measurement",
        Kind::Counter => "total_increasing",
    }
}

/// The icon of a group's sensors (also for series outside the registry).
pub fn group_icon(group: &str) -> &'static str {
    match group {
        "cpu" => "mdi:cpu-64-bit",
        "memory" => "mdi:memory",
        "swap" => "mdi:swap-horizontal",
        "load" => "mdi:gauge",
        "disk" => "mdi:harddisk",
        "net" => "mdi:network",
        "temp" => "mdi:thermometer",
        "addon" => "mdi:puzzle",
        "host" => "mdi:server-network",
        "power" => "mdi:flash",
        "energy" => "mdi:lightning-bolt",
        "cost" => "mdi:cash",
        "engine" => "mdi:speedometer",
        _ => "mdi:information-outline",
    }
}

#[allow(clippy::too_many_arguments)]
const fn f(
    pattern: &'static str,
    family: &'static str,
    label: Option<&'static str>,
    unit: Unit,
    description: &'static str,
    title: &'static str,
    prometheus: &'static str,
    ha: HaSensor,
) -> Family {
    Family {
        pattern,
        family,
        label,
        unit,
        kind: Kind::Gauge,
        description,
        title,
        prometheus,
        ha,
    }
}

/// A host-wide gauge whose family is its id.
const fn g(
    id: &'static str,
    unit: Unit,
    description: &'static str,
    title: &'static str,
    prometheus: &'static str,
) -> Family {
    f(
        id,
        id,
        None,
        unit,
        description,
        title,
        prometheus,
        HaSensor::for_unit(unit),
    )
}

/// A per-instance gauge.
const fn i(
    pattern: &'static str,
    family: &'static str,
    label: &'static str,
    unit: Unit,
    description: &'static str,
    title: &'static str,
    prometheus: &'static str,
) -> Family {
    f(
        pattern,
        family,
        Some(label),
        unit,
        description,
        title,
        prometheus,
        HaSensor::for_unit(unit),
    )
}

const fn with_ha(mut family: Family, ha: HaSensor) -> Family {
    family.ha = ha;
    family
}

const fn counter(mut family: Family) -> Family {
    family.kind = Kind::Counter;
    family
}

use Unit::{
    Bytes, BytesPerSecond, Celsius, Count, Days, KilowattHours, Money, Percent, Ratio, Seconds,
    Watts,
};

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
pub const MEMORY_TOTAL: Family = g(
    "memory.total_bytes",
    Bytes,
    "Installed memory",
    "Installed memory",
    "resource_manager_memory_total_bytes",
);
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
pub const SWAP_TOTAL: Family = g(
    "swap.total_bytes",
    Bytes,
    "Swap space",
    "Swap space",
    "resource_manager_swap_total_bytes",
);
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

// Per mount (collect/disk.rs); description argument: the mount point.
pub const DISK_TOTAL: Family = with_ha(
    i(
        "disk.*.total_bytes",
        "disk.total_bytes",
        "mount",
        Bytes,
        "Size of the filesystem at {}",
        "Size of disk {}",
        "resource_manager_disk_total_bytes",
    ),
    HaSensor::gigabytes(),
);
pub const DISK_USED: Family = with_ha(
    i(
        "disk.*.used_bytes",
        "disk.used_bytes",
        "mount",
        Bytes,
        "Space used at {}",
        "Space used on {}",
        "resource_manager_disk_used_bytes",
    ),
    HaSensor::gigabytes(),
);
pub const DISK_FREE: Family = with_ha(
    i(
        "disk.*.free_bytes",
        "disk.free_bytes",
        "mount",
        Bytes,
        "Space available to users at {}",
        "Free space on {}",
        "resource_manager_disk_free_bytes",
    ),
    HaSensor::gigabytes(),
);
pub const DISK_USED_PERCENT: Family = i(
    "disk.*.used_percent",
    "disk.used_percent",
    "mount",
    Percent,
    "Share of space used at {}",
    "Space used on {}",
    "resource_manager_disk_used_ratio",
);
pub const DISK_READ: Family = i(
    "disk.*.read_bytes_per_second",
    "disk.read_bytes_per_second",
    "mount",
    BytesPerSecond,
    "Reads from the device behind {}",
    "Reads from {}",
    "resource_manager_disk_read_bytes_per_second",
);
pub const DISK_WRITE: Family = i(
    "disk.*.write_bytes_per_second",
    "disk.write_bytes_per_second",
    "mount",
    BytesPerSecond,
    "Writes to the device behind {}",
    "Writes to {}",
    "resource_manager_disk_write_bytes_per_second",
);

// The data disk's wear as the host reports it (supervisor/poller.rs, from `GET /host/info`'s
// `disk_life_time`: share of an eMMC's rated life used; absent on other disks).
pub const DISK_LIFE_TIME: Family = with_ha(
    g(
        "disk.life_time_used_percent",
        Percent,
        "Data disk wear (share of its rated life used)",
        "Data disk wear",
        "resource_manager_disk_life_time_used_ratio",
    ),
    HaSensor {
        decimals: 0,
        ..HaSensor::for_unit(Percent)
    },
);

// Per interface (collect/network.rs); description arguments: the name, then its kind.
const PHYSICAL_RATE: HaSensor = HaSensor::for_unit(BytesPerSecond).only(Entities::Physical);
const PHYSICAL_COUNT: HaSensor = HaSensor::for_unit(Count).only(Entities::Physical);
pub const NET_RX: Family = with_ha(
    i(
        "net.*.rx_bytes_per_second",
        "net.rx_bytes_per_second",
        "interface",
        BytesPerSecond,
        "Received on {} ({})",
        "Download on {}",
        "resource_manager_net_rx_bytes_per_second",
    ),
    PHYSICAL_RATE,
);
pub const NET_TX: Family = with_ha(
    i(
        "net.*.tx_bytes_per_second",
        "net.tx_bytes_per_second",
        "interface",
        BytesPerSecond,
        "Sent on {} ({})",
        "Upload on {}",
        "resource_manager_net_tx_bytes_per_second",
    ),
    PHYSICAL_RATE,
);
pub const NET_RX_ERRORS: Family = counter(with_ha(
    i(
        "net.*.rx_errors_total",
        "net.rx_errors_total",
        "interface",
        Count,
        "Receive errors on {} since boot",
        "Receive errors on {}",
        "resource_manager_net_rx_errors_total",
    ),
    PHYSICAL_COUNT,
));
pub const NET_TX_ERRORS: Family = counter(with_ha(
    i(
        "net.*.tx_errors_total",
        "net.tx_errors_total",
        "interface",
        Count,
        "Transmit errors on {} since boot",
        "Send errors on {}",
        "resource_manager_net_tx_errors_total",
    ),
    PHYSICAL_COUNT,
));

// Temperatures (collect/thermal.rs); description argument: the sensor's name.
pub const TEMP_MAX: Family = g(
    "temp.max_celsius",
    Celsius,
    "Hottest sensor",
    "Hottest temperature",
    "resource_manager_temp_max_celsius",
);
pub const TEMP_SENSOR: Family = i(
    "temp.*.celsius",
    "temp.celsius",
    "sensor",
    Celsius,
    "Temperature of {}",
    "Temperature of {}",
    "resource_manager_temp_celsius",
);

// Per add-on (and `homeassistant`, `supervisor`), from the Supervisor's stats
// (supervisor/poller.rs); description argument: the add-on's name. cpu_percent is a share of
// the whole host's CPU, not of one core; memory_percent a share of the container's limit (the
// host's RAM unless limited).
pub const ADDON_CPU: Family = i(
    "addon.*.cpu_percent",
    "addon.cpu_percent",
    "addon",
    Percent,
    "{} CPU (share of the host)",
    "CPU used by add-on {}",
    "resource_manager_addon_cpu_ratio",
);
pub const ADDON_MEMORY: Family = i(
    "addon.*.memory_bytes",
    "addon.memory_bytes",
    "addon",
    Bytes,
    "{} memory",
    "Memory used by add-on {}",
    "resource_manager_addon_memory_bytes",
);
pub const ADDON_MEMORY_PERCENT: Family = i(
    "addon.*.memory_percent",
    "addon.memory_percent",
    "addon",
    Percent,
    "{} memory (share of its limit)",
    "Memory used by add-on {}",
    "resource_manager_addon_memory_ratio",
);
pub const ADDON_NET_RX: Family = i(
    "addon.*.net_rx_bytes_per_second",
    "addon.net_rx_bytes_per_second",
    "addon",
    BytesPerSecond,
    "{} network received",
    "Download of add-on {}",
    "resource_manager_addon_net_rx_bytes_per_second",
);
pub const ADDON_NET_TX: Family = i(
    "addon.*.net_tx_bytes_per_second",
    "addon.net_tx_bytes_per_second",
    "addon",
    BytesPerSecond,
    "{} network sent",
    "Upload of add-on {}",
    "resource_manager_addon_net_tx_bytes_per_second",
);
pub const ADDON_BLOCK_READ: Family = i(
    "addon.*.block_read_bytes_per_second",
    "addon.block_read_bytes_per_second",
    "addon",
    BytesPerSecond,
    "{} disk reads",
    "Disk reads of add-on {}",
    "resource_manager_addon_block_read_bytes_per_second",
);
pub const ADDON_BLOCK_WRITE: Family = i(
    "addon.*.block_write_bytes_per_second",
    "addon.block_write_bytes_per_second",
    "addon",
    BytesPerSecond,
    "{} disk writes",
    "Disk writes of add-on {}",
    "resource_manager_addon_block_write_bytes_per_second",
);

// Derived from the analysis (analysis/runner.rs through collect/derive.rs `Analysed`): stored,
// published and alertable like collected series.
/// Forecast time until the filesystem is full; no value while it is not growing.
pub const DISK_DAYS_UNTIL_FULL: Family = i(
    "disk.*.days_until_full",
    "disk.days_until_full",
    "mount",
    Days,
    "Days until {} is full (forecast)",
    "Days until {} is full",
    "resource_manager_disk_days_until_full_seconds",
);
/// The health score, 0–100 (analysis/health.rs documents its parts).
pub const HEALTH_SCORE: Family = g(
    "health.score",
    Count,
    "Health score (0-100)",
    "Health score",
    "resource_manager_health_score",
);
/// The highest anomaly score of any series now (robust z; 6 and above is flagged).
pub const ANOMALY_SCORE: Family = g(
    "anomaly.score",
    Ratio,
    "Highest anomaly score of any series",
    "Anomaly score",
    "resource_manager_anomaly_score",
);
/// Growth of a suspected leak's memory (an add-on slug, or `host`), shown in MB a day.
pub const LEAK_RATE: Family = with_ha(
    i(
        "leak.*.bytes_per_second",
        "leak.bytes_per_second",
        "suspect",
        BytesPerSecond,
        "Memory growth of {} (suspected leak)",
        "Memory growth of {}",
        "resource_manager_leak_bytes_per_second",
    ),
    HaSensor {
        scale: 86_400.0 * 1e-6,
        unit: Some("MB/d"),
        device_class: None,
        decimals: 1,
        entity: Entities::All,
    },
);

/// Whether a remote host answered its last scrape (1) or not (0): an unreachable host is
/// shown and alertable (`nas:host.up`, or `*:host.up` for every host). Local has none.
pub const HOST_UP: Family = with_ha(
    g(
        "host.up",
        Count,
        "Whether the host answered its last scrape",
        "Host reachable",
        "resource_manager_host_up",
    ),
    HaSensor {
        decimals: 0,
        ..HaSensor::for_unit(Count)
    },
);

// Power, energy and cost (collect/power.rs): `power.watts` is read (RAPL, hwmon) or modelled
// from `cpu.usage`; the rest is derived from it in the derive stage. The series carry a
// `source` label (`measured` or `modelled`) and the cost a `currency` label.
pub const POWER_WATTS: Family = g(
    "power.watts",
    Watts,
    "Power drawn by the host",
    "Power",
    "resource_manager_power_watts",
);
/// A counter kept across restarts (its last value is saved in the store).
pub const ENERGY_TOTAL: Family = counter(g(
    "energy.kwh_total",
    KilowattHours,
    "Energy used by the host",
    "Energy used",
    "resource_manager_energy_kwh_total",
));
/// What the current power costs over a month (30 days) at the `power.energy_price`.
pub const COST_PER_MONTH: Family = g(
    "cost.per_month",
    Money,
    "Electricity cost per month at the current power",
    "Cost per month",
    "resource_manager_cost_per_month",
);
/// An add-on's share of the host's power above idle, by its share of the CPU.
pub const ADDON_POWER: Family = i(
    "addon.*.power_watts",
    "addon.power_watts",
    "addon",
    Watts,
    "{} power (estimated from its CPU share)",
    "Power of add-on {}",
    "resource_manager_addon_power_watts",
);

/// The engine's self-scaling level (collect/scaling.rs): 0 normal, higher levels stretch its
/// intervals. Home Assistant gets it as the engine's mode (`normal`/`reduced`).
pub const ENGINE_SCALE_LEVEL: Family = with_ha(
    g(
        "engine.scale_level",
        Count,
        "Self-scaling level of the engine (0: normal)",
        "Engine self-scaling level",
        "resource_manager_engine_scale_level",
    ),
    HaSensor::for_unit(Count).only(Entities::DashboardOnly),
);

/// What the engine itself writes to disk (collect/own_writes.rs, from `/proc/self/io`), as
/// bytes a day over the last hour: its share of the wear of an SD card or eMMC.
pub const ENGINE_DISK_WRITES: Family = with_ha(
    g(
        "engine.disk_written_per_day",
        Bytes,
        "Bytes this add-on writes to disk a day (last hour)",
        "Own disk writes a day",
        "resource_manager_engine_disk_written_per_day_bytes",
    ),
    HaSensor::for_unit(Bytes).only(Entities::DashboardOnly),
);

/// The add-on families in the poller's order: the three gauges, then the four rates.
pub const ADDON_FAMILIES: [&Family; 7] = [
    &ADDON_CPU,
    &ADDON_MEMORY,
    &ADDON_MEMORY_PERCENT,
    &ADDON_NET_RX,
    &ADDON_NET_TX,
    &ADDON_BLOCK_READ,
    &ADDON_BLOCK_WRITE,
];

/// The host families, in the order alert messages and DOCS.md list them.
const HOST_FAMILIES: &[&Family] = &[
    &CPU_USAGE,
    &CPU_BUSY_CORES,
    &CPU_IOWAIT,
    &CPU_STEAL,
    &CPU_CORE_USAGE,
    &MEMORY_TOTAL,
    &MEMORY_USED,
    &MEMORY_AVAILABLE,
    &MEMORY_USED_PERCENT,
    &SWAP_TOTAL,
    &SWAP_USED,
    &SWAP_USED_PERCENT,
    &SWAP_IN,
    &SWAP_OUT,
    &LOAD_1M,
    &LOAD_5M,
    &LOAD_15M,
    &UPTIME,
    &DISK_TOTAL,
    &DISK_USED,
    &DISK_FREE,
    &DISK_USED_PERCENT,
    &DISK_READ,
    &DISK_WRITE,
    &DISK_LIFE_TIME,
    &NET_RX,
    &NET_TX,
    &NET_RX_ERRORS,
    &NET_TX_ERRORS,
    &TEMP_MAX,
    &TEMP_SENSOR,
    &DISK_DAYS_UNTIL_FULL,
    &HEALTH_SCORE,
    &ANOMALY_SCORE,
    &LEAK_RATE,
    &HOST_UP,
    &POWER_WATTS,
    &ENERGY_TOTAL,
    &COST_PER_MONTH,
    &ENGINE_SCALE_LEVEL,
    &ENGINE_DISK_WRITES,
];

/// Per add-on families the derive stage adds (the poller does not read them).
pub const DERIVED_ADDON_FAMILIES: [&Family; 1] = [&ADDON_POWER];

/// Every family: the host's, then the add-ons'.
pub fn families() -> impl Iterator<Item = &'static Family> {
    HOST_FAMILIES
        .iter()
        .chain(ADDON_FAMILIES.iter())
        .chain(DERIVED_ADDON_FAMILIES.iter())
        .copied()
}

/// The family exposed under a Prometheus name (`resource_manager_cpu_usage_ratio`), for
/// reading another Resource Manager's `/metrics`.
pub fn by_prometheus(name: &str) -> Option<&'static Family> {
    families().find(|f| f.prometheus == name)
}

/// The family of a series, by its [`SeriesMeta::family`].
pub fn by_family(family: &str) -> Option<&'static Family> {
    families().find(|f| f.family == family)
}

/// The family a series belongs to (`None` for a series outside the registry).
pub fn of(meta: &SeriesMeta) -> Option<&'static Family> {
    by_family(&meta.family)
}

/// The family whose pattern selects a series id (`disk./data.used_percent`), on any host
/// (`nas:disk./data.used_percent`).
pub fn by_id(id: &str) -> Option<&'static Family> {
    let local = super::host::split(id).1;
    families().find(|f| matches(f.pattern, local))
}

/// The metadata of the series `id` (`disk./data.used_bytes`) as its collector would build it,
/// the instance filling the description; `None` for an id no family selects.
pub fn meta_for_id(id: &str) -> Option<SeriesMeta> {
    let family = by_id(id)?;
    let (host, id) = super::host::split(id);
    let meta = match family.pattern.split_once('*') {
        None => family.global(),
        Some((prefix, suffix)) => {
            let instance = id.strip_prefix(prefix)?.strip_suffix(suffix)?;
            family.instance(instance, &[instance, "imported"])
        }
    };
    Some(meta.on_host(&std::sync::Arc::from(host)))
}

/// Whether `pattern` (with at most one `*` standing for a non-empty instance) selects `id`.
fn matches(pattern: &str, id: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == id,
        Some((prefix, suffix)) => id
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .is_some_and(|inner| !inner.is_empty()),
    }
}

#[cfg(test)]
mod tests;

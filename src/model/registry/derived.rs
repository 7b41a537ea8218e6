//! The families the add-on computes rather than reads: the analysis' forecasts and scores, a
//! remote host's reachability, power, energy and cost, and the engine's own state.

use super::family::{Family, counter, g, i, on_change, with_ha};
use super::ha::{Entities, HaSensor};
use crate::model::Unit::{Bytes, BytesPerSecond, Count, Days, KilowattHours, Money, Ratio, Watts};

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

// Power, energy and cost (collect/power/): `power.watts` is read (RAPL, hwmon) or modelled
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
pub const ENGINE_SCALE_LEVEL: Family = on_change(with_ha(
    g(
        "engine.scale_level",
        Count,
        "Self-scaling level of the engine (0: normal)",
        "Engine self-scaling level",
        "resource_manager_engine_scale_level",
    ),
    HaSensor::for_unit(Count).only(Entities::DashboardOnly),
));

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

/// Per add-on families the derive stage adds (the poller does not read them).
pub const DERIVED_ADDON_FAMILIES: [&Family; 1] = [&ADDON_POWER];

//! The per add-on families of the table, read from the Supervisor's stats.

use super::family::{Family, counter, i, on_change};
use crate::model::Unit::{Bytes, BytesPerSecond, Count, Percent};

// Per add-on (and `homeassistant`, `supervisor`), from the Supervisor's stats
// (supervisor/poller.rs); description argument: the add-on's name. cpu_percent is a share of
// the whole host's CPU, not of one core; memory_percent a share of the container's limit (the
// host's RAM unless limited). Polled every 30 s by default and repeated by each tick between
// polls, so stored on change: once per poll, not six times.
pub const ADDON_CPU: Family = on_change(i(
    "addon.*.cpu_percent",
    "addon.cpu_percent",
    "addon",
    Percent,
    "{} CPU (share of the host)",
    "CPU used by add-on {}",
    "resource_manager_addon_cpu_ratio",
));
pub const ADDON_MEMORY: Family = on_change(i(
    "addon.*.memory_bytes",
    "addon.memory_bytes",
    "addon",
    Bytes,
    "{} memory",
    "Memory used by add-on {}",
    "resource_manager_addon_memory_bytes",
));
pub const ADDON_MEMORY_PERCENT: Family = on_change(i(
    "addon.*.memory_percent",
    "addon.memory_percent",
    "addon",
    Percent,
    "{} memory (share of its limit)",
    "Memory used by add-on {}",
    "resource_manager_addon_memory_ratio",
));
pub const ADDON_NET_RX: Family = on_change(i(
    "addon.*.net_rx_bytes_per_second",
    "addon.net_rx_bytes_per_second",
    "addon",
    BytesPerSecond,
    "{} network received",
    "Download of add-on {}",
    "resource_manager_addon_net_rx_bytes_per_second",
));
pub const ADDON_NET_TX: Family = on_change(i(
    "addon.*.net_tx_bytes_per_second",
    "addon.net_tx_bytes_per_second",
    "addon",
    BytesPerSecond,
    "{} network sent",
    "Upload of add-on {}",
    "resource_manager_addon_net_tx_bytes_per_second",
));
pub const ADDON_BLOCK_READ: Family = on_change(i(
    "addon.*.block_read_bytes_per_second",
    "addon.block_read_bytes_per_second",
    "addon",
    BytesPerSecond,
    "{} disk reads",
    "Disk reads of add-on {}",
    "resource_manager_addon_block_read_bytes_per_second",
));
pub const ADDON_BLOCK_WRITE: Family = on_change(i(
    "addon.*.block_write_bytes_per_second",
    "addon.block_write_bytes_per_second",
    "addon",
    BytesPerSecond,
    "{} disk writes",
    "Disk writes of add-on {}",
    "resource_manager_addon_block_write_bytes_per_second",
));

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

// Restarts and crashes, from the poller's view of each add-on's state and counters
// (supervisor/restarts.rs); description argument: the add-on's name.
/// Restarts seen since Resource Manager started (a start after a stop, or counters that went
/// back while it stayed "started": the watchdog restarted it between two polls).
pub const ADDON_RESTARTS: Family = on_change(counter(i(
    "addon.*.restarts_total",
    "addon.restarts_total",
    "addon",
    Count,
    "{} restarts",
    "Restarts of add-on {}",
    "resource_manager_addon_restarts_total",
)));
/// Restarts in the last hour: what the restart-loop rule watches.
pub const ADDON_RESTARTS_HOUR: Family = on_change(i(
    "addon.*.restarts_last_hour",
    "addon.restarts_last_hour",
    "addon",
    Count,
    "{} restarts in the last hour",
    "Restarts of add-on {} in the last hour",
    "resource_manager_addon_restarts_last_hour",
));
/// Times the add-on's state became `error` (it crashed or failed to start).
pub const ADDON_CRASHES: Family = on_change(counter(i(
    "addon.*.crashes_total",
    "addon.crashes_total",
    "addon",
    Count,
    "{} crashes",
    "Crashes of add-on {}",
    "resource_manager_addon_crashes_total",
)));

/// The families of restarts and crashes.
pub const ADDON_RESTART_FAMILIES: [&Family; 3] =
    [&ADDON_RESTARTS, &ADDON_RESTARTS_HOUR, &ADDON_CRASHES];

// Whether a started add-on is stuck (supervisor/answers.rs probes its Ingress; the advice's
// hung rule gives the verdict); description argument: the add-on's name. 1 or 0.
/// Whether the add-on's Ingress port answers: 0 after 3 probes in a row over 3 min got no
/// HTTP answer; absent for an add-on without Ingress or not started.
pub const ADDON_ANSWERING: Family = on_change(i(
    "addon.*.ingress_answering",
    "addon.ingress_answering",
    "addon",
    Count,
    "{} answering on Ingress",
    "Whether add-on {} answers on its Ingress port",
    "resource_manager_addon_ingress_answering",
));
/// The hung verdict (advice/recommend/hung.rs) as a series: 1 while the add-on is judged
/// stuck while "started", which the `addon_hung` rule turns into an alert.
pub const ADDON_HUNG: Family = on_change(i(
    "addon.*.hung",
    "addon.hung",
    "addon",
    Count,
    "{} hung",
    "Whether add-on {} is stuck while started",
    "resource_manager_addon_hung",
));

/// The families of whether an add-on is stuck.
pub const ADDON_STUCK_FAMILIES: [&Family; 2] = [&ADDON_ANSWERING, &ADDON_HUNG];

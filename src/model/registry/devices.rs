//! The per-device families of the table: disks (space, I/O, wear), network interfaces and
//! temperature sensors.

use super::family::{Family, counter, g, i, on_change, with_ha};
use super::ha::{Entities, HaSensor};
use crate::model::Unit::{Bytes, BytesPerSecond, Celsius, Count, Percent};

// Per mount (collect/disk/); description argument: the mount point.
pub const DISK_TOTAL: Family = on_change(with_ha(
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
));
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
pub const DISK_LIFE_TIME: Family = on_change(with_ha(
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
));

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

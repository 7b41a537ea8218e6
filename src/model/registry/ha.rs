//! How a family is shown in Home Assistant: scale, unit, device class, decimals, which series
//! become entities, and the state class and icon every sensor gets (registry or not).

use crate::model::{Kind, Unit};

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
    pub(super) const fn gigabytes() -> HaSensor {
        HaSensor {
            scale: 1e-9,
            unit: Some("GB"),
            device_class: Some("data_size"),
            decimals: 2,
            entity: Entities::All,
        }
    }

    pub(super) const fn only(mut self, entity: Entities) -> HaSensor {
        self.entity = entity;
        self
    }
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
        "storage" => "mdi:folder-pie",
        "pressure" => "mdi:timer-sand",
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

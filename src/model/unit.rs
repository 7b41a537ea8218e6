//! The units series values are kept in, and their stored and shown spellings.

use serde::Serialize;

/// Unit of a series' values. Values are kept in the unit users read (percent, bytes, °C);
/// the Prometheus publisher converts to base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Percent,
    Bytes,
    BytesPerSecond,
    Celsius,
    Seconds,
    /// Days: forecasts' time until full (exposed to Prometheus in seconds).
    Days,
    Count,
    /// Unitless (load averages).
    Ratio,
    /// Electrical power (`power.watts`, per add-on estimates).
    Watts,
    /// Electrical energy (`energy.kwh_total`): what Home Assistant's Energy dashboard counts.
    KilowattHours,
    /// An amount of money in the currency of the `power` option (the series carries it as its
    /// `currency` label).
    Money,
}

impl Unit {
    /// Symbol shown next to a value (also Home Assistant's `unit_of_measurement`).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Bytes => "B",
            Unit::BytesPerSecond => "B/s",
            Unit::Celsius => "°C",
            Unit::Seconds => "s",
            Unit::Days => "d",
            Unit::Watts => "W",
            Unit::KilowattHours => "kWh",
            Unit::Count | Unit::Ratio | Unit::Money => "",
        }
    }

    /// Stable name stored in SQLite and shown in the JSON API.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Percent => "percent",
            Unit::Bytes => "bytes",
            Unit::BytesPerSecond => "bytes_per_second",
            Unit::Celsius => "celsius",
            Unit::Seconds => "seconds",
            Unit::Days => "days",
            Unit::Count => "count",
            Unit::Ratio => "ratio",
            Unit::Watts => "watts",
            Unit::KilowattHours => "kilowatt_hours",
            Unit::Money => "money",
        }
    }

    /// Inverse of [`Unit::as_str`].
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "percent" => Unit::Percent,
            "bytes" => Unit::Bytes,
            "bytes_per_second" => Unit::BytesPerSecond,
            "celsius" => Unit::Celsius,
            "seconds" => Unit::Seconds,
            "days" => Unit::Days,
            "count" => Unit::Count,
            "ratio" => Unit::Ratio,
            "watts" => Unit::Watts,
            "kilowatt_hours" => Unit::KilowattHours,
            "money" => Unit::Money,
            _ => return None,
        })
    }
}

//! Pressure stall information (`/proc/pressure/{cpu,memory,io}`, Linux PSI): how much work
//! waited for a resource, which "% used" does not say. `some`: at least one task waited;
//! `full`: all non-idle tasks waited at once (memory and io; cpu's `full` is 0 host-wide).

use super::family::{Family, counter, i};
use crate::model::Unit::{Percent, Seconds};

/// Share of the last 10 s in which some task waited for the resource (`some avg10`).
pub const PRESSURE_SOME: Family = i(
    "pressure.*.some_percent",
    "pressure.some_percent",
    "resource",
    Percent,
    "{} pressure (some task waited, 10 s average)",
    "Waiting for {}",
    "resource_manager_pressure_some_ratio",
);
/// Share of the last 10 s in which every non-idle task waited at once (`full avg10`).
pub const PRESSURE_FULL: Family = i(
    "pressure.*.full_percent",
    "pressure.full_percent",
    "resource",
    Percent,
    "{} pressure (all tasks stalled, 10 s average)",
    "Stalled on {}",
    "resource_manager_pressure_full_ratio",
);
/// Time some task waited for the resource since boot (`some total`).
pub const PRESSURE_SOME_TOTAL: Family = counter(i(
    "pressure.*.some_seconds_total",
    "pressure.some_seconds_total",
    "resource",
    Seconds,
    "{} waiting time since boot",
    "Time waiting for {}",
    "resource_manager_pressure_some_seconds_total",
));
/// Time every non-idle task stalled on the resource at once since boot (`full total`).
pub const PRESSURE_FULL_TOTAL: Family = counter(i(
    "pressure.*.full_seconds_total",
    "pressure.full_seconds_total",
    "resource",
    Seconds,
    "{} stall time since boot",
    "Time stalled on {}",
    "resource_manager_pressure_full_seconds_total",
));

/// The pressure families, in the order of one reading.
pub const PRESSURE_FAMILIES: [&Family; 4] = [
    &PRESSURE_SOME,
    &PRESSURE_FULL,
    &PRESSURE_SOME_TOTAL,
    &PRESSURE_FULL_TOTAL,
];

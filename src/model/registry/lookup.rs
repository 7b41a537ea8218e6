//! The whole table in one order, and finding a family by Prometheus name, family, series
//! metadata or series id (on any host).

use super::addons::*;
use super::derived::*;
use super::devices::*;
use super::family::Family;
use super::pressure::PRESSURE_FAMILIES;
use super::storage::STORAGE_FAMILIES;
use super::system::*;
use crate::model::{SeriesMeta, host};

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

/// Every family: the host's, then the add-ons'.
pub fn families() -> impl Iterator<Item = &'static Family> {
    HOST_FAMILIES
        .iter()
        .chain(ADDON_FAMILIES.iter())
        .chain(ADDON_RESTART_FAMILIES.iter())
        .chain(ADDON_STUCK_FAMILIES.iter())
        .chain(DERIVED_ADDON_FAMILIES.iter())
        .chain(STORAGE_FAMILIES.iter())
        .chain(PRESSURE_FAMILIES.iter())
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

/// Whether the store keeps a series of `family` only on change or hourly
/// ([`Storing::OnChange`](super::Storing::OnChange)); `false` for a family outside the registry.
pub fn stored_on_change(family: &str) -> bool {
    by_family(family).is_some_and(|f| f.storing == super::Storing::OnChange)
}

/// The family a series belongs to (`None` for a series outside the registry).
pub fn of(meta: &SeriesMeta) -> Option<&'static Family> {
    by_family(&meta.family)
}

/// The family whose pattern selects a series id (`disk./data.used_percent`), on any host
/// (`nas:disk./data.used_percent`).
pub fn by_id(id: &str) -> Option<&'static Family> {
    let local = host::split(id).1;
    families().find(|f| matches(f.pattern, local))
}

/// The metadata of the series `id` (`disk./data.used_bytes`) as its collector would build it,
/// the instance filling the description; `None` for an id no family selects.
pub fn meta_for_id(id: &str) -> Option<SeriesMeta> {
    let family = by_id(id)?;
    let (host, id) = host::split(id);
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

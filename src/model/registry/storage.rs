//! What takes the data disk, from the Supervisor's hourly walk of it (collect/storage): the
//! root's parts and each add-on's data folder. One value an hour: the store keeps these
//! families once per walk, not once per tick ([`stored_once_per_walk`]).

use super::family::{Family, i};
use crate::model::Unit::Bytes;

/// Space used by one part of the data disk (`system`, `apps_data`, `backup`, …); description
/// argument: the part's name.
pub const STORAGE_PART: Family = i(
    "storage.*.used_bytes",
    "storage.used_bytes",
    "part",
    Bytes,
    "Data disk: {}",
    "Space used by {}",
    "resource_manager_storage_used_bytes",
);
/// Space used by one add-on's data folder; description argument: the add-on's name.
pub const ADDON_DATA: Family = i(
    "addon.*.data_bytes",
    "addon.data_bytes",
    "addon",
    Bytes,
    "{} data on disk",
    "Disk space of add-on {}",
    "resource_manager_addon_data_bytes",
);

/// The families of the walk.
pub const STORAGE_FAMILIES: [&Family; 2] = [&STORAGE_PART, &ADDON_DATA];

/// Whether a series of this family changes only once per walk, so the store keeps it when it
/// changes or hourly rather than with every tick (twenty series at a 5 s pace would add about
/// 1.7 MB a day of repeated values to the raw batches).
pub fn stored_once_per_walk(family: &str) -> bool {
    family == STORAGE_PART.family || family == ADDON_DATA.family
}

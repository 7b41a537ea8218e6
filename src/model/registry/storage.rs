//! What takes the data disk, from the Supervisor's hourly walk of it (collect/storage): the
//! root's parts and each add-on's data folder. One value an hour: the store keeps these
//! families on change, not once per tick ([`Storing::OnChange`](super::Storing)).

use super::family::{Family, i, on_change};
use crate::model::Unit::Bytes;

/// Space used by one part of the data disk (`system`, `apps_data`, `backup`, …); description
/// argument: the part's name.
pub const STORAGE_PART: Family = on_change(i(
    "storage.*.used_bytes",
    "storage.used_bytes",
    "part",
    Bytes,
    "Data disk: {}",
    "Space used by {}",
    "resource_manager_storage_used_bytes",
));
/// Space used by one add-on's data folder; description argument: the add-on's name.
pub const ADDON_DATA: Family = on_change(i(
    "addon.*.data_bytes",
    "addon.data_bytes",
    "addon",
    Bytes,
    "{} data on disk",
    "Disk space of add-on {}",
    "resource_manager_addon_data_bytes",
));

/// The families of the walk.
pub const STORAGE_FAMILIES: [&Family; 2] = [&STORAGE_PART, &ADDON_DATA];

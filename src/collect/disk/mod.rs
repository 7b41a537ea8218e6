//! Space per real filesystem (statvfs) and I/O per mount (`/proc/diskstats`).
//!
//! Mounts come from `/proc/self/mountinfo`: pseudo filesystems are dropped and a device mounted
//! several times (bind mounts, e.g. `/data`, `/share` and `/backup` in an add-on container) is
//! reported once, under its first mount point.

mod collector;
mod diskstats;
mod mounts;
mod space;

pub use collector::DiskCollector;
pub use diskstats::{DiskStats, parse_diskstats};
pub(crate) use mounts::PSEUDO_FILESYSTEMS;
pub use mounts::{Mount, parse_mountinfo};
pub use space::Space;

#[cfg(test)]
mod tests;

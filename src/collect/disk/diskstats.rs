//! I/O counters per block device from `/proc/diskstats`, and which device carries a mount's I/O.

use std::collections::HashMap;
use std::path::Path;

use super::mounts::Mount;

/// Cumulative sectors read and written, per device number and per name.
#[derive(Debug, Default)]
pub struct DiskStats {
    pub by_device: HashMap<(u32, u32), (u64, u64)>,
    pub by_name: HashMap<String, (u32, u32)>,
}

/// Parses `/proc/diskstats` (sectors are always 512 bytes there).
pub fn parse_diskstats(text: &str) -> DiskStats {
    let mut stats = DiskStats::default();
    for line in text.lines() {
        let mut f = line.split_ascii_whitespace();
        let (Some(major), Some(minor), Some(name)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse::<u32>(), minor.parse::<u32>()) else {
            continue;
        };
        // reads, reads merged, sectors read, ms reading, writes, writes merged, sectors written
        let nums: [Option<u64>; 7] = std::array::from_fn(|_| f.next().and_then(|v| v.parse().ok()));
        let (Some(read), Some(written)) = (nums[2], nums[6]) else {
            continue;
        };
        stats.by_device.insert((major, minor), (read, written));
        stats.by_name.insert(name.to_string(), (major, minor));
    }
    stats
}

/// The diskstats entry for a mount: by device number, else by the source device's name
/// (btrfs and device-mapper mounts carry an anonymous device number).
pub(super) fn io_device_for(mount: &Mount, stats: &DiskStats) -> Option<(u32, u32)> {
    if stats.by_device.contains_key(&mount.device) {
        return Some(mount.device);
    }
    let source = Path::new(&mount.source);
    if !mount.source.starts_with("/dev/") {
        return None;
    }
    let resolved = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
    let name = resolved.file_name()?.to_str()?;
    stats.by_name.get(name).copied()
}

//! Space per real filesystem (statvfs) and I/O per mount (`/proc/diskstats`).
//!
//! Mounts come from `/proc/self/mountinfo`: pseudo filesystems are dropped and a device mounted
//! several times (bind mounts, e.g. `/data`, `/share` and `/backup` in an add-on container) is
//! reported once, under its first mount point.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::procfs::read_into;
use super::{CollectError, Collector, Tick};
use crate::config::SysRoot;
use crate::model::{Sample, SeriesMeta, registry};
use crate::util::counter;

/// Filesystems that hold no user data (skipped here and on remote hosts).
pub(crate) const PSEUDO_FILESYSTEMS: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "fuse.lxcfs",
    "fuse.gvfsd-fuse",
    "fuse.portal",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "overlay",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tmpfs",
    "tracefs",
    "nfsd",
    "iso9660",
];

/// How often the mount list is read again (mounts rarely change).
const REDISCOVER_EVERY: Duration = Duration::from_secs(60);

/// One line of `/proc/self/mountinfo` that we keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub device: (u32, u32),
    pub mount_point: String,
    pub fs_type: String,
    pub source: String,
}

/// Parses mountinfo, keeping real filesystems once per device.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    let mut mounts: Vec<Mount> = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mut l = left.split(' ');
        let (Some(_id), Some(_parent), Some(device), Some(_root), Some(mount_point)) =
            (l.next(), l.next(), l.next(), l.next(), l.next())
        else {
            continue;
        };
        let mut r = right.split(' ');
        let (Some(fs_type), Some(source)) = (r.next(), r.next()) else {
            continue;
        };
        if PSEUDO_FILESYSTEMS.contains(&fs_type) {
            continue;
        }
        let Some((major, minor)) = device.split_once(':') else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        if mounts.iter().any(|m| m.device == (major, minor)) {
            continue;
        }
        mounts.push(Mount {
            device: (major, minor),
            mount_point: unescape_octal(mount_point),
            fs_type: fs_type.to_string(),
            source: unescape_octal(source),
        });
    }
    mounts
}

/// Undoes mountinfo's `\040`-style escapes (space, tab, newline, backslash).
fn unescape_octal(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(digits) = bytes.get(i + 1..i + 4)
            && digits.iter().all(|d| (b'0'..=b'7').contains(d))
        {
            let value = digits
                .iter()
                .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            if let Ok(v) = u8::try_from(value) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

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

/// Space figures of one filesystem, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Space {
    pub total: u64,
    pub free: u64,
    pub available: u64,
}

impl Space {
    /// Used bytes (what `df` shows).
    pub fn used(&self) -> u64 {
        self.total.saturating_sub(self.free)
    }

    /// Used share as `df` computes it: used / (used + available to users).
    pub fn used_percent(&self) -> f64 {
        let denominator = self.used() + self.available;
        if denominator == 0 {
            0.0
        } else {
            self.used() as f64 / denominator as f64 * 100.0
        }
    }
}

fn statvfs(path: &Path) -> std::io::Result<Space> {
    let st = rustix::fs::statvfs(path)?;
    let unit = if st.f_frsize > 0 {
        st.f_frsize
    } else {
        st.f_bsize
    };
    Ok(Space {
        total: st.f_blocks.saturating_mul(unit),
        free: st.f_bfree.saturating_mul(unit),
        available: st.f_bavail.saturating_mul(unit),
    })
}

struct TrackedMount {
    mount: Mount,
    /// The diskstats device that carries this mount's I/O, if any.
    io_device: Option<(u32, u32)>,
    previous_io: Option<(Instant, u64, u64)>,
    meta: [Arc<SeriesMeta>; 6],
}

/// Reads space and I/O of every real mount each tick.
pub struct DiskCollector {
    root: SysRoot,
    buf: String,
    mounts: Vec<TrackedMount>,
    discovered_at: Option<Instant>,
}

impl DiskCollector {
    /// A collector reading `<proc>/self/mountinfo` and `<proc>/diskstats`.
    pub fn new(root: &SysRoot) -> Self {
        DiskCollector {
            root: root.clone(),
            buf: String::with_capacity(8192),
            mounts: Vec::new(),
            discovered_at: None,
        }
    }

    fn discover(&mut self, stats: &DiskStats) -> Result<(), CollectError> {
        read_into(&self.root.proc.join("self/mountinfo"), &mut self.buf)?;
        let found = parse_mountinfo(&self.buf);
        let mut kept: Vec<TrackedMount> = Vec::with_capacity(found.len());
        for mount in found {
            if let Some(pos) = self.mounts.iter().position(|t| t.mount == mount) {
                kept.push(self.mounts.swap_remove(pos));
                continue;
            }
            let io_device = io_device_for(&mount, stats);
            let mp = mount.mount_point.as_str();
            let m = |family: &registry::Family| Arc::new(family.instance(mp, &[mp]));
            let meta = [
                m(&registry::DISK_TOTAL),
                m(&registry::DISK_USED),
                m(&registry::DISK_FREE),
                m(&registry::DISK_USED_PERCENT),
                m(&registry::DISK_READ),
                m(&registry::DISK_WRITE),
            ];
            kept.push(TrackedMount {
                mount,
                io_device,
                previous_io: None,
                meta,
            });
        }
        self.mounts = kept;
        Ok(())
    }
}

/// The diskstats entry for a mount: by device number, else by the source device's name
/// (btrfs and device-mapper mounts carry an anonymous device number).
fn io_device_for(mount: &Mount, stats: &DiskStats) -> Option<(u32, u32)> {
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

impl Collector for DiskCollector {
    fn source(&self) -> &'static str {
        "disk"
    }

    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        let stats = match read_into(&self.root.proc.join("diskstats"), &mut self.buf) {
            Ok(()) => parse_diskstats(&self.buf),
            Err(_) => DiskStats::default(),
        };
        let stale = self
            .discovered_at
            .is_none_or(|at| tick.now.duration_since(at) >= REDISCOVER_EVERY);
        if stale {
            self.discover(&stats)?;
            self.discovered_at = Some(tick.now);
        }
        let mut first_error = None;
        for tracked in &mut self.mounts {
            match statvfs(Path::new(&tracked.mount.mount_point)) {
                Ok(space) if space.total > 0 => {
                    let values = [
                        space.total as f64,
                        space.used() as f64,
                        space.available as f64,
                        space.used_percent(),
                    ];
                    for (meta, value) in tracked.meta.iter().zip(values) {
                        out.push(Sample {
                            series: meta.clone(),
                            value,
                        });
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    first_error.get_or_insert_with(|| CollectError::Io {
                        path: PathBuf::from(&tracked.mount.mount_point),
                        source: err,
                    });
                }
            }
            let Some((read, written)) = tracked
                .io_device
                .and_then(|d| stats.by_device.get(&d).copied())
            else {
                continue;
            };
            if let Some((then, prev_read, prev_written)) = tracked.previous_io {
                let elapsed = tick.now.duration_since(then).as_secs_f64();
                let rates = [
                    counter::rate(prev_read, read, elapsed),
                    counter::rate(prev_written, written, elapsed),
                ];
                for (meta, rate) in tracked.meta[4..].iter().zip(rates) {
                    if let Some(sectors_per_second) = rate {
                        out.push(Sample {
                            series: meta.clone(),
                            value: sectors_per_second * 512.0,
                        });
                    }
                }
            }
            tracked.previous_io = Some((tick.now, read, written));
        }
        match first_error {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MOUNTINFO: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw - proc proc rw
24 22 0:5 / /dev rw - devtmpfs udev rw
30 22 8:17 /addons/data/x /data rw - ext4 /dev/sdb1 rw
31 22 8:17 /share /share rw - ext4 /dev/sdb1 rw
32 22 0:45 / /mnt/my\\040disk rw - btrfs /dev/sdc rw
33 22 0:30 / /run rw - tmpfs tmpfs rw
";

    #[test]
    fn keeps_real_filesystems_once_per_device() {
        let mounts = parse_mountinfo(MOUNTINFO);
        let points: Vec<&str> = mounts.iter().map(|m| m.mount_point.as_str()).collect();
        assert_eq!(points, vec!["/", "/data", "/mnt/my disk"]);
        assert_eq!(mounts[1].device, (8, 17));
    }

    #[test]
    fn diskstats_by_device_and_name() {
        let text = "   8       1 sda1 100 0 2000 10 50 0 4000 20 0 30 30\n 259 0 nvme0n1 1 2 3\n";
        let stats = parse_diskstats(text);
        assert_eq!(stats.by_device.get(&(8, 1)), Some(&(2000, 4000)));
        assert_eq!(stats.by_name.get("sda1"), Some(&(8, 1)));
        assert!(
            !stats.by_device.contains_key(&(259, 0)),
            "short line is skipped"
        );
    }

    #[test]
    fn btrfs_mount_finds_its_io_by_source_name() {
        let mut stats = DiskStats::default();
        stats.by_device.insert((8, 32), (1, 2));
        stats.by_name.insert("sdc-does-not-exist".into(), (8, 32));
        let mount = Mount {
            device: (0, 45),
            mount_point: "/x".into(),
            fs_type: "btrfs".into(),
            source: "/dev/sdc-does-not-exist".into(),
        };
        assert_eq!(io_device_for(&mount, &stats), Some((8, 32)));
    }

    #[test]
    fn used_percent_matches_df() {
        let space = Space {
            total: 100,
            free: 20,
            available: 10,
        };
        assert_eq!(space.used(), 80);
        assert!((space.used_percent() - 80.0 / 90.0 * 100.0).abs() < 1e-9);
    }

    #[test]
    fn this_machine_has_a_root_filesystem() {
        let mut collector = DiskCollector::new(&SysRoot::default());
        let mut out = Vec::new();
        collector.collect(&Tick::now(), &mut out).expect("collect");
        assert!(
            out.iter()
                .any(|s| s.series.id.ends_with(".total_bytes") && s.value > 0.0)
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,400}") {
            let _ = parse_mountinfo(&text);
            let _ = parse_diskstats(&text);
            let _ = unescape_octal(&text);
        }
    }
}

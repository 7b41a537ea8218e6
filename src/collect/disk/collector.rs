//! The disk collector: rediscovers the mounts now and then, and each tick reads their space
//! and turns their I/O counters into rates.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::diskstats::{DiskStats, io_device_for, parse_diskstats};
use super::mounts::{Mount, parse_mountinfo};
use super::space::statvfs;
use crate::collect::procfs::read_into;
use crate::collect::{CollectError, Collector, Tick};
use crate::config::SysRoot;
use crate::model::{Sample, SeriesMeta, registry};
use crate::util::counter;

/// How often the mount list is read again (mounts rarely change).
const REDISCOVER_EVERY: Duration = Duration::from_secs(60);

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

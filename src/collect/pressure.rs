//! Pressure stall information (`/proc/pressure/{cpu,memory,io}`): for each resource the share
//! of the last 10 s in which some (and, where the kernel says, all) tasks waited, and the
//! stall time since boot. The files stay open and are read again from the start each tick (a
//! `pread` at 0 makes the kernel print them anew): three reads, no open or close per tick.
//! `avg10` averages the last 10 s, so reading it every 10 s sees every moment once and no
//! more often is needed: the files are read about every [`READ_EVERY`] and the ticks between
//! carry the last values (the kernel prints the files anew on each read, the tick's dearest
//! part of PSI).
//! A kernel without PSI (no `/proc/pressure`, or `psi=0`) gives no series, said once in the
//! log, never zeros.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::procfs::parse_error;
use super::{CollectError, Collector, Tick};
use crate::config::SysRoot;
use crate::model::{Sample, SeriesMeta, registry};

/// The resources, as the files and the series' instance are named.
const RESOURCES: [&str; 3] = ["cpu", "memory", "io"];

/// The window of `avg10`: readings this far apart cover all the time between them.
pub const READ_EVERY: Duration = Duration::from_secs(10);

/// Ticks drift by milliseconds: a tick this close to [`READ_EVERY`] reads, so 5 s ticks read
/// every second tick rather than every third.
const READ_SLACK: Duration = Duration::from_millis(500);

/// One line of a pressure file: its `avg10` (percent) and `total` (microseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stall {
    pub avg10: f64,
    pub total_us: u64,
}

/// The `some` and `full` lines of a pressure file (`full` is missing for cpu before 5.13).
pub fn parse_pressure(text: &str) -> Option<(Stall, Option<Stall>)> {
    let mut some = None;
    let mut full = None;
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let slot = match fields.next() {
            Some("some") => &mut some,
            Some("full") => &mut full,
            _ => continue,
        };
        let (mut avg10, mut total_us) = (None, None);
        for field in fields {
            match field.split_once('=') {
                Some(("avg10", v)) => avg10 = v.parse::<f64>().ok().filter(|v| v.is_finite()),
                Some(("total", v)) => total_us = v.parse::<u64>().ok(),
                _ => {}
            }
        }
        *slot = Some(Stall {
            avg10: avg10?.clamp(0.0, 100.0),
            total_us: total_us?,
        });
    }
    Some((some?, full))
}

/// One resource's file, kept open, and its series.
struct Source {
    path: PathBuf,
    file: File,
    /// some %, full %, some total, full total.
    meta: [Arc<SeriesMeta>; 4],
}

/// Reads the three pressure files at most every [`READ_EVERY`].
pub struct PressureCollector {
    sources: Vec<Source>,
    buf: Vec<u8>,
    /// The samples of the last read, and when it was.
    last: Vec<Sample>,
    read_at: Option<Instant>,
}

impl PressureCollector {
    /// A collector over `<proc>/pressure/*`; without them (no PSI) one that gives nothing.
    pub fn new(root: &SysRoot) -> Self {
        let mut sources = Vec::new();
        for resource in RESOURCES {
            let path = root.proc.join("pressure").join(resource);
            // The files exist but refuse reading when PSI is compiled in and disabled (psi=0).
            let readable = File::open(&path).and_then(|file| {
                let mut probe = [0u8; 64];
                file.read_at(&mut probe, 0).map(|_| file)
            });
            match readable {
                Ok(file) => {
                    let meta = registry::PRESSURE_FAMILIES.map(|family| {
                        Arc::new(family.instance(resource, &[resource_name(resource)]))
                    });
                    sources.push(Source { path, file, meta });
                }
                Err(err) => {
                    tracing::info!(path = %path.display(), error = %err,
                        "no pressure stall information for {resource} on this kernel: no pressure series");
                }
            }
        }
        PressureCollector {
            sources,
            buf: vec![0; 256],
            last: Vec::with_capacity(12),
            read_at: None,
        }
    }
}

/// The resource as the descriptions say it (also for a remote host's pressure).
pub fn resource_name(resource: &str) -> &'static str {
    match resource {
        "cpu" => "CPU",
        "memory" => "Memory",
        _ => "Disk I/O",
    }
}

impl Collector for PressureCollector {
    fn source(&self) -> &'static str {
        "pressure"
    }

    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        let fresh = self
            .read_at
            .is_some_and(|t| tick.now.saturating_duration_since(t) + READ_SLACK < READ_EVERY);
        if !fresh {
            // A failed read leaves nothing to repeat: the next tick reads again.
            self.read_at = None;
            self.last.clear();
            self.read()?;
            self.read_at = Some(tick.now);
        }
        out.extend(self.last.iter().cloned());
        Ok(())
    }
}

impl PressureCollector {
    /// Reads the three files into `self.last`.
    fn read(&mut self) -> Result<(), CollectError> {
        let out = &mut self.last;
        for source in &self.sources {
            let read = source
                .file
                .read_at(&mut self.buf, 0)
                .map_err(|err| CollectError::Io {
                    path: source.path.clone(),
                    source: err,
                })?;
            let text = std::str::from_utf8(&self.buf[..read])
                .map_err(|_| parse_error(&source.path, "not UTF-8"))?;
            let (some, full) = parse_pressure(text)
                .ok_or_else(|| parse_error(&source.path, "expected a `some` line"))?;
            let mut push = |i: usize, value: f64| {
                out.push(Sample {
                    series: source.meta[i].clone(),
                    value,
                })
            };
            push(0, some.avg10);
            push(2, some.total_us as f64 / 1e6);
            if let Some(full) = full {
                push(1, full.avg10);
                push(3, full.total_us as f64 / 1e6);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/pressure/memory` of a 6.1 kernel under load.
    const MEMORY: &str = "some avg10=12.34 avg60=5.00 avg300=1.20 total=98765432\n\
                          full avg10=3.21 avg60=1.00 avg300=0.30 total=1234567\n";
    /// `/proc/pressure/cpu` of a 5.4 kernel: no `full` line yet (added in 5.13).
    const CPU_OLD: &str = "some avg10=0.00 avg60=0.10 avg300=0.05 total=4242\n";

    #[test]
    fn reads_some_and_full_and_old_kernels_without_full_for_cpu() {
        let (some, full) = parse_pressure(MEMORY).expect("memory");
        assert_eq!(
            some,
            Stall {
                avg10: 12.34,
                total_us: 98_765_432
            }
        );
        assert_eq!(
            full,
            Some(Stall {
                avg10: 3.21,
                total_us: 1_234_567
            })
        );
        let (some, full) = parse_pressure(CPU_OLD).expect("cpu");
        assert_eq!(some.total_us, 4242);
        assert_eq!(full, None);
    }

    #[test]
    fn garbage_is_refused_not_read_as_zero() {
        for text in [
            "",
            "full avg10=1.00 avg60=0 avg300=0 total=5\n",
            "some avg10=x total=5\n",
            "some avg10=1.0\n",
            "some total=5\n",
            "some avg10=NaN total=5\n",
        ] {
            assert_eq!(parse_pressure(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_kernel_without_psi_gives_no_series_and_this_one_gives_cpu_memory_io() {
        let dir = tempfile::tempdir().expect("dir");
        let root = SysRoot::fixture(dir.path());
        let mut none = PressureCollector::new(&root);
        let mut out = Vec::new();
        none.collect(&Tick::now(), &mut out)
            .expect("nothing to read");
        assert!(out.is_empty());

        std::fs::create_dir_all(root.proc.join("pressure")).expect("dir");
        std::fs::write(root.proc.join("pressure/cpu"), CPU_OLD).expect("cpu");
        std::fs::write(root.proc.join("pressure/memory"), MEMORY).expect("memory");
        std::fs::write(root.proc.join("pressure/io"), MEMORY).expect("io");
        let mut psi = PressureCollector::new(&root);
        psi.collect(&Tick::now(), &mut out).expect("read");
        let value = |id: &str| out.iter().find(|s| s.series.id == id).map(|s| s.value);
        assert_eq!(value("pressure.memory.some_percent"), Some(12.34));
        assert_eq!(value("pressure.memory.full_percent"), Some(3.21));
        assert_eq!(value("pressure.memory.some_seconds_total"), Some(98.765432));
        assert_eq!(value("pressure.cpu.some_percent"), Some(0.0));
        assert_eq!(
            value("pressure.cpu.full_percent"),
            None,
            "no full line, no zero"
        );
        assert_eq!(out.len(), 2 + 4 + 4);
        // Read again from the start, but not within avg10's window: the tick 5 s later repeats
        // the last values; one a little under 10 s after the read (ticks drift) reads anew.
        let read_at = Tick::now();
        let memory_at = |psi: &mut PressureCollector, after: Duration| {
            let mut again = Vec::new();
            let tick = Tick {
                now: read_at.now + after,
            };
            psi.collect(&tick, &mut again).expect("read");
            again
                .iter()
                .find(|s| s.series.id == "pressure.memory.some_seconds_total")
                .map(|s| s.value)
        };
        let mut psi = PressureCollector::new(&root);
        std::fs::write(root.proc.join("pressure/memory"), MEMORY).expect("memory");
        assert_eq!(memory_at(&mut psi, Duration::ZERO), Some(98.765432));
        std::fs::write(root.proc.join("pressure/memory"), CPU_OLD).expect("memory");
        assert_eq!(memory_at(&mut psi, Duration::from_secs(5)), Some(98.765432));
        assert_eq!(
            memory_at(&mut psi, Duration::from_millis(9_990)),
            Some(0.004242)
        );
    }
}

//! The collector of measured power: reads the meter [`detect`](super::detect) found, each tick.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::meters::{RaplZone, counter_delta};
use super::source::MEASURED;
use crate::collect::{CollectError, Collector, Tick, procfs};
use crate::model::{Sample, SeriesMeta, registry};

/// How `power.watts` is measured.
#[derive(Debug)]
enum Meter {
    Rapl {
        zones: Vec<RaplZone>,
        last: Option<(Vec<u64>, Instant)>,
    },
    Hwmon(PathBuf),
}

impl Meter {
    fn method(&self) -> &'static str {
        match self {
            Meter::Rapl { .. } => "rapl",
            Meter::Hwmon(_) => "hwmon",
        }
    }
}

/// Reads measured power each tick.
pub struct PowerCollector {
    meter: Meter,
    meta: Arc<SeriesMeta>,
    buf: String,
}

impl PowerCollector {
    fn new(meter: Meter) -> Self {
        let meta = registry::POWER_WATTS
            .global()
            .with_label("source", MEASURED)
            .with_label("method", meter.method());
        PowerCollector {
            meter,
            meta: Arc::new(meta),
            buf: String::with_capacity(32),
        }
    }

    /// A collector over RAPL zones (tests build fake trees).
    pub fn rapl(zones: Vec<RaplZone>) -> Self {
        PowerCollector::new(Meter::Rapl { zones, last: None })
    }

    /// A collector over one hwmon input.
    pub fn hwmon(input: PathBuf) -> Self {
        PowerCollector::new(Meter::Hwmon(input))
    }
}

/// One integer from a sysfs file, read into `buf` so a tick allocates nothing.
fn read_u64(path: &Path, buf: &mut String) -> Result<u64, CollectError> {
    procfs::read_into(path, buf)?;
    buf.trim()
        .parse()
        .map_err(|_| procfs::parse_error(path, "not an integer"))
}

impl Collector for PowerCollector {
    fn source(&self) -> &'static str {
        "power"
    }

    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        let PowerCollector { meter, meta, buf } = self;
        let watts = match meter {
            Meter::Hwmon(input) => Some(read_u64(input, buf)? as f64 / 1e6),
            Meter::Rapl { zones, last } => {
                // Read every zone before touching `last`: a failed read keeps the old counters.
                let mut now = Vec::with_capacity(zones.len());
                for zone in zones.iter() {
                    now.push(read_u64(&zone.energy, buf)?);
                }
                let watts = last.as_ref().and_then(|(previous, at)| {
                    let seconds = tick.now.saturating_duration_since(*at).as_secs_f64();
                    (seconds > 0.0).then(|| {
                        let uj: u64 = zones
                            .iter()
                            .zip(previous.iter().zip(&now))
                            .map(|(zone, (p, n))| counter_delta(*p, *n, zone.max_range_uj))
                            .sum();
                        uj as f64 / 1e6 / seconds
                    })
                });
                *last = Some((now, tick.now));
                watts
            }
        };
        if let Some(watts) = watts {
            out.push(Sample {
                series: meta.clone(),
                value: watts,
            });
        }
        Ok(())
    }
}

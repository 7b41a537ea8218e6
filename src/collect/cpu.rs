//! CPU usage, total and per core, from the jiffies in `/proc/stat`.

use std::path::PathBuf;
use std::sync::Arc;

use super::procfs::{parse_error, read_into};
use super::{CollectError, Collector, Tick};
use crate::config::SysRoot;
use crate::model::{Sample, SeriesMeta, registry};

/// Cumulative jiffies of one CPU line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    pub total: u64,
    /// idle + iowait: time the CPU did no work.
    pub idle: u64,
    pub iowait: u64,
    pub steal: u64,
}

impl CpuTimes {
    /// Adds another CPU's counters (to sum cores into a whole).
    pub fn add(&mut self, other: &CpuTimes) {
        self.total = self.total.saturating_add(other.total);
        self.idle = self.idle.saturating_add(other.idle);
        self.iowait = self.iowait.saturating_add(other.iowait);
        self.steal = self.steal.saturating_add(other.steal);
    }
}

/// Parses `/proc/stat`: the aggregate line first, then one entry per `cpuN` line.
pub fn parse_stat(text: &str) -> Vec<(Option<u32>, CpuTimes)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("cpu") else {
            // cpu lines come first; stop at the first other line.
            if !out.is_empty() {
                break;
            }
            continue;
        };
        let (label, numbers) = match rest.split_once(|c: char| c.is_ascii_whitespace()) {
            Some(parts) => parts,
            None => continue,
        };
        let core = if label.is_empty() {
            None
        } else {
            match label.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => continue,
            }
        };
        let mut values = [0u64; 8];
        let mut count = 0;
        for (slot, field) in values.iter_mut().zip(numbers.split_ascii_whitespace()) {
            match field.parse() {
                Ok(v) => {
                    *slot = v;
                    count += 1;
                }
                Err(_) => break,
            }
        }
        if count < 4 {
            continue;
        }
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        let idle = values[3].saturating_add(values[4]);
        let total = values.iter().fold(0u64, |acc, v| acc.saturating_add(*v));
        out.push((
            core,
            CpuTimes {
                total,
                idle,
                iowait: values[4],
                steal: values[7],
            },
        ));
    }
    out
}

/// Percentages over the interval between two readings, or `None` if the counters went back.
pub fn usage(prev: CpuTimes, cur: CpuTimes) -> Option<(f64, f64, f64)> {
    let total = cur.total.checked_sub(prev.total)?;
    let idle = cur.idle.checked_sub(prev.idle)?;
    let iowait = cur.iowait.checked_sub(prev.iowait)?;
    let steal = cur.steal.checked_sub(prev.steal)?;
    if total == 0 || idle > total {
        return None;
    }
    let pct = |part: u64| (part as f64 / total as f64 * 100.0).clamp(0.0, 100.0);
    Some((pct(total - idle), pct(iowait), pct(steal)))
}

/// Reads `/proc/stat` each tick.
pub struct CpuCollector {
    path: PathBuf,
    buf: String,
    previous: Vec<(Option<u32>, CpuTimes)>,
    total: [Arc<SeriesMeta>; 3],
    cores: Vec<(u32, Arc<SeriesMeta>)>,
}

impl CpuCollector {
    /// A collector reading `<proc>/stat`.
    pub fn new(root: &SysRoot) -> Self {
        CpuCollector {
            path: root.proc.join("stat"),
            buf: String::with_capacity(4096),
            previous: Vec::new(),
            total: [
                Arc::new(registry::CPU_USAGE.global()),
                Arc::new(registry::CPU_IOWAIT.global()),
                Arc::new(registry::CPU_STEAL.global()),
            ],
            cores: Vec::new(),
        }
    }

    fn core_meta(&mut self, core: u32) -> Arc<SeriesMeta> {
        if let Some((_, meta)) = self.cores.iter().find(|(c, _)| *c == core) {
            return meta.clone();
        }
        let number = core.to_string();
        let meta = Arc::new(
            registry::CPU_CORE_USAGE
                .instance(&format!("core{core}"), &[&number])
                .label_value(number),
        );
        self.cores.push((core, meta.clone()));
        meta
    }
}

impl Collector for CpuCollector {
    fn source(&self) -> &'static str {
        "cpu"
    }

    fn collect(&mut self, _tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        read_into(&self.path, &mut self.buf)?;
        let current = parse_stat(&self.buf);
        if current
            .first()
            .map(|(core, _)| core.is_some())
            .unwrap_or(true)
        {
            return Err(parse_error(&self.path, "no aggregate cpu line"));
        }
        for (core, now) in &current {
            let before = self
                .previous
                .iter()
                .find(|(c, _)| c == core)
                .map(|(_, t)| *t);
            let Some((busy, iowait, steal)) = before.and_then(|before| usage(before, *now)) else {
                continue;
            };
            match core {
                None => {
                    for (meta, value) in self.total.iter().zip([busy, iowait, steal]) {
                        out.push(Sample {
                            series: meta.clone(),
                            value,
                        });
                    }
                }
                Some(n) => {
                    let series = self.core_meta(*n);
                    out.push(Sample {
                        series,
                        value: busy,
                    });
                }
            }
        }
        self.previous = current;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STAT: &str = "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 50 0 50 350 50 0 0 0 0 0\ncpu1 50 0 50 350 50 0 0 0 0 0\nintr 1 2 3\n";

    #[test]
    fn parses_aggregate_and_cores() {
        let parsed = parse_stat(STAT);
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].0, None);
        assert_eq!(parsed[0].1.total, 1000);
        assert_eq!(parsed[0].1.idle, 800);
        assert_eq!(parsed[2].0, Some(1));
    }

    #[test]
    fn usage_is_busy_share_of_the_interval() {
        let before = CpuTimes {
            total: 1000,
            idle: 800,
            iowait: 100,
            steal: 0,
        };
        let after = CpuTimes {
            total: 2000,
            idle: 1300,
            iowait: 200,
            steal: 0,
        };
        let (busy, iowait, _) = usage(before, after).expect("usage");
        assert!((busy - 50.0).abs() < 1e-9);
        assert!((iowait - 10.0).abs() < 1e-9);
    }

    #[test]
    fn counters_going_back_give_nothing() {
        let before = CpuTimes {
            total: 2000,
            idle: 1300,
            iowait: 0,
            steal: 0,
        };
        let after = CpuTimes {
            total: 1000,
            idle: 800,
            iowait: 0,
            steal: 0,
        };
        assert_eq!(usage(before, after), None);
    }

    proptest! {
        #[test]
        fn parser_never_panics(text in "\\PC{0,400}") {
            let _ = parse_stat(&text);
        }

        #[test]
        fn usage_stays_within_0_and_100(a in any::<[u32; 4]>(), b in any::<[u32; 4]>()) {
            let t = |v: [u32; 4]| CpuTimes { total: u64::from(v[0]) * 4, idle: u64::from(v[1]), iowait: u64::from(v[2]), steal: u64::from(v[3]) };
            if let Some((busy, iowait, steal)) = usage(t(a), t(b)) {
                for v in [busy, iowait, steal] {
                    prop_assert!((0.0..=100.0).contains(&v));
                }
            }
        }
    }
}

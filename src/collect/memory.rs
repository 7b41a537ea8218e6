//! Memory and swap from `/proc/meminfo`, swap activity from `/proc/vmstat`.

use std::path::PathBuf;
use std::sync::Arc;

use super::procfs::{field_u64, parse_error, read_into};
use super::{CollectError, Collector, Tick};
use crate::config::SysRoot;
use crate::model::{Sample, SeriesMeta, registry};
use crate::util::counter;

/// The `/proc/meminfo` values we use, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemInfo {
    pub total: u64,
    pub available: u64,
    pub swap_total: u64,
    pub swap_free: u64,
}

/// Parses `/proc/meminfo`; `None` if the essential lines are missing.
pub fn parse_meminfo(text: &str) -> Option<MemInfo> {
    let mut info = MemInfo::default();
    let (mut have_total, mut have_available) = (false, false);
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let slot = match key {
            "MemTotal" => {
                have_total = true;
                &mut info.total
            }
            "MemAvailable" => {
                have_available = true;
                &mut info.available
            }
            "SwapTotal" => &mut info.swap_total,
            "SwapFree" => &mut info.swap_free,
            _ => continue,
        };
        *slot = field_u64(rest)?.saturating_mul(1024);
    }
    (have_total && have_available).then_some(info)
}

/// Pages swapped in and out since boot, from `/proc/vmstat`.
pub fn parse_vmstat_swap(text: &str) -> Option<(u64, u64)> {
    let (mut swap_in, mut swap_out) = (None, None);
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("pswpin ") {
            swap_in = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("pswpout ") {
            swap_out = v.trim().parse().ok();
        }
        if swap_in.is_some() && swap_out.is_some() {
            break;
        }
    }
    Some((swap_in?, swap_out?))
}

/// Reads memory and swap each tick.
pub struct MemoryCollector {
    meminfo: PathBuf,
    vmstat: PathBuf,
    buf: String,
    page_size: u64,
    previous_swap: Option<(std::time::Instant, u64, u64)>,
    meta: [Arc<SeriesMeta>; 9],
}

impl MemoryCollector {
    /// A collector reading `<proc>/meminfo` and `<proc>/vmstat`.
    pub fn new(root: &SysRoot) -> Self {
        let m = |family: &registry::Family| Arc::new(family.global());
        MemoryCollector {
            meminfo: root.proc.join("meminfo"),
            vmstat: root.proc.join("vmstat"),
            buf: String::with_capacity(8192),
            page_size: rustix::param::page_size() as u64,
            previous_swap: None,
            meta: [
                m(&registry::MEMORY_TOTAL),
                m(&registry::MEMORY_USED),
                m(&registry::MEMORY_AVAILABLE),
                m(&registry::MEMORY_USED_PERCENT),
                m(&registry::SWAP_TOTAL),
                m(&registry::SWAP_USED),
                m(&registry::SWAP_USED_PERCENT),
                m(&registry::SWAP_IN),
                m(&registry::SWAP_OUT),
            ],
        }
    }
}

impl Collector for MemoryCollector {
    fn source(&self) -> &'static str {
        "memory"
    }

    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        read_into(&self.meminfo, &mut self.buf)?;
        let info = parse_meminfo(&self.buf)
            .ok_or_else(|| parse_error(&self.meminfo, "MemTotal or MemAvailable missing"))?;
        let used = info.total.saturating_sub(info.available);
        let swap_used = info.swap_total.saturating_sub(info.swap_free);
        let percent = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64 * 100.0
            }
        };
        let values = [
            info.total as f64,
            used as f64,
            info.available as f64,
            percent(used, info.total),
            info.swap_total as f64,
            swap_used as f64,
            percent(swap_used, info.swap_total),
        ];
        for (meta, value) in self.meta.iter().zip(values) {
            out.push(Sample {
                series: meta.clone(),
                value,
            });
        }

        // Swap activity is optional: some kernels hide vmstat.
        if read_into(&self.vmstat, &mut self.buf).is_ok()
            && let Some((pages_in, pages_out)) = parse_vmstat_swap(&self.buf)
        {
            if let Some((then, prev_in, prev_out)) = self.previous_swap {
                let elapsed = tick.now.duration_since(then).as_secs_f64();
                let rates = [
                    counter::rate(prev_in, pages_in, elapsed),
                    counter::rate(prev_out, pages_out, elapsed),
                ];
                for (meta, rate) in self.meta[7..].iter().zip(rates) {
                    if let Some(pages_per_second) = rate {
                        out.push(Sample {
                            series: meta.clone(),
                            value: pages_per_second * self.page_size as f64,
                        });
                    }
                }
            }
            self.previous_swap = Some((tick.now, pages_in, pages_out));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn meminfo_in_bytes() {
        let text = "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    600 kB\nSwapTotal:       200 kB\nSwapFree:        150 kB\n";
        let info = parse_meminfo(text).expect("parsed");
        assert_eq!(info.total, 1_024_000);
        assert_eq!(info.available, 614_400);
        assert_eq!(info.swap_total - info.swap_free, 51_200);
    }

    #[test]
    fn meminfo_without_available_is_rejected() {
        assert_eq!(parse_meminfo("MemTotal: 1000 kB\n"), None);
    }

    #[test]
    fn vmstat_swap_pages() {
        assert_eq!(
            parse_vmstat_swap("nr_free_pages 5\npswpin 7\npswpout 9\n"),
            Some((7, 9))
        );
        assert_eq!(parse_vmstat_swap("nr_free_pages 5\n"), None);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,400}") {
            let _ = parse_meminfo(&text);
            let _ = parse_vmstat_swap(&text);
        }
    }
}

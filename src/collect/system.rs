//! Load averages (`/proc/loadavg`) and uptime (`/proc/uptime`).

use std::path::PathBuf;
use std::sync::Arc;

use super::procfs::{parse_error, read_into};
use super::{CollectError, Collector, Tick};
use crate::config::SysRoot;
use crate::model::{Sample, SeriesMeta, registry};

/// The three load averages.
pub fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut fields = text.split_ascii_whitespace().map(|f| f.parse::<f64>().ok());
    let values = [fields.next()??, fields.next()??, fields.next()??];
    values
        .iter()
        .all(|v| v.is_finite() && *v >= 0.0)
        .then_some(values)
}

/// Seconds since boot.
pub fn parse_uptime(text: &str) -> Option<f64> {
    let value: f64 = text.split_ascii_whitespace().next()?.parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// Reads load and uptime each tick.
pub struct SystemCollector {
    loadavg: PathBuf,
    uptime: PathBuf,
    buf: String,
    meta: [Arc<SeriesMeta>; 4],
}

impl SystemCollector {
    /// A collector reading `<proc>/loadavg` and `<proc>/uptime`.
    pub fn new(root: &SysRoot) -> Self {
        let m = |family: &registry::Family| Arc::new(family.global());
        SystemCollector {
            loadavg: root.proc.join("loadavg"),
            uptime: root.proc.join("uptime"),
            buf: String::with_capacity(128),
            meta: [
                m(&registry::LOAD_1M),
                m(&registry::LOAD_5M),
                m(&registry::LOAD_15M),
                m(&registry::UPTIME),
            ],
        }
    }
}

impl Collector for SystemCollector {
    fn source(&self) -> &'static str {
        "system"
    }

    fn collect(&mut self, _tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        read_into(&self.loadavg, &mut self.buf)?;
        let load = parse_loadavg(&self.buf)
            .ok_or_else(|| parse_error(&self.loadavg, "expected three numbers"))?;
        for (meta, value) in self.meta.iter().zip(load) {
            out.push(Sample {
                series: meta.clone(),
                value,
            });
        }
        read_into(&self.uptime, &mut self.buf)?;
        let uptime =
            parse_uptime(&self.buf).ok_or_else(|| parse_error(&self.uptime, "expected seconds"))?;
        out.push(Sample {
            series: self.meta[3].clone(),
            value: uptime,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn load_and_uptime() {
        assert_eq!(
            parse_loadavg("0.50 1.25 2.00 1/234 5678\n"),
            Some([0.5, 1.25, 2.0])
        );
        assert_eq!(parse_loadavg("0.50 x"), None);
        assert_eq!(parse_uptime("12345.67 4000.00\n"), Some(12345.67));
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,100}") {
            let _ = parse_loadavg(&text);
            let _ = parse_uptime(&text);
        }
    }
}

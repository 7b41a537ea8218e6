//! Throughput and errors per network interface, from `/proc/net/dev`.
//!
//! `veth*` interfaces are skipped: each mirrors one container's traffic, which the host's own
//! interfaces already count, and they come and go with containers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::procfs::{parse_error, read_into};
use super::{CollectError, Collector, Tick};
use crate::config::SysRoot;
use crate::model::{Sample, SeriesMeta, registry};
use crate::util::counter;

/// Cumulative counters of one interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IfaceCounters {
    pub rx_bytes: u64,
    pub rx_errors: u64,
    pub tx_bytes: u64,
    pub tx_errors: u64,
}

/// Parses `/proc/net/dev`.
pub fn parse_net_dev(text: &str) -> Vec<(&str, IfaceCounters)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(' ') {
            continue;
        }
        let mut f = rest.split_ascii_whitespace().map(|v| v.parse::<u64>().ok());
        let nums: [Option<u64>; 11] = std::array::from_fn(|_| f.next().flatten());
        // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs
        let (Some(rx_bytes), Some(rx_errors), Some(tx_bytes), Some(tx_errors)) =
            (nums[0], nums[2], nums[8], nums[10])
        else {
            continue;
        };
        out.push((
            name,
            IfaceCounters {
                rx_bytes,
                rx_errors,
                tx_bytes,
                tx_errors,
            },
        ));
    }
    out
}

/// What kind of interface a name is, for labelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfaceKind {
    Loopback,
    Virtual,
    Physical,
}

impl IfaceKind {
    fn as_str(self) -> &'static str {
        match self {
            IfaceKind::Loopback => "loopback",
            IfaceKind::Virtual => "virtual",
            IfaceKind::Physical => "physical",
        }
    }
}

/// Classifies an interface by its sysfs link (`/sys/class/net/X -> ../../devices/virtual/...`).
pub fn classify(sys: &std::path::Path, name: &str) -> IfaceKind {
    if name == "lo" {
        return IfaceKind::Loopback;
    }
    match std::fs::read_link(sys.join("class/net").join(name)) {
        Ok(target) if target.to_string_lossy().contains("/virtual/") => IfaceKind::Virtual,
        Ok(_) => IfaceKind::Physical,
        // No sysfs entry (another network namespace's view): call it virtual rather than guess.
        Err(_) => IfaceKind::Virtual,
    }
}

struct TrackedIface {
    name: String,
    previous: Option<(Instant, IfaceCounters)>,
    meta: [Arc<SeriesMeta>; 4],
    seen: bool,
}

/// Reads interface counters each tick.
pub struct NetworkCollector {
    path: PathBuf,
    sys: PathBuf,
    buf: String,
    ifaces: Vec<TrackedIface>,
}

impl NetworkCollector {
    /// A collector reading `<proc>/net/dev`, classifying with `<sys>/class/net`.
    pub fn new(root: &SysRoot) -> Self {
        NetworkCollector {
            path: root.proc.join("net/dev"),
            sys: root.sys.clone(),
            buf: String::with_capacity(4096),
            ifaces: Vec::new(),
        }
    }

    fn tracked(&mut self, name: &str) -> &mut TrackedIface {
        if let Some(pos) = self.ifaces.iter().position(|i| i.name == name) {
            return &mut self.ifaces[pos];
        }
        let kind = classify(&self.sys, name).as_str();
        let m = |family: &registry::Family| {
            Arc::new(
                family
                    .instance(name, &[name, kind])
                    .with_label("kind", kind),
            )
        };
        let meta = [
            m(&registry::NET_RX),
            m(&registry::NET_TX),
            m(&registry::NET_RX_ERRORS),
            m(&registry::NET_TX_ERRORS),
        ];
        self.ifaces.push(TrackedIface {
            name: name.to_string(),
            previous: None,
            meta,
            seen: false,
        });
        let last = self.ifaces.len() - 1;
        &mut self.ifaces[last]
    }
}

impl Collector for NetworkCollector {
    fn source(&self) -> &'static str {
        "network"
    }

    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        let mut buf = std::mem::take(&mut self.buf);
        let result = read_into(&self.path, &mut buf);
        if let Err(err) = result {
            self.buf = buf;
            return Err(err);
        }
        let parsed = parse_net_dev(&buf);
        if parsed.is_empty() {
            self.buf = buf;
            return Err(parse_error(&self.path, "no interfaces"));
        }
        for iface in &mut self.ifaces {
            iface.seen = false;
        }
        for (name, now) in parsed {
            if name.starts_with("veth") {
                continue;
            }
            let tracked = self.tracked(name);
            tracked.seen = true;
            out.push(Sample {
                series: tracked.meta[2].clone(),
                value: now.rx_errors as f64,
            });
            out.push(Sample {
                series: tracked.meta[3].clone(),
                value: now.tx_errors as f64,
            });
            if let Some((then, before)) = tracked.previous {
                let elapsed = tick.now.duration_since(then).as_secs_f64();
                let rates = [
                    counter::rate(before.rx_bytes, now.rx_bytes, elapsed),
                    counter::rate(before.tx_bytes, now.tx_bytes, elapsed),
                ];
                for (meta, rate) in tracked.meta[..2].iter().zip(rates) {
                    if let Some(value) = rate {
                        out.push(Sample {
                            series: meta.clone(),
                            value,
                        });
                    }
                }
            }
            tracked.previous = Some((tick.now, now));
        }
        // Forget interfaces that vanished so a re-created one starts fresh.
        self.ifaces.retain(|i| i.seen);
        self.buf = buf;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NET_DEV: &str = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5000000    4000    3    0    0     0          0         0   200000     1500    1    0    0     0       0          0
";

    #[test]
    fn parses_interfaces() {
        let parsed = parse_net_dev(NET_DEV);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].0, "eth0");
        assert_eq!(
            parsed[1].1,
            IfaceCounters {
                rx_bytes: 5_000_000,
                rx_errors: 3,
                tx_bytes: 200_000,
                tx_errors: 1
            }
        );
    }

    #[test]
    fn rates_come_from_deltas_and_resets_give_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = SysRoot::fixture(dir.path());
        std::fs::create_dir_all(root.proc.join("net")).expect("mkdir");
        let write = |rx: u64| {
            let text = format!("h\nh\n  eth0: {rx} 1 0 0 0 0 0 0 500 1 0 0 0 0 0 0\n");
            std::fs::write(root.proc.join("net/dev"), text).expect("write");
        };
        let mut collector = NetworkCollector::new(&root);
        let t0 = Tick::now();
        let mut out = Vec::new();
        write(1_000);
        collector.collect(&t0, &mut out).expect("first");
        assert!(
            out.iter().all(|s| !s.series.id.ends_with("_per_second")),
            "no rate on first read"
        );
        write(3_000);
        out.clear();
        collector.collect(&t0.later(2.0), &mut out).expect("second");
        let rx = out
            .iter()
            .find(|s| s.series.id == "net.eth0.rx_bytes_per_second")
            .expect("rx");
        assert!((rx.value - 1_000.0).abs() < 1e-9);
        assert_eq!(
            rx.series.labels,
            vec![
                ("interface", "eth0".to_string()),
                ("kind", "virtual".to_string())
            ]
        );
        write(10);
        out.clear();
        collector.collect(&t0.later(4.0), &mut out).expect("third");
        assert!(
            !out.iter()
                .any(|s| s.series.id == "net.eth0.rx_bytes_per_second"),
            "reset gives no rate"
        );
    }

    proptest! {
        #[test]
        fn parser_never_panics(text in "\\PC{0,400}") {
            let _ = parse_net_dev(&text);
        }
    }
}

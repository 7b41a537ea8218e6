//! The remote hosts' collector: each tick gets every host's `host.up` and, while fresh, its
//! latest good scrape.

use super::host::RemoteHosts;
use crate::collect::{CollectError, Collector, Tick};
use crate::model::Sample;
use crate::util::lock;

/// Hands each host's latest good scrape, and its `host.up`, to every tick.
pub struct RemoteCollector {
    hosts: RemoteHosts,
}

impl RemoteCollector {
    /// A collector over the hosts' shared state.
    pub fn new(hosts: RemoteHosts) -> Self {
        RemoteCollector { hosts }
    }
}

impl Collector for RemoteCollector {
    fn source(&self) -> &'static str {
        "hosts"
    }

    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        for host in self.hosts.hosts.iter() {
            let shared = lock(&host.shared);
            let Some(at) = shared.scraped_at else {
                continue;
            };
            let fresh = tick.now.saturating_duration_since(at) <= host.max_age();
            let up = fresh && shared.status.up == Some(true);
            out.push(Sample {
                series: host.up.clone(),
                value: if up { 1.0 } else { 0.0 },
            });
            if up {
                out.extend(shared.samples.iter().cloned());
            }
        }
        // A host that is down is the host's news (its `host.up`), not a fault of this box.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::collect::remote::RemoteHost;
    use crate::model::registry;

    #[test]
    fn a_host_is_up_with_its_samples_while_fresh_then_down_without_them() {
        let host = RemoteHost::new(
            "nas",
            "http://u:p@nas:9100/metrics",
            Duration::from_secs(10),
        );
        let hosts = RemoteHosts {
            hosts: Arc::new(vec![host.clone()]),
        };
        let mut collector = RemoteCollector::new(hosts.clone());
        let start = Tick::now();
        let mut out = Vec::new();
        collector.collect(&start, &mut out).expect("ok");
        assert!(out.is_empty(), "nothing before the first scrape");

        let cpu = Arc::new(registry::CPU_USAGE.global().on_host(&host.name));
        {
            let mut shared = lock(&host.shared);
            shared.scraped_at = Some(start.now);
            shared.samples = vec![Sample {
                series: cpu,
                value: 12.0,
            }];
            shared.status.up = Some(true);
        }
        collector.collect(&start.later(1.0), &mut out).expect("ok");
        let ids: Vec<(&str, f64)> = out
            .iter()
            .map(|s| (s.series.id.as_str(), s.value))
            .collect();
        assert_eq!(ids, [("nas:host.up", 1.0), ("nas:cpu.usage", 12.0)]);

        out.clear();
        collector.collect(&start.later(60.0), &mut out).expect("ok");
        let ids: Vec<(&str, f64)> = out
            .iter()
            .map(|s| (s.series.id.as_str(), s.value))
            .collect();
        assert_eq!(ids, [("nas:host.up", 0.0)], "stale: down, values paused");
        assert_eq!(hosts.statuses()[0].url, "http://nas:9100/metrics");
    }
}

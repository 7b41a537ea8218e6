//! Remote hosts: other machines' node_exporter (or Resource Manager) `/metrics`, scraped each
//! on its own schedule ([`scrape`]) and handed to every tick by [`RemoteCollector`], like the
//! Supervisor's add-on stats: a slow or dead host never delays a tick or another host.
//!
//! Each host also gets `<host>:host.up` (1 after a good scrape, 0 after a failed one), so an
//! unreachable host is shown and alertable; its other series pause until it answers again.

pub mod map;
pub mod scrape;
pub mod text;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{CollectError, Collector, Tick};
use crate::model::{Sample, SeriesMeta, registry};
use crate::util::lock;

/// What the last scrapes of one host gave.
#[derive(Debug, Default)]
pub struct HostShared {
    /// When the last scrape ended (good or bad); `None` before the first.
    pub scraped_at: Option<Instant>,
    /// The samples of the last good scrape.
    pub samples: Vec<Sample>,
    pub status: HostStatus,
}

/// A host's state as the API and the dashboard show it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostStatus {
    pub name: String,
    /// The scraped address, without credentials.
    pub url: String,
    pub interval_seconds: u32,
    /// `None` until the first scrape ended.
    pub up: Option<bool>,
    /// Unix ms of the last good scrape.
    pub last_success_ms: Option<i64>,
    /// Why the last scrape failed, while it fails.
    pub error: Option<String>,
    /// Failed scrapes in a row.
    pub failures: u32,
    pub samples: usize,
    /// Lines of the page that could not be read (skipped).
    pub bad_lines: usize,
    /// Duration of the last scrape (request and parsing), milliseconds.
    pub scrape_millis: u64,
}

/// One remote host's shared state.
#[derive(Debug, Clone)]
pub struct RemoteHost {
    pub name: Arc<str>,
    pub interval: Duration,
    pub shared: Arc<Mutex<HostShared>>,
    up: Arc<SeriesMeta>,
}

impl RemoteHost {
    /// A host not scraped yet.
    pub fn new(name: &str, url: &str, interval: Duration) -> Self {
        let name: Arc<str> = Arc::from(name);
        let status = HostStatus {
            name: name.to_string(),
            url: scrape::display_url(url),
            interval_seconds: interval.as_secs() as u32,
            ..HostStatus::default()
        };
        RemoteHost {
            up: Arc::new(registry::HOST_UP.global().on_host(&name)),
            name,
            interval,
            shared: Arc::new(Mutex::new(HostShared {
                status,
                ..HostShared::default()
            })),
        }
    }

    /// The host's status now.
    pub fn status(&self) -> HostStatus {
        lock(&self.shared).status.clone()
    }

    /// Samples older than this are stale and not repeated.
    fn max_age(&self) -> Duration {
        self.interval * 2 + scrape::timeout(self.interval) + Duration::from_secs(1)
    }
}

/// The remote hosts, cheap to clone; the web layer reads their status.
#[derive(Debug, Clone, Default)]
pub struct RemoteHosts {
    pub hosts: Arc<Vec<RemoteHost>>,
}

impl RemoteHosts {
    /// Every host's status, in the options' order.
    pub fn statuses(&self) -> Vec<HostStatus> {
        self.hosts.iter().map(RemoteHost::status).collect()
    }

    /// Whether no remote host is configured.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }
}

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
    use super::*;

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

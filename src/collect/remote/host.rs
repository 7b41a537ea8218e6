//! One remote host's shared state: what its last scrapes gave and its status as the API and
//! the dashboard show it; the scrape loop writes it, the collector and the web layer read it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::request::{display_url, timeout};
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
    pub(super) up: Arc<SeriesMeta>,
}

impl RemoteHost {
    /// A host not scraped yet.
    pub fn new(name: &str, url: &str, interval: Duration) -> Self {
        let name: Arc<str> = Arc::from(name);
        let status = HostStatus {
            name: name.to_string(),
            url: display_url(url),
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
    pub(super) fn max_age(&self) -> Duration {
        self.interval * 2 + timeout(self.interval) + Duration::from_secs(1)
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

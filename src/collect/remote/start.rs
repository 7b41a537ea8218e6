//! The remote hosts, started: one scrape loop per host (links of the app, each on its own
//! interval) and the collector that hands their latest samples to each tick.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{RemoteCollector, RemoteHost, RemoteHosts, scrape};
use crate::config::HostOptions;
use crate::util::Clock;

/// Starts scraping every host of `options` until `stop`; no hosts, no collector.
pub fn start(
    tracker: &TaskTracker,
    options: &[HostOptions],
    clock: &Clock,
    stop: &CancellationToken,
) -> Result<(RemoteHosts, Option<RemoteCollector>), reqwest::Error> {
    if options.is_empty() {
        return Ok((RemoteHosts::default(), None));
    }
    let client = reqwest::Client::builder().build()?;
    let hosts: Vec<RemoteHost> = options
        .iter()
        .map(|o| RemoteHost::new(&o.name, &o.url, o.interval()))
        .collect();
    for (host, options) in hosts.iter().zip(options) {
        tracker.spawn(scrape::run(
            host.clone(),
            options.clone(),
            client.clone(),
            clock.clone(),
            stop.clone(),
        ));
    }
    let hosts = RemoteHosts {
        hosts: Arc::new(hosts),
    };
    Ok((hosts.clone(), Some(RemoteCollector::new(hosts))))
}

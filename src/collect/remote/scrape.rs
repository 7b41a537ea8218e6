//! The scrape loop of one remote host: GET its `/metrics` every `interval` with a timeout,
//! parse, map, and leave the result for the next ticks. A failure is recorded and the next
//! scrape simply tries again, so a host that comes back resumes by itself.

use std::time::Instant;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::host::RemoteHost;
use super::map::{MapState, map_page};
use super::request::{authorize, display_url, timeout};
use super::text::parse;
use crate::config::HostOptions;
use crate::util::{Clock, lock};

/// Largest page read (node_exporter's is ~60 kB; a runaway exporter is not read whole).
const MAX_PAGE_BYTES: usize = 8 << 20;

/// Why a scrape failed.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    #[error("cannot reach {url}: {detail}")]
    Request { url: String, detail: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} sent a page larger than 8 MiB")]
    TooLarge { url: String },
    #[error("{url} sent no metrics ({bad} unreadable lines)")]
    Empty { url: String, bad: usize },
}

/// Scrapes `host` until cancelled.
pub async fn run(
    host: RemoteHost,
    options: HostOptions,
    client: reqwest::Client,
    clock: Clock,
    cancel: CancellationToken,
) {
    let mut state = MapState::new(&host.name);
    let mut ticks = tokio::time::interval(host.interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let shown = display_url(&options.url);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = ticks.tick() => {}
        }
        let started = Instant::now();
        let result = tokio::select! {
            _ = cancel.cancelled() => break,
            result = scrape_once(&client, &options, &shown, &mut state, &clock) => result,
        };
        let millis = started.elapsed().as_millis() as u64;
        let mut shared = lock(&host.shared);
        shared.scraped_at = Some(clock.now());
        let status = &mut shared.status;
        status.scrape_millis = millis;
        match result {
            Ok((samples, bad_lines)) => {
                if status.up == Some(false) {
                    tracing::info!(host = %host.name, "remote host answers again");
                }
                status.up = Some(true);
                status.error = None;
                status.failures = 0;
                status.last_success_ms = Some(clock.now_ms());
                status.samples = samples.len();
                status.bad_lines = bad_lines;
                shared.samples = samples;
            }
            Err(err) => {
                if status.up != Some(false) {
                    tracing::warn!(host = %host.name, error = %err, "remote host does not answer");
                }
                status.up = Some(false);
                status.error = Some(err.to_string());
                status.failures = status.failures.saturating_add(1);
                shared.samples.clear();
            }
        }
    }
}

/// One scrape: the samples, and the count of unreadable lines.
async fn scrape_once(
    client: &reqwest::Client,
    options: &HostOptions,
    shown: &str,
    state: &mut MapState,
    clock: &Clock,
) -> Result<(Vec<crate::model::Sample>, usize), ScrapeError> {
    let request = |detail: String| ScrapeError::Request {
        url: shown.to_string(),
        detail,
    };
    let response = authorize(client.get(&options.url), &options.auth)
        .timeout(timeout(options.interval()))
        .header("Accept", "text/plain;version=0.0.4")
        .send()
        .await
        .map_err(|e| request(describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(ScrapeError::Status {
            url: shown.to_string(),
            status: status.as_u16(),
        });
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_PAGE_BYTES as u64)
    {
        return Err(ScrapeError::TooLarge {
            url: shown.to_string(),
        });
    }
    let body = response.bytes().await.map_err(|e| request(describe(&e)))?;
    if body.len() > MAX_PAGE_BYTES {
        return Err(ScrapeError::TooLarge {
            url: shown.to_string(),
        });
    }
    let text = String::from_utf8_lossy(&body);
    let page = parse(&text);
    if page.samples.is_empty() {
        return Err(ScrapeError::Empty {
            url: shown.to_string(),
            bad: page.bad_lines,
        });
    }
    let mut samples = Vec::with_capacity(64);
    map_page(&page, clock.now_ms(), state, &mut samples);
    Ok((samples, page.bad_lines))
}

/// A reqwest error in a few words (its chain without repeating the URL).
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".into();
    }
    if err.is_connect() {
        return "connection refused or unreachable".into();
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

//! Prometheus remote write of every series (local and remote hosts), with the names and
//! labels `/metrics` uses.
//!
//! The writer reads ticks from the event bus, so it is never on the tick path. Every
//! `interval` the ticks gathered become one request (protobuf + snappy, [`proto`]); it is sent
//! at once when nothing older waits, else queued behind the older ones on disk ([`buffer`]),
//! which are sent oldest first (receivers refuse samples older than ones they have) with
//! back-off between attempts. A receiver's 4xx other than 429 refuses that batch for good: it
//! is dropped and counted, so one bad batch never blocks the queue.

pub mod buffer;
pub mod proto;
mod start;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::bus::{Delivery, Event, Subscription};
use crate::collect::remote::request::{authorize, display_url};
use crate::config::RemoteWriteOptions;
use crate::model::Snapshot;
use crate::util::{Backoff, Clock, lock};
use buffer::DiskBuffer;
pub use start::start;

/// Most samples in one request (receivers' defaults allow far more; this keeps bodies small).
pub const MAX_SAMPLES: usize = 10_000;
/// Longest wait for the receiver's answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the writer did, for the status page and the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RemoteWriteStatus {
    /// The receiver, without credentials.
    pub url: String,
    pub sent_samples: u64,
    pub sent_batches: u64,
    /// Compressed bytes sent.
    pub sent_bytes: u64,
    /// Waiting on disk.
    pub buffered_batches: usize,
    pub buffered_bytes: u64,
    pub buffered_samples: u64,
    /// Dropped because the buffer was full (oldest first), since start.
    pub dropped_samples: u64,
    /// Refused by the receiver for good (4xx), since start.
    pub rejected_samples: u64,
    /// Ticks missed because the writer fell behind the bus.
    pub missed_ticks: u64,
    /// Samples gathered for the next batch.
    pub gathered_samples: usize,
    pub last_success_ms: Option<i64>,
    /// While sending fails: why, and how many attempts in a row.
    pub last_error: Option<String>,
    pub failures: u32,
}

/// How one attempt ended.
enum Sent {
    Ok,
    /// Try again later.
    Retry(String),
    /// The receiver refuses this batch for good.
    Refused(String),
}

/// The writer task's state.
pub struct RemoteWriter {
    url: String,
    options: RemoteWriteOptions,
    client: reqwest::Client,
    buffer: DiskBuffer,
    status: Arc<Mutex<RemoteWriteStatus>>,
    clock: Clock,
    backoff: Backoff,
    retry_at: Option<Instant>,
    pending: Vec<Arc<Snapshot>>,
    pending_samples: usize,
    /// Samples lost because a batch could not be buffered (disk error).
    lost: u64,
}

impl RemoteWriter {
    /// A writer for `options` (whose URL is set) with its buffer in `dir`.
    pub fn new(
        options: RemoteWriteOptions,
        dir: PathBuf,
        clock: Clock,
    ) -> Result<(RemoteWriter, Arc<Mutex<RemoteWriteStatus>>), String> {
        let url = options.url.clone().ok_or("remote_write.url is not set")?;
        let max_bytes = u64::from(options.max_buffer_mb) * 1024 * 1024;
        let buffer = DiskBuffer::open(&dir, max_bytes).map_err(|e| e.to_string())?;
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        let status = Arc::new(Mutex::new(RemoteWriteStatus {
            url: display_url(&url),
            ..RemoteWriteStatus::default()
        }));
        let writer = RemoteWriter {
            url,
            options,
            client,
            buffer,
            status: status.clone(),
            clock,
            backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(30)),
            retry_at: None,
            pending: Vec::new(),
            pending_samples: 0,
            lost: 0,
        };
        writer.show_buffer();
        Ok((writer, status))
    }

    /// Runs until cancelled; what is gathered then is kept on disk for the next start.
    pub async fn run(mut self, mut ticks: Subscription, cancel: CancellationToken) {
        let mut batches = tokio::time::interval(self.options.interval());
        batches.set_missed_tick_behavior(MissedTickBehavior::Skip);
        // The first tick of an interval is immediate: nothing is gathered yet, but a buffer
        // left by an earlier run starts draining at once.
        loop {
            let retry_at = self.retry_at;
            tokio::select! {
                _ = cancel.cancelled() => break,
                delivery = ticks.recv() => match delivery {
                    Some(Delivery::Event(Event::Tick(snapshot))) => {
                        self.pending_samples += snapshot.samples.len();
                        self.pending.push(snapshot);
                        if self.pending_samples >= MAX_SAMPLES {
                            self.cut(&cancel).await;
                        }
                        lock(&self.status).gathered_samples = self.pending_samples;
                    }
                    Some(Delivery::Missed(n)) => lock(&self.status).missed_ticks += n,
                    Some(Delivery::Event(_)) => {}
                    None => break,
                },
                _ = batches.tick() => self.cut(&cancel).await,
                _ = tokio::time::sleep_until(retry_at.unwrap_or_else(Instant::now)), if retry_at.is_some() => {
                    self.retry_at = None;
                    self.drain(&cancel).await;
                }
            }
        }
        if !self.pending.is_empty() {
            let (body, samples) = self.encode();
            if let Err(err) = self.buffer.push(&body, samples) {
                tracing::warn!(error = %err, samples, "remote write: samples not yet sent are lost");
            }
        }
    }

    /// The gathered ticks as one request body, and its sample count.
    fn encode(&mut self) -> (Vec<u8>, u64) {
        let series = proto::series_of(&self.pending);
        let samples = self.pending_samples as u64;
        self.pending.clear();
        self.pending_samples = 0;
        lock(&self.status).gathered_samples = 0;
        (proto::body(&series), samples)
    }

    /// Turns what was gathered into a batch: sent at once if nothing older waits, else queued.
    async fn cut(&mut self, cancel: &CancellationToken) {
        if !self.pending.is_empty() {
            let (body, samples) = self.encode();
            if self.buffer.is_empty() && self.retry_at.is_none() {
                match self.send(&body, samples, cancel).await {
                    Sent::Ok => {}
                    Sent::Refused(why) => self.refused(samples, &why),
                    Sent::Retry(why) => {
                        self.failed(why);
                        self.queue(&body, samples);
                    }
                }
                self.show_buffer();
                return;
            }
            self.queue(&body, samples);
        }
        if self.retry_at.is_none() {
            self.drain(cancel).await;
        }
    }

    fn queue(&mut self, body: &[u8], samples: u64) {
        if let Err(err) = self.buffer.push(body, samples) {
            tracing::error!(error = %err, samples, "remote write: cannot buffer a batch; its samples are lost");
            self.lost += samples;
        }
        self.show_buffer();
    }

    /// Sends buffered batches, oldest first, until one fails or none is left.
    async fn drain(&mut self, cancel: &CancellationToken) {
        while let Some(oldest) = self.buffer.oldest() {
            if cancel.is_cancelled() {
                break;
            }
            let (body, samples) = match oldest {
                Ok(found) => found,
                Err(err) => {
                    tracing::warn!(error = %err, "remote write: unreadable buffered batch dropped");
                    self.buffer.pop();
                    continue;
                }
            };
            match self.send(&body, samples, cancel).await {
                Sent::Ok => self.buffer.pop(),
                Sent::Refused(why) => {
                    self.refused(samples, &why);
                    self.buffer.pop();
                }
                Sent::Retry(why) => {
                    self.failed(why);
                    break;
                }
            }
        }
        self.show_buffer();
    }

    async fn send(&mut self, body: &[u8], samples: u64, cancel: &CancellationToken) -> Sent {
        let request = authorize(self.client.post(&self.url), &self.options.auth)
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header(
                "User-Agent",
                concat!("resource-manager/", env!("CARGO_PKG_VERSION")),
            )
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .body(body.to_vec());
        let answer = tokio::select! {
            _ = cancel.cancelled() => return Sent::Retry("stopping".into()),
            answer = request.send() => answer,
        };
        let response = match answer {
            Ok(response) => response,
            Err(err) => return Sent::Retry(format!("cannot reach the receiver: {err}")),
        };
        let code = response.status();
        if code.is_success() {
            self.backoff.reset();
            self.retry_at = None;
            let mut status = lock(&self.status);
            if status.failures > 0 {
                tracing::info!(after = status.failures, "remote write works again");
            }
            status.sent_samples += samples;
            status.sent_batches += 1;
            status.sent_bytes += body.len() as u64;
            status.last_success_ms = Some(self.clock.now_ms());
            status.last_error = None;
            status.failures = 0;
            return Sent::Ok;
        }
        let text = response.text().await.unwrap_or_default();
        let why = format!(
            "the receiver answered HTTP {}: {}",
            code.as_u16(),
            text.trim()
        );
        if code.is_client_error() && code.as_u16() != 429 {
            Sent::Refused(why)
        } else {
            Sent::Retry(why)
        }
    }

    fn failed(&mut self, why: String) {
        let wait = self.backoff.next_delay();
        self.retry_at = Some(Instant::now() + wait);
        let mut status = lock(&self.status);
        if status.failures == 0 {
            tracing::warn!(error = %why, "remote write fails; batches are kept on disk and retried");
        }
        status.failures = status.failures.saturating_add(1);
        status.last_error = Some(why);
    }

    fn refused(&mut self, samples: u64, why: &str) {
        tracing::warn!(error = %why, samples, "remote write: the receiver refused a batch; dropped");
        lock(&self.status).rejected_samples += samples;
    }

    fn show_buffer(&self) {
        let mut status = lock(&self.status);
        status.buffered_batches = self.buffer.len();
        status.buffered_bytes = self.buffer.bytes();
        status.buffered_samples = self.buffer.samples();
        status.dropped_samples = self.buffer.dropped_samples + self.lost;
    }
}

#[cfg(test)]
mod tests;

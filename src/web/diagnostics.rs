//! `GET /api/v1/diagnostics`: what a developer needs to see why something misbehaves —
//! source health and timings, engine and store figures, effective options with secrets
//! redacted, the last warnings of the log and the latest feedback votes. Link states and versions come from
//! `/api/v1/status`, which the page reads as well.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::error::ApiError;
use super::{AppState, HostInfo, VERSION};
use crate::collect::TickStats;
use crate::config::{Mode, Options};
use crate::logging::LogLine;
use crate::model::SourceHealth;
use crate::store::{StoreStats, StoredVote, WriteStatus};
use crate::util::lock;

/// Shown instead of a secret.
const HIDDEN: &str = "<redacted>";
/// Votes listed, newest first.
const RECENT_VOTES: u32 = 10;

/// `/api/v1/diagnostics`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/diagnostics", get(show))
}

#[derive(Serialize)]
struct Endpoint {
    url: String,
    token: &'static str,
}

/// The running configuration, secrets replaced by whether they are set.
#[derive(Serialize)]
struct Effective<'a> {
    mode: Mode,
    listen: String,
    data_dir: String,
    options: &'a Options,
    home_assistant: Option<Endpoint>,
    supervisor: Option<Endpoint>,
    api_token: &'static str,
}

#[derive(Serialize)]
struct Engine {
    #[serde(flatten)]
    stats: TickStats,
    tick_cpu_micros_p50: u64,
    tick_cpu_micros_p99: u64,
}

#[derive(Serialize)]
struct Store {
    path: String,
    pending_ticks: usize,
    #[serde(flatten)]
    stats: StoreStats,
    write: WriteStatus,
    /// Storage notices of the last week, newest first.
    notices: Vec<crate::store::StoreNotice>,
    /// Commits and write-ahead-log pages per source since start, and checkpoints.
    writes: crate::store::WriteCounts,
    /// What this process writes to disk a day (last hour), once measured.
    own_written_bytes_per_day: Option<f64>,
}

/// The HTTP server's connections against its cap.
#[derive(Serialize)]
struct Http {
    #[serde(flatten)]
    connections: super::server::connections::ConnectionCounts,
    /// Requests the access policy refused since start, by why.
    refused: super::access::RefusedCounts,
    descriptor_limit: Option<u64>,
    /// Asynchronous tasks alive in the process (a steady number when nothing leaks).
    tasks: usize,
}

#[derive(Serialize)]
struct Diagnostics<'a> {
    version: &'static str,
    host: &'a HostInfo,
    sources: Vec<SourceHealth>,
    engine: Engine,
    store: Store,
    http: Http,
    config: Effective<'a>,
    recent_log: Vec<LogLine>,
    recent_feedback: Vec<StoredVote>,
    /// The advisor: its last pass and the measured effectiveness of its actions.
    advice: Option<Advice>,
    /// How `power.watts` is obtained: method, board (and where it was found), preset, and why
    /// the measured sources and the device tree were not read.
    power: Option<&'a crate::collect::power::PowerSummary>,
}

#[derive(Serialize)]
struct Advice {
    pass: crate::advice::service::PassStats,
    effectiveness: crate::advice::Effectiveness,
    open: usize,
    recorder_writes_counted: u64,
}

/// `GET /api/v1/diagnostics`.
pub async fn show(State(state): State<AppState>) -> Result<Response, ApiError> {
    let inner = &state.inner;
    let config = &inner.parts.config;
    let stats = lock(&inner.parts.tick_stats).clone();
    let (p50, p99) = stats.percentiles();
    let store_stats = inner.parts.store.stats().await?;
    let recent_feedback = inner.parts.store.recent_votes(RECENT_VOTES).await?;
    let snapshot = state.latest();
    let advice = match &inner.parts.advisor {
        Some(advisor) => Some(Advice {
            pass: advisor.pass_stats(),
            effectiveness: advisor.effectiveness().await?,
            open: advisor.open_recommendations().len(),
            recorder_writes_counted: advisor.churn_report().total_writes,
        }),
        None => None,
    };
    let body = Json(Diagnostics {
        version: VERSION,
        host: &inner.parts.host,
        sources: snapshot.sources.clone(),
        engine: Engine {
            stats,
            tick_cpu_micros_p50: p50,
            tick_cpu_micros_p99: p99,
        },
        store: Store {
            path: inner.parts.store.path().display().to_string(),
            pending_ticks: inner.parts.store.pending_ticks(),
            stats: store_stats,
            write: inner.parts.store.write_status(),
            notices: inner.parts.store.notices(),
            writes: inner.parts.store.write_counts(),
            own_written_bytes_per_day: snapshot
                .value(crate::model::registry::ENGINE_DISK_WRITES.pattern),
        },
        http: Http {
            connections: inner.parts.connections.counts(),
            refused: inner.access.counts(),
            descriptor_limit: inner.parts.descriptor_limit,
            tasks: tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks(),
        },
        config: Effective {
            mode: config.mode,
            listen: config.listen.to_string(),
            data_dir: config.data_dir.display().to_string(),
            options: &config.options,
            home_assistant: config.home_assistant.as_ref().map(|ha| Endpoint {
                url: ha.rest_url.clone(),
                token: HIDDEN,
            }),
            supervisor: config.supervisor.as_ref().map(|s| Endpoint {
                url: s.url.clone(),
                token: HIDDEN,
            }),
            api_token: if config.api_token.is_some() {
                "set (redacted)"
            } else {
                "not set"
            },
        },
        recent_log: inner.parts.recent_log.lines(),
        recent_feedback,
        advice,
        power: inner.parts.power.as_ref(),
    });
    Ok(body.into_response())
}

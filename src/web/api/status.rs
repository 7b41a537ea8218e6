//! `GET /api/v1/status`: the latest snapshot with source health, engine and store figures,
//! link states and versions.

use crate::util::time::DAY_MS;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::model::{SourceHealth, TopProcesses, Views};
use crate::store::{StoreNotice, WriteStatus};
use crate::util::lock;
use crate::web::data_disk::{DataDisk, data_disk};
use crate::web::feedback::FeedbackSummary;
use crate::web::{AppState, HostInfo, VERSION};

#[derive(Serialize)]
struct EngineStatus {
    ticks: u64,
    sample_interval_seconds: u32,
    tick_cpu_micros_last: u64,
    tick_cpu_micros_p50: u64,
    tick_cpu_micros_p99: u64,
    process_scan_cpu_micros_last: u64,
    store_queue_full_drops: u64,
}

#[derive(Serialize)]
struct StoreStatus {
    pending_ticks: usize,
    #[serde(flatten)]
    write: WriteStatus,
    /// Storage notices of the last week (damaged file moved aside, lost data), newest first.
    notices: Vec<StoreNotice>,
    /// Commits and write-ahead-log frames per source since start, and checkpoints.
    writes: crate::store::WriteCounts,
}

/// Link states; `null` when the link is not configured (standalone without `HA_URL`).
#[derive(Serialize)]
struct LinksStatus {
    home_assistant: Option<crate::ha::HaLinkStatus>,
    supervisor: Option<crate::supervisor::poller::SupervisorLinkStatus>,
    /// Remote hosts' scrapes (ADR 0014); empty without the `hosts` option.
    hosts: Vec<crate::collect::remote::HostStatus>,
    remote_write: Option<crate::publish::remote_write::RemoteWriteStatus>,
}

#[derive(Serialize)]
struct Status {
    version: &'static str,
    mode: crate::config::Mode,
    started_at: i64,
    uptime_seconds: u64,
    /// Unix milliseconds of the latest tick (0 before the first).
    ts: i64,
    status: &'static str,
    degraded_sources: Vec<&'static str>,
    sources: Vec<SourceHealth>,
    values: BTreeMap<String, f64>,
    processes: std::sync::Arc<TopProcesses>,
    /// Whether the process list and network counters are the host's or a container's own.
    views: Views,
    host: HostInfo,
    /// The filesystem holding the data directory, with the Supervisor's figures beside it
    /// (`null` if no listed mount holds it).
    data_disk: Option<DataDisk>,
    engine: EngineStatus,
    /// How `power.watts` is obtained (`rapl`, `hwmon`, `model`, `none`) and the model behind it.
    power: Option<crate::collect::power::PowerSummary>,
    store: StoreStatus,
    links: LinksStatus,
    /// Satisfaction from the dashboard's votes (null when unreadable); the HA publisher's source.
    feedback: Option<FeedbackSummary>,
}

/// How long a notice of lost history keeps the status `degraded`.
const DAMAGE_DEGRADES_MS: i64 = DAY_MS;

/// `GET /api/v1/status`: the latest snapshot with source health and versions.
pub async fn status(State(state): State<AppState>) -> Json<impl Serialize> {
    let snapshot = state.latest();
    let inner = &state.inner;
    let stats = lock(&inner.parts.tick_stats).clone();
    let (p50, p99) = stats.percentiles();
    let write = inner.parts.store.write_status();
    let mut degraded: Vec<&'static str> = snapshot.degraded().map(|s| s.source).collect();
    // History lost at a start (a damaged log, a file moved aside) keeps the status degraded
    // for a day after the notice, not just on the page that lists it.
    let now_ms = state.clock().now_ms();
    let damaged = inner.parts.store.notices().iter().any(|n| {
        matches!(n.kind.as_str(), "lost_data" | "moved_aside")
            && now_ms - n.ts_ms < DAMAGE_DEGRADES_MS
    });
    if write.failure.is_some() || damaged {
        degraded.push("history");
    }
    let links = LinksStatus {
        home_assistant: inner
            .parts
            .links
            .home_assistant
            .as_ref()
            .map(|s| lock(s).clone()),
        supervisor: inner
            .parts
            .links
            .supervisor
            .as_ref()
            .map(|s| lock(s).clone()),
        hosts: inner.parts.links.hosts.statuses(),
        remote_write: inner
            .parts
            .links
            .remote_write
            .as_ref()
            .map(|s| lock(s).clone()),
    };
    let host_facts = links.supervisor.as_ref().and_then(|s| s.host.as_ref());
    let data_dir = &inner.parts.config.data_dir;
    let data_disk = inner
        .data_disk_mount
        .of(data_dir, &snapshot)
        .map(|mount| data_disk(&mount, data_dir, &snapshot, host_facts));
    let feedback = match state.feedback_summary().await {
        Ok(summary) => Some(summary),
        Err(err) => {
            tracing::warn!(error = %err, "feedback numbers unavailable");
            None
        }
    };
    Json(Status {
        version: VERSION,
        mode: inner.parts.config.mode,
        started_at: inner.started_ms,
        uptime_seconds: state.uptime_seconds(),
        ts: snapshot.ts_ms,
        status: if snapshot.ts_ms == 0 {
            "starting"
        } else if degraded.is_empty() {
            "ok"
        } else {
            "degraded"
        },
        degraded_sources: degraded,
        sources: snapshot.sources.clone(),
        values: snapshot
            .samples
            .iter()
            .map(|s| (s.series.id.clone(), s.value))
            .collect(),
        processes: snapshot.processes.clone(),
        views: snapshot.views,
        host: inner.parts.host.clone(),
        data_disk,
        engine: EngineStatus {
            ticks: stats.ticks,
            sample_interval_seconds: inner.parts.config.options.sample_interval_seconds,
            tick_cpu_micros_last: stats.last_tick_cpu_micros,
            tick_cpu_micros_p50: p50,
            tick_cpu_micros_p99: p99,
            process_scan_cpu_micros_last: stats.last_process_scan_cpu_micros,
            store_queue_full_drops: stats.store_queue_full_drops,
        },
        store: StoreStatus {
            pending_ticks: inner.parts.store.pending_ticks(),
            write,
            notices: inner.parts.store.notices(),
            writes: inner.parts.store.write_counts(),
        },
        power: inner.parts.power.clone(),
        links,
        feedback,
    })
}

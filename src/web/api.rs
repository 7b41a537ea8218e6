//! JSON API, health and Prometheus handlers.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;
use super::{AppState, HostInfo, VERSION};
use crate::model::{SourceHealth, TopProcesses};
use crate::publish::prometheus;
use crate::store::{History, Resolution, SeriesInfo, StoreNotice, StoreStats, WriteStatus};
use crate::util::lock;

/// `GET /healthz`: the process serves requests.
pub async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Unknown routes get a JSON 404 too.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see the README for the API".into())
}

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
}

/// Link states; `null` when the link is not configured (standalone without `HA_URL`).
#[derive(Serialize)]
struct LinksStatus {
    home_assistant: Option<crate::ha::HaLinkStatus>,
    supervisor: Option<crate::supervisor::poller::SupervisorLinkStatus>,
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
    host: HostInfo,
    engine: EngineStatus,
    store: StoreStatus,
    links: LinksStatus,
    /// Satisfaction from the dashboard's votes (null when unreadable); the HA publisher's source.
    feedback: Option<super::feedback::FeedbackSummary>,
}

/// `GET /api/v1/status`: the latest snapshot with source health and versions.
pub async fn status(State(state): State<AppState>) -> Json<impl Serialize> {
    let snapshot = state.latest();
    let inner = &state.inner;
    let stats = lock(&inner.tick_stats).clone();
    let (p50, p99) = stats.percentiles();
    let write = inner.store.write_status();
    let mut degraded: Vec<&'static str> = snapshot.degraded().map(|s| s.source).collect();
    if write.failure.is_some() {
        degraded.push("history");
    }
    let links = LinksStatus {
        home_assistant: inner.links.home_assistant.as_ref().map(|s| lock(s).clone()),
        supervisor: inner.links.supervisor.as_ref().map(|s| lock(s).clone()),
    };
    let feedback = match state.feedback_summary().await {
        Ok(summary) => Some(summary),
        Err(err) => {
            tracing::warn!(error = %err, "feedback numbers unavailable");
            None
        }
    };
    Json(Status {
        version: VERSION,
        mode: inner.config.mode,
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
        host: inner.host.clone(),
        engine: EngineStatus {
            ticks: stats.ticks,
            sample_interval_seconds: inner.config.options.sample_interval_seconds,
            tick_cpu_micros_last: stats.last_tick_cpu_micros,
            tick_cpu_micros_p50: p50,
            tick_cpu_micros_p99: p99,
            process_scan_cpu_micros_last: stats.last_process_scan_cpu_micros,
            store_queue_full_drops: stats.store_queue_full_drops,
        },
        store: StoreStatus {
            pending_ticks: inner.store.pending_ticks(),
            write,
            notices: inner.store.notices(),
        },
        links,
        feedback,
    })
}

#[derive(Serialize)]
struct MetricEntry {
    #[serde(flatten)]
    info: SeriesInfo,
    unit_symbol: &'static str,
    current: Option<f64>,
}

#[derive(Serialize)]
struct MetricList {
    metrics: Vec<MetricEntry>,
    store: StoreStats,
}

/// `GET /api/v1/metrics`: every series with unit, description and current value.
pub async fn metrics(State(state): State<AppState>) -> Result<Json<impl Serialize>, ApiError> {
    let snapshot = state.latest();
    let metrics = state
        .inner
        .store
        .series()
        .into_iter()
        .map(|info| MetricEntry {
            current: snapshot.value(&info.id),
            unit_symbol: info.unit.symbol(),
            info,
        })
        .collect();
    Ok(Json(MetricList {
        metrics,
        store: state.inner.store.stats().await?,
    }))
}

fn parse_time(
    params: &HashMap<String, String>,
    name: &'static str,
) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.get(name) else {
        return Ok(None);
    };
    let seconds: f64 = text.trim().parse().map_err(|_| {
        ApiError::bad(
            name,
            format!("got \"{text}\", expected Unix seconds (e.g. 1767225600)"),
        )
    })?;
    if !seconds.is_finite() || !(0.0..=4_102_444_800.0).contains(&seconds) {
        return Err(ApiError::bad(
            name,
            format!("got {text}, expected Unix seconds between 1970 and 2100"),
        ));
    }
    Ok(Some((seconds * 1000.0).round() as i64))
}

/// `GET /api/v1/metrics/{id}/history?from=&to=&resolution=&format=`: `from`/`to` in Unix seconds
/// (default: the last hour), `resolution` `raw`, `1m` or `1h` (default: chosen by span),
/// `format` `points` (default) or `columns` (what the dashboard's charts read).
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    for key in params.keys() {
        if !matches!(key.as_str(), "from" | "to" | "resolution" | "format") {
            return Err(ApiError::BadParameter {
                parameter: "query",
                message: format!(
                    "unknown parameter '{key}'; allowed: from, to, resolution, format"
                ),
            });
        }
    }
    let columns = match params.get("format").map(String::as_str) {
        None | Some("") | Some("points") => false,
        Some("columns") => true,
        Some(text) => {
            return Err(ApiError::bad(
                "format",
                format!("got \"{text}\", allowed: points or columns"),
            ));
        }
    };
    let now = state.clock().now_ms();
    let to = parse_time(&params, "to")?.unwrap_or(now + 1);
    let from = parse_time(&params, "from")?.unwrap_or(to - 3_600_000);
    if from >= to {
        return Err(ApiError::bad("from", "must be earlier than 'to'"));
    }
    let resolution = match params.get("resolution").map(String::as_str) {
        None | Some("") | Some("auto") => Resolution::for_span(
            from,
            to,
            now,
            state.inner.config.options.retention.raw_hours,
        ),
        Some(text) => Resolution::parse(text).ok_or_else(|| {
            ApiError::bad(
                "resolution",
                format!("got \"{text}\", allowed: raw, 1m, 1h or auto"),
            )
        })?,
    };
    let history: History = state.inner.store.history(&id, from, to, resolution).await?;
    Ok(if columns {
        Json(super::columns::Columns::from(history)).into_response()
    } else {
        Json(history).into_response()
    })
}

/// `GET /metrics`: Prometheus exposition of the latest snapshot.
pub async fn prometheus(State(state): State<AppState>) -> impl IntoResponse {
    let store = &state.inner.store;
    let write = store.write_status();
    let health = prometheus::StoreHealth {
        failing: write.failure.is_some(),
        write_errors: write.flush_errors,
        commits: write.flushes,
        pending_ticks: store.pending_ticks(),
        dropped_ticks: write.dropped_ticks,
    };
    let body = prometheus::render(&state.latest(), &health, VERSION);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, prometheus::CONTENT_TYPE)],
        body,
    )
}

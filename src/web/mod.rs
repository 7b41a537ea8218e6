//! HTTP: JSON API, Prometheus exposition, health and the page. Handlers are thin: they read the
//! latest snapshot or the store and render.

pub mod access;
pub mod active_alerts;
pub mod advice;
mod alerts;
mod api;
mod assets;
mod columns;
mod diagnostics;
pub mod error;
pub mod feedback;
pub mod format;
mod live;
mod page;
pub mod recent_log;
pub mod report;
pub mod summary;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::routing::{get, post};
use serde::Serialize;
use tokio::sync::watch;

use crate::alert::AlertHandle;
use crate::collect::TickStats;
use crate::config::Config;
use crate::model::Snapshot;
use crate::store::Store;
use crate::util::Clock;
use recent_log::RecentLog;

/// Static facts about the host, read once at start.
#[derive(Debug, Clone, Serialize)]
pub struct HostInfo {
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub cpu_model: String,
    pub cores: usize,
}

impl HostInfo {
    /// Reads the host facts (sysinfo's static queries are cheap).
    pub fn read() -> Self {
        let system = sysinfo::System::new_with_specifics(
            sysinfo::RefreshKind::nothing().with_cpu(sysinfo::CpuRefreshKind::nothing()),
        );
        let (cpu_model, cores) = match &system {
            Ok(system) => (
                system
                    .cpus()
                    .first()
                    .map(|c| c.brand().trim().to_string())
                    .unwrap_or_default(),
                system.cpus().len(),
            ),
            Err(_) => (String::new(), 0),
        };
        HostInfo {
            os: sysinfo::System::long_os_version().unwrap_or_else(|_| "unknown".into()),
            kernel: sysinfo::System::kernel_version().unwrap_or_else(|_| "unknown".into()),
            arch: std::env::consts::ARCH.to_string(),
            cpu_model,
            cores,
        }
    }
}

/// The outside links whose state the status shows (absent when not configured).
#[derive(Clone, Default)]
pub struct Links {
    pub home_assistant: Option<Arc<Mutex<crate::ha::HaLinkStatus>>>,
    pub supervisor: Option<Arc<Mutex<crate::supervisor::poller::SupervisorLinkStatus>>>,
    /// Commands over the live Home Assistant WebSocket (services, events).
    pub ha_commands: Option<tokio::sync::mpsc::Sender<crate::ha::ws::WsRequest>>,
}

/// Everything handlers need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: Store,
    latest: watch::Receiver<Arc<Snapshot>>,
    tick_stats: Arc<Mutex<TickStats>>,
    host: HostInfo,
    links: Links,
    alerts: AlertHandle,
    started: Instant,
    started_ms: i64,
    feedback: feedback::FeedbackState,
    recent_log: RecentLog,
}

impl AppState {
    /// Bundles the shared parts for the handlers.
    pub fn new(
        config: Config,
        store: Store,
        latest: watch::Receiver<Arc<Snapshot>>,
        tick_stats: Arc<Mutex<TickStats>>,
        host: HostInfo,
        links: Links,
    ) -> Self {
        let alerts = AlertHandle::new(config.options.alert_rules.clone(), store.clone());
        AppState {
            inner: Arc::new(Inner {
                started: store.clock().now(),
                started_ms: store.clock().now_ms(),
                config,
                store,
                latest,
                tick_stats,
                host,
                links,
                alerts,
                feedback: feedback::FeedbackState::default(),
                recent_log: RecentLog::default(),
            }),
        }
    }

    /// Serves this alert engine (the running one) instead of the idle one `new` makes. Call
    /// before the state is cloned (right after [`AppState::new`]); later calls change nothing.
    pub fn with_alerts(mut self, alerts: AlertHandle) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.alerts = alerts;
        }
        self
    }

    /// Shows the log's recent warnings in Diagnostics. Call before the state is cloned
    /// (right after [`AppState::new`]); later calls change nothing.
    pub fn with_recent_log(mut self, log: RecentLog) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.recent_log = log;
        }
        self
    }

    /// The app's clock: the one the store was opened with.
    fn clock(&self) -> &Clock {
        self.inner.store.clock()
    }

    /// Seconds since the state was built, on the clock.
    fn uptime_seconds(&self) -> u64 {
        self.clock()
            .now()
            .saturating_duration_since(self.inner.started)
            .as_secs()
    }

    fn latest(&self) -> Arc<Snapshot> {
        self.inner.latest.borrow().clone()
    }

    /// The overview (status line, cards, attention, active alerts) of a snapshot.
    fn overview(&self, snapshot: &Snapshot) -> summary::Overview {
        let options = &self.inner.config.options;
        // Durations are measured to the reading, so the words move with the ticks.
        let now_ms = if snapshot.ts_ms > 0 {
            snapshot.ts_ms
        } else {
            self.clock().now_ms()
        };
        let (alert_items, alerts) = active_alerts::view(&self.inner.alerts.active(), now_ms);
        let store = &self.inner.store;
        let mut items = summary::history_items(
            &store.write_status(),
            store.pending_ticks(),
            (options.write_batch_seconds / options.sample_interval_seconds.max(1)) as usize,
            &store.notices(),
            self.clock().now_ms(),
        );
        items.extend(alert_items);
        let extra = summary::Extra { items, alerts };
        summary::assess(snapshot, &options.alert_rules, &extra)
    }
}

/// Version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The router, with the access policy applied to every route.
pub fn router(state: AppState) -> Router {
    // Hash the assets now, not in the first page request.
    let _ = assets::version();
    let policy = Arc::new(access::AccessPolicy::new(
        state.inner.config.mode,
        state.inner.config.api_token.clone(),
    ));
    Router::new()
        .route("/", get(page::index))
        .route("/static/{file}", get(assets::own))
        .route("/static/vendor/{file}", get(assets::vendor))
        .route("/api/v1/live", get(live::stream))
        .route("/api/v1/status.md", get(report::markdown))
        .route("/api/v1/feedback", get(feedback::show).post(feedback::vote))
        .route("/api/v1/diagnostics", get(diagnostics::show))
        .route("/healthz", get(api::health))
        .route("/metrics", get(api::prometheus))
        .route("/api/v1/status", get(api::status))
        .route("/api/v1/metrics", get(api::metrics))
        .route("/api/v1/metrics/{id}/history", get(api::history))
        .route("/api/v1/alerts", get(alerts::list))
        .route("/api/v1/alerts/rules", get(alerts::rules))
        .route("/api/v1/alerts/{id}/ack", post(alerts::acknowledge))
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(policy, access::guard))
        // gzip only (features kept minimal); Server-Sent Events are never compressed.
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

//! HTTP: JSON API, Prometheus exposition, health and the page. Handlers are thin: they read the
//! latest snapshot or the store and render. Each area has its own `router()`; [`router`]
//! merges them and applies the access policy and compression to all.

pub mod access;
pub mod active_alerts;
mod advice;
mod alerts;
mod api;
pub mod data_disk;
mod diagnostics;
pub mod error;
pub mod feedback;
pub mod format;
mod health;
pub mod host_check;
pub mod leases;
mod live;
pub(crate) mod page;
pub mod report;
pub mod server;
pub mod summary;
pub mod view_notes;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use serde::Serialize;
use tokio::sync::watch;

use crate::alert::AlertHandle;
use crate::collect::TickStats;
use crate::config::Config;
use crate::logging::RecentLog;
use crate::model::Snapshot;
use crate::store::Store;
use crate::util::Clock;

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
    /// The remote hosts scraped (ADR 0014); empty when none is configured.
    pub hosts: crate::collect::remote::RemoteHosts,
    /// Prometheus remote write, when configured.
    pub remote_write: Option<Arc<Mutex<crate::publish::remote_write::RemoteWriteStatus>>>,
}

/// Everything handlers need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    /// What the state was built from.
    parts: AppParts,
    started: Instant,
    started_ms: i64,
    feedback: feedback::FeedbackState,
    data_disk_mount: data_disk::DataDiskMount,
    /// Requests the access policy refused.
    access: Arc<access::AccessStats>,
}

/// Everything [`AppState`] is built from, in one piece: the state is built once, complete.
pub struct AppParts {
    pub config: Config,
    pub store: Store,
    pub latest: watch::Receiver<Arc<Snapshot>>,
    pub tick_stats: Arc<Mutex<TickStats>>,
    pub host: HostInfo,
    pub links: Links,
    /// The running alert engine.
    pub alerts: AlertHandle,
    /// The log's recent warnings, shown in Diagnostics.
    pub recent_log: RecentLog,
    /// The analysis' latest report (forecasts, leaks, anomalies, bottleneck, health).
    pub analysis: crate::analysis::runner::Analysis,
    /// The lease manager (`None` for parts served without one: the lease API answers 503).
    pub leases: Option<crate::lease::LeaseService>,
    /// The server's open connections and their cap.
    pub connections: Arc<server::connections::ConnectionTable>,
    /// The process' descriptor limit, as the connection cap was worked out from it.
    pub descriptor_limit: Option<u64>,
    /// The advisor (`None` for parts served without one: the advice API answers 503).
    pub advisor: Option<crate::advice::Advisor>,
    /// How `power.watts` is obtained (`None` without an engine).
    pub power: Option<crate::collect::power::PowerSummary>,
}

impl AppParts {
    /// Parts with no engine behind them: the latest snapshot stays empty and the alert handle
    /// judges nothing. For tests and tools that serve a store without collecting.
    pub fn without_engine(config: Config, store: Store) -> AppParts {
        let (_, latest) = watch::channel(Arc::new(Snapshot::default()));
        AppParts {
            alerts: AlertHandle::new(
                config.options.alert_rules.clone(),
                store.clone(),
                crate::util::Emit::none(),
            ),
            config,
            store,
            latest,
            tick_stats: Arc::new(Mutex::new(TickStats::default())),
            host: HostInfo::read(),
            links: Links::default(),
            recent_log: RecentLog::default(),
            analysis: crate::analysis::runner::Analysis::default(),
            leases: None,
            connections: Arc::new(server::connections::ConnectionTable::new(
                server::limits::MAX_CONNECTIONS,
            )),
            descriptor_limit: None,
            advisor: None,
            power: None,
        }
    }
}

impl AppState {
    /// Bundles the shared parts for the handlers.
    pub fn new(parts: AppParts) -> Self {
        AppState {
            inner: Arc::new(Inner {
                started: parts.store.clock().now(),
                started_ms: parts.store.clock().now_ms(),
                parts,
                feedback: feedback::FeedbackState::default(),
                data_disk_mount: data_disk::DataDiskMount::default(),
                access: Arc::default(),
            }),
        }
    }

    /// The app's clock: the one the store was opened with.
    fn clock(&self) -> &Clock {
        self.inner.parts.store.clock()
    }

    /// Seconds since the state was built, on the clock.
    fn uptime_seconds(&self) -> u64 {
        self.clock()
            .now()
            .saturating_duration_since(self.inner.started)
            .as_secs()
    }

    /// The analysis' handle (its latest report).
    fn analysis(&self) -> &crate::analysis::runner::Analysis {
        &self.inner.parts.analysis
    }

    fn latest(&self) -> Arc<Snapshot> {
        self.inner.parts.latest.borrow().clone()
    }

    /// What the page says about the views of a snapshot.
    fn view_notes(&self, snapshot: &Snapshot) -> view_notes::ViewNotes {
        let config = &self.inner.parts.config;
        view_notes::ViewNotes::new(snapshot.views, config.mode, config.supervisor.is_some())
    }

    /// The overview (status line, cards, attention, active alerts) of a snapshot.
    fn overview(&self, snapshot: &Snapshot) -> summary::Overview {
        let options = &self.inner.parts.config.options;
        // Durations are measured to the reading, so the words move with the ticks.
        let now_ms = if snapshot.ts_ms > 0 {
            snapshot.ts_ms
        } else {
            self.clock().now_ms()
        };
        let (alert_items, alerts) = active_alerts::view(&self.inner.parts.alerts.active(), now_ms);
        let store = &self.inner.parts.store;
        let mut items = summary::history_items(
            &store.write_status(),
            store.pending_ticks(),
            (options.write_batch_seconds / options.sample_interval_seconds.max(1)) as usize,
            &store.notices(),
            self.clock().now_ms(),
        );
        items.extend(alert_items);
        let extra = summary::Extra {
            items,
            alerts,
            data_disk: self
                .inner
                .data_disk_mount
                .of(&self.inner.parts.config.data_dir, snapshot),
        };
        summary::assess(snapshot, &options.alert_rules, &extra)
    }
}

/// Largest request body any endpoint reads (a lease request, a vote, an acknowledgement are
/// a few hundred bytes); larger ones get a JSON 413.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The router: every area's routes, with the access policy applied to all of them.
pub fn router(state: AppState) -> Router {
    let config = &state.inner.parts.config;
    let policy = Arc::new(
        access::AccessPolicy::new(config.mode, config.api_token.clone())
            .with_lease_token(config.options.leases.token.clone())
            .with_open_reads(&config.options.access.open_reads)
            .with_stats(state.inner.access.clone())
            .with_allowed_hosts(host_check::AllowedHosts::for_this_machine(
                &config.allowed_hosts,
            )),
    );
    Router::new()
        .merge(page::router())
        .merge(live::router())
        .merge(report::router())
        .merge(feedback::router())
        .merge(diagnostics::router())
        .merge(health::router())
        .merge(api::router())
        .merge(alerts::router())
        .merge(leases::router())
        .merge(advice::router())
        .fallback(error::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(policy, access::guard))
        .layer(axum::middleware::from_fn(error::json_errors))
        // gzip only (features kept minimal); Server-Sent Events are never compressed.
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

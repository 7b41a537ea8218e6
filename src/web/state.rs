//! The state every handler shares: what it was built from ([`AppParts`]) and the few things
//! the web layer keeps itself (feedback cache, data-disk mount, refusal counts). Built once,
//! complete, and cheap to clone.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::watch;

use super::about::HostInfo;
use super::access::AccessStats;
use super::active_alerts;
use super::data_disk::DataDiskMount;
use super::feedback::FeedbackState;
use super::server::connections::ConnectionTable;
use super::server::limits::MAX_CONNECTIONS;
use super::summary::{self, Overview};
use super::view_notes::ViewNotes;
use crate::alert::AlertHandle;
use crate::collect::TickStats;
use crate::config::Config;
use crate::logging::RecentLog;
use crate::model::Snapshot;
use crate::store::Store;
use crate::util::Clock;

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
    pub(super) inner: Arc<Inner>,
}

/// What [`AppState`] shares; the handlers of `web` read its parts directly.
pub(super) struct Inner {
    /// What the state was built from.
    pub(super) parts: AppParts,
    pub(super) started: Instant,
    pub(super) started_ms: i64,
    pub(super) feedback: FeedbackState,
    pub(super) data_disk_mount: DataDiskMount,
    /// The Storage section of the last walk.
    pub(super) storage: super::storage::cache::StorageCache,
    /// Requests the access policy refused.
    pub(super) access: Arc<AccessStats>,
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
    pub connections: Arc<ConnectionTable>,
    /// The process' descriptor limit, as the connection cap was worked out from it.
    pub descriptor_limit: Option<u64>,
    /// The advisor (`None` for parts served without one: the advice API answers 503).
    pub advisor: Option<crate::advice::Advisor>,
    /// How `power.watts` is obtained (`None` without an engine).
    pub power: Option<crate::collect::power::PowerSummary>,
    /// The data disk's latest walk (`None` standalone: no Supervisor walks it).
    pub storage: Option<crate::collect::storage::StorageWalks>,
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
            connections: Arc::new(ConnectionTable::new(MAX_CONNECTIONS)),
            descriptor_limit: None,
            advisor: None,
            power: None,
            storage: None,
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
                feedback: FeedbackState::default(),
                data_disk_mount: DataDiskMount::default(),
                storage: Default::default(),
                access: Arc::default(),
            }),
        }
    }

    /// The app's clock: the one the store was opened with.
    pub(super) fn clock(&self) -> &Clock {
        self.inner.parts.store.clock()
    }

    /// Seconds since the state was built, on the clock.
    pub(super) fn uptime_seconds(&self) -> u64 {
        self.clock()
            .now()
            .saturating_duration_since(self.inner.started)
            .as_secs()
    }

    /// The analysis' handle (its latest report).
    pub(super) fn analysis(&self) -> &crate::analysis::runner::Analysis {
        &self.inner.parts.analysis
    }

    pub(super) fn latest(&self) -> Arc<Snapshot> {
        self.inner.parts.latest.borrow().clone()
    }

    /// What the page says about the views of a snapshot.
    pub(super) fn view_notes(&self, snapshot: &Snapshot) -> ViewNotes {
        let config = &self.inner.parts.config;
        ViewNotes::new(snapshot.views, config.mode, config.supervisor.is_some())
    }

    /// The overview (status line, cards, attention, active alerts) of a snapshot.
    pub(super) fn overview(&self, snapshot: &Snapshot) -> Overview {
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

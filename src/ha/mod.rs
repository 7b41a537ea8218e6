//! Home Assistant Core: REST client, WebSocket session, and the entity publisher.
//!
//! The model does not know Home Assistant exists: the publisher reads snapshots and translates
//! them to entities. Home Assistant being away never stops collection; the publisher keeps only
//! the latest value of each entity, so nothing queues up while it is gone.

pub mod advice;
pub mod alerts;
pub mod entities;
pub mod history;
pub mod leases;
pub mod plan;
pub mod publisher;
pub mod rest;
pub mod statistics;
pub mod ws;

use serde::Serialize;

/// Failures talking to Home Assistant, sorted by what the caller should do.
#[derive(Debug, thiserror::Error)]
pub enum HaError {
    /// Core is starting or restarting (the Supervisor proxy answers 502/503/504 then): wait.
    #[error("Home Assistant is not ready (HTTP {0})")]
    NotReady(u16),
    /// The token was refused: retrying soon will not help, so back off long.
    #[error(
        "Home Assistant refused the token (HTTP {0}); check HA_TOKEN or the add-on's homeassistant_api permission"
    )]
    Unauthorized(u16),
    #[error("Home Assistant refused the token: {0}")]
    AuthInvalid(String),
    #[error("Home Assistant answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("cannot reach Home Assistant: {0}")]
    Unreachable(String),
    #[error("unexpected answer from Home Assistant: {0}")]
    Protocol(String),
    #[error("Home Assistant did not answer in time")]
    Timeout,
}

impl HaError {
    /// Whether this failure is about credentials (long back-off, clear message).
    pub fn is_auth(&self) -> bool {
        matches!(self, HaError::Unauthorized(_) | HaError::AuthInvalid(_))
    }

    pub(crate) fn from_reqwest(err: reqwest::Error) -> HaError {
        if err.is_timeout() {
            HaError::Timeout
        } else {
            HaError::Unreachable(crate::util::error_chain(&err))
        }
    }
}

/// State of the link to Home Assistant, shown in `/api/v1/status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HaLinkStatus {
    /// `connecting`, `connected`, `not_ready`, `auth_failed` or `unreachable`.
    pub state: &'static str,
    /// Core's own state from `get_config` (`RUNNING`, `NOT_RUNNING`, …).
    pub core_state: Option<String>,
    pub ha_version: Option<String>,
    pub connected_since_ms: Option<i64>,
    pub reconnects: u64,
    pub last_publish_ms: Option<i64>,
    pub entities: usize,
    pub requests_total: u64,
    pub requests_last_minute: usize,
    pub publish_errors: u64,
    pub last_error: Option<String>,
    /// Sample-to-state latency of recent publications (HTTP answer time minus sample time).
    pub latency_ms_p50: Option<u64>,
    pub latency_ms_p99: Option<u64>,
    pub full_republishes: u64,
}

impl HaLinkStatus {
    /// Counts a failed publication and keeps its message for the status page.
    pub fn publish_failed(&mut self, err: &HaError) {
        self.publish_errors += 1;
        self.last_error = Some(err.to_string());
    }
}

/// Sends a link's own sensors (advice, leases), each counted as a request, all `unavailable`
/// when `unavailable` (at shutdown); stops at the first failure, which the caller records
/// (the next round sends them all again).
async fn send_sensors(
    rest: &rest::HaRest,
    status: &std::sync::Mutex<HaLinkStatus>,
    sensors: Vec<(String, rest::EntityState)>,
    unavailable: bool,
) -> Result<(), HaError> {
    for (entity_id, mut state) in sensors {
        if unavailable {
            state.state = "unavailable".into();
        }
        crate::util::lock(status).requests_total += 1;
        rest.set_state(&entity_id, &state).await?;
    }
    Ok(())
}

/// The running Home Assistant side: link, entity publisher and alert publisher, spawned on the
/// app's task tracker.
pub struct HaTasks {
    pub status: std::sync::Arc<std::sync::Mutex<HaLinkStatus>>,
    pub commands: tokio::sync::mpsc::Sender<ws::WsRequest>,
    /// Subscriptions to Home Assistant events, delivered typed over the link.
    pub events: ws::HaEvents,
    /// Stop these first at shutdown: they mark entities unavailable over the live link.
    pub publishers: Vec<tokio::task::JoinHandle<()>>,
    pub link: tokio::task::JoinHandle<()>,
}

/// What the Home Assistant side is started with.
pub struct HaStart<'a> {
    pub endpoint: &'a crate::config::HaEndpoint,
    pub options: &'a crate::config::PublishOptions,
    pub latest: tokio::sync::watch::Receiver<std::sync::Arc<crate::model::Snapshot>>,
    pub alerts: &'a crate::alert::service::AlertHandle,
    /// Alert transitions arrive here (`Event::Alert`), lease changes too (`Event::LeaseChanged`).
    pub bus: &'a crate::bus::Bus,
    /// Lease requests from automations go to it.
    pub leases: crate::lease::LeaseService,
    pub store: crate::store::Store,
    /// The app's tracker: every task of this side is spawned on it.
    pub tracker: &'a tokio_util::task::TaskTracker,
    /// Ends the publishers (which mark their entities unavailable).
    pub publishers_stop: tokio_util::sync::CancellationToken,
    /// Then closes the WebSocket.
    pub link_stop: tokio_util::sync::CancellationToken,
    /// With `import_ha_statistics` on: the analysis to wake after the import.
    pub import_statistics: Option<crate::analysis::runner::Analysis>,
    /// The advisor: its decisions are announced, its sensors published, and it counts the
    /// recorder churn from `state_changed`.
    pub advisor: Option<crate::advice::Advisor>,
}

/// Starts the link and both publishers on `start.tracker`.
pub fn start(start: HaStart<'_>) -> Result<HaTasks, HaError> {
    use std::sync::{Arc, Mutex};
    let HaStart {
        endpoint,
        options,
        latest,
        alerts,
        bus,
        leases,
        store,
        tracker,
        publishers_stop,
        link_stop,
        import_statistics,
        advisor,
    } = start;
    let status = Arc::new(Mutex::new(HaLinkStatus {
        state: "connecting",
        ..HaLinkStatus::default()
    }));
    let (readiness_tx, readiness_rx) = tokio::sync::watch::channel(ws::Readiness::default());
    let (commands, commands_rx) = tokio::sync::mpsc::channel(32);
    let events = ws::HaEvents::new();
    let rest = rest::HaRest::new(endpoint)?;
    let link = tracker.spawn(ws::run_link(
        endpoint.clone(),
        status.clone(),
        readiness_tx,
        commands_rx,
        events.clone(),
        link_stop,
    ));
    let entities = publisher::Publisher::new(
        rest.clone(),
        options.clone(),
        status.clone(),
        Some(store.clone()),
        // The app's clock, which the store was opened with.
        store.clock().clone(),
    );
    if let Some(analysis) = import_statistics {
        // Not a publisher: nothing to mark unavailable, it simply stops with them.
        tracker.spawn(statistics::run(
            commands.clone(),
            readiness_rx.clone(),
            store.clone(),
            analysis,
            publishers_stop.clone(),
        ));
    }
    let advice_task = advisor.map(|advisor| {
        tracker.spawn(advice::run(
            advice::AdviceLink {
                rest: rest.clone(),
                prefix: options.entity_prefix.clone(),
                advisor,
                events: events.clone(),
                readiness: readiness_rx.clone(),
                status: status.clone(),
            },
            bus.subscribe("ha_advice"),
            publishers_stop.clone(),
        ))
    });
    let mut publishers = vec![
        tracker.spawn(publisher::run(
            entities,
            latest,
            readiness_rx.clone(),
            publishers_stop.clone(),
        )),
        tracker.spawn(history::run(
            rest.clone(),
            options.entity_prefix.clone(),
            store,
            readiness_rx.clone(),
            status.clone(),
            publishers_stop.clone(),
        )),
        tracker.spawn(leases::run(
            leases::LeaseLink {
                rest: rest.clone(),
                prefix: options.entity_prefix.clone(),
                leases,
                events: events.clone(),
                readiness: readiness_rx.clone(),
                status: status.clone(),
            },
            bus.subscribe("ha_leases"),
            publishers_stop.clone(),
        )),
        tracker.spawn(alerts::run(
            rest,
            options.entity_prefix.clone(),
            alerts.clone(),
            bus.subscribe("ha_alerts"),
            readiness_rx,
            status.clone(),
            publishers_stop,
        )),
    ];
    publishers.extend(advice_task);
    Ok(HaTasks {
        status,
        commands,
        events,
        publishers,
        link,
    })
}

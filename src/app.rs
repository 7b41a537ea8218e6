//! The running application: wires collectors, store and web, and stops them in order.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::alert::{self, AlertHandle};
use crate::collect::supervisor::SupervisorCollector;
use crate::collect::{self, Engine, Outputs, TickStats};
use crate::config::Config;
use crate::logging::RecentLog;
use crate::model::Snapshot;
use crate::store::{self, Store, StoreError, StoreOptions};
use crate::supervisor::SupervisorClient;
use crate::supervisor::poller::{self, SupervisorLinkStatus, SupervisorShared};
use crate::util::Clock;
use crate::web::{self, AppState, HostInfo, Links};

/// Snapshots the store writer may have queued before the engine counts drops (~5 h at 5 s).
const STORE_QUEUE: usize = 4096;
/// Longest wait for open HTTP connections at shutdown.
const HTTP_DRAIN: Duration = Duration::from_secs(5);

/// Why the app could not start or stopped badly.
/// Each message carries its cause and exposes no `source()`, so `{:#}` prints it once.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot open the history: {}{}", .0, open_hint(.0))]
    Store(StoreError),
    #[error("HTTP server failed: {0}")]
    Serve(#[from] std::io::Error),
    #[error("cannot set up a client: {0}")]
    Link(String),
}

/// What to do about a history that cannot be opened, by cause.
fn open_hint(err: &StoreError) -> &'static str {
    match store::FailureReason::of(err) {
        store::FailureReason::DiskFull => ". Free space on the data disk",
        store::FailureReason::ReadOnly | store::FailureReason::IoError => {
            ". Check that the data directory exists, is writable and its disk is healthy"
        }
        store::FailureReason::Locked => ". Another program holds history.db open",
        _ => "",
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        AppError::Store(err)
    }
}

/// Runs until `shutdown` completes, then stops collecting, writes what is buffered and closes
/// the database. Tests call this with a listener on port 0.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    run_with_log(config, listener, shutdown, RecentLog::default(), |_| {}).await
}

/// [`run`], with the log's recent warnings (collected by `log`'s layer) shown in Diagnostics.
/// `serving` is called with the address once the history is open and requests are served.
pub async fn run_with_log(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    log: RecentLog,
    serving: impl FnOnce(SocketAddr),
) -> Result<(), AppError> {
    // The one clock of the running app; tests of the parts inject a manual one.
    let clock = Clock::system();
    let store = Store::open_with(
        &config.database_path(),
        StoreOptions {
            clock: clock.clone(),
            ..StoreOptions::default()
        },
    )
    .await?;
    let (latest_tx, latest_rx) = watch::channel(Arc::new(Snapshot::default()));
    let (events_tx, _) = broadcast::channel(64);
    let alerts = AlertHandle::start(
        config.options.alert_rules.clone(),
        store.clone(),
        clock.now_ms(),
    )
    .await?;
    // Stops when the engine's sender is dropped, then stores what is open.
    let alerts_task = tokio::spawn(alert::service::run(
        alerts.clone(),
        events_tx.subscribe(),
        CancellationToken::new(),
    ));
    let (store_tx, store_rx) = mpsc::channel(STORE_QUEUE);
    let tick_stats = Arc::new(Mutex::new(TickStats::default()));

    let root = config.sys_root.clone();
    let mut collectors = collect::host_collectors(&root);
    let links_stop = CancellationToken::new();
    let mut link_tasks = Vec::new();
    let options = config.options.clone();

    let supervisor_status = match &config.supervisor {
        Some(endpoint) => {
            let client =
                SupervisorClient::new(endpoint).map_err(|e| AppError::Link(e.to_string()))?;
            let shared = Arc::new(Mutex::new(SupervisorShared::default()));
            let status = Arc::new(Mutex::new(SupervisorLinkStatus::default()));
            let interval = Duration::from_secs(u64::from(options.addon_stats_interval_seconds));
            collectors.push(Box::new(SupervisorCollector::new(shared.clone(), interval)));
            link_tasks.push(tokio::spawn(poller::run(
                client,
                interval,
                shared,
                status.clone(),
                clock.clone(),
                links_stop.clone(),
            )));
            Some(status)
        }
        None => None,
    };

    let engine = Engine::new(collectors, &root);
    let engine_stop = CancellationToken::new();
    let outputs = Outputs {
        latest: latest_tx,
        events: events_tx,
        store: store_tx,
        stats: tick_stats.clone(),
    };
    let engine_task = tokio::spawn(collect::run(
        engine,
        options.sample_interval(),
        options.process_interval(),
        outputs,
        clock.clone(),
        engine_stop.clone(),
    ));
    // The writer stops when the engine's sender is dropped, after draining the queue.
    let writer_task = tokio::spawn(store::writer::run(
        store.clone(),
        store_rx,
        store::writer::WriterSettings {
            batch: options.write_batch(),
            retention: options.retention,
        },
        CancellationToken::new(),
    ));

    // Home Assistant: a WebSocket link (readiness, restarts, commands), the entity publisher
    // and the alert publisher.
    let publisher_stop = CancellationToken::new();
    let ha = match &config.home_assistant {
        Some(endpoint) => Some(
            crate::ha::start(
                endpoint,
                &options.home_assistant,
                latest_rx.clone(),
                &alerts,
                store.clone(),
                publisher_stop.clone(),
                links_stop.clone(),
            )
            .map_err(|e| AppError::Link(e.to_string()))?,
        ),
        None => None,
    };
    let (ha_status, ha_commands) = match &ha {
        Some(tasks) => (Some(tasks.status.clone()), Some(tasks.commands.clone())),
        None => (None, None),
    };
    let mut publisher_tasks = Vec::new();
    if let Some(tasks) = ha {
        publisher_tasks = tasks.publishers;
        link_tasks.push(tasks.link);
    }
    let links = Links {
        home_assistant: ha_status,
        supervisor: supervisor_status,
        ha_commands,
    };

    let state = AppState::new(
        config,
        store.clone(),
        latest_rx,
        tick_stats,
        HostInfo::read(),
        links,
    )
    .with_alerts(alerts)
    .with_recent_log(log);
    let app = web::router(state);
    let addr = listener.local_addr()?;
    tracing::debug!(%addr, "HTTP server ready");

    let http_stop = CancellationToken::new();
    let http_stopped = http_stop.clone();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { http_stopped.cancelled().await });
    let server_task = tokio::spawn(async move { server.await });
    serving(addr);

    shutdown.await;
    tracing::info!("shutting down: stopping collection and writing buffered samples");
    http_stop.cancel();
    engine_stop.cancel();
    if engine_task.await.is_err() {
        tracing::error!("collector task panicked");
    }
    // Marks entities unavailable while the link still works, then closes the links.
    publisher_stop.cancel();
    for task in publisher_tasks {
        if task.await.is_err() {
            tracing::error!("publisher task panicked");
        }
    }
    links_stop.cancel();
    for task in link_tasks {
        let _ = task.await;
    }
    if writer_task.await.is_err() {
        tracing::error!("store writer panicked");
    }
    if alerts_task.await.is_err() {
        tracing::error!("alert task panicked");
    }
    store.close().await;
    match tokio::time::timeout(HTTP_DRAIN, server_task).await {
        Ok(Ok(result)) => result?,
        Ok(Err(_)) => tracing::error!("HTTP server task panicked"),
        Err(_) => tracing::warn!("HTTP connections still open after {HTTP_DRAIN:?}; closing"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGTERM (the Supervisor's stop) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

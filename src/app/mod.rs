//! The running application: wires collectors, store, alerts, links and web, and stops them in
//! order. Every task runs on one [`TaskTracker`] and stops through one cancellation tree, both
//! owned here: a root token with one child per shutdown stage ([`shutdown`]).

pub mod health;
pub mod listen;
mod shutdown;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::alert::{self, AlertHandle};
use crate::analysis::runner::{self as analysis_runner, Analysis};
use crate::bus::{Bus, Event};
use crate::collect::remote::{RemoteCollector, RemoteHost, RemoteHosts, scrape};
use crate::collect::supervisor::SupervisorCollector;
use crate::collect::{self, Collector, Engine, Outputs, TickStats};
use crate::config::Config;
use crate::lease::{self, LeaseService};
use crate::logging::RecentLog;
use crate::model::Snapshot;
use crate::publish::remote_write::{RemoteWriteStatus, RemoteWriter};
use crate::store::{self, Store, StoreError, StoreOptions};
use crate::supervisor::SupervisorClient;
use crate::supervisor::poller::{self, SupervisorLinkStatus, SupervisorShared};
use crate::util::Clock;
use crate::web::{self, AppParts, AppState, HostInfo, Links};
pub use listen::Listeners;
use shutdown::Running;

/// Snapshots the store writer may have queued before the engine counts drops (~5 h at 5 s).
const STORE_QUEUE: usize = 4096;

/// Why the app could not start or stopped badly.
/// Each message carries its cause and exposes no `source()`, so `{:#}` prints it once.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot open the history: {}{}", .0, open_hint(.0))]
    Store(StoreError),
    #[error("HTTP server failed: {0}")]
    Serve(#[from] std::io::Error),
    #[error("cannot listen on {addr}: {error}")]
    Listen {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("{0}; exiting so the Supervisor's watchdog starts the add-on again")]
    Ingress(crate::supervisor::ingress::IngressError),
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

impl From<crate::supervisor::ingress::IngressError> for AppError {
    fn from(err: crate::supervisor::ingress::IngressError) -> Self {
        AppError::Ingress(err)
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
    run_with_log(
        config,
        listener.into(),
        shutdown,
        RecentLog::default(),
        |_| {},
    )
    .await
}

/// [`run`], with the log's recent warnings (collected by `log`'s layer) shown in Diagnostics.
/// `serving` is called with the address once the history is open and requests are served.
pub async fn run_with_log(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
    log: RecentLog,
    serving: impl FnOnce(SocketAddr),
) -> Result<(), AppError> {
    // The one clock of the running app; tests of the parts inject a manual one.
    let clock = Clock::system();
    let store = open_store(&config, &clock).await?;
    let wiring = Wiring {
        clock,
        store,
        bus: Bus::default(),
        tracker: TaskTracker::new(),
        root: CancellationToken::new(),
    };
    let running = match start(&wiring, config, listeners, log).await {
        Ok(running) => running,
        Err(err) => {
            wiring.abandon().await;
            return Err(err);
        }
    };
    serving(running.addr);
    shutdown.await;
    running.shutdown_in_order().await
}

/// What every start step shares: the clock, the store, the event bus, and the task tracker
/// and root of the cancellation tree that own every task.
struct Wiring {
    clock: Clock,
    store: Store,
    bus: Bus,
    tracker: TaskTracker,
    root: CancellationToken,
}

impl Wiring {
    /// A start step failed: stops what already runs and closes the store.
    async fn abandon(self) {
        self.root.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        self.store.close().await;
    }
}

/// Opens (and if needed creates and migrates) the history on the app's clock.
async fn open_store(config: &Config, clock: &Clock) -> Result<Store, AppError> {
    let options = StoreOptions {
        clock: clock.clone(),
        ..StoreOptions::default()
    };
    Ok(Store::open_with(&config.database_path(), options).await?)
}

/// Starts every part, in dependency order, and returns them for the ordered shutdown.
async fn start(
    wiring: &Wiring,
    config: Config,
    listeners: Listeners,
    log: RecentLog,
) -> Result<Running, AppError> {
    let alerts = AlertHandle::start(
        config.options.alert_rules.clone(),
        wiring.store.clone(),
        wiring.clock.now_ms(),
        wiring
            .bus
            .emitter(|transition| Event::Alert(Box::new(transition))),
    )
    .await?;
    let links_stop = wiring.root.child_token();
    let host = HostInfo::read();
    let (leases, lease_writer) = open_leases(wiring, &config, &host).await?;
    let mut collectors = collect::host_collectors(&config.sys_root);
    // The engine's pace, set by self-scaling and followed by every periodic part.
    let pace = crate::util::PaceWatch::default();
    // One client (one connection pool) for the poller and the advisor.
    let supervisor_client = config
        .supervisor
        .as_ref()
        .map(SupervisorClient::new)
        .transpose()
        .map_err(|e| AppError::Link(e.to_string()))?;
    let supervisor = start_supervisor(
        wiring,
        &config,
        supervisor_client.clone(),
        &mut collectors,
        &pace,
        &links_stop,
    );
    let power = start_power(wiring, &config, &mut collectors).await;
    let remote_hosts = start_hosts(wiring, &config, &mut collectors, &links_stop)?;
    // Subscribed before the engine starts, so the first tick is written too.
    let remote_write = config
        .options
        .remote_write
        .url
        .is_some()
        .then(|| wiring.bus.subscribe("remote write"));
    let values = collect::derive::AnalysisValues::default();
    let jobs = Arc::new(
        lease::jobs::EngineJobs::new(leases.clone(), wiring.clock.clone()).with_pace(pace.clone()),
    );
    let collection = start_collection(
        wiring,
        &config,
        collectors,
        &alerts,
        jobs.clone(),
        derivers(values.clone(), power.derivers, &pace),
        &pace,
    );
    let remote_write = match remote_write {
        Some(ticks) => Some(start_remote_write(wiring, &config, ticks, &collection)?),
        None => None,
    };
    let lease_tasks = start_leases(wiring, leases.clone(), lease_writer, &collection);
    // Checkpoints off every commit path, until the links close (the store's own close
    // checkpoints what is left).
    wiring
        .tracker
        .spawn(wiring.store.clone().run_checkpoints(links_stop.clone()));
    let analysis = start_analysis(wiring, &config, &alerts, &collection, values, &pace, jobs);
    let (advisor, advisor_task) =
        start_advisor(wiring, &config, supervisor_client, &collection, &analysis).await?;
    let publishers_stop = wiring.root.child_token();
    let ha = match &config.home_assistant {
        Some(endpoint) => Some(
            crate::ha::start(crate::ha::HaStart {
                endpoint,
                options: &config.options.home_assistant,
                latest: collection.latest.clone(),
                alerts: &alerts,
                bus: &wiring.bus,
                leases: leases.clone(),
                store: wiring.store.clone(),
                tracker: &wiring.tracker,
                publishers_stop: publishers_stop.clone(),
                link_stop: links_stop.clone(),
                import_statistics: config
                    .options
                    .import_ha_statistics
                    .then(|| analysis.clone()),
                advisor: Some(advisor.clone()),
            })
            .map_err(|e| AppError::Link(e.to_string()))?,
        ),
        None => None,
    };

    let mut link_tasks = Vec::new();
    let mut publisher_tasks = Vec::new();
    let mut links = Links {
        hosts: remote_hosts,
        ..Links::default()
    };
    let mut flush_remote = Vec::new();
    if let Some((status, task)) = remote_write {
        links.remote_write = Some(status);
        flush_remote.push(("remote write", task));
    }
    if let Some((status, task)) = supervisor {
        links.supervisor = Some(status);
        link_tasks.push(task);
    }
    if let Some(ha) = ha {
        links.home_assistant = Some(ha.status);
        links.ha_commands = Some(ha.commands);
        publisher_tasks = ha.publishers;
        link_tasks.push(ha.link);
    }
    let budget = web::server::descriptor_budget();
    tracing::info!(
        descriptor_limit = ?budget.limit,
        max_connections = budget.max_connections,
        "HTTP connections capped below the descriptor limit"
    );
    let connections = Arc::new(web::server::connections::ConnectionTable::new(
        budget.max_connections,
    ));
    let state = AppState::new(AppParts {
        config,
        store: wiring.store.clone(),
        latest: collection.latest,
        tick_stats: collection.tick_stats,
        host,
        links,
        alerts,
        recent_log: log,
        analysis,
        leases: Some(leases),
        connections: connections.clone(),
        descriptor_limit: budget.limit,
        advisor: Some(advisor),
        power: Some(power.summary),
    });
    let http_stop = wiring.root.child_token();
    let (http, addr) = start_http(wiring, listeners, state, connections, http_stop.clone())?;
    Ok(Running {
        addr,
        root: wiring.root.clone(),
        tracker: wiring.tracker.clone(),
        http_stop,
        http,
        collect_stop: collection.stop,
        engine: collection.engine,
        flush: [
            ("store writer", collection.writer),
            ("alert service", collection.alerts),
            ("lease timer", lease_tasks.0),
            ("lease writer", lease_tasks.1),
            ("advisor", advisor_task),
        ]
        .into_iter()
        .chain(flush_remote)
        .collect(),
        publishers_stop,
        publishers: publisher_tasks,
        links_stop,
        links: link_tasks,
        store: wiring.store.clone(),
    })
}

/// Opens the lease service on the app's clock and store; capacity from the options and the
/// host's size.
async fn open_leases(
    wiring: &Wiring,
    config: &Config,
    host: &HostInfo,
) -> Result<(LeaseService, lease::service::Writer), AppError> {
    let options = &config.options.leases;
    let memory_mb = lease::capacity::host_memory_mb(&config.sys_root.proc).unwrap_or_else(|| {
        tracing::warn!("host memory unknown (no /proc/meminfo): no memory can be leased");
        0
    });
    let capacity = lease::capacity::capacity(options, host.cores, memory_mb);
    let (service, writer) = LeaseService::open(
        wiring.store.clone(),
        wiring.clock.clone(),
        capacity,
        lease::capacity::policy(options),
        host.cores.max(1) as f64,
        wiring.bus.emitter(Event::LeaseChanged),
    )
    .await?;
    Ok((service, writer))
}

/// The lease writer and timer; they stop with collection (the timer follows its snapshots)
/// and the writer saves what is waiting before the store closes.
fn start_leases(
    wiring: &Wiring,
    service: LeaseService,
    writer: lease::service::Writer,
    collection: &Collection,
) -> (JoinHandle<()>, JoinHandle<()>) {
    let timer = wiring.tracker.spawn(lease::tasks::run(
        service,
        collection.latest.clone(),
        wiring.bus.emitter(Event::LeaseChanged),
        collection.stop.clone(),
    ));
    let writer = wiring.tracker.spawn(writer.run(collection.stop.clone()));
    (timer, writer)
}

/// The Supervisor poller (a link, stopped with the links) and the collector that hands its
/// latest add-on samples to each tick.
#[allow(clippy::type_complexity)]
fn start_supervisor(
    wiring: &Wiring,
    config: &Config,
    client: Option<SupervisorClient>,
    collectors: &mut Vec<Box<dyn Collector>>,
    pace: &crate::util::PaceWatch,
    links_stop: &CancellationToken,
) -> Option<(Arc<Mutex<SupervisorLinkStatus>>, JoinHandle<()>)> {
    let client = client?;
    let shared = Arc::new(Mutex::new(SupervisorShared::default()));
    let status = Arc::new(Mutex::new(SupervisorLinkStatus::default()));
    let interval = Duration::from_secs(u64::from(config.options.addon_stats_interval_seconds));
    collectors.push(Box::new(SupervisorCollector::new(shared.clone(), interval)));
    let task = wiring.tracker.spawn(poller::run(
        client,
        interval,
        shared,
        status.clone(),
        wiring.clock.clone(),
        pace.subscribe(),
        links_stop.clone(),
    ));
    Some((status, task))
}

/// The remote hosts' scrape loops (links: stopped with the links) and the collector that
/// hands their latest samples to each tick.
fn start_hosts(
    wiring: &Wiring,
    config: &Config,
    collectors: &mut Vec<Box<dyn Collector>>,
    links_stop: &CancellationToken,
) -> Result<RemoteHosts, AppError> {
    let options = &config.options.hosts;
    if options.is_empty() {
        return Ok(RemoteHosts::default());
    }
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| AppError::Link(format!("remote hosts: {e}")))?;
    let hosts: Vec<RemoteHost> = options
        .iter()
        .map(|o| RemoteHost::new(&o.name, &o.url, o.interval()))
        .collect();
    for (host, options) in hosts.iter().zip(options) {
        wiring.tracker.spawn(scrape::run(
            host.clone(),
            options.clone(),
            client.clone(),
            wiring.clock.clone(),
            links_stop.clone(),
        ));
    }
    let hosts = RemoteHosts {
        hosts: Arc::new(hosts),
    };
    collectors.push(Box::new(RemoteCollector::new(hosts.clone())));
    Ok(hosts)
}

/// The remote writer: reads ticks from the bus; stops with collection and keeps what it had
/// not sent on disk.
#[allow(clippy::type_complexity)]
fn start_remote_write(
    wiring: &Wiring,
    config: &Config,
    ticks: crate::bus::Subscription,
    collection: &Collection,
) -> Result<(Arc<Mutex<RemoteWriteStatus>>, JoinHandle<()>), AppError> {
    let (writer, status) = RemoteWriter::new(
        config.options.remote_write.clone(),
        config.data_dir.join("remote_write"),
        wiring.clock.clone(),
    )
    .map_err(|e| AppError::Link(format!("remote write: {e}")))?;
    let task = wiring
        .tracker
        .spawn(writer.run(ticks, collection.stop.clone()));
    Ok((status, task))
}

/// Key in `store_state` of the energy counter: the bits of its `f64` watt-hours, so a restart
/// resumes from exactly what was published (`total_increasing` must never go back, not even by
/// a rounding).
const ENERGY_KEY: &str = "energy_wh_f64_bits";
/// The key before: whole milliwatt-hours, rounded (read once, when the new key is absent).
const OLD_ENERGY_KEY: &str = "energy_mwh_total";

/// The power side: its derivers (the energy counter they add to is saved by the store) and
/// how power is obtained, for the status.
struct Power {
    derivers: Vec<Box<dyn collect::derive::Derive>>,
    summary: collect::power::PowerSummary,
}

/// Picks the power source (a collector when measured), and loads the energy counter saved
/// by the last run so `energy.kwh_total` keeps counting across restarts.
async fn start_power(
    wiring: &Wiring,
    config: &Config,
    collectors: &mut Vec<Box<dyn Collector>>,
) -> Power {
    let options = &config.options.power;
    let mut plan = collect::power::detect(options, &config.sys_root);
    tracing::info!(
        method = plan.method,
        preset = plan.model.preset.name(),
        idle_watts = plan.model.idle_watts,
        max_watts = plan.model.max_watts,
        "power source"
    );
    if let Some(collector) = plan.collector.take() {
        collectors.push(Box::new(collector));
    }
    let saved = async {
        if let Some(bits) = wiring.store.saved_value(ENERGY_KEY).await? {
            return Ok(f64::from_bits(bits as u64));
        }
        let mwh = wiring.store.saved_value(OLD_ENERGY_KEY).await?;
        Ok::<f64, StoreError>(mwh.map_or(0.0, |mwh| mwh as f64 / 1000.0))
    };
    let wh = match saved.await {
        Ok(wh) if wh.is_finite() && wh >= 0.0 => wh,
        Ok(_) => 0.0,
        Err(err) => {
            tracing::warn!(error = %err, "energy counter not read; counting from zero");
            0.0
        }
    };
    let counter = collect::power::EnergyCounter::starting_at(wh);
    // Saved with the batches; published only as far as saved (before the first tick).
    counter.publish_only_saved();
    wiring
        .store
        .keep_durable(Arc::new(EnergyState(counter.clone())));
    Power {
        derivers: collect::power::derivers(&plan, options, counter),
        summary: plan.summary(),
    }
}

/// The energy counter as the store saves it: the exact bits of its `f64` watt-hours, with
/// each batch every ten minutes and at a clean stop; the counter publishes only what is saved.
struct EnergyState(collect::power::EnergyCounter);

impl crate::store::DurableValue for EnergyState {
    fn key(&self) -> &'static str {
        ENERGY_KEY
    }

    fn current(&self) -> i64 {
        self.0.wh().to_bits() as i64
    }

    fn saved(&self, value: i64) {
        self.0.mark_saved(f64::from_bits(value as u64));
    }
}

/// Every deriver of a tick, in order: busy cores and the analysis' values, power, energy and
/// cost, the engine's self-scaling level.
fn derivers(
    analysed: collect::derive::AnalysisValues,
    power: Vec<Box<dyn collect::derive::Derive>>,
    pace: &crate::util::PaceWatch,
) -> Vec<Box<dyn collect::derive::Derive>> {
    let mut derivers = collect::derive::with_analysis(analysed);
    derivers.extend(power);
    derivers.push(Box::new(collect::scaling::ScaleLevel::new(pace.clone())));
    derivers.push(Box::new(collect::own_writes::OwnWrites::new()));
    derivers
}

/// The collecting side, started.
struct Collection {
    latest: watch::Receiver<Arc<Snapshot>>,
    tick_stats: Arc<Mutex<TickStats>>,
    /// Stops the engine; the writer and the alert service then end on their own.
    stop: CancellationToken,
    engine: JoinHandle<()>,
    writer: JoinHandle<()>,
    alerts: JoinHandle<()>,
}

/// The engine (collectors, then the derived series), the store writer and the alert service.
fn start_collection(
    wiring: &Wiring,
    config: &Config,
    collectors: Vec<Box<dyn Collector>>,
    alerts: &AlertHandle,
    jobs: Arc<dyn store::writer::JobGate>,
    derivers: Vec<Box<dyn collect::derive::Derive>>,
    pace: &crate::util::PaceWatch,
) -> Collection {
    let options = &config.options;
    let (latest_tx, latest) = watch::channel(Arc::new(Snapshot::default()));
    // The alert engine's own tick channel: it must see every tick, whatever else is on the
    // bus (ADR 0008).
    let (ticks_tx, ticks_rx) = broadcast::channel(64);
    let (store_tx, store_rx) = mpsc::channel(STORE_QUEUE);
    let tick_stats = Arc::new(Mutex::new(TickStats::default()));
    let stop = wiring.root.child_token();
    // These two end when the engine's senders are dropped (the writer after draining its
    // queue, the alert service after storing what is open); their tokens are the last resort.
    let alerts = wiring.tracker.spawn(alert::service::run(
        alerts.clone(),
        ticks_rx,
        wiring.root.child_token(),
    ));
    let writer = wiring.tracker.spawn(store::writer::run(
        wiring.store.clone(),
        store_rx,
        store::writer::WriterSettings {
            batch: options.write_batch(),
            retention: options.retention,
            gate: Some(jobs),
        },
        wiring.root.child_token(),
    ));
    let engine = Engine::new(collectors, &config.sys_root).with_derived(derivers);
    let outputs = Outputs {
        latest: latest_tx,
        events: ticks_tx,
        store: store_tx,
        stats: tick_stats.clone(),
        // Ticks go onto the bus only for remote write, its one consumer (ADR 0008, 0014).
        bus: if options.remote_write.url.is_some() {
            wiring.bus.emitter(Event::Tick)
        } else {
            crate::util::Emit::none()
        },
    };
    wiring.tracker.spawn(collect::scaling::run(
        collect::scaling::Scaler::new(options.self_scaling, options.sample_interval()),
        collect::scaling::LoadProbe::new(&config.sys_root),
        pace.clone(),
        tick_stats.clone(),
        wiring.clock.clone(),
        stop.clone(),
    ));
    let engine = wiring.tracker.spawn(collect::run(
        engine,
        options.sample_interval(),
        options.process_interval(),
        pace.subscribe(),
        outputs,
        wiring.clock.clone(),
        stop.clone(),
    ));
    Collection {
        latest,
        tick_stats,
        stop,
        engine,
        writer,
        alerts,
    }
}

/// The analysis runner, off the tick path; stopped with the collection (its values ride on
/// the ticks, so it has nothing to say once they end).
fn start_analysis(
    wiring: &Wiring,
    config: &Config,
    alerts: &AlertHandle,
    collection: &Collection,
    values: collect::derive::AnalysisValues,
    pace: &crate::util::PaceWatch,
    jobs: Arc<lease::jobs::EngineJobs>,
) -> Analysis {
    let analysis = Analysis::default();
    let counted = alerts.clone();
    let parts = analysis_runner::Parts {
        store: wiring.store.clone(),
        clock: wiring.clock.clone(),
        values,
        alerts: Box::new(move || {
            let active = counted.active();
            let firing = active.iter().filter(|a| a.status == alert::Status::Firing);
            let mut counts = (0, 0, 0);
            for a in firing {
                match a.severity {
                    crate::model::Severity::Warning | crate::model::Severity::Info => counts.0 += 1,
                    crate::model::Severity::Error => counts.1 += 1,
                    crate::model::Severity::Critical => counts.2 += 1,
                    crate::model::Severity::Ok => {}
                }
            }
            counts
        }),
        latest: collection.latest.clone(),
        sys: config.sys_root.sys.clone(),
        schedule: analysis_runner::AnalysisSchedule::default(),
        pace: pace.clone(),
        gate: Some(jobs),
    };
    wiring.tracker.spawn(analysis_runner::run(
        analysis.clone(),
        parts,
        collection.stop.clone(),
    ));
    analysis
}

/// The advisor and its loop, stopped with the collection (its effects are measured on the
/// snapshots); the loop stores the last recorder churn as it ends.
async fn start_advisor(
    wiring: &Wiring,
    config: &Config,
    supervisor: Option<SupervisorClient>,
    collection: &Collection,
    analysis: &Analysis,
) -> Result<(crate::advice::Advisor, JoinHandle<()>), AppError> {
    let control = supervisor
        .clone()
        .map(|c| Arc::new(c) as Arc<dyn crate::supervisor::AddonControl>);
    let advisor = crate::advice::Advisor::open(crate::advice::AdvisorParts {
        store: wiring.store.clone(),
        clock: wiring.clock.clone(),
        options: config.options.actions.clone(),
        control,
        emit: wiring.bus.emitter(Event::ActionResult),
        latest: collection.latest.clone(),
    })
    .await?;
    advisor.set_energy_price(config.options.power.energy_price.map(|per_kwh| {
        crate::advice::recommend::EnergyPrice {
            per_kwh,
            currency: config.options.power.currency.clone(),
        }
    }));
    let task = wiring.tracker.spawn(crate::advice::runner::run(
        crate::advice::runner::RunnerParts {
            advisor: advisor.clone(),
            analysis: analysis.clone(),
            store: wiring.store.clone(),
            latest: collection.latest.clone(),
            supervisor,
            recorder_db: crate::advice::runner::RECORDER_DB_PATHS
                .iter()
                .map(std::path::PathBuf::from)
                .collect(),
            schedule: crate::advice::runner::AdviceSchedule::default(),
        },
        collection.stop.clone(),
    ));
    Ok((advisor, task))
}

/// Serves the router on every listener until `stop`, then lets open requests finish; the
/// listeners share one connection cap.
fn start_http(
    wiring: &Wiring,
    listeners: Listeners,
    state: AppState,
    connections: Arc<web::server::connections::ConnectionTable>,
    stop: CancellationToken,
) -> Result<(JoinHandle<std::io::Result<()>>, SocketAddr), AppError> {
    let app = web::router(state);
    let addr = listeners.primary.local_addr()?;
    let limits = web::server::ServerLimits::default();
    let mut servers = tokio::task::JoinSet::new();
    for listener in std::iter::once(listeners.primary).chain(listeners.extra) {
        tracing::debug!(addr = ?listener.local_addr().ok(), "HTTP server ready");
        servers.spawn(web::server::serve(
            listener,
            app.clone(),
            connections.clone(),
            limits,
            stop.clone(),
        ));
    }
    let task = wiring.tracker.spawn(async move {
        let mut result = Ok(());
        while let Some(joined) = servers.join_next().await {
            match joined {
                Ok(Err(err)) if result.is_ok() => result = Err(err),
                Err(err) if result.is_ok() => result = Err(std::io::Error::other(err)),
                _ => {}
            }
        }
        result
    });
    Ok((task, addr))
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

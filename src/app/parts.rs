//! The order in which the parts start: each from its own `start` in its own folder, taking
//! what it needs and returning its handle. Adding a subsystem is one call here, in dependency
//! order, and its stop in the right stage of [`shutdown`](super::shutdown).

use std::sync::Arc;
use std::time::Duration;

use super::shutdown::Running;
use super::{AppError, Listeners, Wiring, energy};
use crate::bus::Event;
use crate::collect::derive::{AnalysisValues, Derive};
use crate::collect::{self, CollectionParts};
use crate::config::Config;
use crate::logging::RecentLog;
use crate::store::writer::WriterSettings;
use crate::supervisor::SupervisorClient;
use crate::supervisor::core_starts::CoreStarts;
use crate::util::{Emit, PaceWatch};
use crate::web::{self, AppParts, AppState, HostInfo, Links};
use crate::{advice, alert, analysis, ha, lease, publish, store};

/// Starts every part, in dependency order, and returns them for the ordered shutdown.
pub(super) async fn start(
    wiring: &Wiring,
    config: Config,
    listeners: Listeners,
    log: RecentLog,
) -> Result<Running, AppError> {
    let Wiring {
        clock,
        store,
        bus,
        tracker,
        root,
    } = wiring;
    let options = &config.options;
    // One stop per shutdown stage (shutdown.rs); the writer's and the alert service's are the
    // last resort, as they end on their own once the engine is gone.
    let collect_stop = root.child_token();
    let publishers_stop = root.child_token();
    let links_stop = root.child_token();
    let http_stop = root.child_token();
    // The engine's pace, set by self-scaling and followed by every periodic part.
    let pace = PaceWatch::default();
    let host = HostInfo::read();

    // What every tick feeds, ready before the first one.
    let alerts = alert::start(
        tracker,
        options.alert_rules.clone(),
        store.clone(),
        clock.now_ms(),
        bus.emitter(|transition| Event::Alert(Box::new(transition))),
        root.child_token(),
    )
    .await?;
    let leases = lease::open(
        store.clone(),
        clock.clone(),
        &options.leases,
        &config.sys_root.proc,
        host.cores,
        bus.emitter(Event::LeaseChanged),
    )
    .await?;
    let lease_service = leases.service.clone();
    // The store's heavy jobs and the analysis ask the lease manager first.
    let jobs = Arc::new(
        lease::jobs::EngineJobs::new(lease_service.clone(), clock.clone()).with_pace(pace.clone()),
    );
    let writer = store::start_writer(
        tracker,
        store,
        WriterSettings {
            batch: options.write_batch(),
            retention: options.retention,
            gate: Some(jobs.clone()),
        },
        root.child_token(),
    );
    // Subscribed before the engine starts, so the first tick is sent too.
    let remote_write_ticks = options
        .remote_write
        .url
        .is_some()
        .then(|| bus.subscribe("remote write"));

    // The collectors: this host's, the Supervisor's add-ons, measured power, remote hosts.
    let mut collectors = collect::host_collectors(&config.sys_root);
    // One client (one connection pool) for the poller and the advisor.
    let supervisor_client = config
        .supervisor
        .as_ref()
        .map(SupervisorClient::new)
        .transpose()
        .map_err(|e| AppError::Link(e.to_string()))?;
    // Core's restarts: the poller and the Home Assistant link both report them.
    let core_starts = CoreStarts::default();
    let supervisor = supervisor_client.clone().map(|client| {
        let interval = Duration::from_secs(u64::from(options.addon_stats_interval_seconds));
        collect::supervisor::start(
            tracker,
            client,
            interval,
            (clock.clone(), core_starts.clone()),
            &pace,
            links_stop.clone(),
        )
    });
    let mut installed_addons = None;
    let supervisor = supervisor.map(|started| {
        collectors.push(Box::new(started.collector));
        installed_addons = Some(started.installed);
        (started.status, started.task)
    });
    // What takes the data disk: walked hourly by the Supervisor, off the tick path.
    let storage = supervisor_client.clone().map(|client| {
        let (walks, collector, task) = collect::storage::start(
            tracker,
            client,
            clock.clone(),
            collect::storage::CHECK_EVERY,
            links_stop.clone(),
        );
        collectors.push(Box::new(collector));
        (walks, task)
    });
    let power = energy::start_power(store, &config, supervisor_client.as_ref()).await;
    if let Some(meter) = power.collector {
        collectors.push(Box::new(meter));
    }
    let (remote_hosts, remote_collector) =
        collect::remote::start(tracker, &options.hosts, clock, &links_stop)
            .map_err(|e| AppError::Link(format!("remote hosts: {e}")))?;
    if let Some(remote) = remote_collector {
        collectors.push(Box::new(remote));
    }

    // The engine, then what follows its ticks.
    let values = AnalysisValues::default();
    let verdicts = AnalysisValues::default();
    let collection = collect::start(
        tracker,
        CollectionParts {
            collectors,
            derivers: derivers(
                [values.clone(), verdicts.clone()],
                power.derivers,
                (&pace, &core_starts),
            ),
            options,
            sys_root: &config.sys_root,
            alerts: alerts.ticks,
            store: writer.queue,
            // Ticks go onto the bus only for remote write, its one consumer (ADR 0008, 0014).
            bus: if remote_write_ticks.is_some() {
                bus.emitter(Event::Tick)
            } else {
                Emit::none()
            },
            pace: &pace,
            clock: clock.clone(),
        },
        &collect_stop,
    );
    let remote_write = match remote_write_ticks {
        Some(ticks) => Some(
            publish::remote_write::start(
                tracker,
                options.remote_write.clone(),
                config.data_dir.join("remote_write"),
                clock.clone(),
                ticks,
                &collect_stop,
            )
            .map_err(|e| AppError::Link(format!("remote write: {e}")))?,
        ),
        None => None,
    };
    let lease_tasks = leases.start(
        tracker,
        collection.latest.clone(),
        bus.emitter(Event::LeaseChanged),
        &collect_stop,
    );
    store::start_checkpoints(tracker, store, links_stop.clone());
    let counted = alerts.handle.clone();
    let analysis = analysis::start(
        tracker,
        analysis::runner::Parts {
            store: store.clone(),
            clock: clock.clone(),
            values,
            alerts: Box::new(move || counted.firing_counts()),
            latest: collection.latest.clone(),
            sys: config.sys_root.sys.clone(),
            schedule: analysis::runner::AnalysisSchedule::default(),
            pace: pace.clone(),
            gate: Some(jobs),
        },
        &collect_stop,
    );
    let mqtt = mqtt_start(&config, supervisor_client.clone(), installed_addons);
    let (advisor, advisor_task) = advice::start(
        tracker,
        advice::AdviceParts {
            store: store.clone(),
            clock: clock.clone(),
            options,
            supervisor: supervisor_client,
            storage: storage.as_ref().map(|(walks, _)| walks.clone()),
            results: bus.emitter(Event::ActionResult),
            latest: collection.latest.clone(),
            analysis: analysis.clone(),
            verdicts,
        },
        &collect_stop,
    )
    .await?;
    let ha = match &config.home_assistant {
        Some(endpoint) => Some(
            ha::start(ha::HaStart {
                endpoint,
                options: &options.home_assistant,
                latest: collection.latest.clone(),
                alerts: &alerts.handle,
                bus,
                leases: lease_service.clone(),
                store: store.clone(),
                tracker,
                publishers_stop: publishers_stop.clone(),
                link_stop: links_stop.clone(),
                import_statistics: options.import_ha_statistics.then(|| analysis.clone()),
                advisor: Some(advisor.clone()),
                mqtt,
                core_starts: core_starts.clone(),
            })
            .map_err(|e| AppError::Link(e.to_string()))?,
        ),
        None => None,
    };

    // What the web layer shows of the links, and what the shutdown waits for.
    let mut links = Links {
        hosts: remote_hosts,
        ..Links::default()
    };
    let mut link_tasks = Vec::new();
    let mut publisher_tasks = Vec::new();
    let mut flush = vec![
        ("store writer", writer.task),
        ("alert service", alerts.task),
        ("lease timer", lease_tasks.timer),
        ("lease writer", lease_tasks.writer),
        ("advisor", advisor_task),
    ];
    if let Some((status, task)) = remote_write {
        links.remote_write = Some(status);
        flush.push(("remote write", task));
    }
    if let Some((status, task)) = supervisor {
        links.supervisor = Some(status);
        link_tasks.push(task);
    }
    let storage = storage.map(|(walks, task)| {
        link_tasks.push(task);
        walks
    });
    if let Some(ha) = ha {
        links.home_assistant = Some(ha.status);
        links.ha_commands = Some(ha.commands);
        publisher_tasks = ha.publishers;
        link_tasks.push(ha.link);
        link_tasks.extend(ha.mqtt);
    }

    let (connections, descriptor_limit) = web::connection_table();
    let state = AppState::new(AppParts {
        config,
        store: store.clone(),
        latest: collection.latest,
        tick_stats: collection.tick_stats,
        host,
        links,
        alerts: alerts.handle,
        recent_log: log,
        analysis,
        leases: Some(lease_service),
        connections: connections.clone(),
        descriptor_limit,
        advisor: Some(advisor),
        power: Some(power.summary),
        storage,
    });
    let (http, addr) = web::start(
        tracker,
        listeners.primary,
        listeners.extra,
        state,
        connections,
        &http_stop,
    )?;
    Ok(Running {
        addr,
        root: root.clone(),
        tracker: tracker.clone(),
        http_stop,
        http,
        collect_stop,
        engine: collection.engine,
        flush,
        publishers_stop,
        publishers: publisher_tasks,
        links_stop,
        links: link_tasks,
        store: store.clone(),
    })
}

/// MQTT discovery unless `transport: rest`: the user's broker, else the Supervisor's.
fn mqtt_start(
    config: &Config,
    supervisor: Option<SupervisorClient>,
    installed: Option<crate::supervisor::poller::InstalledAddons>,
) -> Option<ha::MqttStart> {
    use crate::config::{Mode, Transport};
    use ha::mqtt::{BrokerSource, discovery::Node, node_id};
    let options = &config.options;
    if options.home_assistant.transport == Transport::Rest || config.home_assistant.is_none() {
        return None;
    }
    let source = match options.mqtt.broker() {
        Some(broker) => Some(BrokerSource::Options(broker)),
        None => supervisor.map(BrokerSource::Supervisor),
    };
    Some(ha::MqttStart {
        source,
        installed,
        node: Node {
            id: node_id(&config.data_dir),
            discovery_prefix: options.mqtt.discovery_prefix.clone(),
            entity_prefix: options.home_assistant.entity_prefix.clone(),
            model: match config.mode {
                Mode::Addon => "Home Assistant add-on",
                Mode::Standalone => "Standalone",
            },
            configuration_url: None,
        },
    })
}

/// Every deriver of a tick, in order: busy cores, the analysis' values and the advice's hung
/// verdicts, power, energy and cost, the engine's self-scaling level, its own disk writes.
fn derivers(
    [analysed, verdicts]: [AnalysisValues; 2],
    power: Vec<Box<dyn Derive>>,
    (pace, core): (&PaceWatch, &CoreStarts),
) -> Vec<Box<dyn Derive>> {
    let mut derivers = collect::derive::with_analysis(analysed);
    derivers.push(Box::new(collect::derive::Analysed::new(verdicts)));
    derivers.push(Box::new(collect::supervisor::CoreRestarts::new(
        core.clone(),
    )));
    derivers.extend(power);
    derivers.push(Box::new(collect::scaling::ScaleLevel::new(pace.clone())));
    derivers.push(Box::new(collect::own_writes::OwnWrites::new()));
    derivers
}

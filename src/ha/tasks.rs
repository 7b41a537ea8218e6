//! Starting the Home Assistant side: the WebSocket link, the entity publisher and the other
//! publishers (history, leases, alerts, advice) and the statistics import, all on the app's
//! task tracker.

use super::error::HaError;
use super::status::HaLinkStatus;
use super::{advice, alerts, history, leases, mqtt, publisher, rest, statistics, ws};

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
    /// The MQTT connection (says `offline` when stopped), beside the WebSocket.
    pub mqtt: Option<tokio::task::JoinHandle<()>>,
}

/// MQTT discovery (ADR 0019), unless `home_assistant.transport` is `rest`.
pub struct MqttStart {
    /// The broker: the `mqtt` option, else the Supervisor's service; `None`: no broker.
    pub source: Option<mqtt::BrokerSource>,
    pub node: mqtt::discovery::Node,
    /// The Supervisor's installed add-ons: an uninstalled one's entities are removed.
    pub installed: Option<crate::supervisor::poller::InstalledAddons>,
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
    /// MQTT discovery; `None`: REST only.
    pub mqtt: Option<MqttStart>,
    /// Core's restarts, told by the link from Core's start and stop events.
    pub core_starts: crate::supervisor::core_starts::CoreStarts,
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
        mqtt,
        core_starts,
    } = start;
    let status = Arc::new(Mutex::new(HaLinkStatus {
        state: "connecting",
        transport: "rest",
        ..HaLinkStatus::default()
    }));
    let (readiness_tx, readiness_rx) = tokio::sync::watch::channel(ws::Readiness::default());
    let (commands, commands_rx) = tokio::sync::mpsc::channel(32);
    let events = ws::HaEvents::new();
    let mut rest = rest::HaRest::new(endpoint)?;
    let mqtt_task = mqtt.map(|m| {
        // Entities of earlier runs get two publish intervals and a margin to come back.
        let sweep_after =
            std::time::Duration::from_secs(2 * u64::from(options.publish_interval_seconds) + 10);
        let link = mqtt::MqttLink::new(
            m.node,
            options.transport,
            status.clone(),
            sweep_after,
            m.installed,
        );
        rest = rest.clone().with_route(Arc::new(link.clone()));
        tracker.spawn(mqtt::run(link, m.source, link_stop.clone()))
    });
    let link = tracker.spawn(ws::run_link(
        endpoint.clone(),
        status.clone(),
        readiness_tx,
        commands_rx,
        (events.clone(), core_starts),
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
        mqtt: mqtt_task,
    })
}

//! The connection to the broker: found once, connected with a last will (`offline`, retained,
//! so even a SIGKILL leaves the entities unavailable), `online` on every connect, everything
//! re-announced after a connect or Home Assistant's `online`, and reconnected with back-off
//! while collection goes on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet, QoS};
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::sync::CancellationToken;

use super::broker::{BrokerSource, reannounce_delay};
use super::{BrokerState, MqttLink};
use crate::config::Transport;
use crate::supervisor::poller::InstalledAddons;
use crate::util::lock;

/// The broker declares us gone after 1.5 × this without a packet (MQTT 3.1.1, 3.1.2.10).
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Longest wait between two questions for a broker (the Supervisor's service).
const MAX_RESOLVE_WAIT: Duration = Duration::from_secs(300);
/// Requests queued for the connection; a full queue only delays (states are kept).
const QUEUE: usize = 512;

/// Finds the broker (asking again with back-off while there is none: in `auto` REST goes on
/// meanwhile), then keeps the connection until `cancel`; says `offline` at the end.
pub async fn run(link: MqttLink, source: Option<BrokerSource>, cancel: CancellationToken) {
    let Some(source) = source else {
        // Standalone without mqtt.host: no broker can appear, REST for good.
        lock(&link.inner.rest_states).clear();
        link.inner
            .may_switch
            .store(false, std::sync::atomic::Ordering::Relaxed);
        link.inner.broker.send_replace(BrokerState::Missing);
        link.mqtt_status(|s| s.state = "no_broker");
        return;
    };
    let mut wait = Duration::from_secs(5);
    let found = loop {
        match source.resolve().await {
            Ok(found) => break found,
            Err(err) => {
                link.mqtt_status(|s| {
                    s.state = "no_broker";
                    s.last_error = Some(err.clone());
                });
                let first =
                    link.inner.broker.send_replace(BrokerState::Missing) == BrokerState::Resolving;
                if first {
                    tracing::info!(reason = %err, "no MQTT broker yet; asking again with back-off");
                }
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = sleep(wait) => wait = (wait * 2).min(MAX_RESOLVE_WAIT),
                }
            }
        }
    };
    if let Some(url) = source.panel_url().await {
        lock(&link.inner.node).configuration_url = Some(url);
    }
    let broker = found.broker;
    link.mqtt_status(|s| {
        s.state = "connecting";
        s.broker = Some(format!("{}:{}", broker.host, broker.port));
        s.broker_source = Some(found.source);
        s.tls = broker.tls.is_some();
    });
    let node = link.node();
    let client_id = format!("resource_manager_{}", node.id);
    let bridge = match &broker.tls {
        None => None,
        Some(tls) => {
            let started = super::tls::client_config(tls).and_then(|config| {
                super::tls::start(
                    &broker.host,
                    broker.port,
                    config,
                    &client_id,
                    cancel.clone(),
                )
            });
            match started {
                Ok(bridge) => Some(bridge),
                Err(err) => {
                    tracing::error!(error = %err, "MQTT over TLS cannot start; fix the mqtt options");
                    link.mqtt_status(|s| {
                        s.state = "failed";
                        s.last_error = Some(err);
                    });
                    link.inner.broker.send_replace(BrokerState::Missing);
                    return;
                }
            }
        }
    };
    if link.inner.transport != Transport::Auto {
        // `mqtt`: states are kept for the broker from now on, reachable or not.
        link.inner.broker.send_replace(BrokerState::Found);
    }
    let mut options = match &bridge {
        None => MqttOptions::new(client_id, &broker.host, broker.port),
        Some(bridge) => {
            let mut options =
                MqttOptions::new(client_id, bridge.socket.to_string_lossy(), broker.port);
            options.set_transport(rumqttc::Transport::Unix);
            options
        }
    };
    options
        .set_keep_alive(KEEP_ALIVE)
        .set_clean_session(true)
        .set_max_packet_size(256 * 1024, 256 * 1024)
        .set_last_will(LastWill::new(
            node.availability_topic(),
            "offline",
            QoS::AtLeastOnce,
            true,
        ));
    if let Some(user) = &broker.username {
        let password = broker.password.as_ref().map_or("", |p| p.expose());
        options.set_credentials(user, password);
    }
    let (client, mut events) = AsyncClient::new(options, QUEUE);
    let tls_error = bridge.as_ref().map(|b| b.error.clone());
    connection(&link, &client, &mut events, &cancel, tls_error).await;
    goodbye(&link, &client, &mut events).await;
}

/// The next change of the installed add-ons; never, without a Supervisor.
async fn installed_changed(installed: &mut Option<InstalledAddons>) {
    match installed {
        Some(rx) => {
            if rx.changed().await.is_err() {
                *installed = None;
            }
        }
        None => std::future::pending().await,
    }
}

/// The event loop: polled continuously, as rumqttc sends only while polled.
async fn connection(
    link: &MqttLink,
    client: &AsyncClient,
    events: &mut EventLoop,
    cancel: &CancellationToken,
    tls_error: Option<Arc<Mutex<Option<String>>>>,
) {
    let node = link.node();
    let mut backoff = Duration::from_secs(1);
    let mut reannounce: Option<Instant> = None;
    let mut swept = false;
    let mut installed = link.inner.installed.clone();
    let far = || Instant::now() + Duration::from_secs(3600);
    link.forget_uninstalled();
    loop {
        let sweep_at = link
            .sweep_at()
            .filter(|_| !swept && lock(&link.inner.client).is_some())
            .map(Instant::from_std);
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = sleep_until(reannounce.unwrap_or_else(far)), if reannounce.is_some() => {
                reannounce = None;
                link.mqtt_status(|s| s.reannounces += 1);
                tracing::info!("Home Assistant is back: re-announcing every entity");
                link.announce_all();
            }
            _ = sleep_until(sweep_at.unwrap_or_else(far)), if sweep_at.is_some() => {
                swept = true;
                link.sweep();
                let _ = client.try_unsubscribe(node.config_filter());
            }
            () = installed_changed(&mut installed) => link.forget_uninstalled(),
            event = events.poll() => match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff = Duration::from_secs(1);
                    let now_ms = crate::util::unix_ms();
                    link.mqtt_status(|s| {
                        s.state = "connected";
                        s.connected_since_ms = Some(now_ms);
                        s.last_error = None;
                    });
                    tracing::info!("connected to the MQTT broker");
                    // In `auto` the broker counts once it answered.
                    link.inner.broker.send_replace(BrokerState::Found);
                    let _ = client.try_subscribe(node.ha_status_topic(), QoS::AtLeastOnce);
                    if !swept {
                        let _ = client.try_subscribe(node.config_filter(), QoS::AtLeastOnce);
                    }
                    let _ = client.try_publish(node.availability_topic(), QoS::AtLeastOnce, true, "online");
                    *lock(&link.inner.client) = Some(client.clone());
                    link.announce_all();
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if p.topic == node.ha_status_topic() {
                        if p.payload.as_ref() == b"online" {
                            reannounce = Some(Instant::now() + reannounce_delay());
                        }
                    } else if !p.payload.is_empty() && p.topic.ends_with("/config") {
                        lock(&link.inner.on_broker).insert(p.topic.to_string());
                    }
                }
                Ok(Event::Outgoing(_)) if link.has_unsent() => link.flush(),
                Ok(_) => {}
                Err(err) => {
                    // Behind the TLS bridge rumqttc sees a closed socket; the bridge knows why.
                    let err = tls_error
                        .as_ref()
                        .and_then(|e| lock(e).clone())
                        .unwrap_or_else(|| err.to_string());
                    let was_connected = lock(&link.inner.client).take().is_some();
                    link.inner.broker.send_if_modified(|b| {
                        let first = *b == BrokerState::Resolving;
                        if first {
                            tracing::info!(error = %err, "MQTT broker not reachable: entities stay on REST until it is");
                            *b = BrokerState::Missing;
                        }
                        first
                    });
                    link.mqtt_status(|s| {
                        s.state = "disconnected";
                        s.connected_since_ms = None;
                        s.last_error = Some(err.clone());
                        s.reconnects += u64::from(was_connected);
                    });
                    if was_connected {
                        tracing::warn!(error = %err, "MQTT broker lost; collection goes on, reconnecting");
                    }
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = sleep(backoff) => backoff = (backoff * 2).min(MAX_BACKOFF),
                    }
                }
            }
        }
    }
}

/// `offline` then a clean disconnect (which drops the last will), within a short budget.
async fn goodbye(link: &MqttLink, client: &AsyncClient, events: &mut EventLoop) {
    if lock(&link.inner.client).take().is_none() {
        return;
    }
    let node = link.node();
    let _ = client.try_publish(node.availability_topic(), QoS::AtLeastOnce, true, "offline");
    let _ = client.try_disconnect();
    let drained = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match events.poll().await {
                Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("the MQTT broker did not take the goodbye in time");
    }
    link.mqtt_status(|s| s.state = "disconnected");
}

//! Keeps one session alive with back-off, tells the publishers when Core is ready, carries
//! their commands, and keeps Home Assistant's event subscriptions in step with [`HaEvents`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::events::{EventError, parse_event_message};
use super::ready::Readiness;
use super::session::Session;
use super::subscribe::HaEvents;
use crate::config::HaEndpoint;
use crate::ha::{HaError, HaLinkStatus};
use crate::supervisor::core_starts::{CoreSource, CoreStarts};
use crate::util::Backoff;
use crate::util::{lock, unix_ms};

/// A command for Home Assistant sent over the live session.
pub struct WsRequest {
    pub command: Value,
    pub reply: oneshot::Sender<Result<Value, HaError>>,
}

const PING_EVERY: Duration = Duration::from_secs(20);
const PONG_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits between attempts while Core is unreachable or not ready: capped low so entities are
/// back within a few seconds of Core answering, however long it was away. Growing the wait
/// with the outage only delayed the return (13 s after a 20 s outage with a 60 s cap); an
/// attempt every few seconds to a peer that is down is one refused TCP connect, next to free.
pub(super) fn reconnect_backoff() -> Backoff {
    Backoff::new(Duration::from_millis(500), Duration::from_secs(3))
}

/// Waits after Core refused the token: that needs a person, so retries stay rare (and so do
/// the failed logins Core records for each).
pub(super) fn auth_backoff() -> Backoff {
    Backoff::new(Duration::from_secs(30), Duration::from_secs(600))
}

/// Keeps a session alive until cancelled, with capped back-off between attempts (short for an
/// absent Core, long for a refused token).
pub async fn run_link(
    endpoint: HaEndpoint,
    status: Arc<Mutex<HaLinkStatus>>,
    readiness: watch::Sender<Readiness>,
    mut requests: mpsc::Receiver<WsRequest>,
    (events, core): (HaEvents, CoreStarts),
    cancel: CancellationToken,
) {
    let link = Link {
        endpoint,
        status,
        readiness,
        events,
        cancel,
        core,
        up: AtomicBool::new(false),
        away: AtomicBool::new(false),
    };
    link.run_sessions(&mut requests).await;
    link.events.close();
}

/// What every session of the link shares.
struct Link {
    endpoint: HaEndpoint,
    status: Arc<Mutex<HaLinkStatus>>,
    readiness: watch::Sender<Readiness>,
    events: HaEvents,
    cancel: CancellationToken,
    /// Core's restarts: a `homeassistant_started` event on a live session, or Core found
    /// running by a session after it refused connections. Its `homeassistant_stop` never
    /// reaches a WebSocket client: Core closes the connections on that very event first.
    core: CoreStarts,
    /// A session got as far as Core's state.
    up: AtomicBool,
    /// Core went away: a session was up once and a reconnect failed since.
    away: AtomicBool,
}

impl Link {
    async fn run_sessions(&self, requests: &mut mpsc::Receiver<WsRequest>) {
        let Link {
            status,
            readiness,
            cancel,
            ..
        } = self;
        let mut backoff = reconnect_backoff();
        let mut auth_backoff = auth_backoff();
        let mut ever_up = false;
        loop {
            let result = tokio::select! {
                _ = cancel.cancelled() => return,
                r = self.serve_session(requests, &mut backoff, &mut auth_backoff) => r,
            };
            readiness.send_modify(|r| r.ready = false);
            // A session that never got Core's state after one that did: Core is down, not
            // just our socket (a blip reconnects at the first attempt).
            let up = self.up.swap(false, Ordering::Relaxed);
            if ever_up && !up && result.is_err() {
                self.away.store(true, Ordering::Relaxed);
            }
            ever_up |= up;
            let delay = match &result {
                Err(err) if err.is_auth() => {
                    tracing::error!(error = %err, "Home Assistant refused the token; retrying later");
                    auth_backoff.next_delay()
                }
                Err(err) => {
                    tracing::warn!(error = %err, "Home Assistant link down; reconnecting");
                    backoff.next_delay()
                }
                Ok(()) => backoff.next_delay(),
            };
            {
                let mut s = lock(status);
                s.connected_since_ms = None;
                if let Err(err) = &result {
                    s.state = match err {
                        e if e.is_auth() => "auth_failed",
                        HaError::NotReady(_) => "not_ready",
                        _ => "unreachable",
                    };
                    s.last_error = Some(err.to_string());
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
            }
            lock(status).reconnects += 1;
        }
    }

    async fn serve_session(
        &self,
        requests: &mut mpsc::Receiver<WsRequest>,
        backoff: &mut Backoff,
        auth_backoff: &mut Backoff,
    ) -> Result<(), HaError> {
        let Link {
            endpoint,
            status,
            readiness,
            events,
            cancel,
            ..
        } = self;
        lock(status).state = "connecting";
        let mut session =
            Session::connect(&endpoint.websocket_url, endpoint.token.expose()).await?;
        auth_backoff.reset();
        let started_sub = session
            .start(json!({"type": "subscribe_events", "event_type": "homeassistant_started"}))
            .await?;

        // What components asked for, subscribed again on every new session.
        let mut subscriptions = Subscriptions::default();
        subscriptions.sync(&mut session, events).await?;
        let config = session.command(json!({"type": "get_config"})).await?;
        let core_state = config["state"].as_str().unwrap_or("RUNNING").to_string();
        backoff.reset();
        {
            let mut s = lock(status);
            s.state = if core_state == "RUNNING" {
                "connected"
            } else {
                "not_ready"
            };
            s.core_state = Some(core_state.clone());
            s.ha_version = Some(session.ha_version.clone());
            s.connected_since_ms = Some(unix_ms());
            s.last_error = None;
        }
        // Back after Core refused us: found running, it restarted while we were away; found
        // starting, its `homeassistant_started` event will say so.
        let away = self.away.swap(false, Ordering::Relaxed);
        self.up.store(true, Ordering::Relaxed);
        if core_state == "RUNNING" {
            if away {
                self.core.started(CoreSource::Events, unix_ms());
            }
            self.core.running();
            readiness.send_modify(|r| {
                r.ready = true;
                r.generation += 1;
            });
        }
        tracing::info!(ha_version = %session.ha_version, core_state = %core_state, "connected to Home Assistant");

        let mut heartbeat = tokio::time::interval(PING_EVERY);
        heartbeat.reset();
        let mut awaiting_pong: Option<(u64, tokio::time::Instant)> = None;
        let mut in_flight: Vec<(u64, oneshot::Sender<Result<Value, HaError>>)> = Vec::new();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = events.changed() => subscriptions.sync(&mut session, events).await?,
                _ = heartbeat.tick() => {
                    if let Some((_, since)) = awaiting_pong && since.elapsed() >= PONG_TIMEOUT {
                        return Err(HaError::Unreachable("no pong from Home Assistant: link declared dead".into()));
                    }
                    if awaiting_pong.is_none() {
                        let id = session.start(json!({"type": "ping"})).await?;
                        awaiting_pong = Some((id, tokio::time::Instant::now()));
                    }
                }
                request = requests.recv() => {
                    let Some(request) = request else { return Ok(()) };
                    match session.start(request.command).await {
                        Ok(id) => in_flight.push((id, request.reply)),
                        Err(err) => {
                            let _ = request.reply.send(Err(HaError::Unreachable(err.to_string())));
                            return Err(err);
                        }
                    }
                }
                message = session.next_message(PING_EVERY + PONG_TIMEOUT) => {
                    let message = match message {
                        Ok(m) => m,
                        Err(HaError::Timeout) => continue,
                        // One unreadable frame is not a reason to drop the link.
                        Err(HaError::Protocol(text)) => {
                            events.note_parse_error(&EventError::Json(text));
                            continue;
                        }
                        Err(err) => return Err(err),
                    };
                    let id = message["id"].as_u64();
                    match message["type"].as_str() {
                        Some("pong") if id == awaiting_pong.map(|p| p.0) => awaiting_pong = None,
                        Some("event") if id == Some(started_sub) => {
                            tracing::info!("Home Assistant started: republishing entities");
                            self.core.started(CoreSource::Events, unix_ms());
                            {
                                let mut s = lock(status);
                                s.state = "connected";
                                s.core_state = Some("RUNNING".into());
                            }
                            readiness.send_modify(|r| {
                                r.ready = true;
                                r.generation += 1;
                            });
                        }
                        Some("event") => subscriptions.deliver(&message, events),
                        Some("result") => {
                            if let Some(pos) = in_flight.iter().position(|(i, _)| Some(*i) == id) {
                                let (_, reply) = in_flight.swap_remove(pos);
                                let result = if message["success"] == json!(true) {
                                    Ok(message["result"].clone())
                                } else {
                                    Err(HaError::Protocol(format!("command failed: {}", message["error"])))
                                };
                                let _ = reply.send(result);
                            } else if let Some(id) = id {
                                subscriptions.answered(id, &message);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Why a command of the link itself was sent.
enum Pending {
    Subscribe(String),
    Unsubscribe(String),
}

/// This session's Home Assistant subscriptions for [`HaEvents`]' receivers.
#[derive(Default)]
struct Subscriptions {
    /// Event type to Home Assistant's subscription id (the `id` of the `subscribe_events`).
    by_type: HashMap<String, u64>,
    by_id: HashMap<u64, String>,
    pending: HashMap<u64, Pending>,
}

impl Subscriptions {
    /// Subscribes to the types now wanted and unsubscribes from those no longer wanted.
    async fn sync(&mut self, session: &mut Session, events: &HaEvents) -> Result<(), HaError> {
        let wanted = events.wanted();
        let new: Vec<&String> = wanted
            .iter()
            .filter(|t| !self.by_type.contains_key(*t))
            .collect();
        for event_type in new {
            let id = session
                .start(json!({"type": "subscribe_events", "event_type": event_type}))
                .await?;
            self.by_type.insert(event_type.clone(), id);
            self.by_id.insert(id, event_type.clone());
            self.pending
                .insert(id, Pending::Subscribe(event_type.clone()));
        }
        let unwanted: Vec<(String, u64)> = self
            .by_type
            .iter()
            .filter(|(t, _)| !wanted.contains(*t))
            .map(|(t, id)| (t.clone(), *id))
            .collect();
        for (event_type, subscription) in unwanted {
            self.by_type.remove(&event_type);
            self.by_id.remove(&subscription);
            let id = session
                .start(json!({"type": "unsubscribe_events", "subscription": subscription}))
                .await?;
            self.pending.insert(id, Pending::Unsubscribe(event_type));
        }
        Ok(())
    }

    /// Hands an event message of one of our subscriptions to its receivers.
    fn deliver(&self, message: &Value, events: &HaEvents) {
        let Some(event_type) = message["id"].as_u64().and_then(|id| self.by_id.get(&id)) else {
            return;
        };
        match parse_event_message(message) {
            Ok((_, event)) => events.dispatch(event_type, event),
            Err(err) => events.note_parse_error(&err),
        }
    }

    /// Home Assistant's answer to one of our (un)subscribe commands.
    fn answered(&mut self, id: u64, message: &Value) {
        let Some(pending) = self.pending.remove(&id) else {
            return;
        };
        if message["success"] == json!(true) {
            return;
        }
        match pending {
            Pending::Subscribe(event_type) => {
                tracing::warn!(event_type, error = %message["error"], "Home Assistant refused an event subscription");
                self.by_type.remove(&event_type);
                self.by_id.remove(&id);
            }
            Pending::Unsubscribe(event_type) => {
                tracing::debug!(event_type, error = %message["error"], "Home Assistant refused to unsubscribe");
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! Home Assistant WebSocket session: authentication, strictly increasing command ids,
//! `subscribe_events`, commands with replies matched by id, and a heartbeat that declares the
//! link dead when pongs stop. [`run_link`] keeps a session alive with back-off and tells the
//! publisher when Core is (again) ready.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::{HaError, HaLinkStatus};
use crate::config::HaEndpoint;
use crate::util::{lock, unix_ms};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
const PING_EVERY: Duration = Duration::from_secs(20);
const PONG_TIMEOUT: Duration = Duration::from_secs(10);

/// One authenticated connection.
pub struct Session {
    socket: Socket,
    next_id: u64,
    /// Messages that arrived while waiting for a reply (events may overtake results).
    backlog: VecDeque<Value>,
    pub ha_version: String,
}

impl Session {
    /// Connects and authenticates.
    pub async fn connect(url: &str, token: &str) -> Result<Session, HaError> {
        let (socket, _) =
            tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url))
                .await
                .map_err(|_| HaError::Timeout)?
                .map_err(|e| match e {
                    tokio_tungstenite::tungstenite::Error::Http(response) => {
                        match response.status().as_u16() {
                            401 | 403 => HaError::Unauthorized(response.status().as_u16()),
                            code @ (502..=504) => HaError::NotReady(code),
                            code => HaError::Http {
                                status: code,
                                body: String::new(),
                            },
                        }
                    }
                    other => HaError::Unreachable(other.to_string()),
                })?;
        let mut session = Session {
            socket,
            next_id: 1,
            backlog: VecDeque::new(),
            ha_version: String::new(),
        };
        let hello = session.receive(REPLY_TIMEOUT).await?;
        if hello["type"] != "auth_required" {
            return Err(HaError::Protocol(format!(
                "expected auth_required, got {}",
                hello["type"]
            )));
        }
        session
            .send(json!({"type": "auth", "access_token": token}))
            .await?;
        let answer = session.receive(REPLY_TIMEOUT).await?;
        match answer["type"].as_str() {
            Some("auth_ok") => {
                session.ha_version = answer["ha_version"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                Ok(session)
            }
            Some("auth_invalid") => Err(HaError::AuthInvalid(
                answer["message"]
                    .as_str()
                    .unwrap_or("invalid token")
                    .to_string(),
            )),
            _ => Err(HaError::Protocol(format!(
                "unexpected auth answer {answer}"
            ))),
        }
    }

    async fn send(&mut self, message: Value) -> Result<(), HaError> {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .map_err(|e| HaError::Unreachable(e.to_string()))
    }

    /// Next JSON message from the server (ping frames are answered by tungstenite).
    async fn receive(&mut self, timeout: Duration) -> Result<Value, HaError> {
        loop {
            let frame = tokio::time::timeout(timeout, self.socket.next())
                .await
                .map_err(|_| HaError::Timeout)?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text)
                        .map_err(|e| HaError::Protocol(e.to_string()));
                }
                Some(Ok(Message::Close(_))) | None => {
                    return Err(HaError::Unreachable("connection closed".into()));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(HaError::Unreachable(e.to_string())),
            }
        }
    }

    /// Sends a command with the next id; returns the id.
    pub async fn start(&mut self, mut command: Value) -> Result<u64, HaError> {
        let id = self.next_id;
        self.next_id += 1;
        command["id"] = json!(id);
        self.send(command).await?;
        Ok(id)
    }

    /// Sends a command and waits for its result; messages arriving meanwhile are kept.
    pub async fn command(&mut self, command: Value) -> Result<Value, HaError> {
        let id = self.start(command).await?;
        loop {
            let message = self.receive(REPLY_TIMEOUT).await?;
            if message["id"] == json!(id) && message["type"] == "result" {
                return if message["success"] == json!(true) {
                    Ok(message["result"].clone())
                } else {
                    Err(HaError::Protocol(format!(
                        "command failed: {}",
                        message["error"]
                    )))
                };
            }
            self.backlog.push_back(message);
        }
    }

    /// The next message, from the backlog first.
    pub async fn next_message(&mut self, timeout: Duration) -> Result<Value, HaError> {
        match self.backlog.pop_front() {
            Some(message) => Ok(message),
            None => self.receive(timeout).await,
        }
    }
}

/// Whether Core is ready for states, and a counter that grows each time it becomes ready
/// (after a (re)connect or a `homeassistant_started` event): the publisher republishes all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    pub generation: u64,
}

/// A command for Home Assistant sent over the live session.
pub struct WsRequest {
    pub command: Value,
    pub reply: oneshot::Sender<Result<Value, HaError>>,
}

/// Keeps a session alive until cancelled, with capped exponential back-off between attempts.
pub async fn run_link(
    endpoint: HaEndpoint,
    status: Arc<Mutex<HaLinkStatus>>,
    readiness: watch::Sender<Readiness>,
    mut requests: mpsc::Receiver<WsRequest>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    let mut auth_backoff = Backoff::new(Duration::from_secs(30), Duration::from_secs(600));
    loop {
        let result = tokio::select! {
            _ = cancel.cancelled() => return,
            r = serve_session(&endpoint, &status, &readiness, &mut requests, &cancel, &mut backoff, &mut auth_backoff) => r,
        };
        readiness.send_modify(|r| r.ready = false);
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
            let mut s = lock(&status);
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
        lock(&status).reconnects += 1;
    }
}

async fn serve_session(
    endpoint: &HaEndpoint,
    status: &Arc<Mutex<HaLinkStatus>>,
    readiness: &watch::Sender<Readiness>,
    requests: &mut mpsc::Receiver<WsRequest>,
    cancel: &CancellationToken,
    backoff: &mut Backoff,
    auth_backoff: &mut Backoff,
) -> Result<(), HaError> {
    lock(status).state = "connecting";
    let mut session = Session::connect(&endpoint.websocket_url, endpoint.token.expose()).await?;
    auth_backoff.reset();
    let started_sub = session
        .start(json!({"type": "subscribe_events", "event_type": "homeassistant_started"}))
        .await?;
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
    if core_state == "RUNNING" {
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
                    Err(err) => return Err(err),
                };
                let id = message["id"].as_u64();
                match message["type"].as_str() {
                    Some("pong") if id == awaiting_pong.map(|p| p.0) => awaiting_pong = None,
                    Some("event") if id == Some(started_sub) => {
                        tracing::info!("Home Assistant started: republishing entities");
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
                    Some("result") => {
                        if let Some(pos) = in_flight.iter().position(|(i, _)| Some(*i) == id) {
                            let (_, reply) = in_flight.swap_remove(pos);
                            let result = if message["success"] == json!(true) {
                                Ok(message["result"].clone())
                            } else {
                                Err(HaError::Protocol(format!("command failed: {}", message["error"])))
                            };
                            let _ = reply.send(result);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

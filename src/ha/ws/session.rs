//! One authenticated WebSocket session with Home Assistant: strictly increasing command ids,
//! replies matched by id, and messages that overtake a reply kept for later.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::ha::HaError;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

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

//! The state of the link to Home Assistant as `/api/v1/status` shows it; the link and every
//! publisher update it.

use serde::Serialize;

use super::error::HaError;

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
    /// Where entity states go: `rest`, `mqtt`, or `deciding` until Core and the broker are
    /// known (ADR 0019).
    pub transport: &'static str,
    /// The MQTT side, when a broker is configured or asked for.
    pub mqtt: Option<MqttStatus>,
}

/// The MQTT discovery link, as `/api/v1/status` shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MqttStatus {
    /// `resolving`, `no_broker`, `connecting`, `connected`, `disconnected`, or `failed` (the
    /// TLS options cannot be used: `last_error` says why).
    pub state: &'static str,
    /// `host:port` (never the credentials).
    pub broker: Option<String>,
    /// `options` or `supervisor`.
    pub broker_source: Option<&'static str>,
    /// Whether the connection is TLS (`mqtt.tls`, or the Supervisor's `ssl`).
    pub tls: bool,
    pub connected_since_ms: Option<i64>,
    pub reconnects: u64,
    /// Entities announced (one retained discovery config each).
    pub entities: usize,
    /// Messages and payload bytes published since start (discovery, states, availability).
    pub messages: u64,
    pub bytes: u64,
    pub discovery_messages: u64,
    /// Re-announcements after Home Assistant said `online` on its status topic.
    pub reannounces: u64,
    /// Discovery configs of entities that no longer exist, removed.
    pub removed: u64,
    pub last_error: Option<String>,
}

impl HaLinkStatus {
    /// Counts a failed publication and keeps its message for the status page.
    pub fn publish_failed(&mut self, err: &HaError) {
        self.publish_errors += 1;
        self.last_error = Some(err.to_string());
    }
}

//! Payloads of the event bus that producers below the bus build: forecasts, recommendations,
//! action results and lease changes. Reserved for the capability issues after #9 (11–14:
//! prediction, advice and actions, leases); nothing produces them yet. They sit in layer 1 so
//! that analysis, advice and leases (layer 4) can build them; the `Event` enum that carries them
//! is in `crate::bus`, above the alert engine (see docs/adr/0008-event-bus-and-derived-series.md).

use serde::Serialize;

/// What a model expects one series to be at a later moment (reserved: prediction).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// Series the forecast is about (`disk./data.used_percent`).
    pub series: String,
    /// When the forecast was made, Unix ms.
    pub made_ms: i64,
    /// The moment forecast, Unix ms.
    pub at_ms: i64,
    /// Expected value, in the series' unit, with its interval.
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// A piece of advice for the user, possibly with an action to take (reserved: advice).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// Stable id, so the same advice made twice is recognised.
    pub id: String,
    pub made_ms: i64,
    /// What it is about (an add-on slug, a mount, `host`).
    pub target: String,
    /// One sentence for the user.
    pub summary: String,
    /// The action that would follow it, if any (`restart_addon`).
    pub action: Option<String>,
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ActionOutcome {
    Done,
    /// Not attempted (a policy, a missing permission), with why.
    Refused(String),
    /// Attempted and failed, with the error.
    Failed(String),
}

/// The result of an action taken on the user's behalf (reserved: actions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionResult {
    /// The action (`restart_addon`) and its target (`core_mosquitto`).
    pub action: String,
    pub target: String,
    pub finished_ms: i64,
    pub outcome: ActionOutcome,
}

/// Where a lease stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LeaseState {
    Granted,
    Queued,
    Released,
    Expired,
}

/// A lease on resources changed state (reserved: leases and admission control).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaseChange {
    pub lease_id: String,
    /// Who asked (an add-on slug, an automation).
    pub holder: String,
    pub at_ms: i64,
    pub state: LeaseState,
}

//! Payloads of the event bus that producers below the bus build: action results (from
//! `crate::advice`) and lease changes (from `crate::lease`). They sit in layer 1 so that advice
//! and leases (layer 4) can build them; the `Event` enum that carries them
//! is in `crate::bus`, above the alert engine (see docs/adr/0008-event-bus-and-derived-series.md).

use serde::Serialize;

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum ActionOutcome {
    Done,
    /// Not carried out on purpose (asked as one, or its kind is not enabled), with why.
    DryRun(String),
    /// Not attempted (a guardrail, a list, the cap, the cooldown), with why.
    Refused(String),
    /// Attempted and failed, with the error.
    Failed(String),
}

impl ActionOutcome {
    /// The audit's name of the outcome.
    pub fn as_str(&self) -> &'static str {
        match self {
            ActionOutcome::Done => "done",
            ActionOutcome::DryRun(_) => "dry_run",
            ActionOutcome::Refused(_) => "refused",
            ActionOutcome::Failed(_) => "failed",
        }
    }

    /// The why or the error, if any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ActionOutcome::Done => None,
            ActionOutcome::DryRun(d) | ActionOutcome::Refused(d) | ActionOutcome::Failed(d) => {
                Some(d)
            }
        }
    }
}

/// The result of a decision about an add-on action (dry runs and refusals included), as the
/// audit recorded it; Home Assistant gets each as a `resource_manager_action` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionResult {
    /// The audit row's id.
    pub audit_id: i64,
    /// The action (`restart`) and its target (`core_mosquitto`).
    pub action: String,
    pub target: String,
    /// `user` (the API, the dashboard) or `rule` (automatic recovery).
    pub origin: String,
    /// Why it was asked for, in words.
    pub reason: String,
    /// The recommendation it follows, if any.
    pub recommendation_id: Option<String>,
    pub finished_ms: i64,
    pub outcome: ActionOutcome,
}

/// Where a lease stands. `Queued` and `Granted` are live; the others are terminal: every
/// request ends in exactly one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseState {
    Queued,
    Granted,
    /// Released by its holder (or cancelled while queued).
    Released,
    /// Its TTL passed without a renewal.
    Expired,
    /// Revoked after the preemption grace ran out.
    Preempted,
    /// Refused when asked (too large, queue full, no wait allowed).
    Refused,
    /// Waited in the queue longer than it allowed.
    TimedOut,
}

impl LeaseState {
    /// Every state, as the API spells it.
    pub const NAMES: &[&str] = &[
        "queued",
        "granted",
        "released",
        "expired",
        "preempted",
        "refused",
        "timed_out",
    ];

    /// The API's name of the state.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseState::Queued => "queued",
            LeaseState::Granted => "granted",
            LeaseState::Released => "released",
            LeaseState::Expired => "expired",
            LeaseState::Preempted => "preempted",
            LeaseState::Refused => "refused",
            LeaseState::TimedOut => "timed_out",
        }
    }

    /// The state named `name` by [`Self::as_str`].
    pub fn parse(name: &str) -> Option<LeaseState> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    const ALL: [LeaseState; 7] = [
        LeaseState::Queued,
        LeaseState::Granted,
        LeaseState::Released,
        LeaseState::Expired,
        LeaseState::Preempted,
        LeaseState::Refused,
        LeaseState::TimedOut,
    ];

    /// Whether the lease has ended (no further change can happen to it).
    pub fn is_terminal(self) -> bool {
        !matches!(self, LeaseState::Queued | LeaseState::Granted)
    }
}

/// What happened to a lease: the new state, or a notice while the state stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseChangeKind {
    Queued,
    Granted,
    Refused,
    Released,
    Renewed,
    Expired,
    /// A higher-priority request needs its resources: release within the grace period.
    PreemptNotice,
    /// The preemption was called off: nobody waits for its resources any more.
    PreemptCancelled,
    Preempted,
    TimedOut,
    /// The holder (an add-on) uses more than it leased.
    Overrun,
}

/// A lease changed state or its holder was told something (published on the bus; the Home
/// Assistant side turns each into a `resource_manager_lease_*` event).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaseChange {
    pub lease_id: String,
    /// Who asked (an add-on slug, an automation).
    pub holder: String,
    /// The caller's correlation id, when it gave one (Home Assistant automations do).
    pub request_id: Option<String>,
    pub at_ms: i64,
    pub kind: LeaseChangeKind,
    pub state: LeaseState,
    /// When a granted lease ends unless renewed, Unix ms.
    pub expires_ms: Option<i64>,
    /// When a preempted lease is revoked, Unix ms.
    pub revoke_ms: Option<i64>,
    /// Place in the queue (1 = next), while queued.
    pub position: Option<usize>,
    /// Why it was refused, preempted or flagged, in words.
    pub reason: Option<String>,
    /// The refusal's code (`exceeds_capacity`, `queue_full`, `busy`), when refused.
    pub code: Option<&'static str>,
}

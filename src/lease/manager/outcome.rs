//! What the manager answers: decisions, refusals, changes and failed operations.

use super::super::types::{Lease, LeaseState};
use crate::event::LeaseChangeKind;

/// Why a valid request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseRefusal {
    /// More than the whole capacity (or the memory that may ever be granted): it would never fit.
    ExceedsCapacity(String),
    QueueFull,
    /// It allowed no waiting and could not be granted at once.
    Busy,
}

impl LeaseRefusal {
    /// The API's code.
    pub fn code(&self) -> &'static str {
        match self {
            LeaseRefusal::ExceedsCapacity(_) => "exceeds_capacity",
            LeaseRefusal::QueueFull => "queue_full",
            LeaseRefusal::Busy => "busy",
        }
    }

    /// In words.
    pub fn message(&self) -> String {
        match self {
            LeaseRefusal::ExceedsCapacity(what) => format!("larger than the capacity: {what}"),
            LeaseRefusal::QueueFull => "the queue is full; try again later".into(),
            LeaseRefusal::Busy => {
                "not available now and wait_seconds is 0; allow waiting or try later".into()
            }
        }
    }
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaseDecision {
    Granted(Lease),
    Queued {
        lease: Lease,
        position: usize,
        estimated_wait_ms: i64,
    },
    Refused(Lease, LeaseRefusal),
}

impl LeaseDecision {
    /// The lease the decision is about.
    pub fn lease(&self) -> &Lease {
        match self {
            LeaseDecision::Granted(lease) | LeaseDecision::Refused(lease, _) => lease,
            LeaseDecision::Queued { lease, .. } => lease,
        }
    }
}

/// A change to one lease, for persistence and announcements.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaseUpdate {
    pub kind: LeaseChangeKind,
    pub lease: Lease,
    /// Place in the queue after the change, while queued.
    pub position: Option<usize>,
    /// The refusal's code, for `Refused`.
    pub code: Option<&'static str>,
}

/// Why a release or renewal was not done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaseOpError {
    #[error("no lease '{0}'")]
    NotFound(String),
    #[error("lease '{id}' has already ended ({})", .state.as_str())]
    Ended { id: String, state: LeaseState },
    #[error("lease '{0}' is still queued; only granted leases can be renewed")]
    NotGranted(String),
    #[error("lease '{0}' is being preempted and cannot be renewed; release it")]
    Preempting(String),
}

//! What the manager answers: decisions, refusals, changes and failed operations.

use super::super::types::{Lease, LeaseState};
use crate::event::LeaseChangeKind;

/// Why a valid request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// More than the whole capacity (or the memory that may ever be granted): it would never fit.
    ExceedsCapacity(String),
    QueueFull,
    /// It allowed no waiting and could not be granted at once.
    Busy,
}

impl Refusal {
    /// The API's code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::ExceedsCapacity(_) => "exceeds_capacity",
            Refusal::QueueFull => "queue_full",
            Refusal::Busy => "busy",
        }
    }

    /// In words.
    pub fn message(&self) -> String {
        match self {
            Refusal::ExceedsCapacity(what) => format!("larger than the capacity: {what}"),
            Refusal::QueueFull => "the queue is full; try again later".into(),
            Refusal::Busy => {
                "not available now and wait_seconds is 0; allow waiting or try later".into()
            }
        }
    }
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Granted(Lease),
    Queued {
        lease: Lease,
        position: usize,
        estimated_wait_ms: i64,
    },
    Refused(Lease, Refusal),
}

impl Decision {
    /// The lease the decision is about.
    pub fn lease(&self) -> &Lease {
        match self {
            Decision::Granted(lease) | Decision::Refused(lease, _) => lease,
            Decision::Queued { lease, .. } => lease,
        }
    }
}

/// A change to one lease, for persistence and announcements.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
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

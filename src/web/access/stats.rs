//! How many requests the policy refused, by why: counted by the refusal, read by `/metrics`
//! and Diagnostics.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Requests the policy refused since start, by why (for `/metrics` and Diagnostics).
#[derive(Debug, Default)]
pub struct AccessStats {
    pub(super) wrong_token: AtomicU64,
    pub(super) no_token: AtomicU64,
}

/// [`AccessStats`] read at one moment.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct RefusedCounts {
    /// A bearer token was sent and matched none.
    pub wrong_token: u64,
    /// No token, from a peer that is not trusted.
    pub no_token: u64,
}

impl AccessStats {
    /// The counts now.
    pub fn counts(&self) -> RefusedCounts {
        RefusedCounts {
            wrong_token: self.wrong_token.load(Ordering::Relaxed),
            no_token: self.no_token.load(Ordering::Relaxed),
        }
    }
}

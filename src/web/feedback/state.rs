//! The satisfaction numbers and what the feedback handlers keep between requests: the lock
//! that serialises votes, the cached numbers, and the key that names anonymous voters.

use std::sync::Mutex;

use serde::Serialize;

/// Satisfaction (share of 👍, in percent) over 7 and 30 days; what the HA publisher exposes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FeedbackSummary {
    pub satisfaction_7d: Option<f64>,
    pub satisfaction_30d: Option<f64>,
    pub votes_7d: u32,
    pub votes_30d: u32,
}

/// Shared state of the feedback handlers.
#[derive(Debug, Default)]
pub struct FeedbackState {
    /// Serialises votes so two quick clicks cannot both pass the limit.
    pub(super) voting: tokio::sync::Mutex<()>,
    pub(super) cached: Mutex<Option<(i64, FeedbackSummary)>>,
    /// Keys of the hash that names anonymous voters by their address (random per run, so
    /// the stored key tells nothing about the address).
    anonymous: std::hash::RandomState,
}

impl FeedbackState {
    /// The voter key of a vote with neither a Home Assistant user nor a cookie: one per
    /// address, so repeated anonymous votes from one client count once. 32 hex digits, the
    /// cookie's form, so the browser sends it back as its cookie.
    pub(super) fn anonymous_voter(&self, peer: Option<std::net::IpAddr>) -> String {
        use std::hash::BuildHasher;
        let peer = peer.map_or_else(|| "unknown".to_string(), |p| p.to_string());
        let half = |salt: u8| self.anonymous.hash_one((salt, peer.as_str()));
        format!("{:016x}{:016x}", half(1), half(2))
    }
}

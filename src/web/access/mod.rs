//! Who may talk to the server. Standalone, loopback is the user's own machine and is trusted;
//! in add-on mode (host networking) loopback is every process of the host, so only the
//! Supervisor's Ingress gateway is trusted without a token. Everyone else sends the API token
//! (or, for the lease API only, the lease token); `/healthz` and the read-only areas the user
//! opened (`access.open_reads`) need none. A bearer token that does not match is refused from
//! every peer, logged without the token and counted. State-changing requests must come from
//! this origin (no CSRF).
//!
//! The rules and their verdict are in `policy.rs`, the middleware that applies them in
//! `guard.rs`, a refusal's answer in `refusal.rs` and its count in `stats.rs`.

mod guard;
mod origin;
mod peer;
mod policy;
mod refusal;
mod stats;

pub use guard::guard;
pub use origin::same_origin;
pub use peer::{INGRESS_PROXY, Peer, is_ingress_proxy};
pub use policy::{AccessPolicy, AccessVerdict};
pub use stats::{AccessStats, RefusedCounts};

#[cfg(test)]
mod tests;

//! The access rules and the decision they make about one request: which peers are trusted,
//! which tokens match which paths, and what is open to everyone.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};

use super::peer::{INGRESS_PROXY, unmapped};
use super::stats::AccessStats;
use crate::config::{Mode, OpenRead, Secret};
use crate::web::host_check::AllowedHosts;

/// What the policy decided about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessVerdict {
    /// Served: a matching token, a trusted peer, or an open path.
    Serve,
    /// A bearer token that matches none: refused from every peer.
    WrongToken,
    /// No token, from a peer that is not trusted, for a path that is not open.
    NoToken,
}

/// Access rules, fixed at start.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    pub(super) mode: Mode,
    /// Loopback is trusted only standalone: in add-on mode it is every host-network process.
    trust_loopback: bool,
    /// The Ingress gateway, in add-on mode.
    pub(super) trusted: Vec<IpAddr>,
    pub(super) token: Option<Secret>,
    /// `leases.token`: lets callers that are not the dashboard use `/api/v1/leases` only.
    lease_token: Option<Secret>,
    /// Read-only areas served without a token (`access.open_reads`).
    open_reads: Vec<OpenRead>,
    /// The `Host` names answered (DNS rebinding); Ingress requests carry Home Assistant's.
    pub(super) hosts: AllowedHosts,
    pub(super) stats: Arc<AccessStats>,
}

/// Paths the lease token opens.
const LEASE_API: &str = "/api/v1/leases";
/// The container's health check, open to every peer: it tells nothing but "up".
const HEALTH: &str = "/healthz";

impl AccessPolicy {
    /// Standalone: loopback is trusted. Add-on: the Ingress gateway only.
    pub fn new(mode: Mode, token: Option<Secret>) -> Self {
        let trusted = match mode {
            Mode::Addon => vec![INGRESS_PROXY],
            Mode::Standalone => Vec::new(),
        };
        AccessPolicy {
            mode,
            trust_loopback: mode == Mode::Standalone,
            trusted,
            token,
            lease_token: None,
            open_reads: Vec::new(),
            hosts: AllowedHosts::default(),
            stats: Arc::default(),
        }
    }

    /// The same policy, answering only requests that name one of `hosts`.
    pub fn with_allowed_hosts(mut self, hosts: AllowedHosts) -> Self {
        self.hosts = hosts;
        self
    }

    /// The same policy, also letting `token` holders use the lease API.
    pub fn with_lease_token(mut self, token: Option<Secret>) -> Self {
        self.lease_token = token;
        self
    }

    /// The same policy, serving the read-only `areas` without a token.
    pub fn with_open_reads(mut self, areas: &[OpenRead]) -> Self {
        self.open_reads = areas.to_vec();
        self
    }

    /// The same policy, counting refusals into `stats`.
    pub fn with_stats(mut self, stats: Arc<AccessStats>) -> Self {
        self.stats = stats;
        self
    }

    /// Whether a peer may be served without a token.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        let peer = unmapped(peer);
        (self.trust_loopback && peer.is_loopback()) || self.trusted.contains(&peer)
    }

    /// Whether `method path` is served to anyone: the health check, and the areas opened.
    fn is_open(&self, method: &Method, path: &str) -> bool {
        if path == HEALTH {
            return true;
        }
        let read = matches!(*method, Method::GET | Method::HEAD);
        read && self.open_reads.iter().any(|area| match area {
            OpenRead::Metrics => path == "/metrics",
            OpenRead::Api => true,
        })
    }

    /// The decision for a request from `peer` (`None`: no connection info, never trusted).
    pub fn verdict(&self, peer: Option<IpAddr>, request: &Request) -> AccessVerdict {
        match bearer(request.headers()) {
            Some(given) if self.token_matches(given, request.uri().path()) => AccessVerdict::Serve,
            Some(_) => AccessVerdict::WrongToken,
            None if peer.is_some_and(|ip| self.trusts(ip))
                || self.is_open(request.method(), request.uri().path()) =>
            {
                AccessVerdict::Serve
            }
            None => AccessVerdict::NoToken,
        }
    }

    fn token_matches(&self, given: &str, path: &str) -> bool {
        let matches = |t: &Option<Secret>| {
            t.as_ref()
                .is_some_and(|t| constant_time_eq(given.as_bytes(), t.expose().as_bytes()))
        };
        let lease_api = path == LEASE_API || path.starts_with("/api/v1/leases/");
        matches(&self.token) || (lease_api && matches(&self.lease_token))
    }
}

/// The bearer token of a request, if it sends one. Other schemes (Basic from a reverse proxy
/// in front of Home Assistant, passed on through Ingress) are not tokens of ours.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let bytes = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = bytes.split_at_checked(7)?;
    // A token that is not text cannot match: it is still a token, and refused.
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| std::str::from_utf8(token).unwrap_or("\u{fffd}").trim())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

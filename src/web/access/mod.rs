//! Who may talk to the server. Standalone, loopback is the user's own machine and is trusted;
//! in add-on mode (host networking) loopback is every process of the host, so only the
//! Supervisor's Ingress gateway is trusted without a token. Everyone else sends the API token
//! (or, for the lease API only, the lease token); `/healthz` and the read-only areas the user
//! opened (`access.open_reads`) need none. A bearer token that does not match is refused from
//! every peer, logged without the token and counted. State-changing requests must come from
//! this origin (no CSRF).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;
use super::host_check::AllowedHosts;
use crate::config::{Mode, OpenRead, Secret};

/// Address of the Supervisor, which proxies Ingress traffic.
pub const INGRESS_PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(172, 30, 32, 2));

/// Whether `peer` is the Supervisor's Ingress proxy (also as an IPv4-mapped IPv6 address).
pub fn is_ingress_proxy(peer: IpAddr) -> bool {
    unmapped(peer) == INGRESS_PROXY
}

fn unmapped(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(peer),
        v4 => v4,
    }
}

/// The address of the connection a request came on (`None` where the server was started
/// without connection info, as in some tests).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Requests the policy refused since start, by why (for `/metrics` and Diagnostics).
#[derive(Debug, Default)]
pub struct AccessStats {
    wrong_token: AtomicU64,
    no_token: AtomicU64,
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

/// What the policy decided about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
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
    mode: Mode,
    /// Loopback is trusted only standalone: in add-on mode it is every host-network process.
    trust_loopback: bool,
    /// The Ingress gateway, in add-on mode.
    trusted: Vec<IpAddr>,
    token: Option<Secret>,
    /// `leases.token`: lets callers that are not the dashboard use `/api/v1/leases` only.
    lease_token: Option<Secret>,
    /// Read-only areas served without a token (`access.open_reads`).
    open_reads: Vec<OpenRead>,
    /// The `Host` names answered (DNS rebinding); Ingress requests carry Home Assistant's.
    hosts: AllowedHosts,
    stats: Arc<AccessStats>,
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
    pub fn verdict(&self, peer: Option<IpAddr>, request: &Request) -> Verdict {
        match bearer(request.headers()) {
            Some(given) if self.token_matches(given, request.uri().path()) => Verdict::Serve,
            Some(_) => Verdict::WrongToken,
            None if peer.is_some_and(|ip| self.trusts(ip))
                || self.is_open(request.method(), request.uri().path()) =>
            {
                Verdict::Serve
            }
            None => Verdict::NoToken,
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

    /// Counts and logs a refusal; never the token itself.
    fn refused(&self, verdict: Verdict, peer: Option<IpAddr>, request: &Request) -> Response {
        let path: String = request.uri().path().chars().take(120).collect();
        let peer = peer.map(|p| unmapped(p).to_string()).unwrap_or_default();
        let message = match verdict {
            Verdict::WrongToken => {
                self.stats.wrong_token.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%peer, method = %request.method(), %path, "refused: the bearer token does not match");
                "the bearer token does not match: send the API token (access.api_token), or the lease token for /api/v1/leases"
            }
            _ => {
                self.stats.no_token.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%peer, method = %request.method(), %path, "refused: no token");
                match (self.mode, self.token.is_some()) {
                    (Mode::Addon, true) => {
                        "only the Home Assistant Ingress gateway is trusted without a token, processes on this host included: send 'Authorization: Bearer <access.api_token>'"
                    }
                    (Mode::Addon, false) => {
                        "only the Home Assistant Ingress gateway is trusted without a token, processes on this host included: set the access.api_token option to allow other clients"
                    }
                    (Mode::Standalone, true) => {
                        "this address is not trusted: send 'Authorization: Bearer <api token>'"
                    }
                    (Mode::Standalone, false) => {
                        "only loopback may connect without a token; set an API token (--api-token or RM_API_TOKEN) to allow other clients"
                    }
                }
            }
        };
        ApiError::Unauthorized(message.into()).into_response()
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

/// Whether a state-changing request comes from a page of this server.
///
/// Behind Ingress both proxies pass `Host` through unchanged and Core adds `X-Forwarded-Host`
/// (the browser's host, or what a reverse proxy in front of Core said), so the page's `Origin`
/// matches one of them. `Sec-Fetch-Site` is set by the browser itself (pages cannot forge it):
/// `same-origin` settles it even where a proxy in front of Core rewrote both host headers.
pub fn same_origin(request: &Request) -> bool {
    let headers = request.headers();
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("same-origin") => return true,
        Some("none") | None => {}
        Some(_) => return false,
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Non-browser clients send no Origin; browsers always do on cross-site POSTs.
        return true;
    };
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    !origin_host.is_empty() && hosts(headers).any(|host| origin_host.eq_ignore_ascii_case(host))
}

/// The names this server was reached by: `Host`, and the first `X-Forwarded-Host` (a list
/// when several proxies appended to it).
fn hosts(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    let forwarded = headers
        .get("x-forwarded-host")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim);
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    forwarded.into_iter().chain(host).filter(|h| !h.is_empty())
}

/// Middleware applying the policy to every request.
pub async fn guard(
    State(policy): State<Arc<AccessPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    // Behind Ingress the Host is whatever name Home Assistant was opened by.
    let via_ingress = peer.is_some_and(|ip| policy.trusted.contains(&unmapped(ip)));
    let host = request
        .headers()
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or(""));
    if !via_ingress && !policy.hosts.allows(host) {
        let shown: String = host.unwrap_or("").chars().take(80).collect();
        return ApiError::coded(
            axum::http::StatusCode::FORBIDDEN,
            "host_not_allowed",
            format!(
                "this server does not answer to the name '{shown}': open it by its address, localhost or this machine's name, or start it with --allowed-hosts (RM_ALLOWED_HOSTS)"
            ),
        )
        .into_response();
    }
    match policy.verdict(peer, &request) {
        Verdict::Serve => {}
        refused => return policy.refused(refused, peer, &request),
    }
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state {
        if !same_origin(&request) {
            return ApiError::Forbidden("cross-site request refused".into()).into_response();
        }
        // A DELETE carries no body: browsers preflight it cross-site anyway, so it needs no
        // JSON content type to be safe from CSRF.
        let json = *request.method() == Method::DELETE
            || request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return ApiError::Forbidden(
                "state-changing requests must send Content-Type: application/json".into(),
            )
            .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn req(method: &str, path: &str, auth: Option<&str>) -> Request {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(auth) = auth {
            b = b.header(header::AUTHORIZATION, auth);
        }
        b.body(Body::empty()).expect("request")
    }

    #[test]
    fn addon_mode_trusts_only_the_ingress_gateway_and_standalone_only_loopback() {
        let addon = AccessPolicy::new(Mode::Addon, None);
        assert!(addon.trusts(ip("172.30.32.2")));
        assert!(addon.trusts(ip("::ffff:172.30.32.2")));
        for other in [
            "127.0.0.1",
            "::1",
            "::ffff:127.0.0.1",
            "172.30.32.1",
            "192.168.1.20",
        ] {
            assert!(!addon.trusts(ip(other)), "{other}");
        }
        let standalone = AccessPolicy::new(Mode::Standalone, None);
        assert!(standalone.trusts(ip("127.0.0.1")));
        assert!(standalone.trusts(ip("::1")));
        assert!(!standalone.trusts(ip("172.30.32.2")));
        assert!(!standalone.trusts(ip("192.168.1.20")));
    }

    #[test]
    fn a_wrong_token_is_refused_from_every_peer_in_every_mode() {
        for mode in [Mode::Addon, Mode::Standalone] {
            let policy = AccessPolicy::new(mode, Some(Secret::new("s3cret-0123456789")));
            for peer in ["127.0.0.1", "172.30.32.2", "10.0.0.9"] {
                let verdict = |auth| {
                    policy.verdict(Some(ip(peer)), &req("POST", "/api/v1/leases", Some(auth)))
                };
                assert_eq!(
                    verdict("Bearer wrong"),
                    Verdict::WrongToken,
                    "{mode:?} {peer}"
                );
                assert_eq!(
                    verdict("bearer s3cret-012345678"),
                    Verdict::WrongToken,
                    "{mode:?} {peer}"
                );
                assert_eq!(
                    verdict("Bearer s3cret-0123456789"),
                    Verdict::Serve,
                    "{mode:?} {peer}"
                );
            }
        }
        // No token configured: any bearer token is wrong.
        let policy = AccessPolicy::new(Mode::Standalone, None);
        let verdict = policy.verdict(
            Some(ip("127.0.0.1")),
            &req("GET", "/api/v1/status", Some("Bearer x")),
        );
        assert_eq!(verdict, Verdict::WrongToken);
    }

    #[test]
    fn loopback_needs_a_token_in_addon_mode_except_for_the_health_check() {
        let policy = AccessPolicy::new(Mode::Addon, Some(Secret::new("s3cret-0123456789")));
        let lo = Some(ip("127.0.0.1"));
        assert_eq!(
            policy.verdict(lo, &req("GET", "/healthz", None)),
            Verdict::Serve
        );
        for (method, path) in [
            ("GET", "/"),
            ("GET", "/api/v1/status"),
            ("GET", "/metrics"),
            ("POST", "/api/v1/actions"),
            ("DELETE", "/api/v1/leases/lease-1"),
        ] {
            assert_eq!(
                policy.verdict(lo, &req(method, path, None)),
                Verdict::NoToken,
                "{method} {path}"
            );
        }
        assert_eq!(
            policy.verdict(None, &req("GET", "/api/v1/status", None)),
            Verdict::NoToken
        );
        assert_eq!(
            policy.verdict(
                Some(ip("172.30.32.2")),
                &req("POST", "/api/v1/actions", None)
            ),
            Verdict::Serve
        );
        // Basic credentials from a proxy in front of Home Assistant are not a token of ours.
        assert_eq!(
            policy.verdict(
                Some(ip("172.30.32.2")),
                &req("GET", "/", Some("Basic dXNlcjpwdw=="))
            ),
            Verdict::Serve
        );
    }

    #[test]
    fn opened_reads_serve_gets_only() {
        let metrics = AccessPolicy::new(Mode::Addon, None).with_open_reads(&[OpenRead::Metrics]);
        let lo = Some(ip("127.0.0.1"));
        assert_eq!(
            metrics.verdict(lo, &req("GET", "/metrics", None)),
            Verdict::Serve
        );
        assert_eq!(
            metrics.verdict(lo, &req("GET", "/api/v1/status", None)),
            Verdict::NoToken
        );
        let api = AccessPolicy::new(Mode::Addon, None).with_open_reads(&[OpenRead::Api]);
        assert_eq!(
            api.verdict(lo, &req("GET", "/api/v1/status", None)),
            Verdict::Serve
        );
        assert_eq!(api.verdict(lo, &req("HEAD", "/", None)), Verdict::Serve);
        assert_eq!(
            api.verdict(lo, &req("POST", "/api/v1/feedback", None)),
            Verdict::NoToken
        );
        assert_eq!(
            api.verdict(lo, &req("DELETE", "/api/v1/leases/l", None)),
            Verdict::NoToken
        );
    }

    #[test]
    fn the_lease_token_opens_the_lease_api_only() {
        let policy = AccessPolicy::new(Mode::Addon, Some(Secret::new("api-token-0123456789")))
            .with_lease_token(Some(Secret::new("lease-token-0123456789")));
        let lo = Some(ip("127.0.0.1"));
        let lease = "Bearer lease-token-0123456789";
        let verdict = |path, auth| policy.verdict(lo, &req("GET", path, Some(auth)));
        assert_eq!(verdict("/api/v1/leases", lease), Verdict::Serve);
        assert_eq!(
            verdict("/api/v1/leases/lease-1/renew", lease),
            Verdict::Serve
        );
        assert_eq!(verdict("/api/v1/status", lease), Verdict::WrongToken);
        assert_eq!(verdict("/api/v1/leasesX", lease), Verdict::WrongToken);
        assert_eq!(
            verdict("/api/v1/status", "Bearer api-token-0123456789"),
            Verdict::Serve
        );
        assert_eq!(
            verdict("/api/v1/leases", "Bearer wrong"),
            Verdict::WrongToken
        );
    }

    #[test]
    fn refusals_are_counted_by_why() {
        let stats = Arc::new(AccessStats::default());
        let policy = AccessPolicy::new(Mode::Addon, None).with_stats(stats.clone());
        let lo = Some(ip("127.0.0.1"));
        for auth in [Some("Bearer nope"), None, None] {
            let request = req("GET", "/api/v1/status", auth);
            let verdict = policy.verdict(lo, &request);
            let response = policy.refused(verdict, lo, &request);
            assert_eq!(response.status(), axum::http::StatusCode::UNAUTHORIZED);
        }
        assert_eq!(
            stats.counts(),
            RefusedCounts {
                wrong_token: 1,
                no_token: 2
            }
        );
    }

    #[test]
    fn cross_site_posts_are_recognised() {
        let req = |origin: Option<&str>, site: Option<&str>| {
            let mut b = Request::builder()
                .method("POST")
                .header(header::HOST, "ha.local:8123");
            if let Some(o) = origin {
                b = b.header(header::ORIGIN, o);
            }
            if let Some(s) = site {
                b = b.header("sec-fetch-site", s);
            }
            b.body(Body::empty()).expect("request")
        };
        assert!(same_origin(&req(
            Some("http://ha.local:8123"),
            Some("same-origin")
        )));
        assert!(same_origin(&req(None, None)));
        assert!(!same_origin(&req(Some("http://evil.example"), None)));
        assert!(!same_origin(&req(
            Some("http://ha.local:8123"),
            Some("cross-site")
        )));
        assert!(!same_origin(&req(
            Some("http://evil.example"),
            Some("same-site")
        )));
        assert!(
            same_origin(&req(Some("https://elsewhere.example"), Some("same-origin"))),
            "the browser's own word"
        );
    }

    #[test]
    fn ingress_header_sets_pass_the_origin_check() {
        // What arrives after Core's ingress view and the Supervisor's proxy: Host as the
        // browser sent it, X-Forwarded-Host from Core (or from a reverse proxy before Core).
        let req = |host: &str, forwarded: &str, origin: &str| {
            Request::builder()
                .method("POST")
                .header(header::HOST, host)
                .header("x-forwarded-host", forwarded)
                .header("x-forwarded-proto", "https")
                .header("x-ingress-path", "/api/hassio_ingress/tok")
                .header("x-hass-source", "core.ingress")
                .header(header::ORIGIN, origin)
                .body(Body::empty())
                .expect("request")
        };
        let direct = "homeassistant.local:8123";
        assert!(same_origin(&req(
            direct,
            direct,
            "http://homeassistant.local:8123"
        )));
        // nginx in front of Core with its default Host (the upstream) but X-Forwarded-Host set.
        assert!(same_origin(&req(
            "127.0.0.1:8123",
            "ha.example.com",
            "https://ha.example.com"
        )));
        // Several proxies appended to X-Forwarded-Host: the first is the browser's.
        assert!(same_origin(&req(
            "127.0.0.1:8123",
            "ha.example.com, 10.0.0.5:8123",
            "https://ha.example.com"
        )));
        assert!(!same_origin(&req(direct, direct, "https://evil.example")));
    }

    #[test]
    fn the_ingress_proxy_is_known_in_both_address_families() {
        assert!(is_ingress_proxy("172.30.32.2".parse().expect("ip")));
        assert!(is_ingress_proxy("::ffff:172.30.32.2".parse().expect("ip")));
        assert!(!is_ingress_proxy("127.0.0.1".parse().expect("ip")));
        assert!(!is_ingress_proxy("172.30.32.1".parse().expect("ip")));
    }
}

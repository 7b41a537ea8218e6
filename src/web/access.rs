//! Who may talk to the server: loopback and the Supervisor's Ingress proxy always, anyone else
//! only with the API token (or, for the lease API only, the lease token); and state-changing
//! requests only from this origin (no CSRF).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::host_check::AllowedHosts;
use crate::config::{Mode, Secret};

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

/// Access rules, fixed at start.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    trusted: Vec<IpAddr>,
    token: Option<Secret>,
    /// `leases.token`: lets callers that are not the dashboard use `/api/v1/leases` only.
    lease_token: Option<Secret>,
    /// The `Host` names answered (DNS rebinding); Ingress requests carry Home Assistant's.
    hosts: AllowedHosts,
}

/// Paths the lease token opens.
const LEASE_API: &str = "/api/v1/leases";

impl AccessPolicy {
    /// Loopback is always trusted; the Ingress proxy too in add-on mode.
    pub fn new(mode: Mode, token: Option<Secret>) -> Self {
        let trusted = match mode {
            Mode::Addon => vec![INGRESS_PROXY],
            Mode::Standalone => Vec::new(),
        };
        AccessPolicy {
            trusted,
            token,
            lease_token: None,
            hosts: AllowedHosts::default(),
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

    /// Whether a peer may be served without a token.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        let peer = unmapped(peer);
        peer.is_loopback() || self.trusted.contains(&peer)
    }

    fn token_matches(&self, request: &Request) -> bool {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let Some(given) = given else {
            return false;
        };
        let matches = |t: &Option<Secret>| {
            t.as_ref()
                .is_some_and(|t| constant_time_eq(given.as_bytes(), t.expose().as_bytes()))
        };
        let path = request.uri().path();
        let lease_api = path == LEASE_API || path.starts_with("/api/v1/leases/");
        matches(&self.token) || (lease_api && matches(&self.lease_token))
    }
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
    let allowed = peer.is_some_and(|ip| policy.trusts(ip)) || policy.token_matches(&request);
    if !allowed {
        let message = if policy.token.is_some() {
            "this address is not trusted: send 'Authorization: Bearer <api token>'"
        } else {
            "only loopback and the Home Assistant Ingress proxy may connect; set an API token to allow other clients"
        };
        return ApiError::Unauthorized(message.into()).into_response();
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

    #[test]
    fn trusts_loopback_and_the_proxy_only_in_addon_mode() {
        let addon = AccessPolicy::new(Mode::Addon, None);
        assert!(addon.trusts("127.0.0.1".parse().expect("ip")));
        assert!(addon.trusts("::1".parse().expect("ip")));
        assert!(addon.trusts("172.30.32.2".parse().expect("ip")));
        assert!(addon.trusts("::ffff:172.30.32.2".parse().expect("ip")));
        assert!(!addon.trusts("172.30.32.1".parse().expect("ip")));
        assert!(!addon.trusts("192.168.1.20".parse().expect("ip")));
        let standalone = AccessPolicy::new(Mode::Standalone, None);
        assert!(!standalone.trusts("172.30.32.2".parse().expect("ip")));
    }

    #[test]
    fn token_must_match_exactly() {
        let policy = AccessPolicy::new(Mode::Standalone, Some(Secret::new("s3cret")));
        let req = |auth: &str| {
            Request::builder()
                .header(header::AUTHORIZATION, auth)
                .body(Body::empty())
                .expect("request")
        };
        assert!(policy.token_matches(&req("Bearer s3cret")));
        assert!(!policy.token_matches(&req("Bearer s3cre")));
        assert!(!policy.token_matches(&req("s3cret")));
    }

    #[test]
    fn the_lease_token_opens_the_lease_api_only() {
        let policy = AccessPolicy::new(Mode::Addon, Some(Secret::new("api-token")))
            .with_lease_token(Some(Secret::new("lease-token-0123456789")));
        let req = |path: &str, auth: &str| {
            Request::builder()
                .uri(path)
                .header(header::AUTHORIZATION, auth)
                .body(Body::empty())
                .expect("request")
        };
        let lease = "Bearer lease-token-0123456789";
        assert!(policy.token_matches(&req("/api/v1/leases", lease)));
        assert!(policy.token_matches(&req("/api/v1/leases/lease-1/renew", lease)));
        assert!(!policy.token_matches(&req("/api/v1/status", lease)));
        assert!(!policy.token_matches(&req("/api/v1/leasesX", lease)));
        assert!(policy.token_matches(&req("/api/v1/status", "Bearer api-token")));
        assert!(!policy.token_matches(&req("/api/v1/leases", "Bearer wrong")));
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

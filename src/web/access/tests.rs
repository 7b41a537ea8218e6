//! The policy's verdicts by mode, peer and token, the refusal counts, and the origin checks.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;

use super::*;
use crate::config::{Mode, OpenRead, Secret};

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
            let verdict =
                |auth| policy.verdict(Some(ip(peer)), &req("POST", "/api/v1/leases", Some(auth)));
            assert_eq!(
                verdict("Bearer wrong"),
                AccessVerdict::WrongToken,
                "{mode:?} {peer}"
            );
            assert_eq!(
                verdict("bearer s3cret-012345678"),
                AccessVerdict::WrongToken,
                "{mode:?} {peer}"
            );
            assert_eq!(
                verdict("Bearer s3cret-0123456789"),
                AccessVerdict::Serve,
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
    assert_eq!(verdict, AccessVerdict::WrongToken);
}

#[test]
fn loopback_needs_a_token_in_addon_mode_except_for_the_health_check() {
    let policy = AccessPolicy::new(Mode::Addon, Some(Secret::new("s3cret-0123456789")));
    let lo = Some(ip("127.0.0.1"));
    assert_eq!(
        policy.verdict(lo, &req("GET", "/healthz", None)),
        AccessVerdict::Serve
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
            AccessVerdict::NoToken,
            "{method} {path}"
        );
    }
    assert_eq!(
        policy.verdict(None, &req("GET", "/api/v1/status", None)),
        AccessVerdict::NoToken
    );
    assert_eq!(
        policy.verdict(
            Some(ip("172.30.32.2")),
            &req("POST", "/api/v1/actions", None)
        ),
        AccessVerdict::Serve
    );
    // Basic credentials from a proxy in front of Home Assistant are not a token of ours.
    assert_eq!(
        policy.verdict(
            Some(ip("172.30.32.2")),
            &req("GET", "/", Some("Basic dXNlcjpwdw=="))
        ),
        AccessVerdict::Serve
    );
}

#[test]
fn opened_reads_serve_gets_only() {
    let metrics = AccessPolicy::new(Mode::Addon, None).with_open_reads(&[OpenRead::Metrics]);
    let lo = Some(ip("127.0.0.1"));
    assert_eq!(
        metrics.verdict(lo, &req("GET", "/metrics", None)),
        AccessVerdict::Serve
    );
    assert_eq!(
        metrics.verdict(lo, &req("GET", "/api/v1/status", None)),
        AccessVerdict::NoToken
    );
    let api = AccessPolicy::new(Mode::Addon, None).with_open_reads(&[OpenRead::Api]);
    assert_eq!(
        api.verdict(lo, &req("GET", "/api/v1/status", None)),
        AccessVerdict::Serve
    );
    assert_eq!(
        api.verdict(lo, &req("HEAD", "/", None)),
        AccessVerdict::Serve
    );
    assert_eq!(
        api.verdict(lo, &req("POST", "/api/v1/feedback", None)),
        AccessVerdict::NoToken
    );
    assert_eq!(
        api.verdict(lo, &req("DELETE", "/api/v1/leases/l", None)),
        AccessVerdict::NoToken
    );
}

#[test]
fn the_lease_token_opens_the_lease_api_only() {
    let policy = AccessPolicy::new(Mode::Addon, Some(Secret::new("api-token-0123456789")))
        .with_lease_token(Some(Secret::new("lease-token-0123456789")));
    let lo = Some(ip("127.0.0.1"));
    let lease = "Bearer lease-token-0123456789";
    let verdict = |path, auth| policy.verdict(lo, &req("GET", path, Some(auth)));
    assert_eq!(verdict("/api/v1/leases", lease), AccessVerdict::Serve);
    assert_eq!(
        verdict("/api/v1/leases/lease-1/renew", lease),
        AccessVerdict::Serve
    );
    assert_eq!(verdict("/api/v1/status", lease), AccessVerdict::WrongToken);
    assert_eq!(verdict("/api/v1/leasesX", lease), AccessVerdict::WrongToken);
    assert_eq!(
        verdict("/api/v1/status", "Bearer api-token-0123456789"),
        AccessVerdict::Serve
    );
    assert_eq!(
        verdict("/api/v1/leases", "Bearer wrong"),
        AccessVerdict::WrongToken
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

//! The middleware in front of every route: the `Host` check (DNS rebinding), the policy's
//! verdict, and for state-changing requests the same-origin and JSON content-type checks.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::origin::same_origin;
use super::peer::unmapped;
use super::policy::{AccessPolicy, AccessVerdict};
use crate::web::error::ApiError;

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
        AccessVerdict::Serve => {}
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

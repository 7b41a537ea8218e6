//! CSRF: whether a state-changing request comes from a page of this server, judged by the
//! browser's `Sec-Fetch-Site`, or by its `Origin` against the names the server was reached by.

use axum::extract::Request;
use axum::http::{HeaderMap, header};

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

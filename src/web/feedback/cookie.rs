//! The browser's voter id in an HttpOnly cookie: read when well-formed, made at random, and
//! set on the Ingress prefix so the rest of Home Assistant never sees it.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::web::error::ApiError;

/// Name of the cookie holding the browser's random id.
pub const COOKIE: &str = "rm_voter";

/// The browser id from the `Cookie` headers, if present and well-formed.
pub fn voter_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A new random browser id (128 bits, hex).
pub(super) fn new_voter() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| {
        tracing::error!(error = %err, "no randomness for a voter id");
        ApiError::Unavailable("the vote could not be recorded; please try again".into())
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Cookie path: the Ingress prefix when proxied (so the cookie is not sent to the rest of
/// Home Assistant), else the root.
pub fn cookie_path(headers: &HeaderMap) -> String {
    let prefix = headers
        .get("x-ingress-path")
        .and_then(|v| v.to_str().ok())
        .filter(|p| {
            p.starts_with('/')
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'))
        });
    match prefix {
        Some(p) => format!("{}/", p.trim_end_matches('/')),
        None => "/".into(),
    }
}

pub(super) fn set_cookie(voter: &str, headers: &HeaderMap) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{COOKIE}={voter}; Max-Age=31536000; Path={}; HttpOnly; SameSite=Strict",
        cookie_path(headers)
    ))
    .ok()
}

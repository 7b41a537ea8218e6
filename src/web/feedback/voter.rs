//! Who is voting: the Home Assistant user the Supervisor names on an Ingress request, else the
//! browser's cookie.
//!
//! Behind Ingress the Supervisor adds `X-Remote-User-Id` for the logged-in user and drops any
//! copy a client sent, so the header is believed only on a connection from the Supervisor's
//! own address in add-on mode. From anyone else (loopback included) it is ignored: a local
//! client must not vote as somebody else. Names (`X-Remote-User-Name`, `…-Display-Name`) are
//! never read: the id is enough, and names must not end up in logs or the database.

use std::net::IpAddr;

use axum::http::HeaderMap;

use super::cookie::voter_from;
use crate::config::Mode;
use crate::web::access::is_ingress_proxy;

/// Header the Supervisor sets to the Home Assistant user's id on Ingress requests.
pub const USER_ID_HEADER: &str = "x-remote-user-id";
/// Longest user id taken (Home Assistant's are 32 hex digits).
const MAX_USER_ID: usize = 64;

/// The voter key of a Home Assistant user (`ha:<id>`), if the request carries a well-formed
/// user id and came from the Supervisor's Ingress proxy in add-on mode.
pub fn ha_user(mode: Mode, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<String> {
    if mode != Mode::Addon || !peer.is_some_and(is_ingress_proxy) {
        return None;
    }
    let id = headers.get(USER_ID_HEADER)?.to_str().ok()?.trim();
    let well_formed = !id.is_empty()
        && id.len() <= MAX_USER_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    well_formed.then(|| format!("ha:{id}"))
}

/// The voter key of a request: the Home Assistant user when the proxy names one, else the
/// browser's cookie (`None`: a browser that never voted).
pub fn identify(mode: Mode, peer: Option<IpAddr>, headers: &HeaderMap) -> Identity {
    match ha_user(mode, peer, headers) {
        Some(user) => Identity::HaUser(user),
        None => Identity::Browser(voter_from(headers)),
    }
}

/// Who a vote is counted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A Home Assistant user, named by the Supervisor (`ha:<id>`).
    HaUser(String),
    /// A browser, by its cookie if it has one.
    Browser(Option<String>),
}

impl Identity {
    /// The key votes are stored and limited under, if known yet.
    pub fn key(&self) -> Option<&str> {
        match self {
            Identity::HaUser(user) => Some(user),
            Identity::Browser(cookie) => cookie.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PROXY: &str = "172.30.32.2";

    fn headers(id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(USER_ID_HEADER, HeaderValue::from_str(id).expect("header"));
        h
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("ip"))
    }

    #[test]
    fn the_proxy_names_the_user_in_addon_mode_only() {
        let id = "0f2a8c7b9d3e4f5a6b7c8d9e0f1a2b3c";
        let key = format!("ha:{id}");
        assert_eq!(
            ha_user(Mode::Addon, ip(PROXY), &headers(id)),
            Some(key.clone())
        );
        assert_eq!(
            ha_user(Mode::Addon, ip("::ffff:172.30.32.2"), &headers(id)),
            Some(key)
        );
        for peer in ["127.0.0.1", "::1", "172.30.32.1", "192.168.1.20"] {
            assert_eq!(ha_user(Mode::Addon, ip(peer), &headers(id)), None, "{peer}");
        }
        assert_eq!(ha_user(Mode::Addon, None, &headers(id)), None);
        assert_eq!(ha_user(Mode::Standalone, ip(PROXY), &headers(id)), None);
    }

    #[test]
    fn malformed_user_ids_are_ignored() {
        let long = "a".repeat(MAX_USER_ID + 1);
        for bad in ["", "  ", "ab cd", "a;b", "ha:x", "é", "../x", long.as_str()] {
            let Ok(value) = HeaderValue::from_str(bad) else {
                continue;
            };
            let mut h = HeaderMap::new();
            h.insert(USER_ID_HEADER, value);
            assert_eq!(ha_user(Mode::Addon, ip(PROXY), &h), None, "{bad:?}");
        }
        assert!(ha_user(Mode::Addon, ip(PROXY), &headers(&"a".repeat(MAX_USER_ID))).is_some());
        assert_eq!(ha_user(Mode::Addon, ip(PROXY), &HeaderMap::new()), None);
    }

    #[test]
    fn the_cookie_is_the_fallback() {
        let cookie = "0123456789abcdef0123456789abcdef";
        let mut h = headers("user1");
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_str(&format!("rm_voter={cookie}")).expect("cookie"),
        );
        assert_eq!(
            identify(Mode::Addon, ip(PROXY), &h),
            Identity::HaUser("ha:user1".into())
        );
        let from_loopback = identify(Mode::Addon, ip("127.0.0.1"), &h);
        assert_eq!(from_loopback, Identity::Browser(Some(cookie.into())));
        assert_eq!(from_loopback.key(), Some(cookie));
        assert_eq!(
            identify(Mode::Standalone, ip("127.0.0.1"), &HeaderMap::new()).key(),
            None
        );
    }
}

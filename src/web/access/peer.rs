//! Who is on the other end: the connection's address as an extractor, and whether it is the
//! Supervisor's Ingress proxy (the one peer add-on mode trusts).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// Address of the Supervisor, which proxies Ingress traffic.
pub const INGRESS_PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(172, 30, 32, 2));

/// Whether `peer` is the Supervisor's Ingress proxy (also as an IPv4-mapped IPv6 address).
pub fn is_ingress_proxy(peer: IpAddr) -> bool {
    unmapped(peer) == INGRESS_PROXY
}

pub(super) fn unmapped(peer: IpAddr) -> IpAddr {
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

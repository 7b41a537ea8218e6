//! `resource-manager healthcheck`: the image's HEALTHCHECK. The port is assigned at start, so
//! the check reads the address the server noted ([`super::listen::LISTENING_FILE`]) and asks
//! `/healthz` there.

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::Config;

/// How long the whole check may take (the HEALTHCHECK's own timeout is 5 s).
const TIMEOUT: Duration = Duration::from_secs(4);

/// Why the server is not healthy.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("no address to check: the server has not started listening yet")]
    NoAddress,
    #[error("{addr}: {message}")]
    Unreachable { addr: SocketAddr, message: String },
    #[error("{addr}/healthz answered HTTP {status}")]
    Unhealthy { addr: SocketAddr, status: u16 },
}

/// Checks the running server named by `config`.
pub async fn check(config: &Config) -> Result<SocketAddr, HealthError> {
    let addr = super::listen::health_address(config).ok_or(HealthError::NoAddress)?;
    check_at(addr).await
}

/// `GET /healthz` at `addr`; healthy on a 200.
pub async fn check_at(addr: SocketAddr) -> Result<SocketAddr, HealthError> {
    let unreachable = |err: reqwest::Error| HealthError::Unreachable {
        addr,
        message: crate::util::error_chain(&err),
    };
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .no_proxy()
        .build()
        .map_err(unreachable)?;
    let response = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .map_err(unreachable)?;
    match response.status().as_u16() {
        200 => Ok(addr),
        status => Err(HealthError::Unhealthy { addr, status }),
    }
}

//! `resource-manager healthcheck`: the image's HEALTHCHECK. The port is assigned at start, so
//! the check reads the address the server noted ([`super::listen::LISTENING_FILE`]) and asks
//! `/healthz` there. Plain std I/O: the check must not need a runtime or a curl of a port it
//! cannot know.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::config::Config;

/// How long the whole check may take (the HEALTHCHECK's own timeout is 5 s).
const TIMEOUT: Duration = Duration::from_secs(4);

/// Why the server is not healthy.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("no address to check: the server has not started listening yet")]
    NoAddress,
    #[error("{addr}: {source}")]
    Io {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{addr}/healthz answered \"{status}\"")]
    Unhealthy { addr: SocketAddr, status: String },
}

/// Checks the running server named by `config`.
pub fn check(config: &Config) -> Result<SocketAddr, HealthError> {
    let addr = super::listen::health_address(config).ok_or(HealthError::NoAddress)?;
    check_at(addr)
}

/// `GET /healthz` at `addr`; healthy on a 200.
pub fn check_at(addr: SocketAddr) -> Result<SocketAddr, HealthError> {
    let io = |source| HealthError::Io { addr, source };
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(io)?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(io)?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < head.len() {
        match stream.read(&mut head[read..]).map_err(io)? {
            0 => break,
            n => read += n,
        }
        if head[..read].contains(&b'\n') {
            break;
        }
    }
    let status = String::from_utf8_lossy(&head[..read])
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200") {
        Ok(addr)
    } else {
        Err(HealthError::Unhealthy { addr, status })
    }
}

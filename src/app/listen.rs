//! Where the server listens: a fixed address, or, in the add-on, the Ingress address the
//! Supervisor assigned plus the same port on loopback for the image's health check.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use tokio::net::TcpListener;

use super::AppError;
use crate::config::{Config, Listen};
use crate::supervisor::{SupervisorClient, ingress};

/// File in the data directory naming the loopback address `healthcheck` asks.
pub const LISTENING_FILE: &str = "listening";

/// The sockets the server accepts on; the first is the one reported as "serving on".
pub struct Listeners {
    pub primary: TcpListener,
    pub extra: Vec<TcpListener>,
}

impl From<TcpListener> for Listeners {
    fn from(primary: TcpListener) -> Self {
        Listeners {
            primary,
            extra: Vec::new(),
        }
    }
}

/// The bound sockets, kept for the whole process: each start of the parts serves on copies,
/// so a start again (after a full disk, see `stand_in`) listens where the first did, and
/// connections that arrive in between wait in the kernel's queue.
pub struct Sockets {
    primary: std::net::TcpListener,
    extra: Vec<std::net::TcpListener>,
}

impl Sockets {
    pub fn keep(listeners: Listeners) -> Result<Sockets, AppError> {
        Ok(Sockets {
            primary: listeners.primary.into_std()?,
            extra: listeners
                .extra
                .into_iter()
                .map(TcpListener::into_std)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Listeners on copies of the kept sockets.
    pub fn again(&mut self) -> Result<Listeners, AppError> {
        let copy = |socket: &std::net::TcpListener| -> Result<TcpListener, AppError> {
            let copy = socket.try_clone()?;
            copy.set_nonblocking(true)?;
            Ok(TcpListener::from_std(copy)?)
        };
        Ok(Listeners {
            primary: copy(&self.primary)?,
            extra: self.extra.iter().map(copy).collect::<Result<_, _>>()?,
        })
    }
}

/// Binds what `config` asks for, and writes the loopback address for `healthcheck`.
pub async fn bind(config: &Config) -> Result<Listeners, AppError> {
    let addr = match config.listen {
        Listen::At(addr) => addr,
        Listen::Assigned => assigned(config).await?,
    };
    let primary = bind_one(addr).await?;
    let port = primary.local_addr()?.port();
    let mut extra = Vec::new();
    let mut health = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    if config.listen == Listen::Assigned && addr.ip() != Ipv4Addr::LOCALHOST {
        // Loopback is the container's own (or, on the host's network, only the host's
        // processes): the health check reaches it, the LAN cannot.
        match TcpListener::bind(health).await {
            Ok(listener) => extra.push(listener),
            Err(err) => {
                tracing::warn!(error = %err, "cannot also listen on loopback; the health check asks the Ingress address");
                health = SocketAddr::new(addr.ip(), port);
            }
        }
    } else if !addr.ip().is_unspecified() {
        health = SocketAddr::new(addr.ip(), port);
    }
    write_listening(&config.data_dir, health);
    Ok(Listeners { primary, extra })
}

/// The Ingress address from the Supervisor, asked for up to `supervisor_wait`.
async fn assigned(config: &Config) -> Result<SocketAddr, AppError> {
    let endpoint = config.supervisor.as_ref().ok_or_else(|| {
        AppError::Link("no Supervisor to ask for the Ingress address (SUPERVISOR_TOKEN)".into())
    })?;
    let client = SupervisorClient::new(endpoint).map_err(|e| AppError::Link(e.to_string()))?;
    let addr = ingress::ask_address(&client, config.supervisor_wait).await?;
    tracing::info!(%addr, "Ingress address assigned by the Supervisor");
    Ok(addr)
}

async fn bind_one(addr: SocketAddr) -> Result<TcpListener, AppError> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| AppError::Listen { addr, error })
}

/// Best effort: without the file `healthcheck` falls back to the configured address.
fn write_listening(data_dir: &Path, addr: SocketAddr) {
    let path = listening_path(data_dir);
    let written =
        std::fs::create_dir_all(data_dir).and_then(|()| std::fs::write(&path, format!("{addr}\n")));
    if let Err(err) = written {
        tracing::warn!(path = %path.display(), error = %err, "cannot note the listening address for the health check");
    }
}

/// Where [`LISTENING_FILE`] lives.
pub fn listening_path(data_dir: &Path) -> PathBuf {
    data_dir.join(LISTENING_FILE)
}

/// The address `healthcheck` asks: the one noted at start, else the configured one.
pub fn health_address(config: &Config) -> Option<SocketAddr> {
    let noted = std::fs::read_to_string(listening_path(&config.data_dir))
        .ok()
        .and_then(|text| text.trim().parse().ok());
    noted.or(match config.listen {
        Listen::At(addr) if addr.ip().is_unspecified() => {
            Some(SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port())))
        }
        Listen::At(addr) => Some(addr),
        Listen::Assigned => None,
    })
}

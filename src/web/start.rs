//! The HTTP side, started: the connection cap worked out from the descriptor limit, then the
//! router served on every listener until `stop`, after which open requests may finish.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::server::connections::ConnectionTable;
use super::server::{self, ServerLimits};
use super::{AppState, router};

/// The connections every listener shares, capped below the process' descriptor limit; the
/// limit is returned for Diagnostics.
pub fn connection_table() -> (Arc<ConnectionTable>, Option<u64>) {
    let budget = server::descriptor_budget();
    tracing::info!(
        descriptor_limit = ?budget.limit,
        max_connections = budget.max_connections,
        "HTTP connections capped below the descriptor limit"
    );
    (
        Arc::new(ConnectionTable::new(budget.max_connections)),
        budget.limit,
    )
}

/// Serves `state`'s router on `primary` and every `extra` listener until `stop`; the task's
/// result is the first server's failure. Returns it with the primary address.
pub fn start(
    tracker: &TaskTracker,
    primary: TcpListener,
    extra: Vec<TcpListener>,
    state: AppState,
    connections: Arc<ConnectionTable>,
    stop: &CancellationToken,
) -> std::io::Result<(JoinHandle<std::io::Result<()>>, SocketAddr)> {
    let app = router(state);
    let addr = primary.local_addr()?;
    let limits = ServerLimits::default();
    let mut servers = JoinSet::new();
    for listener in std::iter::once(primary).chain(extra) {
        tracing::debug!(addr = ?listener.local_addr().ok(), "HTTP server ready");
        servers.spawn(server::serve(
            listener,
            app.clone(),
            connections.clone(),
            limits,
            stop.clone(),
        ));
    }
    let task = tracker.spawn(async move {
        let mut result = Ok(());
        while let Some(joined) = servers.join_next().await {
            match joined {
                Ok(Err(err)) if result.is_ok() => result = Err(err),
                Err(err) if result.is_ok() => result = Err(std::io::Error::other(err)),
                _ => {}
            }
        }
        result
    });
    Ok((task, addr))
}

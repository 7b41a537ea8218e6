//! The ordered stop. Each stage has its own child of the root token, cancelled in this order:
//!
//! 1. stop accepting HTTP requests and stop collecting (the engine ends, dropping its senders);
//! 2. flush the store: the writer drains its queue and writes it, the alert service stores the
//!    open incidents (both end on their own once the engine is gone);
//! 3. stop the Home Assistant publishers, which mark their entities unavailable while the
//!    link still works;
//! 4. close the links (WebSocket, Supervisor poller);
//! 5. close the store (checkpoint, pool);
//! 6. give open HTTP connections a moment, then the root token and the tracker make sure
//!    nothing is left running.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::AppError;
use crate::store::Store;

/// Longest wait for open HTTP connections at shutdown.
const HTTP_DRAIN: Duration = Duration::from_secs(5);
/// Longest wait for any task still on the tracker after the ordered stop.
const TASKS_DRAIN: Duration = Duration::from_secs(5);

/// The running app, as its shutdown sees it.
pub(super) struct Running {
    pub addr: SocketAddr,
    /// The root of the cancellation tree; every token below is its child.
    pub root: CancellationToken,
    /// Every task of the app runs on it.
    pub tracker: TaskTracker,
    pub http_stop: CancellationToken,
    pub http: JoinHandle<std::io::Result<()>>,
    pub collect_stop: CancellationToken,
    pub engine: JoinHandle<()>,
    /// Tasks that flush to the store and end on their own once the engine is gone, by name.
    pub flush: Vec<(&'static str, JoinHandle<()>)>,
    pub publishers_stop: CancellationToken,
    pub publishers: Vec<JoinHandle<()>>,
    pub links_stop: CancellationToken,
    pub links: Vec<JoinHandle<()>>,
    pub store: Store,
}

/// Waits for a task, logging a panic.
async fn join(name: &str, task: JoinHandle<()>) {
    if task.await.is_err() {
        tracing::error!(task = name, "task panicked");
    }
}

impl Running {
    /// Stops everything in the documented order; the HTTP server's failure, if any, is the result.
    pub async fn shutdown_in_order(self) -> Result<(), AppError> {
        tracing::info!("shutting down: stopping collection and writing buffered samples");
        self.http_stop.cancel();
        self.collect_stop.cancel();
        join("collector", self.engine).await;

        for (name, task) in self.flush {
            join(name, task).await;
        }

        self.publishers_stop.cancel();
        for task in self.publishers {
            join("publisher", task).await;
        }

        self.links_stop.cancel();
        for task in self.links {
            join("link", task).await;
        }

        self.store.close().await;

        let mut http = self.http;
        let result = match tokio::time::timeout(HTTP_DRAIN, &mut http).await {
            Ok(Ok(result)) => result.map_err(AppError::from),
            Ok(Err(_)) => {
                tracing::error!("HTTP server task panicked");
                Ok(())
            }
            Err(_) => {
                tracing::warn!("HTTP connections still open after {HTTP_DRAIN:?}; closing");
                http.abort();
                Ok(())
            }
        };
        self.root.cancel();
        self.tracker.close();
        if tokio::time::timeout(TASKS_DRAIN, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                left = self.tracker.len(),
                "tasks still running after shutdown"
            );
        }
        tracing::info!("stopped");
        result
    }
}

#[cfg(test)]
mod tests;

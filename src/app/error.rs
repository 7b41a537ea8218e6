//! Why the app could not start or stopped badly, each cause with what to do about it.

use std::net::SocketAddr;

use crate::store::{self, StoreError};

/// Why the app could not start or stopped badly.
/// Each message carries its cause and exposes no `source()`, so `{:#}` prints it once.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot open the history: {}{}", .0, open_hint(.0))]
    Store(StoreError),
    #[error("HTTP server failed: {0}")]
    Serve(#[from] std::io::Error),
    #[error("cannot listen on {addr}: {error}")]
    Listen {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("{0}; exiting so the Supervisor's watchdog starts the add-on again")]
    Ingress(crate::supervisor::ingress::IngressError),
    #[error("cannot set up a client: {0}")]
    Link(String),
}

/// What to do about a history that cannot be opened, by cause.
fn open_hint(err: &StoreError) -> &'static str {
    match store::FailureReason::of(err) {
        store::FailureReason::DiskFull => ". Free space on the data disk",
        store::FailureReason::ReadOnly | store::FailureReason::IoError => {
            ". Check that the data directory exists, is writable and its disk is healthy"
        }
        store::FailureReason::Locked => ". Another program holds history.db open",
        _ => "",
    }
}

impl From<crate::supervisor::ingress::IngressError> for AppError {
    fn from(err: crate::supervisor::ingress::IngressError) -> Self {
        AppError::Ingress(err)
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        AppError::Store(err)
    }
}

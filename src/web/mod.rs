//! HTTP: JSON API, Prometheus exposition, health and the page. Handlers are thin: they read the
//! latest snapshot or the store and render. Each area has its own `router()`; [`router`]
//! merges them and applies the access policy and compression to all. The state the handlers
//! share is in `state.rs`, what the server says about itself in `about.rs`.

mod about;
pub mod access;
pub mod active_alerts;
mod advice;
mod alerts;
mod api;
mod attention;
pub mod data_disk;
mod diagnostics;
pub mod error;
pub mod feedback;
pub mod format;
mod health;
pub mod host_check;
pub mod leases;
mod live;
pub(crate) mod page;
pub mod report;
pub mod server;
mod start;
mod state;
pub mod storage;
pub mod summary;
pub mod view_notes;

use std::sync::Arc;

use axum::Router;

pub use about::{HostInfo, VERSION};
pub use server::limits::BODY_LIMIT;
pub use start::{connection_table, start};
pub use state::{AppParts, AppState, Links};

/// The router: every area's routes, with the access policy applied to all of them.
pub fn router(state: AppState) -> Router {
    let config = &state.inner.parts.config;
    let policy = Arc::new(
        access::AccessPolicy::new(config.mode, config.api_token.clone())
            .with_lease_token(config.options.leases.token.clone())
            .with_open_reads(&config.options.access.open_reads)
            .with_stats(state.inner.access.clone())
            .with_allowed_hosts(host_check::AllowedHosts::for_this_machine(
                &config.allowed_hosts,
            )),
    );
    Router::new()
        .merge(page::router())
        .merge(live::router())
        .merge(report::router())
        .merge(feedback::router())
        .merge(diagnostics::router())
        .merge(health::router())
        .merge(api::router())
        .merge(alerts::router())
        .merge(leases::router())
        .merge(advice::router())
        .merge(storage::router())
        .fallback(error::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(policy, access::guard))
        .layer(axum::middleware::from_fn(error::json_errors))
        // gzip only (features kept minimal); Server-Sent Events are never compressed.
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

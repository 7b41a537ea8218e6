//! What machines poll: the health check (`GET /healthz`) and the Prometheus exposition
//! (`GET /metrics`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use super::{AppState, VERSION};
use crate::publish::prometheus;

/// `/healthz` and `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
}

/// `GET /healthz`: the process serves requests.
async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /metrics`: Prometheus exposition of the latest snapshot.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let store = &state.inner.parts.store;
    let write = store.write_status();
    let health = prometheus::StoreHealth {
        failing: write.failure.is_some(),
        write_errors: write.flush_errors,
        commits: write.flushes,
        pending_ticks: store.pending_ticks(),
        dropped_ticks: write.dropped_ticks,
    };
    let mut body = prometheus::render(&state.latest(), &health, VERSION);
    let refused = state.inner.access.counts();
    prometheus::render_process(
        &mut body,
        &prometheus::ProcessFigures {
            tasks: tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks(),
            http_connections: state.inner.parts.connections.counts().open,
            refused_wrong_token: refused.wrong_token,
            refused_no_token: refused.no_token,
        },
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, prometheus::CONTENT_TYPE)],
        body,
    )
}

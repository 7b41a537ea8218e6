//! The JSON API read by the dashboard and by scripts: status, the series list and history.

mod analysis;
mod columns;
pub(crate) mod hosts;
mod series;
mod status;

use axum::Router;
use axum::routing::get;

use super::AppState;

/// `/api/v1/status`, `/api/v1/metrics` and `/api/v1/metrics/{id}/history`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/status", get(status::status))
        .route("/api/v1/metrics", get(series::metrics))
        .route("/api/v1/hosts", get(hosts::hosts))
        .route("/api/v1/metrics/{id}/history", get(series::history))
        .route("/api/v1/forecasts", get(analysis::forecasts))
        .route("/api/v1/forecasts/{series}", get(analysis::forecast_path))
        .route("/api/v1/leaks", get(analysis::leaks))
        .route("/api/v1/anomalies", get(analysis::anomalies))
        .route("/api/v1/bottleneck", get(analysis::bottleneck))
        .route("/api/v1/health", get(analysis::health))
        .route("/api/v1/backtests", get(analysis::backtests))
}

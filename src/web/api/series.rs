//! The series list (`GET /api/v1/metrics`) and one series' history
//! (`GET /api/v1/metrics/{id}/history`).

use crate::util::time::HOUR_MS;
use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::columns::Columns;
use super::hosts::host_param;
use crate::store::{History, Resolution, SeriesInfo, StoreStats};
use crate::web::AppState;
use crate::web::error::{ApiError, only_parameters};

#[derive(Serialize)]
struct MetricEntry {
    #[serde(flatten)]
    info: SeriesInfo,
    unit_symbol: &'static str,
    current: Option<f64>,
}

#[derive(Serialize)]
struct MetricList {
    metrics: Vec<MetricEntry>,
    store: StoreStats,
}

/// `GET /api/v1/metrics[?host=]`: every series (of one host) with unit, description and
/// current value.
pub async fn metrics(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<impl Serialize>, ApiError> {
    only_parameters(&params, &["host"])?;
    let host = host_param(&state, &params)?;
    let snapshot = state.latest();
    let metrics = state
        .inner
        .parts
        .store
        .series()
        .into_iter()
        .filter(|info| host.as_ref().is_none_or(|h| *h == info.host))
        .map(|info| MetricEntry {
            current: snapshot.value(&info.id),
            unit_symbol: info.unit.symbol(),
            info,
        })
        .collect();
    Ok(Json(MetricList {
        metrics,
        store: state.inner.parts.store.stats().await?,
    }))
}

fn parse_time(
    params: &HashMap<String, String>,
    name: &'static str,
) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.get(name) else {
        return Ok(None);
    };
    let seconds: f64 = text.trim().parse().map_err(|_| {
        ApiError::bad(
            name,
            format!("got \"{text}\", expected Unix seconds (e.g. 1767225600)"),
        )
    })?;
    if !seconds.is_finite() || !(0.0..=4_102_444_800.0).contains(&seconds) {
        return Err(ApiError::bad(
            name,
            format!("got {text}, expected Unix seconds between 1970 and 2100"),
        ));
    }
    Ok(Some((seconds * 1000.0).round() as i64))
}

/// `GET /api/v1/metrics/{id}/history?from=&to=&resolution=&format=`: `from`/`to` in Unix seconds
/// (default: the last hour), `resolution` `raw`, `1m` or `1h` (default: chosen by span),
/// `format` `points` (default) or `columns` (what the dashboard's charts read); `host` names
/// the host whose series `id` is (`?host=nas` with `cpu.usage` reads `nas:cpu.usage`).
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    only_parameters(&params, &["from", "to", "resolution", "format", "host"])?;
    let id = match host_param(&state, &params)? {
        Some(host) => crate::model::host::qualify(&host, &id),
        None => id,
    };
    let columns = match params.get("format").map(String::as_str) {
        None | Some("") | Some("points") => false,
        Some("columns") => true,
        Some(text) => {
            return Err(ApiError::bad(
                "format",
                format!("got \"{text}\", allowed: points or columns"),
            ));
        }
    };
    let now = state.clock().now_ms();
    let to = parse_time(&params, "to")?.unwrap_or(now + 1);
    let from = parse_time(&params, "from")?.unwrap_or(to - HOUR_MS);
    if from >= to {
        return Err(ApiError::bad("from", "must be earlier than 'to'"));
    }
    let resolution = match params.get("resolution").map(String::as_str) {
        None | Some("") | Some("auto") => Resolution::for_span(
            from,
            to,
            now,
            state.inner.parts.config.options.retention.raw_hours,
        ),
        Some(text) => Resolution::parse(text).ok_or_else(|| {
            ApiError::bad(
                "resolution",
                format!("got \"{text}\", allowed: raw, 1m, 1h or auto"),
            )
        })?,
    };
    let history: History = state
        .inner
        .parts
        .store
        .history(&id, from, to, resolution)
        .await?;
    Ok(if columns {
        Json(Columns::from(history)).into_response()
    } else {
        Json(history).into_response()
    })
}

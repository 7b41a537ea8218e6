//! The analysis' findings: forecasts (and one forecast's predicted path), leaks, anomalies,
//! the bottleneck, the health score and the backtests. Each answer says when the analysis ran
//! (`made_ms`, 0 before the first run).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use serde_json::{Value, json};

use crate::analysis::forecast::{MAX_ETA, Predicted};
use crate::analysis::runner::Report;
use crate::web::AppState;
use crate::web::error::{ApiError, only_parameters};

type Params = Query<HashMap<String, String>>;

fn with_time(report: &Report, key: &str, value: Value) -> Json<Value> {
    Json(json!({ "made_ms": report.made_ms, "runs": report.runs, key: value }))
}

/// `GET /api/v1/forecasts`.
pub async fn forecasts(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    only_parameters(&params, &[])?;
    let report = state.analysis().report();
    Ok(with_time(
        &report,
        "forecasts",
        json!(report.findings.forecasts),
    ))
}

#[derive(Serialize)]
struct Path_ {
    series: String,
    method: &'static str,
    made_ms: i64,
    horizon_seconds: f64,
    points: Vec<Predicted>,
}

/// `GET /api/v1/forecasts/{series}?horizon=SECONDS` (default a week): the predicted values
/// with their 80 % interval.
pub async fn forecast_path(
    State(state): State<AppState>,
    Path(series): Path<String>,
    Query(params): Params,
) -> Result<Json<impl Serialize>, ApiError> {
    only_parameters(&params, &["horizon"])?;
    let horizon = match params.get("horizon") {
        None => 7.0 * 86_400.0,
        Some(text) => match text.trim().parse::<f64>() {
            Ok(h) if h.is_finite() && (60.0..=MAX_ETA).contains(&h) => h,
            _ => {
                return Err(ApiError::bad(
                    "horizon",
                    format!("got \"{text}\", expected seconds from 60 to {MAX_ETA:.0}"),
                ));
            }
        },
    };
    let report = state.analysis().report();
    let Some(item) = report
        .findings
        .forecasts
        .iter()
        .find(|f| f.series == series)
    else {
        return Err(ApiError::NotFound(format!(
            "no forecast for '{series}'; GET api/v1/forecasts lists them"
        )));
    };
    Ok(Json(Path_ {
        series,
        method: item.method.as_str(),
        made_ms: report.made_ms,
        horizon_seconds: horizon,
        points: item.model.path(horizon, horizon / 100.0),
    }))
}

/// One part of the latest findings under `key`, with when it was made; no parameters.
fn section(
    state: &AppState,
    params: &HashMap<String, String>,
    key: &str,
    part: impl Fn(&Report) -> Value,
) -> Result<Json<Value>, ApiError> {
    only_parameters(params, &[])?;
    let report = state.analysis().report();
    Ok(with_time(&report, key, part(&report)))
}

/// `GET /api/v1/leaks`.
pub async fn leaks(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    section(&state, &params, "leaks", |r| json!(r.findings.leaks))
}

/// `GET /api/v1/anomalies`.
pub async fn anomalies(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    only_parameters(&params, &[])?;
    let report = state.analysis().report();
    Ok(Json(json!({
        "made_ms": report.made_ms,
        "runs": report.runs,
        "score": report.findings.anomaly_score,
        "anomalies": report.findings.anomalies,
    })))
}

/// `GET /api/v1/bottleneck`.
pub async fn bottleneck(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    section(&state, &params, "bottleneck", |r| {
        json!(r.findings.bottleneck)
    })
}

/// `GET /api/v1/health`.
pub async fn health(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    section(&state, &params, "health", |r| json!(r.findings.health))
}

/// `GET /api/v1/backtests`: coverage of the 80 % intervals and point error per forecast kind
/// and per series, the least-squares baseline beside each, the calibrated band's coverage and
/// whether it backs the "reliable" claim (see [`crate::analysis::accuracy::reliable`]), how often the anomaly detector
/// flagged a day here, and the figures measured on data with known truth (with their data).
pub async fn backtests(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    only_parameters(&params, &[])?;
    let report = state.analysis().report();
    let b = &report.backtests;
    let reliable: Vec<Value> = b
        .kinds
        .iter()
        .map(|k| json!({ "method": k.method, "reliable": crate::analysis::accuracy::reliable(&k.calibrated) }))
        .collect();
    Ok(Json(json!({
        "made_ms": b.made_ms,
        "analysis": {
            "made_ms": report.made_ms,
            "runs": report.runs,
            "cpu_ms": report.cpu_ms,
            "load_ms": report.load_ms,
            "series": report.findings.series_analysed,
            "error": report.error,
        },
        "interval": 0.8,
        "kinds": b.kinds,
        "reliability": reliable,
        "series": b.series,
        "anomaly_days": b.anomaly_days,
        "reference": crate::analysis::measured::REFERENCES,
    })))
}

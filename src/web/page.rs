//! The HTML page and its static assets (compiled into the binary, served with long caching
//! under versioned URLs).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::error::ApiError;
use super::{AppState, VERSION};
use crate::model::Unit;

/// One row of the current-values table.
pub struct Row {
    pub id: String,
    pub description: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    version: &'static str,
    status: String,
    degraded: Vec<String>,
    rows: Vec<Row>,
}

/// Human rendering of a value with its unit.
pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Percent => format!("{value:.1} %"),
        Unit::Bytes => format_bytes(value),
        Unit::BytesPerSecond => format!("{}/s", format_bytes(value)),
        Unit::Celsius => format!("{value:.1} °C"),
        Unit::Seconds => format_duration(value),
        Unit::Count => format!("{value:.0}"),
        Unit::Ratio => format!("{value:.2}"),
    }
}

fn format_bytes(value: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut v = value;
    let mut i = 0;
    while v.abs() >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

fn format_duration(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min {} s", s % 60)
    }
}

/// `GET /`: current values, refreshed in place by `static/app.js`.
pub async fn index(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let snapshot = state.latest();
    let degraded: Vec<String> = snapshot.degraded().map(|s| s.source.to_string()).collect();
    let status = if snapshot.ts_ms == 0 {
        "Starting…".to_string()
    } else if degraded.is_empty() {
        "All sources OK".to_string()
    } else {
        format!("Degraded: {}", degraded.join(", "))
    };
    let rows = snapshot
        .samples
        .iter()
        .map(|s| Row {
            id: s.series.id.clone(),
            description: s.series.description.clone(),
            value: format_value(s.value, s.series.unit),
        })
        .collect();
    let page = IndexPage {
        version: VERSION,
        status,
        degraded,
        rows,
    };
    Ok(Html(page.render()?))
}

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");

/// `GET /static/{file}`: the bundled assets.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        _ => return ApiError::NotFound(format!("no asset named '{file}'")).into_response(),
    };
    // URLs carry ?v=<version>, so a new release is fetched anew.
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_like_a_person_would_write_them() {
        assert_eq!(format_value(1_234_567_890.0, Unit::Bytes), "1.2 GB");
        assert_eq!(format_value(512.0, Unit::BytesPerSecond), "512 B/s");
        assert_eq!(format_value(42.345, Unit::Percent), "42.3 %");
        assert_eq!(format_value(90_061.0, Unit::Seconds), "1 d 1 h");
    }
}

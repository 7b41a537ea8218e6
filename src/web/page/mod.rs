//! The dashboard page. The overview is rendered on the server, so the first paint already
//! shows real values; `static/app.js` then keeps it live from `/api/v1/live`.

mod assets;

use std::time::Instant;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::error::ApiError;
pub use super::format::format_value;
use super::summary::Overview;
use super::view_notes::ViewNotes;
use super::{AppState, VERSION};

/// `/` and the page's static files under `/static/`.
pub fn router() -> Router<AppState> {
    // Hash the assets now, not in the first page request.
    let _ = assets::version();
    Router::new()
        .route("/", get(index))
        .route("/static/{file}", get(assets::own))
        .route("/static/vendor/{file}", get(assets::vendor))
}

/// One row of the every-series table (Diagnostics).
pub struct Row {
    pub id: String,
    pub description: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    version: &'static str,
    asset_v: &'static str,
    mode: &'static str,
    /// Seconds between ticks, so the page can tell a stalled stream from a slow one.
    interval: u32,
    overview: &'a Overview,
    /// Notes above the process and network tables.
    notes: ViewNotes,
    rows: Vec<Row>,
}

/// `GET /`: the dashboard; `Server-Timing` tells how long rendering took.
pub async fn index(State(state): State<AppState>) -> Result<Response, ApiError> {
    let started = Instant::now();
    let snapshot = state.latest();
    let overview = state.overview(&snapshot);
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
        asset_v: assets::version(),
        mode: match state.inner.parts.config.mode {
            crate::config::Mode::Addon => "add-on",
            crate::config::Mode::Standalone => "standalone",
        },
        interval: state.inner.parts.config.options.sample_interval_seconds,
        overview: &overview,
        notes: state.view_notes(&snapshot),
        rows,
    };
    let html = page.render()?;
    let micros = started.elapsed().as_micros();
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    // The page holds live values: never reuse an old copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(timing) = HeaderValue::from_str(&format!(
        "render;dur={}.{:03}",
        micros / 1000,
        micros % 1000
    )) {
        headers.insert("server-timing", timing);
    }
    Ok(response)
}

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

use super::api::hosts::HostCard;
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

/// One host's button in the Hosts card (shown with remote hosts only).
#[derive(Debug, Clone)]
pub struct HostLine {
    pub name: String,
    pub local: bool,
    /// CSS level: `ok`, or `problem` while unreachable.
    pub class: &'static str,
    pub state: &'static str,
    /// Headline values in one line (`CPU 12 % · Memory 40 % · Disk 81 % · Load 0.52`).
    pub values: String,
}

impl HostLine {
    /// The line of one host's card.
    pub fn of(card: &HostCard) -> HostLine {
        let mut parts = Vec::new();
        let percent = |label: &str, v: Option<f64>| v.map(|v| format!("{label} {v:.0} %"));
        parts.extend(percent("CPU", card.cpu_percent));
        parts.extend(percent("Memory", card.memory_used_percent));
        parts.extend(percent("Disk", card.disk_used_percent_max));
        parts.extend(card.load_1m.map(|v| format!("Load {v:.2}")));
        parts.extend(card.temp_max_celsius.map(|v| format!("{v:.0} °C")));
        HostLine {
            name: card.name.clone(),
            local: card.local,
            class: if card.up { "ok" } else { "problem" },
            state: match (card.local, card.up) {
                (true, _) => "this box",
                (false, true) => "up",
                (false, false) => "unreachable",
            },
            values: if card.up {
                parts.join(" · ")
            } else {
                card.scrape
                    .as_ref()
                    .and_then(|s| s.error.clone())
                    .unwrap_or_else(|| "not read yet".into())
            },
        }
    }
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
    /// Every host, this box first (the Hosts card and the chart's host switcher).
    hosts: Vec<HostLine>,
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
        hosts: state.host_cards().iter().map(HostLine::of).collect(),
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

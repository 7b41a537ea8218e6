//! `GET /api/v1/status.md`: gathers the report's facts from the app state (links in words, the
//! secrets to scrub, the analysis) and answers the rendered Markdown.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::analysis::analysis_lines;
use super::render::{ReportInput, render};
use crate::web::about::VERSION;
use crate::web::page::HostLine;
use crate::web::state::AppState;

/// Link states in words, from the configuration (the HA integration reports live states
/// in `/api/v1/status` `links` once it exists).
fn links(state: &AppState) -> Vec<(&'static str, String)> {
    let word = |configured: bool| {
        if configured {
            "configured".to_string()
        } else {
            "not connected".to_string()
        }
    };
    let config = &state.inner.parts.config;
    let write = state.inner.parts.store.write_status();
    let history = match &write.failure {
        Some(failure) => format!(
            "{} ({} readings waiting, {} failed attempts)",
            failure.headline(),
            state.inner.parts.store.pending_ticks(),
            failure.attempts
        ),
        None => "saving".to_string(),
    };
    let mut rows = vec![
        ("Home Assistant", word(config.home_assistant.is_some())),
        ("Supervisor", word(config.supervisor.is_some())),
        ("History", history),
    ];
    for notice in state.inner.parts.store.notices() {
        rows.push(("History notice", notice.message));
    }
    if let Some(status) = &state.inner.parts.links.remote_write {
        let w = crate::util::lock(status).clone();
        let mut text = match &w.last_error {
            Some(error) => format!("failing ({error}, {} attempts)", w.failures),
            None => "sending".to_string(),
        };
        text.push_str(&format!(
            ", {} samples sent, {} batches waiting on disk",
            w.sent_samples, w.buffered_batches
        ));
        if w.dropped_samples + w.rejected_samples > 0 {
            text.push_str(&format!(
                ", {} samples dropped (buffer full), {} refused",
                w.dropped_samples, w.rejected_samples
            ));
        }
        rows.push(("Remote write", text));
    }
    rows
}

/// Strings that must never leave the box: the tokens this process knows and its host name.
fn secrets(state: &AppState) -> Vec<String> {
    let config = &state.inner.parts.config;
    let mut list: Vec<String> = Vec::new();
    if let Some(ha) = &config.home_assistant {
        list.push(ha.token.expose().to_string());
    }
    if let Some(sup) = &config.supervisor {
        list.push(sup.token.expose().to_string());
    }
    if let Some(token) = &config.api_token {
        list.push(token.expose().to_string());
    }
    if let Some(password) = &config.options.mqtt.password {
        list.push(password.expose().to_string());
    }
    // The default names say nothing about the user; replacing them would mangle paths.
    if let Ok(host) = sysinfo::System::host_name()
        && !matches!(host.as_str(), "" | "localhost" | "homeassistant")
    {
        list.push(host);
    }
    list
}

/// `/api/v1/status.md`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/status.md", get(markdown))
}

/// `GET /api/v1/status.md`: the report as `text/markdown`.
pub async fn markdown(State(state): State<AppState>) -> impl IntoResponse {
    let snapshot = state.latest();
    let overview = state.overview(&snapshot);
    let feedback = match state.feedback_summary().await {
        Ok(f) => Some(f),
        Err(err) => {
            tracing::warn!(error = %err, "feedback numbers unavailable for the report");
            None
        }
    };
    let input = ReportInput {
        version: VERSION,
        mode: state.inner.parts.config.mode,
        host: &state.inner.parts.host,
        app_uptime_seconds: state.uptime_seconds(),
        snapshot: &snapshot,
        overview: &overview,
        links: links(&state),
        feedback,
        supervisor: state.inner.parts.config.supervisor.is_some(),
        secrets: secrets(&state),
        analysis: analysis_lines(&state.analysis().report()),
        hosts: state.host_cards().iter().map(HostLine::of).collect(),
    };
    (
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render(&input),
    )
}

//! Live updates for the dashboard as Server-Sent Events (`GET /api/v1/live`).
//!
//! SSE rather than a WebSocket: one-way is all the page needs, it passes through Ingress and
//! any proxy as a plain streamed response, and `EventSource` reconnects by itself. Each
//! connection follows the `watch` channel of the latest snapshot: a slow client skips ticks
//! instead of queueing them, so it can never hold the engine back or lag behind.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use serde::Serialize;

use super::AppState;
use super::summary::Overview;
use super::view_notes::ViewNotes;
use crate::model::{Snapshot, SourceHealth, TopProcesses};

/// Comment lines that keep idle proxies from closing the stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// What `EventSource` waits before reconnecting after the stream ends.
const RETRY: Duration = Duration::from_secs(2);

/// `/api/v1/live`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/live", get(stream))
}

/// What the page needs to know about a series to format and chart it.
#[derive(Debug, Serialize)]
struct SeriesOut<'a> {
    unit: &'static str,
    description: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<&'static str, &'a str>,
}

/// One event: the overview as rendered on the server, raw values for tables and charts,
/// series metadata when the set of series changed, processes when they were refreshed.
#[derive(Debug, Serialize)]
struct LiveEvent<'a> {
    ts: i64,
    uptime_seconds: u64,
    overview: Overview,
    values: BTreeMap<&'a str, f64>,
    sources: &'a [SourceHealth],
    #[serde(skip_serializing_if = "Option::is_none")]
    series: Option<BTreeMap<&'a str, SeriesOut<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    processes: Option<&'a TopProcesses>,
    /// What to say above the process and network tables (`web::view_notes`).
    notes: ViewNotes,
}

/// Per-connection memory of what was already sent.
#[derive(Debug, Default)]
struct Sent {
    series_ids: Vec<String>,
    processes_ts: Option<i64>,
}

impl Sent {
    fn event(&mut self, state: &AppState, snapshot: &Snapshot) -> Event {
        let new_series = snapshot.samples.len() != self.series_ids.len()
            || snapshot
                .samples
                .iter()
                .zip(&self.series_ids)
                .any(|(s, id)| s.series.id != *id);
        let series = new_series.then(|| {
            self.series_ids = snapshot
                .samples
                .iter()
                .map(|s| s.series.id.clone())
                .collect();
            snapshot
                .samples
                .iter()
                .map(|s| {
                    (
                        s.series.id.as_str(),
                        SeriesOut {
                            unit: s.series.unit.as_str(),
                            description: &s.series.description,
                            labels: s
                                .series
                                .labels
                                .iter()
                                .map(|(k, v)| (*k, v.as_str()))
                                .collect(),
                        },
                    )
                })
                .collect()
        });
        let processes = (self.processes_ts != Some(snapshot.processes.ts_ms)).then(|| {
            self.processes_ts = Some(snapshot.processes.ts_ms);
            snapshot.processes.as_ref()
        });
        let payload = LiveEvent {
            ts: snapshot.ts_ms,
            uptime_seconds: state.uptime_seconds(),
            overview: state.overview(snapshot),
            values: snapshot
                .samples
                .iter()
                .map(|s| (s.series.id.as_str(), s.value))
                .collect(),
            sources: &snapshot.sources,
            series,
            processes,
            notes: state.view_notes(snapshot),
        };
        // Serialising plain maps and numbers cannot fail; an empty event is harmless if it did.
        let data = serde_json::to_string(&payload).unwrap_or_else(|_| "{}".into());
        Event::default().event("snapshot").data(data)
    }
}

/// `GET /api/v1/live`: one `snapshot` event now, then one per tick, until the engine stops.
pub async fn stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut latest = state.inner.parts.latest.clone();
    // The current snapshot goes out at once, so the page is live from the first event.
    latest.mark_changed();
    let start = (latest, state, Sent::default(), true);
    let events =
        futures_util::stream::unfold(start, |(mut latest, state, mut sent, first)| async move {
            // An error means the engine (the sender) is gone: the app is stopping.
            latest.changed().await.ok()?;
            let snapshot: Arc<Snapshot> = latest.borrow_and_update().clone();
            let mut event = sent.event(&state, &snapshot);
            if first {
                event = event.retry(RETRY);
            }
            Some((Ok(event), (latest, state, sent, false)))
        });
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

//! `GET /api/v1/storage`: what takes the data disk (the Supervisor's hourly walk), how each
//! part grew over the last week and month (its stored history), and the data disk's forecast
//! naming the part that grows fastest. The growth is worked out once per walk: the history
//! queries run when a new walk arrives, not on every refresh of the page.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use super::error::ApiError;
use crate::advice::runner::{RECORDER_DB_PATHS, recorder_db_bytes};
use crate::collect::storage::DiskWalk;
use crate::store::{Resolution, Store, StoreError};
use crate::util::time::HOUR_MS;

pub(super) mod cache;
mod view;

pub use view::{Fastest, Growth, Outlook, StorageRow, StorageView};
use view::{MONTH_MS, WEEK_MS};

/// `/api/v1/storage`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/storage", get(show))
}

async fn show(State(state): State<AppState>) -> Result<Json<StorageView>, ApiError> {
    let parts = &state.inner.parts;
    let Some(walks) = &parts.storage else {
        return Ok(Json(StorageView {
            note: Some(
                "Only in the add-on: the Supervisor walks the data disk to say what takes it."
                    .into(),
            ),
            ..StorageView::default()
        }));
    };
    let status = walks.status();
    let Some(walk) = walks.latest() else {
        let note = match &status.error {
            Some(error) => format!("The Supervisor could not walk the data disk: {error}"),
            None => "The Supervisor has not walked the data disk yet (it does at start, then \
                     hourly)."
                .into(),
        };
        return Ok(Json(StorageView {
            note: Some(note),
            walks: Some(status),
            ..StorageView::default()
        }));
    };
    let cached = state
        .inner
        .storage
        .get()
        .filter(|v| v.walked_at_ms == Some(walk.at_ms));
    let mut view = match cached {
        Some(view) => (*view).clone(),
        None => {
            let view = with_growth(&parts.store, &walk).await?;
            state.inner.storage.set(Arc::new(view.clone()));
            view
        }
    };
    view.walks = Some(status);
    view.recorder_db_bytes = recorder_db_bytes(RECORDER_DB_PATHS);
    let snapshot = state.latest();
    let mount = state
        .inner
        .data_disk_mount
        .of(&parts.config.data_dir, &snapshot);
    let report = state.analysis().report();
    let forecast = report
        .findings
        .forecasts
        .iter()
        .find(|f| f.resource == "disk" && Some(&f.instance) == mount.as_ref());
    view.outlook = view::outlook(forecast, view::fastest(&view.parts, &view.addons));
    Ok(Json(view))
}

/// The walk's rows with each one's growth over the week and the month.
async fn with_growth(store: &Store, walk: &DiskWalk) -> Result<StorageView, StoreError> {
    let now_ms = store.clock().now_ms();
    let (mut parts, mut addons) = view::rows(walk);
    for row in parts.iter_mut().chain(addons.iter_mut()) {
        let points = history(store, &row.series, now_ms).await?;
        row.week = view::growth(&points, row.bytes, now_ms, WEEK_MS);
        row.month = view::growth(&points, row.bytes, now_ms, MONTH_MS);
    }
    let note = (!walk.addons_listed)
        .then(|| "The Supervisor's walk did not list the add-ons' folders.".to_string());
    Ok(StorageView {
        available: true,
        note,
        walked_at_ms: Some(walk.at_ms),
        walks: None,
        total_bytes: walk.total_bytes,
        used_bytes: walk.used_bytes,
        parts,
        addons,
        recorder_db_bytes: None,
        outlook: None,
    })
}

/// A part's values over the month (the means of whole hours), or its raw points over the week
/// while no hour has been rolled up yet; a series not stored yet has none.
async fn history(store: &Store, series: &str, now_ms: i64) -> Result<Vec<(i64, f64)>, StoreError> {
    let points = |h: crate::store::History| -> Vec<(i64, f64)> {
        h.points
            .iter()
            .map(|p| ((p.t * 1000.0) as i64, p.v))
            .collect()
    };
    let hourly: Vec<(i64, f64)> = match store
        .history(series, now_ms - MONTH_MS, now_ms + 1, Resolution::Hour)
        .await
    {
        // An hour still running is dated at its start, before its values: left out.
        Ok(h) => points(h)
            .into_iter()
            .filter(|(t, _)| t + HOUR_MS <= now_ms)
            .collect(),
        Err(StoreError::UnknownSeries(_)) => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    if !hourly.is_empty() {
        return Ok(hourly);
    }
    let raw = store
        .history(series, now_ms - WEEK_MS, now_ms + 1, Resolution::Raw)
        .await?;
    Ok(points(raw))
}

#[cfg(test)]
mod tests;

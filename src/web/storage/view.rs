//! The Storage section's content, worked out from the latest walk of the data disk, each
//! part's stored history and the analysis' forecast of the data disk: pure, so it is tested
//! on made-up walks and histories.

use serde::Serialize;

use crate::analysis::report::ForecastItem;
use crate::collect::storage::{DiskWalk, WalkStatus, part_name};
use crate::model::registry;
use crate::util::time::{DAY_MS, HOUR_MS, MINUTE_MS};

/// The windows the growth is shown over.
pub const WEEK_MS: i64 = 7 * DAY_MS;
pub const MONTH_MS: i64 = 30 * DAY_MS;

/// `GET /api/v1/storage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StorageView {
    /// Whether there is a breakdown to show.
    pub available: bool,
    /// Why there is none, or what is missing from it.
    pub note: Option<String>,
    pub walked_at_ms: Option<i64>,
    pub walks: Option<WalkStatus>,
    pub total_bytes: Option<f64>,
    pub used_bytes: Option<f64>,
    /// The root's parts, largest first.
    pub parts: Vec<StorageRow>,
    /// Each add-on's data folder, largest first.
    pub addons: Vec<StorageRow>,
    /// `home-assistant_v2.db` with its WAL (part of `homeassistant`), where it can be read.
    pub recorder_db_bytes: Option<f64>,
    /// When the data disk fills, and what grows fastest on it.
    pub outlook: Option<Outlook>,
}

/// One part or add-on folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageRow {
    pub id: String,
    pub name: String,
    pub bytes: f64,
    /// The stored series, for the history chart.
    pub series: String,
    pub week: Option<Growth>,
    pub month: Option<Growth>,
}

/// How much a part grew over a window (or since its history starts, when shorter).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Growth {
    pub bytes: f64,
    pub per_day: f64,
    /// The first value the growth is measured from.
    pub since_ms: i64,
    /// Whether the history covers the whole window.
    pub whole: bool,
}

/// The data disk's forecast and the part that grows fastest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlook {
    pub mount: String,
    /// Seconds until the forecast's threshold; `None` when it is not filling.
    pub eta_seconds: Option<f64>,
    pub slope_bytes_per_day: f64,
    pub summary: String,
    pub fastest: Option<Fastest>,
}

/// The part (or add-on folder) that grew most a day over the last week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fastest {
    pub id: String,
    pub name: String,
    pub bytes_per_day: f64,
}

/// The growth to `current` at `now_ms` from the first of `points` (Unix ms, value, in time
/// order) inside the window; `None` without at least ten minutes of history in it.
pub fn growth(points: &[(i64, f64)], current: f64, now_ms: i64, window_ms: i64) -> Option<Growth> {
    let from = now_ms - window_ms;
    let &(since_ms, first) = points.iter().find(|(t, _)| *t >= from && *t <= now_ms)?;
    let span_ms = now_ms - since_ms;
    if span_ms < 10 * MINUTE_MS {
        return None;
    }
    let bytes = current - first;
    Some(Growth {
        bytes,
        per_day: bytes / (span_ms as f64 / DAY_MS as f64),
        since_ms,
        // Hourly rollups start on the hour: within two hours of the window's start is whole.
        whole: since_ms - from <= 2 * HOUR_MS,
    })
}

/// The rows of a walk, growth left to fill.
pub fn rows(walk: &DiskWalk) -> (Vec<StorageRow>, Vec<StorageRow>) {
    let row = |id: &str, name: &str, bytes: f64, series: String| StorageRow {
        id: id.to_string(),
        name: name.to_string(),
        bytes,
        series,
        week: None,
        month: None,
    };
    let parts = walk
        .parts
        .iter()
        .map(|(id, bytes)| {
            let series = registry::STORAGE_PART.instance(id, &[]).id;
            row(id, part_name(id), *bytes, series)
        })
        .collect();
    let addons = walk
        .addon_data
        .iter()
        .map(|(slug, bytes)| {
            let series = registry::ADDON_DATA.instance(slug, &[]).id;
            row(slug, walk.addon_name(slug), *bytes, series)
        })
        .collect();
    (parts, addons)
}

/// The part that grew most a day over the week: an add-on's folder rather than "add-on data"
/// as a whole when the walk listed them. `None` when nothing grew.
pub fn fastest(parts: &[StorageRow], addons: &[StorageRow]) -> Option<Fastest> {
    let listed = !addons.is_empty();
    parts
        .iter()
        .filter(|p| !(listed && p.id == "apps_data"))
        .chain(addons)
        .filter_map(|r| Some((r, r.week.as_ref()?.per_day)))
        .filter(|(_, per_day)| *per_day > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(r, per_day)| Fastest {
            id: r.id.clone(),
            name: r.name.clone(),
            bytes_per_day: per_day,
        })
}

/// The outlook of the data disk from its forecast (`None` when the analysis has none).
pub fn outlook(forecast: Option<&ForecastItem>, fastest: Option<Fastest>) -> Option<Outlook> {
    let forecast = forecast?;
    Some(Outlook {
        mount: forecast.instance.clone(),
        eta_seconds: forecast.eta_seconds,
        slope_bytes_per_day: forecast.slope_per_day,
        summary: forecast.summary.clone(),
        fastest,
    })
}

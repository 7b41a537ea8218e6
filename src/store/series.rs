//! The series the store knows: what the API lists about one, the row id it has in the database,
//! and the statement that registers a new one.

use std::collections::BTreeMap;

use serde::Serialize;

use super::StoreError;
use crate::model::{Kind, SeriesMeta, Unit, registry};

/// A series as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesInfo {
    pub id: String,
    /// The host the series describes (`local` for this box; ADR 0014).
    pub host: String,
    pub family: String,
    pub labels: BTreeMap<String, String>,
    pub unit: Unit,
    pub kind: Kind,
    pub description: String,
}

/// A known series: its row id and metadata.
#[derive(Debug, Clone)]
pub(super) struct KnownSeries {
    pub(super) id: u32,
    pub(super) info: SeriesInfo,
    /// Kept on change or hourly, not every tick (from its registry family, looked up once).
    pub(super) on_change: bool,
}

impl KnownSeries {
    pub(super) fn new(id: u32, info: SeriesInfo) -> Self {
        let on_change = registry::stored_on_change(&info.family);
        KnownSeries {
            id,
            info,
            on_change,
        }
    }
}

impl SeriesInfo {
    pub(super) fn from_meta(meta: &SeriesMeta) -> Self {
        SeriesInfo {
            id: meta.id.clone(),
            host: meta.host_name().to_string(),
            family: meta.family.clone(),
            labels: meta
                .labels
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
            unit: meta.unit,
            kind: meta.kind,
            description: meta.description.clone(),
        }
    }
}

/// Registers one series in `tx`; returns its row id.
pub(super) async fn insert_series(
    tx: &mut sqlx::SqliteConnection,
    meta: &SeriesMeta,
    first_seen_ms: i64,
) -> Result<u32, StoreError> {
    let labels: std::collections::BTreeMap<&str, &str> =
        meta.labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO series (key, host, family, labels, unit, kind, description, first_seen_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&meta.id)
    .bind(meta.host_name())
    .bind(&meta.family)
    .bind(serde_json::to_string(&labels).unwrap_or_else(|_| "{}".into()))
    .bind(meta.unit.as_str())
    .bind(if meta.kind == Kind::Counter { "counter" } else { "gauge" })
    .bind(&meta.description)
    .bind(first_seen_ms)
    .fetch_one(tx)
    .await?;
    Ok(id as u32)
}

//! The hosts (ADR 0014): `GET /api/v1/hosts` (every host's state and headline values, this
//! box first) and the `?host=` parameter the series list and history take.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;

use crate::collect::remote::HostStatus;
use crate::model::{Snapshot, host};
use crate::web::AppState;
use crate::web::error::{ApiError, only_parameters};

/// One host's card: whether it answers, and its headline values now.
#[derive(Debug, Serialize)]
pub struct HostCard {
    pub name: String,
    /// `true` for this box.
    pub local: bool,
    /// Whether it answered its last scrape (always true for this box).
    pub up: bool,
    pub cpu_percent: Option<f64>,
    pub memory_used_percent: Option<f64>,
    /// The fullest filesystem.
    pub disk_used_percent_max: Option<f64>,
    pub load_1m: Option<f64>,
    pub temp_max_celsius: Option<f64>,
    pub uptime_seconds: Option<f64>,
    /// The scrape's state (remote hosts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape: Option<HostStatus>,
}

impl HostCard {
    /// The card of `name` from the snapshot.
    pub fn of(snapshot: &Snapshot, name: &str, scrape: Option<HostStatus>) -> HostCard {
        let value = |id: &str| snapshot.value(&host::qualify(name, id));
        let disk = snapshot
            .samples
            .iter()
            .filter(|s| s.series.host_name() == name && s.series.family == "disk.used_percent")
            .map(|s| s.value)
            .reduce(f64::max);
        let local = name == host::LOCAL;
        HostCard {
            name: name.to_string(),
            local,
            up: local || value("host.up") == Some(1.0),
            cpu_percent: value("cpu.usage"),
            memory_used_percent: value("memory.used_percent"),
            disk_used_percent_max: disk,
            load_1m: value("load.1m"),
            temp_max_celsius: value("temp.max_celsius"),
            uptime_seconds: value("system.uptime_seconds"),
            scrape,
        }
    }
}

impl AppState {
    /// Every host's card, this box first, then the remote hosts in the options' order.
    pub(crate) fn host_cards(&self) -> Vec<HostCard> {
        let snapshot = self.latest();
        std::iter::once(HostCard::of(&snapshot, host::LOCAL, None))
            .chain(
                self.inner
                    .parts
                    .links
                    .hosts
                    .statuses()
                    .into_iter()
                    .map(|s| HostCard::of(&snapshot, &s.name.clone(), Some(s))),
            )
            .collect()
    }

    /// The names of every host, `local` first.
    pub(crate) fn host_names(&self) -> Vec<String> {
        std::iter::once(host::LOCAL.to_string())
            .chain(
                self.inner
                    .parts
                    .links
                    .hosts
                    .hosts
                    .iter()
                    .map(|h| h.name.to_string()),
            )
            .collect()
    }
}

/// The `host` query parameter, checked against the hosts there are; `None` when absent.
pub fn host_param(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<Option<String>, ApiError> {
    let Some(name) = params.get("host").filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    let names = state.host_names();
    if names.iter().any(|n| n == name) {
        Ok(Some(name.clone()))
    } else {
        Err(ApiError::bad(
            "host",
            format!("got \"{name}\", allowed: {}", names.join(", ")),
        ))
    }
}

#[derive(Serialize)]
struct HostList {
    hosts: Vec<HostCard>,
}

/// `GET /api/v1/hosts`.
pub async fn hosts(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<impl Serialize>, ApiError> {
    only_parameters(&params, &[])?;
    Ok(Json(HostList {
        hosts: state.host_cards(),
    }))
}

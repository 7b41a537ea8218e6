//! Alert endpoints: active and recent incidents, the effective rules, acknowledgement.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;

use super::AppState;
use super::error::{ApiError, only_parameters};
use crate::alert::{AlertError, AlertState, Incident, Rule, Status};
use crate::model::Unit;

/// Incidents listed when `limit` is not given, and the most allowed.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;
/// Longest acknowledgement note.
const MAX_NOTE_CHARS: usize = 500;

/// `/api/v1/alerts`, `/api/v1/alerts/rules` and `/api/v1/alerts/{id}/ack`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list))
        .route("/api/v1/alerts/rules", get(rules))
        .route("/api/v1/alerts/{id}/ack", post(acknowledge))
}

#[derive(Serialize)]
struct Alerts {
    /// Incidents firing now.
    firing: usize,
    /// Pending and firing rules and targets, firing first.
    active: Arc<Vec<AlertState>>,
    /// The latest incidents (firing and resolved), newest first.
    recent: Vec<Incident>,
}

/// `GET /api/v1/alerts?limit=`: what fires or is about to, and the latest incidents.
pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<impl Serialize>, ApiError> {
    only_parameters(&params, &["limit"])?;
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(value) => value
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad(
                    "limit",
                    format!("got \"{value}\", allowed: an integer from 1 to {MAX_LIMIT}"),
                )
            })?,
    };
    let alerts = &state.inner.parts.alerts;
    let active = alerts.active();
    Ok(Json(Alerts {
        firing: active.iter().filter(|s| s.status == Status::Firing).count(),
        active,
        recent: alerts.recent(limit).await?,
    }))
}

#[derive(Serialize)]
struct RuleView<'a> {
    #[serde(flatten)]
    rule: &'a Rule,
    /// `for` and `cooldown` as the options write them.
    #[serde(rename = "for")]
    for_text: String,
    cooldown: String,
    unit: Unit,
    unit_symbol: &'static str,
    /// Series the rule watches now.
    targets: Vec<String>,
}

/// `GET /api/v1/alerts/rules`: the effective rules, where each comes from, what it watches.
pub async fn rules(State(state): State<AppState>) -> Json<Value> {
    let alerts = &state.inner.parts.alerts;
    let mut targets = alerts.targets().await;
    let views: Vec<RuleView> = alerts
        .rules()
        .rules
        .iter()
        .map(|rule| {
            let mut watched = targets.remove(&rule.name).unwrap_or_default();
            watched.sort();
            RuleView {
                rule,
                for_text: rule.for_text(),
                cooldown: rule.cooldown_text(),
                unit: rule.known.unit,
                unit_symbol: rule.known.unit.symbol(),
                targets: watched,
            }
        })
        .collect();
    Json(serde_json::json!({ "rules": views }))
}

/// `POST /api/v1/alerts/{id}/ack` with a JSON object, optionally `{"note": "…"}`.
pub async fn acknowledge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Incident>, ApiError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad("id", format!("got \"{id}\", allowed: an incident id")))?;
    let Json(body) = body.map_err(|err| {
        ApiError::bad(
            "body",
            format!(
                "{}; send a JSON object such as {{\"note\": \"on it\"}}",
                err.body_text()
            ),
        )
    })?;
    let Value::Object(fields) = body else {
        return Err(ApiError::bad(
            "body",
            "allowed: a JSON object such as {\"note\": \"on it\"}",
        ));
    };
    let mut note = None;
    for (key, value) in fields {
        match (key.as_str(), value) {
            ("note", Value::Null) => {}
            ("note", Value::String(text)) if text.chars().count() <= MAX_NOTE_CHARS => {
                note = Some(text).filter(|t| !t.trim().is_empty());
            }
            ("note", _) => {
                return Err(ApiError::bad(
                    "note",
                    format!("allowed: text of at most {MAX_NOTE_CHARS} characters"),
                ));
            }
            (other, _) => {
                return Err(ApiError::bad(
                    "body",
                    format!("unknown field '{other}'; allowed: note"),
                ));
            }
        }
    }
    match state
        .inner
        .parts
        .alerts
        .acknowledge(id, state.clock().now_ms(), note)
        .await
    {
        Ok(incident) => Ok(Json(incident)),
        Err(AlertError::UnknownIncident(id)) => Err(ApiError::NotFound(format!(
            "no incident with id {id}; GET api/v1/alerts lists them"
        ))),
        Err(AlertError::Store(err)) => Err(ApiError::Store(err)),
    }
}

//! The advice API: `GET /api/v1/recommendations`, `POST /api/v1/recommendations/{id}/dismiss`
//! and `/snooze` (`{"duration": "1d"}` or `{"seconds": 86400}`), `GET /api/v1/actions` (the
//! audit log and the measured effectiveness), `POST /api/v1/actions` (`{"kind": "restart",
//! "addon": "<slug>", "dry_run": true}`; `dry_run` defaults to true), and
//! `GET /api/v1/recorder` (the churn ranking and the snippet). State changes pass the
//! same-origin JSON guard like every POST (`access.rs`).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::leases::json_body;
use crate::advice::{ActionDecision, ActionRequest, AdviceError, AdviceState, Advisor, Origin};
use crate::config::ActionKind;
use crate::config::alert_rules::duration;

/// Requests are a few hundred bytes.
const BODY_LIMIT: usize = 16 * 1024;
/// Audit rows listed at most.
const MAX_AUDIT: u32 = 500;

/// The advice routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/recommendations", get(list))
        .route("/api/v1/recommendations/{id}/dismiss", post(dismiss))
        .route("/api/v1/recommendations/{id}/snooze", post(snooze))
        .route("/api/v1/actions", get(audit).post(act))
        .route("/api/v1/recorder", get(recorder))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

fn advisor(state: &AppState) -> Result<&Advisor, ApiError> {
    state
        .inner
        .parts
        .advisor
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("the advisor is not running".into()))
}

fn advice_error(err: AdviceError) -> ApiError {
    match err {
        AdviceError::UnknownRecommendation(_) => ApiError::coded(
            StatusCode::NOT_FOUND,
            "unknown_recommendation",
            err.to_string(),
        ),
        AdviceError::BadRequest(m) => ApiError::coded(StatusCode::BAD_REQUEST, "bad_request", m),
        AdviceError::Store(e) => ApiError::Store(e),
    }
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let advisor = advisor(&state)?;
    let all = advisor.recommendations();
    let open = all.iter().filter(|r| r.state == AdviceState::Open).count();
    let effectiveness = advisor.effectiveness().await?;
    Ok(Json(json!({
        "made_ms": advisor.pass_stats().made_ms,
        "open": open,
        "recommendations": *all,
        "effectiveness": effectiveness,
        "actions": advisor.options(),
    })))
}

async fn dismiss(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let found = advisor(&state)?
        .set_state(&id, AdviceState::Dismissed, None)
        .await
        .map_err(advice_error)?;
    Ok(Json(json!(found)))
}

async fn snooze(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(body)?;
    let seconds = match (body.get("duration"), body.get("seconds")) {
        (Some(Value::String(text)), None) => duration::parse_seconds(text),
        (None, Some(n)) => n.as_u64(),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::coded(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "give the snooze as {\"duration\": \"1d\"} (s, m, h or d) or {\"seconds\": 86400}",
        )
    })?;
    let found = advisor(&state)?
        .set_state(&id, AdviceState::Snoozed, Some(seconds))
        .await
        .map_err(advice_error)?;
    Ok(Json(json!(found)))
}

#[derive(Deserialize)]
struct AuditQuery {
    limit: Option<u32>,
}

async fn audit(
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let advisor = advisor(&state)?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_AUDIT);
    let rows = advisor.audit(limit).await?;
    let actions: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let evidence: Value = serde_json::from_str(&r.evidence).unwrap_or(json!([]));
            let mut v = json!(r);
            v["evidence"] = evidence;
            v
        })
        .collect();
    Ok(Json(json!({
        "actions": actions,
        "effectiveness": advisor.effectiveness().await?,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActBody {
    kind: String,
    addon: String,
    #[serde(default)]
    dry_run: Option<bool>,
    #[serde(default)]
    recommendation_id: Option<String>,
}

async fn act(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = json_body(body)?;
    let body: ActBody = serde_json::from_value(body).map_err(|e| {
        ApiError::coded(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("expected {{\"kind\", \"addon\", \"dry_run\"}}: {e}"),
        )
    })?;
    let kind = ActionKind::parse(&body.kind).ok_or_else(|| {
        ApiError::coded(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!(
                "kind '{}' is not one of start, stop, restart",
                body.kind.chars().take(40).collect::<String>()
            ),
        )
    })?;
    let request = ActionRequest {
        kind,
        addon: body.addon,
        // Safe by default: only an explicit false may act.
        dry_run: body.dry_run.unwrap_or(true),
        origin: Origin::User,
    };
    let decision = advisor(&state)?
        .act(request, body.recommendation_id.as_deref(), None)
        .await
        .map_err(advice_error)?;
    decision_response(decision)
}

/// Done and dry runs answer 200 with the decision; refusals and failures a 4xx/5xx with
/// the reason (the audit row exists either way).
fn decision_response(d: ActionDecision) -> Result<(StatusCode, Json<Value>), ApiError> {
    let refused = |status, code| {
        let message = format!(
            "{} (audit #{})",
            d.detail.clone().unwrap_or_default(),
            d.audit_id
        );
        Err(ApiError::coded(status, code, message))
    };
    match (d.result, d.code) {
        ("refused", Some(code @ ("protected" | "keeps_home" | "denied" | "not_allowed"))) => {
            refused(StatusCode::FORBIDDEN, code)
        }
        // The Supervisor could not say what the add-on does for the home: ask again later.
        ("refused", Some(code @ "role_unknown")) => refused(StatusCode::SERVICE_UNAVAILABLE, code),
        ("refused", Some(code @ "invalid_addon")) => refused(StatusCode::BAD_REQUEST, code),
        ("refused", Some(code @ ("daily_cap" | "cooldown"))) => {
            refused(StatusCode::TOO_MANY_REQUESTS, code)
        }
        ("refused", _) => refused(StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        ("failed", _) => refused(StatusCode::BAD_GATEWAY, "supervisor_failed"),
        _ => Ok((StatusCode::OK, Json(json!(d)))),
    }
}

async fn recorder(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let advisor = advisor(&state)?;
    Ok(Json(json!(advisor.churn_report())))
}

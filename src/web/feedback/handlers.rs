//! `GET` and `POST /api/v1/feedback`: this voter's state, and a vote checked against the limit
//! and stored with the readings of the moment.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::cookie::{new_voter, set_cookie};
use super::limit::VoteLimiter;
use super::state::FeedbackSummary;
use super::voter::identify;
use crate::model::Snapshot;
use crate::store::NewVote;
use crate::util::lock;
use crate::util::time::HOUR_MS;
use crate::web::access::Peer;
use crate::web::error::ApiError;
use crate::web::state::AppState;

/// Longest comment kept, in characters.
pub const MAX_COMMENT: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteBody {
    vote: String,
    #[serde(default)]
    comment: Option<String>,
}

/// Trims a comment, drops control characters and caps its length; empty becomes `None`.
pub fn clean_comment(raw: Option<&str>) -> Option<String> {
    let text: String = raw?
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_COMMENT)
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The key metrics stored with a vote, so a 👎 can later be matched with what the box did.
fn metrics_at_vote(snapshot: &Snapshot, line: &str) -> String {
    let fullest_disk = snapshot
        .samples
        .iter()
        .filter(|s| s.series.family == "disk.used_percent")
        .map(|s| s.value)
        .fold(None, |acc: Option<f64>, v| {
            Some(acc.map_or(v, |a| a.max(v)))
        });
    json!({
        "ts": snapshot.ts_ms,
        "cpu_usage": snapshot.value("cpu.usage"),
        "load_5m": snapshot.value("load.5m"),
        "memory_used_percent": snapshot.value("memory.used_percent"),
        "swap_used_percent": snapshot.value("swap.used_percent"),
        "disk_max_used_percent": fullest_disk,
        "temp_max_celsius": snapshot.value("temp.max_celsius"),
        "status": line,
        "degraded": snapshot.degraded().map(|s| s.source).collect::<Vec<_>>(),
    })
    .to_string()
}

#[derive(Serialize)]
struct You {
    last_vote_at: Option<i64>,
    next_vote_at: Option<i64>,
}

#[derive(Serialize)]
struct FeedbackView {
    #[serde(flatten)]
    summary: FeedbackSummary,
    you: You,
}

/// `/api/v1/feedback` (GET shows, POST votes).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/feedback", get(show).post(vote))
}

async fn view(state: &AppState, voter: Option<&str>, now: i64) -> Result<FeedbackView, ApiError> {
    let last = match voter {
        Some(v) => state.inner.parts.store.last_vote_of(v).await?,
        None => None,
    };
    let per_browser = VoteLimiter::default().per_browser_ms;
    Ok(FeedbackView {
        summary: state.feedback_summary().await?,
        you: You {
            last_vote_at: last,
            next_vote_at: last.map(|l| l + per_browser).filter(|n| *n > now),
        },
    })
}

/// `GET /api/v1/feedback`: satisfaction numbers and this voter's (user's or browser's) state.
/// A browser without a cookie (and not named by Home Assistant) gets one here, as the page
/// loads, so each browser votes as itself; a POST without either is named by its address.
pub async fn show(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = identify(state.inner.parts.config.mode, peer, &headers);
    let view = view(&state, identity.key(), state.clock().now_ms()).await?;
    let mut response = Json(view).into_response();
    if identity.key().is_none()
        && let Some(cookie) = set_cookie(&new_voter()?, &headers)
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `POST /api/v1/feedback` with `{"vote": "up" | "down", "comment": "…"}`.
pub async fn vote(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: VoteBody = serde_json::from_slice(&body).map_err(|err| {
        ApiError::bad(
            "body",
            format!("expected {{\"vote\": \"up\" or \"down\", \"comment\": optional text}}: {err}"),
        )
    })?;
    let thumbs_up = match body.vote.as_str() {
        "up" => true,
        "down" => false,
        other => {
            return Err(ApiError::bad(
                "vote",
                format!("got \"{other}\", allowed: up, down"),
            ));
        }
    };
    let comment = clean_comment(body.comment.as_deref());
    let identity = identify(state.inner.parts.config.mode, peer, &headers);
    // A browser that never voted gets its cookie with this vote; a named user needs none.
    // Without either, the address names the voter: a vote needs an identity, or every POST
    // would count as a new voter.
    let new_cookie = identity.key().is_none();
    let voter = match identity.key() {
        Some(v) => v.to_string(),
        None => state.inner.feedback.anonymous_voter(peer),
    };
    let _one_at_a_time = state.inner.feedback.voting.lock().await;
    let now = state.clock().now_ms();
    let store = &state.inner.parts.store;
    let last = store.last_vote_of(&voter).await?;
    let (hour, oldest) = store.votes_since(now - HOUR_MS).await?;
    let limiter = VoteLimiter::default();
    if let Err(refusal) = limiter.check(now, last, hour.votes, oldest) {
        return Err(ApiError::TooManyRequests {
            message: refusal.message(now),
            retry_at_ms: refusal.retry_at_ms(),
            now_ms: now,
        });
    }
    let snapshot = state.latest();
    let overview = state.overview(&snapshot);
    store
        .insert_vote(&NewVote {
            ts_ms: now,
            voter: voter.clone(),
            thumbs_up,
            comment,
            metrics: metrics_at_vote(&snapshot, &overview.line),
        })
        .await?;
    *lock(&state.inner.feedback.cached) = None;
    let view = view(&state, Some(&voter), now).await?;
    let message = if thumbs_up {
        "Thanks for your 👍! It is saved."
    } else {
        "Thanks for your 👎! It is saved with the current readings, so the cause can be found."
    };
    let mut response = (
        StatusCode::CREATED,
        Json(json!({ "message": message, "feedback": view })),
    )
        .into_response();
    if new_cookie && let Some(cookie) = set_cookie(&voter, &headers) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

//! "Is the system responsive and efficient? 👍 / 👎": votes, the per-browser limit and the
//! satisfaction numbers (`GET`/`POST /api/v1/feedback`, and `feedback` in `/api/v1/status`).
//!
//! Behind Ingress a voter is the Home Assistant user the Supervisor names (`voter.rs`), so one
//! person's browsers share one vote; otherwise a browser is known by a random id in an
//! HttpOnly cookie the server sets on its first vote. The limit is checked against the votes in
//! SQLite, so it holds across restarts.

mod voter;

pub use voter::{Identity, USER_ID_HEADER, identify};

use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use super::access::Peer;
use super::error::ApiError;
use crate::model::Snapshot;
use crate::store::{NewVote, StoreError};
use crate::util::lock;

/// Name of the cookie holding the browser's random id.
pub const COOKIE: &str = "rm_voter";
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Longest comment kept, in characters.
pub const MAX_COMMENT: usize = 1000;
/// How long the satisfaction numbers are reused before SQLite is asked again.
const SUMMARY_TTL_MS: i64 = 60_000;

/// Satisfaction (share of 👍, in percent) over 7 and 30 days; what the HA publisher exposes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FeedbackSummary {
    pub satisfaction_7d: Option<f64>,
    pub satisfaction_30d: Option<f64>,
    pub votes_7d: u32,
    pub votes_30d: u32,
}

/// Shared state of the feedback handlers.
#[derive(Debug, Default)]
pub struct FeedbackState {
    /// Serialises votes so two quick clicks cannot both pass the limit.
    voting: tokio::sync::Mutex<()>,
    cached: Mutex<Option<(i64, FeedbackSummary)>>,
    /// Keys of the hash that names anonymous voters by their address (random per run, so
    /// the stored key tells nothing about the address).
    anonymous: std::hash::RandomState,
}

impl FeedbackState {
    /// The voter key of a vote with neither a Home Assistant user nor a cookie: one per
    /// address, so repeated anonymous votes from one client count once. 32 hex digits, the
    /// cookie's form, so the browser sends it back as its cookie.
    fn anonymous_voter(&self, peer: Option<std::net::IpAddr>) -> String {
        use std::hash::BuildHasher;
        let peer = peer.map_or_else(|| "unknown".to_string(), |p| p.to_string());
        let half = |salt: u8| self.anonymous.hash_one((salt, peer.as_str()));
        format!("{:016x}{:016x}", half(1), half(2))
    }
}

/// Why a vote is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This browser voted less than an hour ago.
    AlreadyVoted { voted_at_ms: i64, retry_at_ms: i64 },
    /// Too many votes in the last hour from all browsers together (cookies refused or reset).
    TooManyVotes { retry_at_ms: i64 },
}

impl Refusal {
    /// When voting is possible again.
    pub fn retry_at_ms(&self) -> i64 {
        match *self {
            Refusal::AlreadyVoted { retry_at_ms, .. } | Refusal::TooManyVotes { retry_at_ms } => {
                retry_at_ms
            }
        }
    }

    /// A polite sentence for the page.
    pub fn message(&self, now_ms: i64) -> String {
        let wait = minutes_until(now_ms, self.retry_at_ms());
        match *self {
            Refusal::AlreadyVoted { voted_at_ms, .. } => {
                let ago = (now_ms - voted_at_ms).max(0) / 60_000;
                let when = if ago < 1 {
                    "just now".to_string()
                } else {
                    format!("{ago} minute{} ago", if ago == 1 { "" } else { "s" })
                };
                format!(
                    "Thanks, your vote from {when} is counted. One vote per hour keeps the numbers fair: you can vote again in {wait}."
                )
            }
            Refusal::TooManyVotes { .. } => format!(
                "Thanks! Many votes arrived in the last hour, so this one was not counted. Please try again in {wait}."
            ),
        }
    }
}

fn minutes_until(now_ms: i64, at_ms: i64) -> String {
    // Round up: "in 0 minutes" would be wrong while any wait is left.
    let minutes = ((at_ms - now_ms).max(0) + 59_999) / 60_000;
    match minutes {
        0 | 1 => "about a minute".to_string(),
        m => format!("{m} minutes"),
    }
}

/// The voting rules: one vote per browser per `per_browser_ms`, and at most `per_hour` votes
/// an hour in total. Pure, so it is tested without a clock or a database.
#[derive(Debug, Clone, Copy)]
pub struct VoteLimiter {
    pub per_browser_ms: i64,
    pub per_hour: u32,
}

impl Default for VoteLimiter {
    fn default() -> Self {
        VoteLimiter {
            per_browser_ms: HOUR_MS,
            per_hour: 60,
        }
    }
}

impl VoteLimiter {
    /// Decides on a vote at `now_ms`, given this browser's last vote and the votes (count and
    /// oldest time) of the last hour.
    pub fn check(
        &self,
        now_ms: i64,
        last_of_browser: Option<i64>,
        votes_last_hour: u32,
        oldest_last_hour: Option<i64>,
    ) -> Result<(), Refusal> {
        if let Some(last) = last_of_browser
            && now_ms < last + self.per_browser_ms
        {
            return Err(Refusal::AlreadyVoted {
                voted_at_ms: last,
                retry_at_ms: last + self.per_browser_ms,
            });
        }
        if votes_last_hour >= self.per_hour {
            return Err(Refusal::TooManyVotes {
                retry_at_ms: oldest_last_hour.unwrap_or(now_ms) + HOUR_MS,
            });
        }
        Ok(())
    }
}

/// The browser id from the `Cookie` headers, if present and well-formed.
pub fn voter_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A new random browser id (128 bits, hex).
fn new_voter() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| {
        tracing::error!(error = %err, "no randomness for a voter id");
        ApiError::Unavailable("the vote could not be recorded; please try again".into())
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Cookie path: the Ingress prefix when proxied (so the cookie is not sent to the rest of
/// Home Assistant), else the root.
pub fn cookie_path(headers: &HeaderMap) -> String {
    let prefix = headers
        .get("x-ingress-path")
        .and_then(|v| v.to_str().ok())
        .filter(|p| {
            p.starts_with('/')
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'))
        });
    match prefix {
        Some(p) => format!("{}/", p.trim_end_matches('/')),
        None => "/".into(),
    }
}

fn set_cookie(voter: &str, headers: &HeaderMap) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{COOKIE}={voter}; Max-Age=31536000; Path={}; HttpOnly; SameSite=Strict",
        cookie_path(headers)
    ))
    .ok()
}

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

impl AppState {
    /// Satisfaction numbers, reused for a minute.
    pub async fn feedback_summary(&self) -> Result<FeedbackSummary, StoreError> {
        let now = self.clock().now_ms();
        if let Some((at, summary)) = *lock(&self.inner.feedback.cached)
            && now - at < SUMMARY_TTL_MS
        {
            return Ok(summary);
        }
        let store = &self.inner.parts.store;
        let (week, _) = store.votes_since(now - 7 * DAY_MS).await?;
        let (month, _) = store.votes_since(now - 30 * DAY_MS).await?;
        let round = |v: Option<f64>| v.map(|p| (p * 10.0).round() / 10.0);
        let summary = FeedbackSummary {
            satisfaction_7d: round(week.satisfaction_percent()),
            satisfaction_30d: round(month.satisfaction_percent()),
            votes_7d: week.votes,
            votes_30d: month.votes,
        };
        *lock(&self.inner.feedback.cached) = Some((now, summary));
        Ok(summary)
    }
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

#[cfg(test)]
mod tests;

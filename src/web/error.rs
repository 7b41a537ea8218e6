//! The one error type of the HTTP layer and its mapping to status codes and JSON bodies.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// An API failure; internals are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("parameter '{parameter}': {message}")]
    BadParameter {
        parameter: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthorized(String),
    /// A limit was hit; the message says politely when to try again.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_at_ms: i64,
        /// When the refusal was decided (for `Retry-After`).
        now_ms: i64,
    },
    /// A transient failure the user can retry.
    #[error("{0}")]
    Unavailable(String),
    /// A refusal with its own code (the lease API's `exceeds_capacity`, `queue_full`, …),
    /// with the id of the refused request when one was recorded.
    #[error("{message}")]
    Coded {
        status: StatusCode,
        code: &'static str,
        message: String,
        lease_id: Option<String>,
    },
    #[error("storage error")]
    Store(#[from] StoreError),
    #[error("page rendering failed")]
    Render(#[from] askama::Error),
}

impl ApiError {
    /// A 4xx or 5xx with its own code.
    pub fn coded(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Coded {
            status,
            code,
            message: message.into(),
            lease_id: None,
        }
    }

    /// A 400 naming the bad query or path parameter.
    pub fn bad(parameter: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadParameter {
            parameter,
            message: message.into(),
        }
    }
}

/// Unknown routes get a JSON 404 too.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see the README for the API".into())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::BadParameter { .. } => (StatusCode::BAD_REQUEST, "bad_parameter"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Store(StoreError::UnknownSeries(_)) => {
                (StatusCode::NOT_FOUND, "unknown_series")
            }
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Coded { status, code, .. } => (*status, *code),
            ApiError::Store(_) | ApiError::Render(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match &self {
            ApiError::Store(StoreError::UnknownSeries(id)) => {
                format!("no series named '{id}'; GET api/v1/metrics lists them")
            }
            ApiError::Store(err) => {
                tracing::error!(error = %err, "store error while answering a request");
                "the history database could not answer; see the add-on log".to_string()
            }
            ApiError::Render(err) => {
                tracing::error!(error = %err, "template error");
                "the page could not be rendered; see the add-on log".to_string()
            }
            other => other.to_string(),
        };
        let mut body = json!({ "error": { "code": code, "message": message } });
        if let ApiError::BadParameter { parameter, .. } = &self {
            body["error"]["parameter"] = json!(parameter);
        }
        if let ApiError::TooManyRequests { retry_at_ms, .. } = &self {
            body["error"]["retry_at"] = json!(retry_at_ms);
        }
        if let ApiError::Coded {
            lease_id: Some(id), ..
        } = &self
        {
            body["error"]["id"] = json!(id);
            body["error"]["state"] = json!("refused");
        }
        let mut response = (status, Json(body)).into_response();
        if let ApiError::TooManyRequests {
            retry_at_ms,
            now_ms,
            ..
        } = &self
        {
            retry_after(&mut response, *retry_at_ms, *now_ms);
        }
        response
    }
}

/// Adds `Retry-After` in seconds (the body carries the absolute `retry_at`).
fn retry_after(response: &mut Response, retry_at_ms: i64, now_ms: i64) {
    let seconds = (retry_at_ms - now_ms).max(0) / 1000 + 1;
    if let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, value);
    }
}

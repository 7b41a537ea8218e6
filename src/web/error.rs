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

/// Refuses query parameters an endpoint does not take, naming the first (sorted, so the
/// answer does not depend on the order they came in).
pub fn only_parameters(
    params: &std::collections::HashMap<String, String>,
    allowed: &[&str],
) -> Result<(), ApiError> {
    let mut names: Vec<&String> = params.keys().collect();
    names.sort();
    match names.into_iter().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(name) => Err(ApiError::bad(
            "query",
            if allowed.is_empty() {
                format!("unknown parameter '{name}': this endpoint takes none")
            } else {
                format!(
                    "unknown parameter '{name}': this endpoint takes {}",
                    allowed.join(", ")
                )
            },
        )),
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

/// Longest request target (path and query) served; longer ones get a JSON 414 here rather
/// than hyper's bare one (which only starts at 64 KB). Ids and queries are far shorter.
pub const MAX_URI_BYTES: usize = 4096;
/// Most of a non-JSON error body kept as the JSON error's message.
const MESSAGE_BYTES: usize = 300;

/// Every answer of 400 and above is the API's JSON error, whoever produced it: axum's
/// rejections (400 unreadable path, 405 method, 413 body limit, 415/422 JSON body) come as
/// plain text or empty otherwise.
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let target_len = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if target_len > MAX_URI_BYTES {
        return ApiError::coded(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the path and query are {target_len} bytes; at most {MAX_URI_BYTES} are read"),
        )
        .into_response();
    }
    let method = request.method().clone();
    let body_flag = request
        .extensions()
        .get::<super::server::bodies::BodyTimeoutFlag>()
        .cloned();
    let response = next.run(request).await;
    let status = response.status();
    // A handler that failed to read a body that timed out answers its own 400: the cause is
    // the timeout, so every route answers the same 408.
    let body_timed_out = body_flag.is_some_and(|flag| flag.is_set());
    if status.as_u16() < 400 || (is_json(&response) && !body_timed_out) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4 * MESSAGE_BYTES)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (status, code, message) = describe(status, &method, &text, body_timed_out);
    parts.status = status;
    parts.headers.remove(axum::http::header::CONTENT_TYPE);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let json = Json(json!({ "error": { "code": code, "message": message } })).into_response();
    let (json_parts, json_body) = json.into_parts();
    parts.headers.extend(json_parts.headers);
    Response::from_parts(parts, json_body)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The code and words for an error answer that came without them.
fn describe(
    status: StatusCode,
    method: &axum::http::Method,
    text: &str,
    body_timed_out: bool,
) -> (StatusCode, &'static str, String) {
    let text: String = text.chars().take(MESSAGE_BYTES).collect();
    let or_reason = |text: String| {
        if text.is_empty() {
            status.canonical_reason().unwrap_or("error").to_lowercase()
        } else {
            text
        }
    };
    if body_timed_out {
        return (
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request body stopped arriving; send it whole".into(),
        );
    }
    match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            status,
            "method_not_allowed",
            // axum adds the `Allow` header after this layer: point at it.
            format!("{method} is not allowed on this path; the Allow header lists what is"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            status,
            "payload_too_large",
            format!(
                "the body is larger than the {} KB every endpoint accepts",
                super::BODY_LIMIT / 1024
            ),
        ),
        StatusCode::NOT_FOUND => (status, "not_found", or_reason(text)),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (status, "unsupported_media_type", or_reason(text)),
        StatusCode::UNPROCESSABLE_ENTITY => (status, "bad_request", or_reason(text)),
        StatusCode::REQUEST_TIMEOUT => (status, "request_timeout", or_reason(text)),
        s if s.is_server_error() => (
            status,
            "internal",
            "the server could not answer; see the add-on log".into(),
        ),
        _ => (status, "bad_request", or_reason(text)),
    }
}

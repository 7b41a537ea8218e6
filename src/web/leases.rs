//! The lease API: `GET/POST /api/v1/leases`, `GET/DELETE /api/v1/leases/{id}`,
//! `POST /api/v1/leases/{id}/renew`. Thin: bodies are read here (size, JSON), everything
//! else is the lease service's; errors map to codes in [`lease_error`].

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::error::ApiError;
use super::{AppState, BODY_LIMIT};
use crate::lease::{
    LeaseDecision, LeaseOpError, LeaseRefusal, LeaseService, RequestError, ServiceError,
};

/// The lease routes (the body limit is the server's one, [`BODY_LIMIT`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/leases", get(list).post(ask))
        .route("/api/v1/leases/{id}", get(one).delete(release))
        .route("/api/v1/leases/{id}/renew", post(renew))
}

fn service(state: &AppState) -> Result<&LeaseService, ApiError> {
    state
        .inner
        .parts
        .leases
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("leases are not running".into()))
}

/// The body as JSON: too large, unreadable or not JSON are refused with a code.
pub(super) fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::coded(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {} KB", BODY_LIMIT / 1024),
            )
        } else {
            ApiError::coded(
                StatusCode::BAD_REQUEST,
                "bad_request",
                rejection.body_text(),
            )
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|err| {
        ApiError::coded(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the body is not valid JSON: {err}"),
        )
    })
}

/// A lease service failure as an API error.
pub fn lease_error(err: ServiceError) -> ApiError {
    match err {
        ServiceError::Request(e @ RequestError::BadRequest(_)) => {
            ApiError::coded(StatusCode::BAD_REQUEST, e.code(), e.to_string())
        }
        ServiceError::Request(e @ RequestError::UnknownResource(_)) => {
            ApiError::coded(StatusCode::BAD_REQUEST, e.code(), e.to_string())
        }
        ServiceError::Lease(e @ LeaseOpError::NotFound(_)) => ApiError::NotFound(e.to_string()),
        ServiceError::Lease(e @ LeaseOpError::Ended { .. }) => {
            ApiError::coded(StatusCode::CONFLICT, "lease_ended", e.to_string())
        }
        ServiceError::Lease(e @ LeaseOpError::NotGranted(_)) => {
            ApiError::coded(StatusCode::CONFLICT, "not_granted", e.to_string())
        }
        ServiceError::Lease(e @ LeaseOpError::Preempting(_)) => {
            ApiError::coded(StatusCode::CONFLICT, "preempting", e.to_string())
        }
        e @ (ServiceError::NotSaved(_) | ServiceError::Unreadable(_) | ServiceError::Stopped) => {
            tracing::error!(error = %e, "lease operation failed");
            ApiError::Unavailable(e.to_string())
        }
    }
}

/// The status and code of a refusal.
pub fn refusal_status(refusal: &LeaseRefusal) -> StatusCode {
    match refusal {
        LeaseRefusal::ExceedsCapacity(_) => StatusCode::UNPROCESSABLE_ENTITY,
        LeaseRefusal::QueueFull => StatusCode::TOO_MANY_REQUESTS,
        LeaseRefusal::Busy => StatusCode::CONFLICT,
    }
}

/// `GET /api/v1/leases`.
async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(service(&state)?.status()).into_response())
}

/// `POST /api/v1/leases`: 201 granted, 202 queued, 4xx refused.
async fn ask(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let leases = service(&state)?;
    let body = json_body(body)?;
    let decision = leases.request_json(&body).await.map_err(lease_error)?;
    Ok(match decision {
        LeaseDecision::Granted(lease) => {
            let view = crate::lease::view::LeaseView::of(&lease, None);
            (StatusCode::CREATED, Json(view)).into_response()
        }
        LeaseDecision::Queued {
            lease,
            position,
            estimated_wait_ms,
        } => {
            let view = crate::lease::view::LeaseView::of(&lease, Some(position));
            let mut body = serde_json::to_value(view).unwrap_or_else(|_| json!({}));
            body["estimated_wait_seconds"] = json!((estimated_wait_ms + 999) / 1000);
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
        LeaseDecision::Refused(lease, refusal) => ApiError::Coded {
            status: refusal_status(&refusal),
            code: refusal.code(),
            message: refusal.message(),
            lease_id: Some(lease.id),
        }
        .into_response(),
    })
}

/// `GET /api/v1/leases/{id}`.
async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    match service(&state)?.get(&id).await.map_err(lease_error)? {
        Some(view) => Ok(Json(view).into_response()),
        None => Err(ApiError::NotFound(format!("no lease '{id}'"))),
    }
}

/// `DELETE /api/v1/leases/{id}`: releases (or withdraws a queued request).
async fn release(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = service(&state)?.release(&id).await.map_err(lease_error)?;
    Ok(Json(view).into_response())
}

/// `POST /api/v1/leases/{id}/renew` with `{"ttl_seconds": N}`.
async fn renew(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let leases = service(&state)?;
    let body = json_body(body)?;
    let view = leases.renew_json(&id, &body).await.map_err(lease_error)?;
    Ok(Json(view).into_response())
}

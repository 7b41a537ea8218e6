//! A refused request: counted by why, logged without the token, and answered with a sentence
//! that says what the client has to send.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};

use super::peer::unmapped;
use super::policy::{AccessPolicy, AccessVerdict};
use crate::config::Mode;
use crate::web::error::ApiError;

impl AccessPolicy {
    /// Counts and logs a refusal; never the token itself.
    pub(super) fn refused(
        &self,
        verdict: AccessVerdict,
        peer: Option<IpAddr>,
        request: &Request,
    ) -> Response {
        let path: String = request.uri().path().chars().take(120).collect();
        let peer = peer.map(|p| unmapped(p).to_string()).unwrap_or_default();
        let message = match verdict {
            AccessVerdict::WrongToken => {
                self.stats.wrong_token.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%peer, method = %request.method(), %path, "refused: the bearer token does not match");
                "the bearer token does not match: send the API token (access.api_token), or the lease token for /api/v1/leases"
            }
            _ => {
                self.stats.no_token.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%peer, method = %request.method(), %path, "refused: no token");
                match (self.mode, self.token.is_some()) {
                    (Mode::Addon, true) => {
                        "only the Home Assistant Ingress gateway is trusted without a token, processes on this host included: send 'Authorization: Bearer <access.api_token>'"
                    }
                    (Mode::Addon, false) => {
                        "only the Home Assistant Ingress gateway is trusted without a token, processes on this host included: set the access.api_token option to allow other clients"
                    }
                    (Mode::Standalone, true) => {
                        "this address is not trusted: send 'Authorization: Bearer <api token>'"
                    }
                    (Mode::Standalone, false) => {
                        "only loopback may connect without a token; set an API token (--api-token or RM_API_TOKEN) to allow other clients"
                    }
                }
            }
        };
        ApiError::Unauthorized(message.into()).into_response()
    }
}

//! Failures talking to Home Assistant, sorted by what the caller should do.

/// Failures talking to Home Assistant, sorted by what the caller should do.
#[derive(Debug, thiserror::Error)]
pub enum HaError {
    /// Core is starting or restarting (the Supervisor proxy answers 502/503/504 then): wait.
    #[error("Home Assistant is not ready (HTTP {0})")]
    NotReady(u16),
    /// The token was refused: retrying soon will not help, so back off long.
    #[error(
        "Home Assistant refused the token (HTTP {0}); check HA_TOKEN or the add-on's homeassistant_api permission"
    )]
    Unauthorized(u16),
    #[error("Home Assistant refused the token: {0}")]
    AuthInvalid(String),
    #[error("Home Assistant answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("cannot reach Home Assistant: {0}")]
    Unreachable(String),
    #[error("unexpected answer from Home Assistant: {0}")]
    Protocol(String),
    #[error("Home Assistant did not answer in time")]
    Timeout,
}

impl HaError {
    /// Whether this failure is about credentials (long back-off, clear message).
    pub fn is_auth(&self) -> bool {
        matches!(self, HaError::Unauthorized(_) | HaError::AuthInvalid(_))
    }

    pub(crate) fn from_reqwest(err: reqwest::Error) -> HaError {
        if err.is_timeout() {
            HaError::Timeout
        } else {
            HaError::Unreachable(crate::util::error_chain(&err))
        }
    }
}

//! Home Assistant WebSocket link: one session kept alive with back-off ([`run_link`]), which
//! tells the publishers when Core is (again) ready, carries their commands, and delivers the
//! events components subscribe to ([`HaEvents`]) as typed [`HaEvent`]s.

pub mod events;
mod link;
mod session;
pub mod subscribe;

use serde_json::Value;
use tokio::sync::oneshot;

pub use events::{EventContext, EventData, EventOrigin, HaEvent, HaState, StateChanged};
pub use link::run_link;
pub use session::Session;
pub use subscribe::{HaEventReceiver, HaEventStats, HaEvents};

use super::HaError;

/// Whether Core is ready for states, and a counter that grows each time it becomes ready
/// (after a (re)connect or a `homeassistant_started` event): the publisher republishes all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    pub generation: u64,
}

/// A command for Home Assistant sent over the live session.
pub struct WsRequest {
    pub command: Value,
    pub reply: oneshot::Sender<Result<Value, HaError>>,
}

//! Home Assistant WebSocket link: one session kept alive with back-off ([`run_link`]), which
//! tells the publishers when Core is (again) ready, carries their commands, and delivers the
//! events components subscribe to ([`HaEvents`]) as typed [`HaEvent`]s. Core's readiness as
//! the publishers follow it is in `ready.rs`.

pub mod events;
mod link;
mod ready;
mod session;
pub mod subscribe;

pub use events::{EventContext, EventData, EventOrigin, HaEvent, HaState, StateChanged};
pub use link::{WsRequest, run_link};
pub use ready::{Readiness, ReadyWatch};
pub use session::Session;
pub use subscribe::{HaEventReceiver, HaEventStats, HaEvents};

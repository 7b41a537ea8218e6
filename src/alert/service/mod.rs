//! The alert task and its handle: feeds every snapshot to the engine, stores incidents on
//! transitions, logs each transition, and emits it (onto the event bus, which `app.rs` wires;
//! the Home Assistant publisher subscribes there). The dashboard reads the pending and firing states from a `watch` the handle
//! republishes after every tick, so its per-tick cost is a pointer copy, not the engine's lock.
//!
//! - `handle.rs`: [`AlertHandle`], what the rest of the app asks of the alerts.
//! - `record.rs`: how transitions are logged, stored and handed on.
//! - `task.rs`: the task ([`run`]) that feeds the engine.

mod handle;
mod record;
mod task;

pub use handle::{AlertError, AlertHandle};
pub use task::run;

#[cfg(test)]
mod tests;

//! Home Assistant Core: REST client, WebSocket session, and the entity publisher.
//!
//! The model does not know Home Assistant exists: the publisher reads snapshots and translates
//! them to entities. Home Assistant being away never stops collection; the publisher keeps only
//! the latest value of each entity, so nothing queues up while it is gone.
//!
//! Beside the publishers: `error.rs` ([`HaError`]), `status.rs` ([`HaLinkStatus`]) and
//! `tasks.rs` ([`start`], which spawns the link and every publisher).

pub mod advice;
pub mod alerts;
pub mod entities;
mod error;
pub mod history;
pub mod leases;
pub mod mqtt;
pub mod plan;
pub mod publisher;
pub mod rest;
pub mod statistics;
mod status;
mod tasks;
pub mod ws;

pub use error::HaError;
pub use status::{HaLinkStatus, MqttStatus};
pub use tasks::{HaStart, HaTasks, MqttStart, start};

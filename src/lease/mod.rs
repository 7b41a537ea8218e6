//! Resource leases (admission control): a job asks first for CPU, memory and named slots for a
//! while, at a priority, and is granted, queued or refused with a reason. Leases are
//! cooperative: nothing is throttled by force; overruns are made visible instead.
//!
//! - [`types`]: priorities, amounts, capacity, requests and leases (plain data).
//! - [`request`]: the one reader of a request, for the REST body and Home Assistant events.
//! - [`manager`]: the pure state machine (queue with ageing, TTLs, preemption), driven by times
//!   it is given.
//! - [`service`]: the running manager: the app's clock, SQLite persistence (group commit),
//!   announcements on the bus, the timer that applies expiries.
//! - [`tasks`]: the writer (group commit, then announcements) and the timer (expiries,
//!   snapshots, trimming).
//! - [`overrun`]: add-on holders measured against what they leased.
//! - [`jobs`]: the engine's own heavy jobs take `low` leases through the same manager.
//! - [`start`](mod@start): the service opened, then its tasks started, for the app.
//!
//! See docs/adr/0011-resource-leases.md.

pub mod capacity;
pub mod jobs;
pub mod manager;
pub mod overrun;
pub mod request;
pub mod rows;
pub mod service;
pub mod start;
pub mod tasks;
pub mod types;
pub mod view;

pub use manager::{LeaseDecision, LeaseOpError, LeaseRefusal, LeaseUpdate, Manager, Saved};
pub use request::RequestError;
pub use service::{LeaseService, ServiceError};
pub use start::{LeaseTasks, OpenLeases, open};
pub use types::{Amounts, Capacity, Lease, LeasePolicy, LeaseState, Priority, Request};

//! Alerts: rules with thresholds, a `for` window, hysteresis and a cooldown, evaluated on every
//! snapshot; incidents stored on transitions only; transitions offered to publishers.
//!
//! - [`defaults`], [`catalog`], [`rule`], [`duration`]: what the rules are. They live in
//!   `crate::config::alert_rules` with the option that names them (the options are read before
//!   anything runs, and `config` sits below `alert`); re-exported here under their usual paths.
//! - [`engine`] (with [`window`]): the lifecycle, pure and clocked by its caller.
//! - [`transition`]: what the engine tells the world; the Home Assistant seam.
//! - [`service`]: the task that feeds the engine, stores incidents and logs transitions.
//! - [`start`](mod@start): the handle and the service, started for the app.
//!
//! Why the rules work the way they do: docs/adr/0003-alerting.md.

pub mod engine;
pub mod service;
pub mod start;
pub mod transition;
pub mod window;

pub use crate::config::alert_rules::{RuleSet, catalog, defaults, duration, rule};
pub use engine::{AckOutcome, AlertEngine, Reading};
pub use rule::{Direction, Level, Rule, RuleSource, Severity};
pub use service::{AlertError, AlertHandle};
pub use start::{Alerts, start};
pub use transition::{
    AlertState, AlertTransition, Incident, IncidentResolution, Status, TransitionKind,
};

//! Resource Manager: watches the resources of the box Home Assistant runs on, keeps their
//! history in SQLite and serves it over HTTP.

pub mod advice;
pub mod alert;
pub mod analysis;
pub mod app;
pub mod bus;
pub mod collect;
pub mod config;
pub mod event;
pub mod ha;
pub mod lease;
pub mod logging;
pub mod model;
pub mod publish;
pub mod store;
pub mod supervisor;
pub mod util;
pub mod web;

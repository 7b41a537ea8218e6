//! Translation of series to Home Assistant sensor entities (pure: no I/O).
//!
//! - `sensor.rs`: one series as a sensor ([`Entity`], [`entity_id`], [`sensor`]).
//! - `own.rs`: the engine's own sensors (status, top add-ons, engine mode, satisfaction).
//! - `catalogue.rs`: every entity the options ask for ([`entities`]).

mod catalogue;
mod own;
mod sensor;

pub use catalogue::entities;
pub use own::{engine_mode_sensor, satisfaction_sensor, status_sensor};
pub use sensor::{Entity, entity_id, sensor, state_text};

#[cfg(test)]
mod tests;

//! Translations of the model to the outside world.

pub mod prometheus;
pub mod remote_write;

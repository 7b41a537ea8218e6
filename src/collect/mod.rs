//! Collectors and the engine that ticks them.
//!
//! Collectors are pure readers: they own no loop, no storage and no policy. The engine owns the
//! intervals, stamps every sample of a tick with one timestamp, marks failing sources degraded
//! adds the derived series ([`derive`]) and hands the snapshot to its subscribers without ever
//! waiting on them.

pub mod cpu;
pub mod derive;
pub mod disk;
pub mod memory;
pub mod network;
pub mod own_writes;
pub mod power;
pub mod pressure;
pub mod processes;
pub mod procfs;
pub mod remote;
pub mod scaling;
pub mod storage;
pub mod supervisor;
pub mod system;
pub mod thermal;
pub mod views;

mod collector;
mod engine;
mod start;
mod stats;
mod ticker;

pub use collector::{CollectError, Collector, Tick};
pub use engine::{Engine, host_collectors};
pub use start::{Collection, CollectionParts, start};
pub use stats::{TickStats, thread_cpu_time};
pub use ticker::{Outputs, run};

#[cfg(test)]
mod tests;

//! The data model shared by collectors, the store and the publishers.

pub mod host;
pub mod registry;
mod series;
mod severity;
mod snapshot;
mod time;
mod unit;

pub use series::{Kind, Sample, SeriesMeta};
pub use severity::Severity;
pub use snapshot::{ProcessInfo, Snapshot, SourceHealth, TopProcesses, View, Views};
pub use time::{UtcTime, civil_from_days, format_utc_minute};
pub use unit::Unit;

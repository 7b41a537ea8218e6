//! The `source` label every power series carries, `measured` or `modelled`, so each consumer
//! can say which it shows.

use crate::model::Sample;

/// The `source` label of measured power.
pub const MEASURED: &str = "measured";
/// The `source` label of modelled power.
pub const MODELLED: &str = "modelled";

/// The `source` label of a sample (`measured`/`modelled`), if it has one.
pub fn source_of(sample: &Sample) -> Option<&str> {
    sample
        .series
        .labels
        .iter()
        .find(|(k, _)| *k == "source")
        .map(|(_, v)| v.as_str())
}

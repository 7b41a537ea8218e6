//! One point of a history, as readers get it.

use serde::Serialize;

/// One point of a history. Rollup points carry min, max and the count of raw samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Unix seconds (start of the bucket for rollups).
    pub t: f64,
    /// The value (the mean for rollups).
    pub v: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
}

//! What every rule uses: the latest value of a series, a host memory share, numbers and
//! durations in words, and a fresh open recommendation to fill in.

use super::inputs::{AdviceInputs, Latest};
use crate::advice::types::{AdviceKind, AdviceState, Recommendation, Saving, make_id};

use crate::util::time::DAY_SECS_F64;

pub(super) use crate::util::format_bytes;

pub(super) fn duration(seconds: f64) -> String {
    if seconds >= 2.0 * DAY_SECS_F64 {
        format!("{:.0} days", seconds / DAY_SECS_F64)
    } else if seconds >= 7200.0 {
        format!("{:.0} hours", seconds / 3600.0)
    } else {
        format!("{:.0} minutes", (seconds / 60.0).max(1.0))
    }
}

pub(super) fn get(latest: &Latest, id: &str) -> Option<f64> {
    latest.get(id).copied().filter(|v| v.is_finite())
}

pub(super) fn rec(kind: AdviceKind, target: &str, title: String) -> Recommendation {
    Recommendation {
        id: make_id(kind, target),
        kind,
        target: target.to_string(),
        title,
        evidence: Vec::new(),
        saving: Saving::default(),
        confidence: 0.5,
        action: None,
        state: AdviceState::Open,
        snoozed_until_ms: None,
        snippet: None,
    }
}

pub(super) fn host_memory_percent(input: &AdviceInputs<'_>, bytes: f64) -> Option<f64> {
    get(input.latest, "memory.total_bytes")
        .filter(|t| *t > 0.0)
        .map(|t| bytes / t * 100.0)
}

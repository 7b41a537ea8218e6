//! Values other parts keep in `store_state` (the energy counter), saved with a batch of ticks
//! instead of a commit of their own: the page they live on is then written at most every
//! [`STATE_EVERY_MS`], and each part learns what is on disk so it never shows more than that.

use std::sync::{Arc, Mutex};

use crate::util::lock;

/// Least time between two saves of the values riding on batches (a clean stop saves at once).
pub const STATE_EVERY_MS: i64 = 10 * 60_000;

/// A value saved with the batches. The store sits below its owners, so they reach it through
/// this trait (wired in `app`).
pub trait DurableValue: Send + Sync {
    /// Its key in `store_state`.
    fn key(&self) -> &'static str;
    /// The value to save now.
    fn current(&self) -> i64;
    /// `value` is on disk (committed).
    fn saved(&self, value: i64);
}

/// The registered values and when they were last saved.
#[derive(Default)]
pub(super) struct DurableValues {
    values: Mutex<Vec<Arc<dyn DurableValue>>>,
    last_saved_ms: Mutex<Option<i64>>,
}

impl std::fmt::Debug for DurableValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DurableValues")
            .field("values", &lock(&self.values).len())
            .field("last_saved_ms", &*lock(&self.last_saved_ms))
            .finish()
    }
}

impl DurableValues {
    pub(super) fn register(&self, value: Arc<dyn DurableValue>) {
        lock(&self.values).push(value);
    }

    /// The values to write now with a batch at `now_ms` (all of them when `force`), or none.
    pub(super) fn due(&self, now_ms: i64, force: bool) -> Vec<(Arc<dyn DurableValue>, i64)> {
        let last = *lock(&self.last_saved_ms);
        let due = force || last.is_none_or(|at| now_ms - at >= STATE_EVERY_MS);
        if !due {
            return Vec::new();
        }
        lock(&self.values)
            .iter()
            .map(|v| (v.clone(), v.current()))
            .collect()
    }

    /// The values written at `now_ms` are committed.
    pub(super) fn committed(&self, written: &[(Arc<dyn DurableValue>, i64)], now_ms: i64) {
        if written.is_empty() {
            return;
        }
        *lock(&self.last_saved_ms) = Some(now_ms);
        for (value, saved) in written {
            value.saved(*saved);
        }
    }
}

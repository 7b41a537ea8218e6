//! Series that change once per walk of the data disk (`registry::stored_once_per_walk`): the
//! collector repeats them in every tick for the live views, and the writer keeps a value only
//! when it changed or an hour after the last one kept, so each has about a point an hour.

use std::collections::HashMap;

use crate::util::time::HOUR_MS;

/// The last value kept of each such series (by store id) and when.
#[derive(Debug, Default, Clone)]
pub(super) struct OncePerWalk(HashMap<u32, (f32, i64)>);

impl OncePerWalk {
    /// Whether to keep `value` of series `id` at `ts_ms`; a kept value is remembered.
    pub(super) fn keep(&mut self, id: u32, value: f32, ts_ms: i64) -> bool {
        match self.0.get(&id) {
            Some(&(last, at)) if last == value && ts_ms - at < HOUR_MS && ts_ms >= at => false,
            _ => {
                self.0.insert(id, (value, ts_ms));
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_kept_when_it_changes_or_an_hour_after_the_last_kept() {
        let mut once = OncePerWalk::default();
        assert!(once.keep(1, 5.0, 0), "the first value");
        assert!(!once.keep(1, 5.0, 5_000), "the same, seconds later");
        assert!(once.keep(2, 5.0, 5_000), "another series");
        assert!(once.keep(1, 6.0, 10_000), "changed");
        assert!(!once.keep(1, 6.0, 10_000 + HOUR_MS - 1));
        assert!(once.keep(1, 6.0, 10_000 + HOUR_MS), "an hour on");
        assert!(once.keep(1, 6.0, 0), "a clock stepped back keeps it");
    }
}

//! Series kept on change ([`registry::Storing::OnChange`](crate::model::registry::Storing)):
//! the collector repeats them in every tick for the live views and alert rules, and the writer
//! keeps a value only when it changed or an hour after the last one kept, so one that stays put
//! has about a point an hour.

use std::collections::HashMap;

use crate::util::time::HOUR_MS;

/// The last value kept of each such series (by store id) and when.
#[derive(Debug, Default, Clone)]
pub(super) struct OnChange(HashMap<u32, (f32, i64)>);

impl OnChange {
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
        let mut kept = OnChange::default();
        assert!(kept.keep(1, 5.0, 0), "the first value");
        assert!(!kept.keep(1, 5.0, 5_000), "the same, seconds later");
        assert!(kept.keep(2, 5.0, 5_000), "another series");
        assert!(kept.keep(1, 6.0, 10_000), "changed");
        assert!(!kept.keep(1, 6.0, 10_000 + HOUR_MS - 1));
        assert!(kept.keep(1, 6.0, 10_000 + HOUR_MS), "an hour on");
        assert!(kept.keep(1, 6.0, 0), "a clock stepped back keeps it");
    }
}

//! Which tracks a series id feeds. Snapshots list their series in the same order every tick,
//! so the i-th reading is first checked against the i-th of the previous tick: one string
//! comparison instead of a hash per reading; the map is the fallback.

use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub(super) struct Routes {
    /// Series id and the tracks it feeds (empty for series no rule watches).
    slots: Vec<(String, Vec<usize>)>,
    by_id: HashMap<String, usize>,
    /// Slot of each position in the previous tick's readings.
    order: Vec<usize>,
}

impl Routes {
    /// The tracks of `id`, read as the `position`-th reading of a tick; `None` if never routed.
    pub(super) fn find(&mut self, position: usize, id: &str) -> Option<usize> {
        if let Some(&slot) = self.order.get(position)
            && self.slots[slot].0 == id
        {
            return Some(slot);
        }
        let slot = *self.by_id.get(id)?;
        self.remember(position, slot);
        Some(slot)
    }

    /// Records the tracks of a new series id; returns its slot.
    pub(super) fn insert(&mut self, position: usize, id: &str, tracks: Vec<usize>) -> usize {
        let slot = self.slots.len();
        self.slots.push((id.to_string(), tracks));
        self.by_id.insert(id.to_string(), slot);
        self.remember(position, slot);
        slot
    }

    /// The tracks of a slot.
    pub(super) fn tracks(&self, slot: usize) -> &[usize] {
        &self.slots[slot].1
    }

    fn remember(&mut self, position: usize, slot: usize) {
        match position.cmp(&self.order.len()) {
            std::cmp::Ordering::Less => self.order[position] = slot,
            std::cmp::Ordering::Equal => self.order.push(slot),
            // A gap (readings skipped): keep the fast path for the positions known.
            std::cmp::Ordering::Greater => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_position_then_by_id_when_the_order_changes() {
        let mut routes = Routes::default();
        assert_eq!(routes.find(0, "a"), None);
        let a = routes.insert(0, "a", vec![1]);
        let b = routes.insert(1, "b", vec![]);
        assert_eq!(routes.find(0, "a"), Some(a));
        assert_eq!(routes.find(0, "b"), Some(b), "reordered: found by id");
        assert_eq!(routes.find(1, "a"), Some(a));
        assert_eq!(
            routes.find(0, "b"),
            Some(b),
            "and remembered at the new position"
        );
        assert_eq!(routes.tracks(a), &[1]);
    }
}

//! Counting: writes and estimated bytes per UTC day and entity, bounded to the days kept, and
//! the rows that go to the store and come back from it.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::store::ChurnRow;

/// Bytes of one `states` row with its indexes, besides the state text (ids, three
/// timestamps, the context ids, the metadata and old-state links).
pub const ROW_BYTES: u64 = 150;
/// Bytes of one `state_attributes` row besides its JSON (id, hash, index entry).
pub const ATTRIBUTES_ROW_BYTES: u64 = 40;
/// Days of churn kept and ranked.
pub const DAYS_KEPT: i64 = 7;
use crate::util::time::DAY_MS;

/// Writes and estimated bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    pub writes: u64,
    pub bytes: u64,
}

/// Counts per UTC day and entity; cheap per event (no allocation for a known entity).
#[derive(Debug, Clone, Default)]
pub struct ChurnCounter {
    pub(super) days: BTreeMap<i64, HashMap<String, Count>>,
    /// When counting began (Unix ms): the ranking's rates are over the time watched.
    pub(super) since_ms: Option<i64>,
    /// Days changed since the last [`Self::take_dirty`].
    dirty: BTreeMap<i64, ()>,
}

/// The estimated bytes one state change adds.
pub fn estimate_bytes(state_len: usize, attributes_changed: bool, attributes_len: usize) -> u64 {
    let attributes = if attributes_changed {
        ATTRIBUTES_ROW_BYTES + attributes_len as u64
    } else {
        0
    };
    ROW_BYTES + state_len as u64 + attributes
}

impl ChurnCounter {
    /// Counts one state change of `entity_id` at `at_ms` adding `bytes`.
    pub fn observe(&mut self, entity_id: &str, at_ms: i64, bytes: u64) {
        let day = at_ms.div_euclid(DAY_MS);
        self.since_ms.get_or_insert(at_ms);
        let entities = self.days.entry(day).or_default();
        match entities.get_mut(entity_id) {
            Some(count) => {
                count.writes += 1;
                count.bytes += bytes;
            }
            None => {
                entities.insert(entity_id.to_string(), Count { writes: 1, bytes });
            }
        }
        self.dirty.insert(day, ());
        // Old days go as a new one starts, so memory stays bounded.
        while self.days.len() as i64 > DAYS_KEPT {
            self.days.pop_first();
        }
    }

    /// Loads stored days (at start), counting from `since_ms` (the oldest stored day's start).
    pub fn restore(&mut self, rows: &[ChurnRow]) {
        for row in rows {
            let count = Count {
                writes: row.writes.max(0) as u64,
                bytes: row.bytes.max(0) as u64,
            };
            self.days
                .entry(row.day)
                .or_default()
                .insert(row.entity_id.clone(), count);
            let start = row.day * DAY_MS;
            if self.since_ms.is_none_or(|s| start < s) {
                self.since_ms = Some(start);
            }
        }
    }

    /// The day totals changed since the last call, to be stored.
    pub fn take_dirty(&mut self) -> Vec<ChurnRow> {
        let dirty = std::mem::take(&mut self.dirty);
        let mut rows = Vec::new();
        for day in dirty.keys() {
            if let Some(entities) = self.days.get(day) {
                rows.extend(entities.iter().map(|(entity, c)| ChurnRow {
                    day: *day,
                    entity_id: entity.clone(),
                    writes: c.writes as i64,
                    bytes: c.bytes as i64,
                }));
            }
        }
        rows
    }

    /// Total writes counted.
    pub fn total_writes(&self) -> u64 {
        self.days
            .values()
            .flat_map(|d| d.values())
            .map(|c| c.writes)
            .sum()
    }
}

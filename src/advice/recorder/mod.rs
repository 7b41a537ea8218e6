//! Recorder bloat: which entities write the most states into Home Assistant's database.
//!
//! Every `state_changed` event becomes one row of the recorder's `states` table (unless the
//! entity is already excluded, which events cannot tell), plus a `state_attributes` row when
//! the attributes changed (identical attributes are shared). The byte estimate follows that
//! shape: a fixed row and index cost, the state text, and the attributes' JSON when they
//! changed. It is an estimate to rank entities, not a measurement of the file.

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
/// An entity is chatty from this many writes per day (one a minute).
pub const CHATTY_PER_DAY: f64 = 1440.0;
/// Fewest writes before an entity can count as chatty, whatever its rate.
pub const CHATTY_MIN_WRITES: u64 = 10;
/// Shortest time the daily rates are extrapolated from.
const MIN_WATCH_MS: i64 = 10 * 60_000;
/// Entities listed in the ranking and the snippet at most.
pub const TOP: usize = 20;
/// Entities sharing a name stem that become one glob in the snippet.
const GLOB_FROM: usize = 3;
const DAY_MS: i64 = 86_400_000;

/// Writes and estimated bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    pub writes: u64,
    pub bytes: u64,
}

/// Counts per UTC day and entity; cheap per event (no allocation for a known entity).
#[derive(Debug, Clone, Default)]
pub struct ChurnCounter {
    days: BTreeMap<i64, HashMap<String, Count>>,
    /// When counting began (Unix ms): the ranking's rates are over the time watched.
    since_ms: Option<i64>,
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

    /// The ranking at `now_ms`.
    pub fn report(&self, now_ms: i64) -> ChurnReport {
        let mut per_entity: HashMap<&str, Count> = HashMap::new();
        for entities in self.days.values() {
            for (entity, c) in entities {
                let total = per_entity.entry(entity.as_str()).or_default();
                total.writes += c.writes;
                total.bytes += c.bytes;
            }
        }
        let watched_ms = self.since_ms.map_or(0, |s| (now_ms - s).max(0));
        // Not from less than ten minutes, so a first burst is not extrapolated to absurd rates.
        let per_day = DAY_MS as f64 / watched_ms.max(MIN_WATCH_MS) as f64;
        let mut entities: Vec<EntityChurn> = per_entity
            .into_iter()
            .map(|(entity_id, c)| EntityChurn {
                domain: domain(entity_id).to_string(),
                entity_id: entity_id.to_string(),
                writes: c.writes,
                bytes: c.bytes,
                writes_per_day: c.writes as f64 * per_day,
                bytes_per_day: c.bytes as f64 * per_day,
            })
            .collect();
        entities.sort_by(|a, b| {
            b.writes
                .cmp(&a.writes)
                .then(b.bytes.cmp(&a.bytes))
                .then(a.entity_id.cmp(&b.entity_id))
        });
        let mut domains: BTreeMap<&str, DomainChurn> = BTreeMap::new();
        for e in &entities {
            let d = domains.entry(&e.domain).or_insert_with(|| DomainChurn {
                domain: e.domain.clone(),
                entities: 0,
                writes: 0,
                bytes: 0,
                writes_per_day: 0.0,
            });
            d.entities += 1;
            d.writes += e.writes;
            d.bytes += e.bytes;
            d.writes_per_day += e.writes_per_day;
        }
        let mut domains: Vec<DomainChurn> = domains.into_values().collect();
        domains.sort_by(|a, b| b.writes.cmp(&a.writes).then(a.domain.cmp(&b.domain)));
        let total_writes = entities.iter().map(|e| e.writes).sum();
        let chatty: Vec<&EntityChurn> = entities
            .iter()
            .filter(|e| e.writes_per_day >= CHATTY_PER_DAY && e.writes >= CHATTY_MIN_WRITES)
            .take(TOP)
            .collect();
        let snippet = (!chatty.is_empty()).then(|| snippet(&chatty));
        let chatty_bytes_per_day = chatty.iter().map(|e| e.bytes_per_day).sum();
        let chatty_count = chatty.len();
        entities.truncate(TOP);
        ChurnReport {
            watched_seconds: watched_ms / 1000,
            total_writes,
            entities,
            domains,
            chatty: chatty_count,
            chatty_bytes_per_day,
            snippet,
        }
    }
}

/// One entity's churn over the days kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityChurn {
    pub entity_id: String,
    pub domain: String,
    pub writes: u64,
    pub bytes: u64,
    pub writes_per_day: f64,
    pub bytes_per_day: f64,
}

/// One domain's churn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainChurn {
    pub domain: String,
    pub entities: usize,
    pub writes: u64,
    pub bytes: u64,
    pub writes_per_day: f64,
}

/// The ranking: top entities, domains, and the snippet excluding the chatty ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChurnReport {
    pub watched_seconds: i64,
    pub total_writes: u64,
    /// The top entities by writes, most first.
    pub entities: Vec<EntityChurn>,
    pub domains: Vec<DomainChurn>,
    /// Entities at or above [`CHATTY_PER_DAY`] (at most [`TOP`]).
    pub chatty: usize,
    pub chatty_bytes_per_day: f64,
    /// `recorder: exclude:` YAML for the chatty entities.
    pub snippet: Option<String>,
}

fn domain(entity_id: &str) -> &str {
    entity_id.split_once('.').map_or(entity_id, |(d, _)| d)
}

/// The globs an entity fits with one `_`-separated word of its object id replaced by `*`:
/// `sensor.plug_1_power` → `sensor.*_1_power`, `sensor.plug_*_power`, `sensor.plug_1_*`.
fn patterns(entity_id: &str) -> Vec<String> {
    let Some((domain, object)) = entity_id.split_once('.') else {
        return Vec::new();
    };
    let words: Vec<&str> = object.split('_').collect();
    if words.len() < 2 {
        return Vec::new();
    }
    (0..words.len())
        .map(|i| {
            let mut w = words.clone();
            w[i] = "*";
            format!("{domain}.{}", w.join("_"))
        })
        .collect()
}

/// Entity ids are `domain.object_id` of `a-z0-9_`; anything else is left out of the YAML
/// rather than quoted wrongly.
fn yaml_safe(entity_id: &str) -> bool {
    let Some((d, o)) = entity_id.split_once('.') else {
        return false;
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    ok(d) && ok(o)
}

/// The `recorder: exclude:` YAML: a glob where several chatty entities differ in one word
/// only, the rest by name.
fn snippet(chatty: &[&EntityChurn]) -> String {
    let safe: Vec<&str> = chatty
        .iter()
        .map(|e| e.entity_id.as_str())
        .filter(|e| yaml_safe(e))
        .collect();
    let mut shared: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for e in &safe {
        for p in patterns(e) {
            shared.entry(p).or_default().push(e);
        }
    }
    // Largest groups first; each entity is covered once.
    let mut groups: Vec<(String, Vec<&str>)> = shared
        .into_iter()
        .filter(|(_, members)| members.len() >= GLOB_FROM)
        .collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let mut covered: Vec<&str> = Vec::new();
    let mut globs: Vec<String> = Vec::new();
    for (pattern, members) in groups {
        let fresh: Vec<&str> = members
            .iter()
            .copied()
            .filter(|m| !covered.contains(m))
            .collect();
        if fresh.len() >= GLOB_FROM {
            covered.extend(fresh);
            globs.push(pattern);
        }
    }
    globs.sort();
    let mut entities: Vec<&str> = safe
        .iter()
        .copied()
        .filter(|e| !covered.contains(e))
        .collect();
    entities.sort_unstable();
    let mut out = String::from("recorder:\n  exclude:\n");
    if !globs.is_empty() {
        out.push_str("    entity_globs:\n");
        for g in &globs {
            out.push_str(&format!("      - \"{g}\"\n"));
        }
    }
    if !entities.is_empty() {
        out.push_str("    entities:\n");
        for e in &entities {
            out.push_str(&format!("      - {e}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_780_000_000_000;

    #[test]
    fn the_chattiest_entity_ranks_first_and_gets_excluded() {
        let mut c = ChurnCounter::default();
        for i in 0..600 {
            c.observe(
                "sensor.grid_power",
                T0 + i * 100,
                estimate_bytes(4, false, 0),
            );
        }
        for i in 0..3 {
            c.observe(
                "light.kitchen",
                T0 + i * 10_000,
                estimate_bytes(2, true, 120),
            );
        }
        let r = c.report(T0 + 60_000);
        assert_eq!(r.entities[0].entity_id, "sensor.grid_power");
        assert_eq!(r.entities[0].writes, 600);
        assert_eq!(r.entities[1].entity_id, "light.kitchen");
        assert_eq!(r.domains[0].domain, "sensor");
        assert_eq!(r.chatty, 1, "{r:?}");
        assert_eq!(
            r.snippet.as_deref(),
            Some("recorder:\n  exclude:\n    entities:\n      - sensor.grid_power\n")
        );
        assert_eq!(r.total_writes, 603);
    }

    #[test]
    fn entities_sharing_a_stem_become_one_glob() {
        let mut c = ChurnCounter::default();
        for name in [
            "sensor.plug_1_power",
            "sensor.plug_2_power",
            "sensor.plug_3_power",
        ] {
            for i in 0..100 {
                c.observe(name, T0 + i, 200);
            }
        }
        for name in [
            "sensor.plug_a_energy",
            "sensor.plug_b_energy",
            "sensor.plug_c_energy",
        ] {
            c.observe(name, T0, 200);
        }
        for i in 0..100 {
            c.observe("sensor.lonely", T0 + i, 200);
        }
        let r = c.report(T0 + 60_000);
        let yaml = r.snippet.expect("snippet");
        assert!(
            yaml.contains("    entity_globs:\n      - \"sensor.plug_*_power\"\n"),
            "{yaml}"
        );
        assert!(!yaml.contains("plug_1"), "covered by the glob: {yaml}");
        assert!(yaml.contains("      - sensor.lonely\n"), "{yaml}");
        assert!(
            !yaml.contains("energy"),
            "rarely written entities stay: {yaml}"
        );
    }

    #[test]
    fn a_healthy_house_gets_no_snippet() {
        let mut c = ChurnCounter::default();
        for i in 0..20 {
            c.observe("sensor.temperature", T0 + i * 600_000, 160);
        }
        let r = c.report(T0 + 86_400_000);
        assert_eq!(r.chatty, 0);
        assert!(r.snippet.is_none());
    }

    #[test]
    fn days_are_kept_stored_and_restored() {
        let mut c = ChurnCounter::default();
        c.observe("sensor.a", T0, 100);
        c.observe("sensor.a", T0 + DAY_MS, 100);
        let rows = c.take_dirty();
        assert_eq!(rows.len(), 2);
        assert!(c.take_dirty().is_empty());
        let mut back = ChurnCounter::default();
        back.restore(&rows);
        assert_eq!(back.total_writes(), 2);
        for d in 0..(DAYS_KEPT + 3) {
            c.observe("sensor.a", T0 + d * DAY_MS, 1);
        }
        assert!(c.days.len() as i64 <= DAYS_KEPT);
    }

    proptest! {
        #[test]
        fn the_ranking_counts_every_event_and_is_ordered(events in proptest::collection::vec((0usize..6, 0i64..200_000_000, 1u64..500), 0..300)) {
            let names = ["sensor.a", "sensor.b_x", "light.c", "switch.d_y", "sensor.e", "binary_sensor.f"];
            let mut c = ChurnCounter::default();
            for (n, t, b) in &events {
                c.observe(names[*n], T0 + t, *b);
            }
            let r = c.report(T0 + 300_000_000);
            prop_assert_eq!(r.total_writes, events.len() as u64);
            prop_assert!(r.entities.windows(2).all(|w| w[0].writes >= w[1].writes));
            let domain_total: u64 = r.domains.iter().map(|d| d.writes).sum();
            prop_assert_eq!(domain_total, events.len() as u64);
            if let Some(yaml) = r.snippet {
                prop_assert!(yaml.starts_with("recorder:\n  exclude:\n"));
            }
        }
    }
}

//! The ranking: the top entities and domains by writes, which of them are chatty, and the
//! `recorder: exclude:` snippet for those (a glob where several differ in one word only).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::counter::{ChurnCounter, Count};
use crate::util::time::DAY_MS;

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

impl ChurnCounter {
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

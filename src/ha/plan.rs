//! What the entity publisher sends: changed values (past a deadband, or gone stale), big moves
//! at once. Pure: it is handed the time, so it is tested without Home Assistant or a clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::entities::Entity;
use super::rest::EntityState;

/// What was last sent for an entity.
#[derive(Debug, Clone)]
pub(super) struct Sent {
    pub(super) value: f64,
    pub(super) state: EntityState,
    pub(super) at: Instant,
}

/// A regular publication skips moves smaller than this share of the unit's scale…
const REGULAR_DEADBAND: f64 = 0.01;
/// …unless the entity has not been sent for this long: slow drifts still land, and an unchanged
/// state is sent again, so one that another writer overwrote in Home Assistant (a second
/// instance marking it `unavailable` at its stop, a hand-made `POST /api/states`) is set right.
pub(super) const STALE_AFTER: Duration = Duration::from_secs(600);

/// The natural scale of an entity's unit, so small values do not look like big moves.
fn scale(entity: &Entity, last: f64) -> f64 {
    let unit = entity
        .state
        .attributes
        .get("unit_of_measurement")
        .and_then(|u| u.as_str())
        .unwrap_or("");
    let floor = match unit {
        "%" => 100.0,
        "°C" => 50.0,
        "kB/s" => 1e6,
        // Unitless: load averages and counters.
        "" => 10.0,
        _ => 1.0,
    };
    last.abs().max(floor)
}

/// Decides what to send (pure; tested without Home Assistant).
#[derive(Debug, Default)]
pub struct PublishPlan {
    pub(super) sent: HashMap<String, Sent>,
}

impl PublishPlan {
    /// Entities whose state or attributes differ from what Home Assistant has.
    pub fn changed(&self, all: Vec<Entity>, now: Instant) -> Vec<Entity> {
        all.into_iter()
            .filter(|e| match self.sent.get(&e.entity_id) {
                None => true,
                Some(s) if now.duration_since(s.at) >= STALE_AFTER => true,
                Some(s) if s.state == e.state => false,
                // Text states (ok/degraded) and attributes always go out.
                Some(s) if !e.value.is_finite() || !s.value.is_finite() => true,
                Some(s) if s.state.attributes != e.state.attributes => true,
                Some(s) => (e.value - s.value).abs() >= REGULAR_DEADBAND * scale(e, s.value),
            })
            .collect()
    }

    /// Entities whose value moved by more than `share` of the larger of its last published
    /// value and the unit's natural scale (so 2 % → 3 % CPU is not "a 50 % move").
    pub fn moved(&self, all: Vec<Entity>, share: f64) -> Vec<Entity> {
        if share <= 0.0 {
            return Vec::new();
        }
        all.into_iter()
            .filter(|e| match self.sent.get(&e.entity_id) {
                None => true,
                Some(s) => {
                    s.state.state != e.state.state
                        && (e.value - s.value).abs() > share * scale(e, s.value)
                }
            })
            .collect()
    }

    /// Notes what Home Assistant now has for `entity`.
    pub(super) fn record(&mut self, entity: &Entity, now: Instant) {
        self.sent.insert(
            entity.entity_id.clone(),
            Sent {
                value: entity.value,
                state: entity.state.clone(),
                at: now,
            },
        );
    }

    /// Forget everything: the next cycle sends all (Core restarted).
    pub fn forget(&mut self) {
        self.sent.clear();
    }

    /// Number of entities Home Assistant has from us.
    pub fn len(&self) -> usize {
        self.sent.len()
    }

    /// Whether nothing was published yet.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ha::entities::sensor;
    use crate::model::{SeriesMeta, Unit};

    #[test]
    fn unchanged_values_are_not_sent_again() {
        let cpu = SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU");
        let mut plan = PublishPlan::default();
        let first = vec![sensor("rm", &cpu, 10.0)];
        let t0 = Instant::now();
        assert_eq!(plan.changed(first.clone(), t0).len(), 1);
        plan.record(&first[0], t0);
        assert!(
            plan.changed(vec![sensor("rm", &cpu, 10.04)], t0).is_empty(),
            "same rounded state"
        );
        assert!(
            plan.changed(vec![sensor("rm", &cpu, 10.6)], t0).is_empty(),
            "under the 1-point deadband"
        );
        assert_eq!(plan.changed(vec![sensor("rm", &cpu, 11.2)], t0).len(), 1);
        let later = t0 + STALE_AFTER;
        assert_eq!(
            plan.changed(vec![sensor("rm", &cpu, 10.6)], later).len(),
            1,
            "a small drift goes out once the entity is stale"
        );
        assert_eq!(
            plan.changed(first, later).len(),
            1,
            "an unchanged state is sent again once stale"
        );
    }

    #[test]
    fn only_big_moves_are_sent_at_once() {
        let cpu = SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU");
        let mem = SeriesMeta::global("memory", "used_bytes", Unit::Bytes, "Mem");
        let mut plan = PublishPlan::default();
        let t0 = Instant::now();
        plan.record(&sensor("rm", &cpu, 2.0), t0);
        plan.record(&sensor("rm", &mem, 1e9), t0);
        let rate = SeriesMeta::global("net", "rx_bytes_per_second", Unit::BytesPerSecond, "rx");
        plan.record(&sensor("rm", &rate, 2_000.0), t0);
        assert!(
            plan.moved(vec![sensor("rm", &rate, 20_000.0)], 0.1)
                .is_empty(),
            "kB/s jitter is not a big move"
        );
        assert_eq!(
            plan.moved(vec![sensor("rm", &rate, 500_000.0)], 0.1).len(),
            1
        );
        // 2 % → 3 % CPU: one point of a 100-point scale, under 10 %.
        assert!(plan.moved(vec![sensor("rm", &cpu, 3.0)], 0.1).is_empty());
        assert_eq!(plan.moved(vec![sensor("rm", &cpu, 25.0)], 0.1).len(), 1);
        assert!(plan.moved(vec![sensor("rm", &mem, 1.05e9)], 0.1).is_empty());
        assert_eq!(plan.moved(vec![sensor("rm", &mem, 1.2e9)], 0.1).len(), 1);
        assert!(
            plan.moved(vec![sensor("rm", &mem, 2e9)], 0.0).is_empty(),
            "0 disables"
        );
    }
}

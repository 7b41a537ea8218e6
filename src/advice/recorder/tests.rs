//! The ranking and the snippet on made-up churn, days kept across a store round trip, and a
//! property: every event is counted and the ranking is ordered.

use proptest::prelude::*;

use super::*;
use crate::util::time::DAY_MS;

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

use std::time::Duration;

use super::*;
use crate::config::SysRoot;
use crate::config::alert_rules::catalog;
use crate::model::{Sample, registry};

struct Failing;
impl Collector for Failing {
    fn source(&self) -> &'static str {
        "failing"
    }
    fn collect(&mut self, _: &Tick, _: &mut Vec<Sample>) -> Result<(), CollectError> {
        Err(CollectError::Parse {
            path: "/x".into(),
            detail: "broken".into(),
        })
    }
}

#[test]
fn a_failing_collector_degrades_its_source_and_the_tick_goes_on() {
    let root = SysRoot::default();
    let mut collectors: Vec<Box<dyn Collector>> = vec![Box::new(Failing)];
    collectors.push(Box::new(memory::MemoryCollector::new(&root)));
    let mut engine = Engine::new(collectors, &root);
    let snapshot = engine.tick(&Tick::now(), 1);
    assert_eq!(
        snapshot.degraded().map(|s| s.source).collect::<Vec<_>>(),
        vec!["failing"]
    );
    assert!(
        snapshot
            .value("memory.total_bytes")
            .is_some_and(|v| v > 0.0)
    );
}

#[test]
fn this_machine_gives_cpu_usage_on_the_second_tick() {
    let root = SysRoot::default();
    let mut engine = Engine::new(host_collectors(&root), &root);
    let first = engine.tick(&Tick::now(), 1);
    assert!(first.value("cpu.usage").is_none());
    std::thread::sleep(Duration::from_millis(50));
    let second = engine.tick(&Tick::now(), 2);
    let usage = second.value("cpu.usage").expect("cpu usage");
    assert!((0.0..=100.0).contains(&usage));
    assert!(second.degraded().next().is_none(), "{:?}", second.sources);
}

#[test]
fn every_series_this_machine_produces_is_in_the_registry_with_its_unit_and_kind() {
    let root = SysRoot::default();
    let mut engine = Engine::new(host_collectors(&root), &root).with_derived(derive::standard());
    let first = Tick::now();
    engine.tick(&first, 1);
    let snapshot = engine.tick(&first.later(0.2), 2);
    assert!(!snapshot.samples.is_empty());
    for sample in &snapshot.samples {
        let id = &sample.series.id;
        let family = registry::by_id(id)
            .unwrap_or_else(|| panic!("series '{id}' is not in model::registry"));
        assert_eq!(registry::of(&sample.series), Some(family), "{id}");
        assert_eq!(family.unit, sample.series.unit, "{id}");
        assert_eq!(family.kind, sample.series.kind, "{id}");
        // Rules name the same families: the alert catalog is a view over the registry.
        let (known, _) = catalog::lookup(id).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(known, family, "{id}");
    }
}

mod board;

use crate::util::time::HOURS_PER_MONTH;
use std::path::Path;
use std::sync::Arc;

use super::energy::MAX_GAP_MS;
use super::*;
use crate::collect::derive::{self, Derive};
use crate::collect::{Collector, Tick};
use crate::config::{PowerOptions, PowerPreset, PowerSource, SysRoot};
use crate::model::{Sample, Snapshot, Unit, registry};

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("dir");
    std::fs::write(full, text).expect("write");
}

fn rapl_tree(zones: &[(&str, &str, u64, u64)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (zone, name, energy, range) in zones {
        let base = format!("sys/class/powercap/{zone}");
        write(dir.path(), &format!("{base}/name"), name);
        write(
            dir.path(),
            &format!("{base}/energy_uj"),
            &energy.to_string(),
        );
        write(
            dir.path(),
            &format!("{base}/max_energy_range_uj"),
            &range.to_string(),
        );
    }
    std::fs::create_dir_all(dir.path().join("proc")).expect("proc");
    dir
}

fn set_energy(dir: &Path, zone: &str, uj: u64) {
    write(
        dir,
        &format!("sys/class/powercap/{zone}/energy_uj"),
        &uj.to_string(),
    );
}

#[test]
fn rapl_sums_the_packages_across_a_wrap_around() {
    const RANGE: u64 = 262_143_328_850;
    let dir = rapl_tree(&[
        ("intel-rapl:0", "package-0", RANGE - 1_000_000, RANGE),
        ("intel-rapl:0:0", "core", 5, RANGE),
        ("intel-rapl:1", "package-1", 10_000_000, RANGE),
    ]);
    let root = SysRoot::fixture(dir.path());
    let plan = detect(&PowerOptions::default(), &root);
    assert_eq!(plan.method, "rapl");
    assert!(!plan.modelled);
    let mut collector = plan.collector.expect("rapl collector");
    let t0 = Tick::now();
    let mut out = Vec::new();
    collector.collect(&t0, &mut out).expect("first read");
    assert!(out.is_empty(), "a rate needs two readings");
    // Two seconds later: package 0 wrapped (1 J to the top, then 3 J), package 1 used 2 J;
    // the sub-zone is never counted.
    set_energy(dir.path(), "intel-rapl:0", 3_000_000);
    set_energy(dir.path(), "intel-rapl:0:0", 999_999_999);
    set_energy(dir.path(), "intel-rapl:1", 12_000_000);
    collector.collect(&t0.later(2.0), &mut out).expect("read");
    assert_eq!(out.len(), 1);
    assert!((out[0].value - 3.0).abs() < 1e-9, "(4 J + 2 J) / 2 s");
    assert_eq!(out[0].series.id, "power.watts");
    assert_eq!(out[0].series.unit, Unit::Watts);
    assert_eq!(source_of(&out[0]), Some(MEASURED));
}

#[test]
fn a_psys_zone_is_used_alone_since_it_holds_the_packages() {
    let dir = rapl_tree(&[
        ("intel-rapl:0", "package-0", 0, 1000),
        ("intel-rapl:1", "psys", 0, 1000),
    ]);
    let zones = rapl_zones(&SysRoot::fixture(dir.path()).sys);
    assert_eq!(zones.len(), 1);
    assert!(zones[0].energy.ends_with("intel-rapl:1/energy_uj"));
}

#[test]
fn counters_wrap_at_their_range_and_a_reset_adds_nothing() {
    assert_eq!(counter_delta(10, 15, 100), 5);
    assert_eq!(counter_delta(90, 5, 100), 15);
    assert_eq!(counter_delta(90, 5, 0), 0);
}

#[test]
fn hwmon_power_is_used_when_rapl_is_absent_and_the_model_last() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "sys/class/hwmon/hwmon0/name", "ina219");
    write(dir.path(), "sys/class/hwmon/hwmon0/power1_input", "4250000");
    let root = SysRoot::fixture(dir.path());
    let plan = detect(&PowerOptions::default(), &root);
    assert_eq!(plan.method, "hwmon");
    let mut out = Vec::new();
    plan.collector
        .expect("hwmon")
        .collect(&Tick::now(), &mut out)
        .expect("read");
    assert_eq!(out[0].value, 4.25);

    let pinned = PowerOptions {
        source: PowerSource::Rapl,
        ..PowerOptions::default()
    };
    let plan = detect(&pinned, &root);
    assert_eq!((plan.method, plan.modelled), ("none", false));
    let empty = tempfile::tempdir().expect("tempdir");
    let plan = detect(&PowerOptions::default(), &SysRoot::fixture(empty.path()));
    assert_eq!((plan.method, plan.modelled), ("model", true));
    assert_eq!(plan.model.preset, PowerPreset::MiniPc);
}

#[test]
fn the_model_is_idle_plus_the_busy_share_of_the_range() {
    let m = PowerProfile {
        idle_watts: 3.0,
        max_watts: 7.0,
        preset: PowerPreset::RaspberryPi4,
    };
    assert_eq!(m.watts(0.0), 3.0);
    assert_eq!(m.watts(25.0), 4.0);
    assert_eq!(m.watts(100.0), 7.0);
    assert_eq!(m.watts(150.0), 7.0, "clamped");
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "sys/firmware/devicetree/base/model",
        "Raspberry Pi 4 Model B Rev 1.4\0",
    );
    let root = SysRoot::fixture(dir.path());
    let options = PowerOptions {
        max_watts: Some(9.0),
        ..PowerOptions::default()
    };
    let m = model(&options, &detect_board(&SupervisorBoard::default(), &root));
    assert_eq!(m.preset, PowerPreset::RaspberryPi4);
    assert_eq!(
        (m.idle_watts, m.max_watts),
        (3.0, 9.0),
        "the user's max wins"
    );
}

fn snapshot(ts_ms: i64, cpu: f64, addons: &[(&str, f64)]) -> Snapshot {
    let mut samples = vec![Sample {
        series: Arc::new(registry::CPU_USAGE.global()),
        value: cpu,
    }];
    for (slug, share) in addons {
        samples.push(Sample {
            series: Arc::new(registry::ADDON_CPU.instance(slug, &["Mosquitto"])),
            value: *share,
        });
    }
    Snapshot {
        ts_ms,
        samples,
        ..Snapshot::default()
    }
}

fn modelled(counter: EnergyCounter, price: Option<f64>) -> Vec<Box<dyn Derive>> {
    let plan = PowerPlan {
        collector: None,
        model: PowerProfile {
            idle_watts: 4.0,
            max_watts: 12.0,
            preset: PowerPreset::MiniPc,
        },
        modelled: true,
        method: "model",
        board: Board {
            name: None,
            from: "none",
            kind: None,
        },
        reasons: Vec::new(),
    };
    let options = PowerOptions {
        energy_price: price,
        ..PowerOptions::default()
    };
    derivers(&plan, &options, counter)
}

#[test]
fn energy_integrates_power_and_continues_from_the_saved_counter() {
    let counter = EnergyCounter::starting_at(1000.0);
    let mut d = modelled(counter.clone(), Some(0.30));
    // 50 % CPU: 8 W. One hour of ticks a minute apart adds 8 Wh.
    let mut last = Snapshot::default();
    for minute in 0..=60 {
        let mut s = snapshot(minute * 60_000, 50.0, &[("core_mosquitto", 10.0)]);
        derive::apply(&mut d, &mut s);
        last = s;
    }
    assert_eq!(last.value("power.watts"), Some(8.0));
    let kwh = last.value("energy.kwh_total").expect("energy");
    assert!((kwh - 1.008).abs() < 1e-9, "{kwh}");
    assert!((counter.wh() - 1008.0).abs() < 1e-6);
    // The add-on has a fifth of the busy CPU: a fifth of the 4 W above idle.
    let addon = last
        .value("addon.core_mosquitto.power_watts")
        .expect("addon");
    assert!((addon - 0.8).abs() < 1e-9);
    let cost = last.value("cost.per_month").expect("cost");
    assert!((cost - 8.0 / 1000.0 * HOURS_PER_MONTH * 0.30).abs() < 1e-9);
    let energy = last
        .samples
        .iter()
        .find(|s| s.series.id == "energy.kwh_total")
        .expect("energy sample");
    assert_eq!(energy.series.kind, crate::model::Kind::Counter);
    assert_eq!(source_of(energy), Some(MODELLED));

    // A restart: a new deriver over the saved counter goes on from there, and the gap while
    // the engine was down adds nothing.
    let mut d = modelled(EnergyCounter::starting_at(counter.wh()), None);
    let mut s = snapshot(10 * 3_600_000, 0.0, &[]);
    derive::apply(&mut d, &mut s);
    assert!((s.value("energy.kwh_total").expect("energy") - 1.008).abs() < 1e-9);
    assert_eq!(s.value("cost.per_month"), None, "no price, no cost");
}

#[test]
fn only_saved_energy_is_published_so_a_crash_never_takes_it_back() {
    let counter = EnergyCounter::starting_at(1000.0);
    counter.publish_only_saved();
    let mut d = modelled(counter.clone(), None);
    let published = |d: &mut Vec<Box<dyn Derive>>, minute: i64| {
        let mut s = snapshot(minute * 60_000, 50.0, &[]);
        derive::apply(d, &mut s);
        s.value("energy.kwh_total").expect("energy")
    };
    for minute in 0..=30 {
        assert_eq!(
            published(&mut d, minute),
            1.0,
            "nothing saved yet: the start value"
        );
    }
    assert!(
        (counter.wh() - 1004.0).abs() < 1e-6,
        "counting goes on: {}",
        counter.wh()
    );
    counter.mark_saved(1002.0);
    assert!((published(&mut d, 31) - 1.002).abs() < 1e-12);
    // Published never passes the last save (what a crash resumes from).
    let saved = counter.wh();
    counter.mark_saved(saved);
    let top = published(&mut d, 32);
    assert!(
        top * 1000.0 <= saved + 1e-9,
        "{top} kWh published, {saved} Wh saved"
    );
    assert!(top > 1.002);
    // An older save reported late never lowers the mark.
    counter.mark_saved(1001.0);
    assert!(published(&mut d, 33) >= top);
}

#[test]
fn a_long_gap_adds_no_energy() {
    let counter = EnergyCounter::default();
    let mut d = modelled(counter.clone(), None);
    for ts in [0, MAX_GAP_MS + 1] {
        let mut s = snapshot(ts, 100.0, &[]);
        derive::apply(&mut d, &mut s);
    }
    assert_eq!(counter.wh(), 0.0);
}

#[test]
fn addon_power_and_cost_helpers() {
    assert_eq!(addon_watts(10.0, 0.0, 20.0, 5.0), 0.0, "idle host");
    assert_eq!(addon_watts(50.0, 50.0, 20.0, 5.0), 15.0);
    assert_eq!(
        addon_watts(80.0, 50.0, 20.0, 5.0),
        15.0,
        "share capped at 1"
    );
    assert_eq!(
        addon_watts(10.0, 50.0, 3.0, 5.0),
        0.0,
        "measured below idle"
    );
    assert!((cost_per_month(100.0, 0.5) - 36.525).abs() < 1e-9);
}

#[test]
fn every_power_series_is_in_the_registry_and_the_catalog() {
    let mut d = modelled(EnergyCounter::default(), Some(0.3));
    let mut s = snapshot(1, 20.0, &[("a0d7b954_vscode", 5.0)]);
    derive::apply(&mut d, &mut s);
    for sample in &s.samples {
        let family = registry::by_id(&sample.series.id).expect("in the registry");
        assert_eq!(family.unit, sample.series.unit, "{}", sample.series.id);
        assert_eq!(family.kind, sample.series.kind, "{}", sample.series.id);
        crate::config::alert_rules::catalog::lookup(&sample.series.id).expect("alertable");
    }
    assert_eq!(s.samples.len(), 2 + 4);
}

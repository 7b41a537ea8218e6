//! Each rule fires on a fixture made for it and stays silent on a healthy box (table-driven).

mod hung;
mod role;

use super::*;
use crate::advice::recorder::{ChurnCounter, ChurnReport};
use crate::advice::types::{AdviceKind, Recommendation};
use crate::analysis::Obs;
use crate::analysis::forecast::{self, Method};
use crate::analysis::leak::Leak;
use crate::analysis::report::{Findings, ForecastItem, LeakItem};
use crate::config::ActionKind;
use crate::model::Unit;
use crate::supervisor::AddonRole;

const NOW_MS: i64 = 1_780_000_000_000;
use crate::util::time::DAY_SECS_F64;

/// A healthy box: memory half used, no swap traffic, cool, quiet add-ons that are in use.
struct Fixture {
    findings: Findings,
    latest: Latest,
    addons: Vec<AddonUsage>,
    disk: DiskContent,
    churn: ChurnReport,
}

fn healthy() -> Fixture {
    let mut latest = Latest::new();
    for (id, v) in [
        ("memory.total_bytes", 4e9),
        ("memory.used_percent", 50.0),
        ("swap.in_bytes_per_second", 0.0),
        ("swap.out_bytes_per_second", 0.0),
        ("temp.max_celsius", 55.0),
        ("addon.core_mosquitto.cpu_percent", 2.0),
        ("addon.core_mosquitto.memory_bytes", 60e6),
    ] {
        latest.insert(id.into(), v);
    }
    let mut counter = ChurnCounter::default();
    for i in 0..50 {
        counter.observe(
            "sensor.outside_temperature",
            NOW_MS - 86_400_000 + i * 1_700_000,
            170,
        );
    }
    Fixture {
        findings: Findings::default(),
        latest,
        addons: vec![AddonUsage {
            slug: "core_mosquitto".into(),
            covered_seconds: 10.0 * DAY_SECS_F64,
            max_cpu_percent: 4.0,
            max_net_bytes: Some(5_000.0),
            memory_bytes: Some(60e6),
            role: Some(AddonRole {
                provides: vec!["mqtt".into()],
                discovery: vec!["mqtt".into()],
                ..AddonRole::default()
            }),
        }],
        disk: DiskContent::default(),
        churn: counter.report(NOW_MS),
    }
}

fn run(f: &Fixture, passes: &[i64]) -> Vec<Recommendation> {
    let mut sustain = Sustain::default();
    let mut last = Vec::new();
    for at in passes {
        last = pass(f, *at, &mut sustain);
    }
    last
}

/// One pass of every rule over `f` at `at`.
fn pass(f: &Fixture, at: i64, sustain: &mut Sustain) -> Vec<Recommendation> {
    recommend(
        &AdviceInputs {
            now_ms: at,
            findings: &f.findings,
            latest: &f.latest,
            addons: &f.addons,
            disk: &f.disk,
        },
        &f.churn,
        sustain,
    )
}

fn leaking(f: &mut Fixture) {
    f.findings.leaks.push(LeakItem {
        series: "addon.core_mosquitto.memory_bytes".into(),
        suspect: "core_mosquitto".into(),
        limit: Some(4e8),
        summary: "grows".into(),
        leak: Leak {
            rate_per_day: 20e6,
            confidence: 0.999,
            from: NOW_MS as f64 / 1000.0 - 3.0 * DAY_SECS_F64,
            to: NOW_MS as f64 / 1000.0,
            eta_to_limit: Some(2.0 * DAY_SECS_F64),
        },
    });
}

fn idle_addon(f: &mut Fixture) {
    f.addons.push(AddonUsage {
        slug: "core_configurator".into(),
        covered_seconds: 8.0 * DAY_SECS_F64,
        max_cpu_percent: 0.1,
        max_net_bytes: Some(0.0),
        memory_bytes: Some(40e6),
        // The File editor: on its own network, no service, no discovery, no hardware.
        role: Some(AddonRole::default()),
    });
}

fn filling_disk(f: &mut Fixture) {
    let obs: Vec<Obs> = (0..96)
        .map(|h| {
            Obs::new(
                NOW_MS as f64 / 1000.0 - (96 - h) as f64 * 3600.0,
                50e9 + h as f64 * 1e8,
            )
        })
        .collect();
    let model = forecast::fit(&obs, Method::Linear).expect("a line");
    f.findings.forecasts.push(ForecastItem {
        series: "disk./data.used_bytes".into(),
        resource: "disk",
        instance: "/data".into(),
        unit: Unit::Bytes,
        current: 59.5e9,
        threshold: 64e9,
        eta_seconds: Some(2.0 * DAY_SECS_F64),
        eta_low_seconds: Some(1.5 * DAY_SECS_F64),
        eta_high_seconds: Some(3.0 * DAY_SECS_F64),
        slope_per_day: 2.4e9,
        method: Method::Linear,
        confidence: 0.9,
        summary: "fills".into(),
        trends: vec![],
        model,
    });
    f.disk.backups = Some(Backups {
        sizes: vec![1e9, 1e9, 2e9],
    });
    f.disk.recorder_db_bytes = Some(3e9);
    f.disk.walk = Some(DiskWalk {
        parts: vec![("backup".into(), 4e9), ("apps_data".into(), 2e9)],
        addon_data: vec![("a0d7b954_frigate".into(), 2e9)],
        addons_listed: true,
        ..DiskWalk::default()
    });
}

fn chatty(f: &mut Fixture) {
    let mut counter = ChurnCounter::default();
    for i in 0..3000 {
        counter.observe("sensor.grid_power", NOW_MS - 3_600_000 + i * 1000, 160);
    }
    counter.observe("sensor.outside_temperature", NOW_MS - 3_600_000, 170);
    f.churn = counter.report(NOW_MS);
}

fn swapping(f: &mut Fixture) {
    f.latest.insert("swap.in_bytes_per_second".into(), 2e6);
    f.latest.insert("swap.out_bytes_per_second".into(), 1e6);
}

fn hogging(f: &mut Fixture) {
    f.latest
        .insert("addon.core_mosquitto.cpu_percent".into(), 90.0);
}

fn hot(f: &mut Fixture) {
    f.latest.insert("temp.max_celsius".into(), 86.0);
}

/// Passes an hour apart, a minute apart: long enough for every lasting condition.
fn passes() -> Vec<i64> {
    (0..=60).map(|m| NOW_MS + m * 60_000).collect()
}

#[test]
fn a_healthy_box_gets_no_advice() {
    assert_eq!(run(&healthy(), &passes()), vec![]);
}

#[test]
fn each_rule_fires_on_its_fixture_only() {
    type Make = fn(&mut Fixture);
    type Case = (
        Make,
        AdviceKind,
        &'static str,
        Option<(ActionKind, &'static str)>,
    );
    let table: [Case; 7] = [
        (
            leaking,
            AdviceKind::Leak,
            "leak-core_mosquitto",
            Some((ActionKind::Restart, "core_mosquitto")),
        ),
        (
            idle_addon,
            AdviceKind::Idle,
            "idle-core_configurator",
            Some((ActionKind::Stop, "core_configurator")),
        ),
        (filling_disk, AdviceKind::DiskFull, "disk_full-data", None),
        (
            chatty,
            AdviceKind::RecorderBloat,
            "recorder_bloat-recorder",
            None,
        ),
        (
            swapping,
            AdviceKind::MemoryPressure,
            "memory_pressure-host",
            None,
        ),
        (
            hogging,
            AdviceKind::CpuHog,
            "cpu_hog-core_mosquitto",
            Some((ActionKind::Restart, "core_mosquitto")),
        ),
        (hot, AdviceKind::Heat, "heat-host", None),
    ];
    for (make, kind, id, action) in table {
        let mut f = healthy();
        make(&mut f);
        let got = run(&f, &passes());
        assert_eq!(got.len(), 1, "{kind:?}: {got:#?}");
        let r = &got[0];
        assert_eq!((r.kind, r.id.as_str()), (kind, id));
        assert!(!r.evidence.is_empty(), "{kind:?} without evidence");
        assert!((0.0..=1.0).contains(&r.confidence));
        assert_eq!(
            r.action.as_ref().map(|a| (a.kind, a.addon.as_str())),
            action,
            "{kind:?}"
        );
    }
}

#[test]
fn savings_and_evidence_carry_the_numbers() {
    let mut f = healthy();
    leaking(&mut f);
    filling_disk(&mut f);
    chatty(&mut f);
    let got = run(&f, &passes());
    let by = |k| got.iter().find(|r| r.kind == k).expect("present");
    let leak = by(AdviceKind::Leak);
    // Three days at 20 MB/day.
    assert_eq!(
        leak.saving.memory_bytes.map(|b| (b / 1e6).round()),
        Some(60.0)
    );
    assert!(leak.title.contains("20.0 MB/day"), "{}", leak.title);
    let disk = by(AdviceKind::DiskFull);
    // All but the newest backup: 3 GB, at 2.4 GB/day 1.25 days.
    assert_eq!(disk.saving.disk_bytes, Some(3e9));
    assert_eq!(
        disk.saving.disk_days.map(|d| (d * 100.0).round()),
        Some(125.0)
    );
    assert!(
        disk.evidence
            .iter()
            .any(|e| e.label == "backups" && e.value.starts_with("3 "))
    );
    assert!(
        disk.evidence
            .iter()
            .any(|e| e.label.contains("home-assistant_v2.db"))
    );
    let bloat = by(AdviceKind::RecorderBloat);
    assert!(
        bloat
            .snippet
            .as_deref()
            .is_some_and(|s| s.contains("- sensor.grid_power"))
    );
    assert!(
        !bloat
            .snippet
            .as_deref()
            .is_some_and(|s| s.contains("outside"))
    );
}

#[test]
fn lasting_conditions_need_their_time_and_reset_when_they_stop() {
    let mut f = healthy();
    swapping(&mut f);
    assert!(
        run(&f, &[NOW_MS, NOW_MS + 60_000]).is_empty(),
        "a minute of swapping is not pressure"
    );
    let calm = healthy();
    let mut s = Sustain::default();
    let pass = |f: &Fixture, at, s: &mut Sustain| pass(f, at, s).len();
    assert_eq!(pass(&f, NOW_MS, &mut s), 0);
    assert_eq!(pass(&calm, NOW_MS + 6 * 60_000, &mut s), 0, "a break");
    assert_eq!(pass(&f, NOW_MS + 7 * 60_000, &mut s), 0);
    assert_eq!(
        pass(&f, NOW_MS + 16 * 60_000, &mut s),
        0,
        "nine minutes since the break"
    );
    assert_eq!(pass(&f, NOW_MS + 17 * 60_000, &mut s), 1);
}

#[test]
fn uncertain_leaks_and_young_add_ons_are_left_alone() {
    let mut f = healthy();
    leaking(&mut f);
    f.findings.leaks[0].leak.confidence = 0.5;
    f.addons.push(AddonUsage {
        slug: "core_new".into(),
        covered_seconds: 2.0 * DAY_SECS_F64,
        max_cpu_percent: 0.0,
        max_net_bytes: Some(0.0),
        memory_bytes: Some(1e6),
        role: Some(AddonRole::default()),
    });
    assert_eq!(run(&f, &passes()), vec![]);
}

#[test]
fn stopping_an_idle_addon_saves_its_share_of_the_power_and_its_cost() {
    let mut f = healthy();
    idle_addon(&mut f);
    let slug = f
        .addons
        .last()
        .map(|a| a.slug.clone())
        .expect("an idle add-on");
    f.latest.insert(format!("addon.{slug}.power_watts"), 2.5);
    let mut list = run(&f, &[NOW_MS]);
    let price = EnergyPrice {
        per_kwh: 0.30,
        currency: "EUR".into(),
    };
    attach_power(&mut list, &f.latest, Some(&price));
    let idle = list
        .iter()
        .find(|r| r.kind == AdviceKind::Idle)
        .expect("the idle add-on is advised");
    assert_eq!(idle.saving.watts, Some(2.5));
    // 2.5 W for an average month (730.5 h) at 0.30 a kWh.
    let cost = idle.saving.cost_per_month.expect("priced");
    assert!((cost - 2.5 / 1000.0 * 730.5 * 0.30).abs() < 1e-9, "{cost}");
    assert!(
        idle.evidence
            .iter()
            .any(|e| e.value.contains("2.5 W") && e.value.contains("EUR")),
        "{:?}",
        idle.evidence
    );
    // Without a price the watts stay and no money is claimed.
    let mut unpriced = run(&f, &[NOW_MS]);
    attach_power(&mut unpriced, &f.latest, None);
    let idle = unpriced
        .iter()
        .find(|r| r.kind == AdviceKind::Idle)
        .expect("idle");
    assert_eq!(
        (idle.saving.watts, idle.saving.cost_per_month),
        (Some(2.5), None)
    );
}

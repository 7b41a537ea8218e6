use std::sync::Arc;

use super::*;
use crate::config::alert_rules::RuleSet;
use crate::model::{Sample, SeriesMeta, Severity, SourceHealth, Unit};

/// A snapshot of a healthy 4-core box with one disk and one physical NIC.
pub(crate) fn healthy() -> Snapshot {
    let g = |group: &str, name: &str, unit, v: f64| Sample {
        series: Arc::new(SeriesMeta::global(group, name, unit, "")),
        value: v,
    };
    let mut samples = vec![
        g("cpu", "usage", Unit::Percent, 12.5),
        g("cpu", "iowait", Unit::Percent, 1.0),
        g("load", "5m", Unit::Ratio, 0.8),
        g("memory", "total_bytes", Unit::Bytes, 4e9),
        g("memory", "used_bytes", Unit::Bytes, 1.2e9),
        g("memory", "used_percent", Unit::Percent, 30.0),
        g("swap", "total_bytes", Unit::Bytes, 1e9),
        g("swap", "used_bytes", Unit::Bytes, 0.0),
        g("swap", "used_percent", Unit::Percent, 0.0),
        g("temp", "max_celsius", Unit::Celsius, 48.0),
    ];
    for core in 0..4 {
        samples.push(Sample {
            series: Arc::new(
                SeriesMeta::instance(
                    "cpu",
                    "core",
                    &format!("core{core}"),
                    "usage",
                    Unit::Percent,
                    "",
                )
                .with_family("cpu.core_usage"),
            ),
            value: 10.0,
        });
    }
    samples.push(disk("/data", "used_percent", 40.0));
    samples.push(disk("/data", "free_bytes", 18e9));
    samples.push(disk("/data", "total_bytes", 30e9));
    for (name, v) in [
        ("rx_bytes_per_second", 1200.0),
        ("tx_bytes_per_second", 300.0),
    ] {
        samples.push(Sample {
            series: Arc::new(
                SeriesMeta::instance("net", "interface", "eth0", name, Unit::BytesPerSecond, "")
                    .with_label("kind", "physical"),
            ),
            value: v,
        });
    }
    Snapshot {
        ts_ms: 1_795_789_506_132,
        samples,
        sources: vec![SourceHealth {
            source: "cpu",
            ok: true,
            error: None,
            micros: 100,
        }],
        ..Snapshot::default()
    }
}

pub(crate) fn disk(mount: &str, name: &str, v: f64) -> Sample {
    let unit = if name.ends_with("percent") {
        Unit::Percent
    } else {
        Unit::Bytes
    };
    Sample {
        series: Arc::new(SeriesMeta::instance("disk", "mount", mount, name, unit, "")),
        value: v,
    }
}

pub(crate) fn set(s: &mut Snapshot, id: &str, v: f64) {
    if let Some(sample) = s.samples.iter_mut().find(|x| x.series.id == id) {
        sample.value = v;
    }
}

#[test]
fn a_healthy_box_is_all_good_with_every_card_filled() {
    let o = assess(&healthy(), &RuleSet::default(), &Extra::default());
    assert_eq!(o.line, "All good");
    assert_eq!(o.level, Severity::Ok);
    let keys: Vec<&str> = o.cards.iter().map(|c| c.key).collect();
    assert_eq!(keys, ["cpu", "memory", "disk", "network", "temperature"]);
    assert_eq!(o.cards[0].value, "12.5 %");
    assert_eq!(o.cards[0].detail, "load 0.80 · 4 cores");
    assert_eq!(o.cards[1].detail, "1.2 GB of 4.0 GB · swap 0 B");
    assert_eq!(o.cards[2].detail, "/data: 18.0 GB free of 30.0 GB");
    assert_eq!(o.cards[3].value, "↓\u{a0}1.2\u{a0}KB/s ↑\u{a0}300\u{a0}B/s");
    assert_eq!(o.cards[3].detail, "eth0");
}

#[test]
fn remote_hosts_leave_this_boxs_overview_alone() {
    let mut s = healthy();
    let nas: Arc<str> = Arc::from("nas");
    let remote = |sample: Sample| Sample {
        series: Arc::new((*sample.series).clone().on_host(&nas)),
        value: sample.value,
    };
    s.samples.push(remote(disk("/srv", "used_percent", 99.0)));
    s.samples.push(remote(disk("/srv", "free_bytes", 1e8)));
    s.samples.push(remote(disk("/srv", "total_bytes", 10e9)));
    let extra: Vec<Sample> = healthy()
        .samples
        .into_iter()
        .filter(|x| x.series.family == "cpu.core_usage")
        .map(remote)
        .collect();
    s.samples.extend(extra);
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(o.line, "All good", "a full disk on nas is nas's news");
    assert_eq!(o.cards[0].detail, "load 0.80 · 4 cores");
    assert_eq!(o.cards[2].detail, "/data: 18.0 GB free of 30.0 GB");
}

#[test]
fn a_full_disk_becomes_the_status_line_with_what_to_do() {
    let mut s = healthy();
    set(&mut s, "disk./data.used_percent", 96.4);
    set(&mut s, "disk./data.free_bytes", 1.1e9);
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(o.level, Severity::Critical);
    assert_eq!(o.line, "Disk /data is 96 % full (1.1 GB free)");
    assert!(o.attention[0].todo.contains("Backups"));
}

#[test]
fn several_problems_are_listed_worst_first_and_counted_in_the_line() {
    let mut s = healthy();
    // The built-in rules: memory warns at 90 %, temperature is critical from 85 °C.
    set(&mut s, "memory.used_percent", 92.0);
    set(&mut s, "temp.max_celsius", 86.0);
    s.sources.push(SourceHealth {
        source: "thermal",
        ok: false,
        error: Some("x".into()),
        micros: 0,
    });
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(o.line, "The system is hot: 86 °C (and 2 more below)");
    let levels: Vec<Severity> = o.attention.iter().map(|a| a.level).collect();
    assert_eq!(
        levels,
        [Severity::Critical, Severity::Warning, Severity::Warning]
    );
}

#[test]
fn load_is_judged_per_core() {
    let mut s = healthy();
    set(&mut s, "load.5m", 5.0);
    assert_eq!(
        assess(&s, &RuleSet::default(), &Extra::default()).line,
        "All good"
    );
    set(&mut s, "load.5m", 7.0);
    assert_eq!(
        assess(&s, &RuleSet::default(), &Extra::default()).line,
        "The processor is overloaded: load 7.0 on 4 cores"
    );
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(
        (o.level, o.cards[0].level),
        (Severity::Info, Severity::Info),
        "no alert rule judges load per core: a hint, never a warning"
    );
}

/// The built-in rules with `entries` of the `alert_rules` option applied.
fn rules_with(entries: serde_json::Value) -> RuleSet {
    let mut problems = Vec::new();
    let set = RuleSet::from_option(Some(&entries), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    set
}

#[test]
fn the_thresholds_are_the_alert_rules_so_changing_a_rule_changes_the_overview() {
    let mut s = healthy();
    set(&mut s, "memory.used_percent", 88.0);
    set(&mut s, "temp.max_celsius", 75.0);
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(
        o.line, "All good",
        "below the built-in rules' thresholds (memory 90 %, temperature 80 °C)"
    );
    let stricter = rules_with(serde_json::json!([
        {"metric": "memory.used_percent", "warn": 85, "critical": 95, "clear": 80},
        {"metric": "temp.max_celsius", "warn": 70, "critical": 80, "clear": 65, "severity": "info"},
    ]));
    let o = assess(&s, &stricter, &Extra::default());
    let levels: Vec<(Severity, &str)> = o
        .attention
        .iter()
        .map(|a| (a.level, a.what.as_str()))
        .collect();
    assert_eq!(
        levels,
        [
            (Severity::Warning, "Memory is 88 % used"),
            (Severity::Info, "The system is hot: 75 °C"),
        ]
    );
    let disabled = rules_with(serde_json::json!([
        {"metric": "disk.*.used_percent", "enabled": false}
    ]));
    set(&mut s, "disk./data.used_percent", 99.0);
    assert!(
        assess(&s, &disabled, &Extra::default())
            .attention
            .iter()
            .all(|a| !a.what.starts_with("Disk")),
        "a disabled rule silences the overview too"
    );
}

#[test]
fn the_overview_json_keeps_its_level_spelling() {
    let mut s = healthy();
    set(&mut s, "disk./data.used_percent", 96.4);
    let json =
        serde_json::to_value(assess(&s, &RuleSet::default(), &Extra::default())).expect("json");
    assert_eq!(json["level"], "problem");
    assert_eq!(json["attention"][0]["level"], "problem");
    assert_eq!(json["cards"][0]["level"], "ok");
}

#[test]
fn a_large_addon_is_named_and_missing_sensors_say_not_available() {
    let mut s = healthy();
    s.samples.retain(|x| x.series.id != "temp.max_celsius");
    s.samples.push(Sample {
        series: Arc::new(SeriesMeta::global(
            "addon.core_mosquitto",
            "memory_bytes",
            Unit::Bytes,
            "",
        )),
        value: 1.2e9,
    });
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(o.line, "Add-on core_mosquitto uses 1.2 GB (30 % of memory)");
    let temp = o
        .cards
        .iter()
        .find(|c| c.key == "temperature")
        .expect("card");
    assert!(!temp.available);
    assert_eq!(temp.value, "not available");
}

fn failing(reason: crate::store::FailureReason) -> crate::store::WriteStatus {
    crate::store::WriteStatus {
        failure: Some(crate::store::WriteFailure {
            since_ms: 0,
            reason,
            error: "(code: 13) database or disk is full".into(),
            free_bytes: Some(200_000),
            attempts: 1,
            next_attempt_ms: 0,
            logged_ms: 0,
        }),
        ..crate::store::WriteStatus::default()
    }
}

#[test]
fn failing_writes_lead_the_line_from_the_first_failure_with_the_cause_and_free_space() {
    let write = failing(crate::store::FailureReason::DiskFull);
    let items = super::history_items(&write, 3, 24, &[], 0);
    let o = assess(
        &healthy(),
        &RuleSet::default(),
        &Extra {
            items,
            ..Extra::default()
        },
    );
    assert_eq!(o.level, Severity::Critical);
    assert_eq!(
        o.line,
        "History is not being saved: the data disk is full (200 kB free)"
    );
    assert!(
        o.attention[0]
            .todo
            .contains("3 readings are waiting in memory")
    );
}

#[test]
fn a_backlog_without_failures_is_a_warning_and_a_healthy_store_says_nothing() {
    let ok = crate::store::WriteStatus::default();
    assert!(super::history_items(&ok, 10, 24, &[], 0).is_empty());
    let items = super::history_items(&ok, 500, 12, &[], 0);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].level, Severity::Warning);
    assert!(items[0].what.starts_with("History is behind"));
}

#[test]
fn a_storage_notice_shows_for_a_day() {
    let notice = crate::store::StoreNotice {
        ts_ms: 1_000,
        kind: "moved_aside".into(),
        message: "It was moved to /data/history.db.corrupt-20260101T000000Z".into(),
    };
    let ok = crate::store::WriteStatus::default();
    let items = super::history_items(&ok, 0, 24, std::slice::from_ref(&notice), 2_000);
    assert_eq!(
        items[0].what,
        "The history database was damaged and replaced"
    );
    assert!(items[0].todo.contains("corrupt-2026"));
    assert!(super::history_items(&ok, 0, 24, &[notice], 1_000 + 86_400_000).is_empty());
}

fn with_alerts(states: &[crate::alert::AlertState], now_ms: i64) -> Extra {
    let (items, alerts) = crate::web::active_alerts::view(states, now_ms);
    Extra {
        items,
        alerts,
        data_disk: None,
    }
}

#[test]
fn a_firing_alert_leads_the_line_and_replaces_the_threshold_item_on_its_series() {
    use crate::web::active_alerts::tests::firing_memory;
    let mut s = healthy();
    set(&mut s, "memory.used_percent", 93.2);
    set(&mut s, "temp.max_celsius", 82.0);
    assert_eq!(
        assess(&s, &RuleSet::default(), &Extra::default()).line,
        "Memory is 93 % used (and 1 more below)"
    );
    let fired = s.ts_ms - 14 * 60_000;
    let o = assess(
        &s,
        &RuleSet::default(),
        &with_alerts(&[firing_memory(fired, 93.2)], s.ts_ms),
    );
    assert_eq!(
        o.line,
        "Memory in use is at 93 % (warning for 14 min) (and 1 more below)"
    );
    assert_eq!(o.level, Severity::Warning);
    let whats: Vec<&str> = o.attention.iter().map(|a| a.what.as_str()).collect();
    assert_eq!(
        whats,
        [
            "Memory in use is at 93 % (warning for 14 min)",
            "The system is hot: 82 °C"
        ],
        "the alert replaced 'Memory is 93 % used'"
    );
    assert!(o.attention[0].alert && !o.attention[1].alert);
    assert!(o.has_other_attention());
    assert_eq!(o.alerts.len(), 1);
    assert_eq!(o.alerts[0].since, "for 14 min");
}

#[test]
fn a_worse_reading_still_leads_an_alert_of_a_lower_level() {
    use crate::web::active_alerts::tests::firing_memory;
    let mut s = healthy();
    set(&mut s, "disk./data.used_percent", 96.4);
    set(&mut s, "disk./data.free_bytes", 1.1e9);
    let o = assess(
        &s,
        &RuleSet::default(),
        &with_alerts(&[firing_memory(s.ts_ms, 40.0)], s.ts_ms),
    );
    assert_eq!(o.level, Severity::Critical);
    assert_eq!(
        o.line,
        "Disk /data is 96 % full (1.1 GB free) (and 1 more below)"
    );
    assert_eq!(
        o.attention[1].what,
        "Memory in use is at 40 % (warning for under a minute)"
    );
}

#[test]
fn pending_alerts_are_listed_but_leave_the_line_alone() {
    use crate::web::active_alerts::tests::firing_memory;
    let mut pending = firing_memory(0, 91.0);
    pending.status = crate::alert::Status::Pending;
    let s = healthy();
    let o = assess(&s, &RuleSet::default(), &with_alerts(&[pending], s.ts_ms));
    assert_eq!(o.line, "All good");
    assert!(o.attention.is_empty());
    assert_eq!(o.alerts.len(), 1);
    assert!(!o.has_other_attention());
}

#[test]
fn before_the_first_tick_it_says_starting() {
    let o = assess(&Snapshot::default(), &RuleSet::default(), &Extra::default());
    assert!(o.line.starts_with("Starting"));
}

#[test]
fn the_disk_card_names_the_data_disk_even_when_another_mount_is_fuller() {
    let data = Extra {
        data_disk: Some("/data".into()),
        ..Extra::default()
    };
    let o = assess(&healthy(), &RuleSet::default(), &data);
    assert_eq!(
        o.cards[2].detail,
        "data disk /data: 18.0 GB free of 30.0 GB"
    );

    let mut s = healthy();
    s.samples.push(disk("/media/usb", "used_percent", 70.0));
    s.samples.push(disk("/media/usb", "free_bytes", 3e9));
    s.samples.push(disk("/media/usb", "total_bytes", 10e9));
    s.samples.push(disk("/boot", "used_percent", 10.0));
    let o = assess(&s, &RuleSet::default(), &data);
    assert_eq!(
        o.cards[2].detail,
        "/media/usb: 3.0 GB free of 10.0 GB · data disk /data: 40 % used · 1 more mount"
    );
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(
        o.cards[2].detail,
        "/media/usb: 3.0 GB free of 10.0 GB · 2 more mounts"
    );
}

#[test]
fn the_power_card_says_where_power_comes_from_and_what_it_costs() {
    use crate::model::registry;
    let mut s = healthy();
    assert!(
        assess(&s, &RuleSet::default(), &Extra::default())
            .cards
            .iter()
            .all(|c| c.key != "power"),
        "no card without power"
    );
    let sample = |meta: SeriesMeta, value: f64| Sample {
        series: Arc::new(meta),
        value,
    };
    s.samples.push(sample(
        registry::POWER_WATTS
            .global()
            .with_label("source", "modelled")
            .with_label("method", "model")
            .with_label("preset", "raspberry_pi_4"),
        4.25,
    ));
    s.samples
        .push(sample(registry::ENERGY_TOTAL.global(), 12.3456));
    s.samples.push(sample(
        registry::COST_PER_MONTH
            .global()
            .with_label("currency", "EUR"),
        0.93,
    ));
    let overview = assess(&s, &RuleSet::default(), &Extra::default());
    let card = overview
        .cards
        .iter()
        .find(|c| c.key == "power")
        .expect("power card");
    assert_eq!(card.value, "4.2 W");
    assert_eq!(
        card.detail,
        "modelled from CPU use (raspberry_pi_4) · 12.346 kWh counted · 0.93 EUR a month"
    );
}

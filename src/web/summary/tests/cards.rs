//! The cards: what each shows, which hints they raise, and that remote hosts stay off them.

use std::sync::Arc;

use super::{disk, healthy, set};
use crate::config::alert_rules::RuleSet;
use crate::model::{Sample, SeriesMeta, Severity, Unit};
use crate::web::summary::{Extra, assess};

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
    assert_eq!(o.cards[3].value, "↓\u{a0}1.2\u{a0}kB/s ↑\u{a0}300\u{a0}B/s");
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

#[test]
fn the_cpu_memory_and_disk_cards_say_how_much_work_waited_where_the_kernel_says() {
    let mut s = healthy();
    let pressure = |resource: &str, value: f64| Sample {
        series: Arc::new(crate::model::registry::PRESSURE_SOME.instance(resource, &[resource])),
        value,
    };
    s.samples.push(pressure("cpu", 31.6));
    s.samples.push(pressure("memory", 0.2));
    s.samples.push(pressure("io", 7.0));
    let o = assess(&s, &RuleSet::default(), &Extra::default());
    assert_eq!(o.cards[0].detail, "load 0.80 · 4 cores · waiting 32 %");
    assert_eq!(
        o.cards[1].detail,
        "1.2 GB of 4.0 GB · swap 0 B · waiting 0 %"
    );
    assert_eq!(
        o.cards[2].detail,
        "/data: 18.0 GB free of 30.0 GB · I/O waiting 7 %"
    );
    // Without PSI (the healthy snapshot has none) the cards say nothing of it.
    let o = assess(&healthy(), &RuleSet::default(), &Extra::default());
    assert!(!o.cards.iter().any(|c| c.detail.contains("waiting")));
}

//! The hung rule on recorded shapes: a leak that reached its limit and stays there, a core
//! pinned with nothing moving, and the busy-by-nature cases it must leave alone (a transcode,
//! a compile, a backup copied over the network), each held across passes for 40 minutes.

use super::*;

/// Four cores; `readings` are the add-on's latest values by family suffix.
fn with_addon(slug: &str, readings: &[(&str, f64)]) -> Fixture {
    let mut f = healthy();
    for core in 0..4 {
        f.latest.insert(format!("cpu.core{core}.usage"), 30.0);
    }
    for (what, v) in readings {
        f.latest.insert(format!("addon.{slug}.{what}"), *v);
    }
    f.addons.push(AddonUsage {
        slug: slug.into(),
        covered_seconds: 10.0 * DAY_SECS_F64,
        max_cpu_percent: 30.0,
        max_net_bytes: Some(0.0),
        memory_bytes: Some(1e9),
        role: Some(AddonRole::default()),
    });
    f
}

/// A pass a minute for 40 minutes.
fn forty_minutes() -> Vec<i64> {
    (0..=40).map(|m| NOW_MS + m * 60_000).collect()
}

fn hung_of(list: &[Recommendation]) -> Vec<&Recommendation> {
    list.iter().filter(|r| r.kind == AdviceKind::Hung).collect()
}

const QUIET_IO: [(&str, f64); 4] = [
    ("block_read_bytes_per_second", 0.0),
    ("block_write_bytes_per_second", 120.0),
    ("net_rx_bytes_per_second", 0.0),
    ("net_tx_bytes_per_second", 0.0),
];

#[test]
fn a_leak_stuck_at_its_limit_and_a_pinned_core_with_nothing_moving_are_hung() {
    let mut stuck = vec![("memory_percent", 99.4), ("cpu_percent", 3.0)];
    stuck.extend(QUIET_IO);
    let list = run(&with_addon("a0d7b954_leaky", &stuck), &forty_minutes());
    let hung = hung_of(&list);
    assert_eq!(hung.len(), 1, "{list:?}");
    assert!(
        hung[0].title.contains("at its memory limit (99 %)"),
        "{}",
        hung[0].title
    );
    assert_eq!(hung[0].confidence, 0.8);
    let action = hung[0].action.as_ref().expect("a restart");
    assert_eq!(
        (action.kind, action.addon.as_str()),
        (ActionKind::Restart, "a0d7b954_leaky")
    );

    // One core of four pinned (24 % of the host), 120 B/s of traffic: stuck in a loop.
    let mut spinning = vec![("memory_percent", 40.0), ("cpu_percent", 24.0)];
    spinning.extend(QUIET_IO);
    let list = run(&with_addon("a0d7b954_spin", &spinning), &forty_minutes());
    let hung = hung_of(&list);
    assert_eq!(hung.len(), 1, "{list:?}");
    assert!(hung[0].title.contains("no disk or network activity"));
    assert!(
        hung[0]
            .evidence
            .iter()
            .any(|e| e.label == "disk and network")
    );
}

#[test]
fn busy_by_nature_is_not_hung() {
    let cases: [(&str, &[(&str, f64)]); 3] = [
        // A transcode: two cores' worth, reading the recording and writing the output.
        (
            "a0d7b954_frigate",
            &[
                ("cpu_percent", 48.0),
                ("memory_percent", 60.0),
                ("block_read_bytes_per_second", 6e6),
                ("block_write_bytes_per_second", 2e6),
            ],
        ),
        // A compile (ESPHome): a core pinned, object files written.
        (
            "5c53de3b_esphome",
            &[
                ("cpu_percent", 25.0),
                ("memory_percent", 70.0),
                ("block_read_bytes_per_second", 2e5),
                ("block_write_bytes_per_second", 9e5),
            ],
        ),
        // A backup copied off the box: CPU for compression, the network busy.
        (
            "core_samba",
            &[
                ("cpu_percent", 30.0),
                ("memory_percent", 20.0),
                ("block_read_bytes_per_second", 8e6),
                ("net_tx_bytes_per_second", 8e6),
            ],
        ),
    ];
    for (slug, readings) in cases {
        let list = run(&with_addon(slug, readings), &forty_minutes());
        assert!(hung_of(&list).is_empty(), "{slug}: {list:?}");
    }
}

#[test]
fn a_short_stall_a_sign_of_work_or_unknown_traffic_is_not_enough() {
    let mut spinning = vec![("cpu_percent", 24.0)];
    spinning.extend(QUIET_IO);
    let f = with_addon("a0d7b954_spin", &spinning);
    // 20 minutes is not 30.
    let twenty: Vec<i64> = (0..=20).map(|m| NOW_MS + m * 60_000).collect();
    assert!(hung_of(&run(&f, &twenty)).is_empty());
    // A burst of writes at minute 20 starts the clock again.
    let mut sustain = Sustain::default();
    let mut last = Vec::new();
    for m in 0..=45 {
        let mut f = with_addon("a0d7b954_spin", &spinning);
        if m == 20 {
            f.latest.insert(
                "addon.a0d7b954_spin.block_write_bytes_per_second".into(),
                5e5,
            );
        }
        last = pass(&f, NOW_MS + m * 60_000, &mut sustain);
    }
    assert!(
        hung_of(&last).is_empty(),
        "25 minutes since the sign of work"
    );
    // Without traffic counters nothing says it is idle: not judged.
    let f = with_addon("a0d7b954_spin", &[("cpu_percent", 24.0)]);
    assert!(hung_of(&run(&f, &forty_minutes())).is_empty());
}

#[test]
fn core_is_advised_without_an_action_and_the_supervisor_is_left_out() {
    let mut stuck = vec![("memory_percent", 99.0)];
    stuck.extend(QUIET_IO);
    let list = run(&with_addon("homeassistant", &stuck), &forty_minutes());
    let hung = hung_of(&list);
    assert_eq!(hung.len(), 1);
    assert!(
        hung[0].action.is_none(),
        "Core is not restarted as an add-on"
    );
    let list = run(&with_addon("supervisor", &stuck), &forty_minutes());
    assert!(hung_of(&list).is_empty());
}

#[test]
fn an_ingress_that_stopped_answering_is_hung_after_five_more_minutes_and_a_busy_one_is_not() {
    // A transcode that still answers on its Ingress is busy, not stuck.
    let busy = [
        ("cpu_percent", 50.0),
        ("ingress_answering", 1.0),
        ("block_read_bytes_per_second", 8e6),
    ];
    assert!(hung_of(&run(&with_addon("a0d7b954_plex", &busy), &forty_minutes())).is_empty());
    // Quiet CPU and memory, but no answer: the third reason, with its evidence.
    let mut silent = vec![
        ("memory_percent", 40.0),
        ("cpu_percent", 0.5),
        ("ingress_answering", 0.0),
    ];
    silent.extend(QUIET_IO);
    let f = with_addon("a0d7b954_ui", &silent);
    let four: Vec<i64> = (0..=4).map(|m| NOW_MS + m * 60_000).collect();
    assert!(hung_of(&run(&f, &four)).is_empty(), "not yet: 4 minutes");
    let six: Vec<i64> = (0..=6).map(|m| NOW_MS + m * 60_000).collect();
    let list = run(&f, &six);
    let hung = hung_of(&list);
    assert_eq!(hung.len(), 1, "{list:?}");
    assert!(hung[0].title.contains("not answered on its Ingress"));
    let ingress = hung[0]
        .evidence
        .iter()
        .find(|e| e.label == "Ingress")
        .expect("Ingress evidence");
    assert_eq!(
        ingress.series.as_deref(),
        Some("addon.a0d7b954_ui.ingress_answering")
    );
    assert_eq!(hung[0].confidence, 0.8);
    assert!(hung[0].action.is_some(), "a restart is proposed");
}

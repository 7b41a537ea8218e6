use super::super::bottleneck::{Bottleneck, BottleneckVerdict, Pressure, Readings, diagnose};
use super::super::health::{HealthInputs, score};

fn idle() -> Readings {
    Readings {
        cpu_usage: 10.0,
        iowait: 1.0,
        cores: 4.0,
        load_1m: 0.5,
        memory_used_percent: 40.0,
        swap_bytes_per_second: 0.0,
        temp_max_celsius: Some(50.0),
        throttled: Some(false),
        cpu_users: vec![("core_mosquitto".into(), 2.0)],
        disks: vec![("/data".into(), 100_000.0)],
        pressure: Pressure {
            cpu: Some(2.0),
            memory: Some(0.0),
            io: Some(1.0),
        },
    }
}

/// Labelled fixtures: readings and the verdict (with culprit) they should get.
fn fixtures() -> Vec<(&'static str, Readings, Bottleneck, Option<&'static str>)> {
    let mut out = vec![("idle", idle(), Bottleneck::None, None)];
    let cpu = Readings {
        cpu_usage: 95.0,
        cpu_users: vec![
            ("core_mosquitto".into(), 5.0),
            ("a0d7b954_frigate".into(), 70.0),
        ],
        ..idle()
    };
    out.push((
        "cpu by frigate",
        cpu.clone(),
        Bottleneck::Cpu,
        Some("a0d7b954_frigate"),
    ));
    out.push((
        "load per core",
        Readings {
            cpu_usage: 60.0,
            load_1m: 8.0,
            ..cpu.clone()
        },
        Bottleneck::Cpu,
        Some("a0d7b954_frigate"),
    ));
    out.push((
        "swapping",
        Readings {
            memory_used_percent: 93.0,
            swap_bytes_per_second: 5e6,
            iowait: 30.0,
            ..idle()
        },
        Bottleneck::Memory,
        None,
    ));
    out.push((
        "full memory without swapping is not memory-bound",
        Readings {
            memory_used_percent: 93.0,
            ..idle()
        },
        Bottleneck::None,
        None,
    ));
    out.push((
        "iowait on the backup disk",
        Readings {
            iowait: 35.0,
            disks: vec![("/data".into(), 1e6), ("/backup".into(), 40e6)],
            ..idle()
        },
        Bottleneck::Io,
        Some("/backup"),
    ));
    out.push((
        "throttled",
        Readings {
            throttled: Some(true),
            cpu_usage: 99.0,
            ..idle()
        },
        Bottleneck::Thermal,
        None,
    ));
    out.push((
        "hot without throttle flag",
        Readings {
            temp_max_celsius: Some(84.0),
            throttled: None,
            ..idle()
        },
        Bottleneck::Thermal,
        None,
    ));
    out.push((
        "warm but fine",
        Readings {
            temp_max_celsius: Some(70.0),
            ..idle()
        },
        Bottleneck::None,
        None,
    ));
    out.push((
        "cpu and iowait: iowait explains the wait",
        Readings {
            cpu_usage: 90.0,
            iowait: 40.0,
            ..idle()
        },
        Bottleneck::Io,
        Some("/data"),
    ));
    out.push((
        "busy but below the line",
        Readings {
            cpu_usage: 70.0,
            load_1m: 3.0,
            ..idle()
        },
        Bottleneck::None,
        None,
    ));
    // "% used" looks fine, but work waits: pressure alone names the resource.
    let waiting = |cpu: f64, memory: f64, io: f64| Readings {
        pressure: Pressure {
            cpu: Some(cpu),
            memory: Some(memory),
            io: Some(io),
        },
        ..idle()
    };
    out.push((
        "memory pressure without swap",
        waiting(5.0, 35.0, 2.0),
        Bottleneck::Memory,
        None,
    ));
    out.push((
        "disk pressure without iowait",
        waiting(5.0, 0.0, 45.0),
        Bottleneck::Io,
        Some("/data"),
    ));
    out.push((
        "cpu pressure at moderate use",
        waiting(70.0, 0.0, 2.0),
        Bottleneck::Cpu,
        Some("core_mosquitto"),
    ));
    out.push((
        "a little waiting is normal",
        waiting(20.0, 5.0, 10.0),
        Bottleneck::None,
        None,
    ));
    out.push((
        "swap is most of what the disks move while RAM looks free (a container at its limit)",
        Readings {
            memory_used_percent: 6.0,
            swap_bytes_per_second: 200e6,
            iowait: 22.0,
            disks: vec![("/".into(), 200e6)],
            ..idle()
        },
        Bottleneck::Memory,
        None,
    ));
    out.push((
        "a little swap beside heavy disk traffic is the disks'",
        Readings {
            memory_used_percent: 40.0,
            swap_bytes_per_second: 2e6,
            iowait: 35.0,
            disks: vec![("/data".into(), 300e6)],
            ..idle()
        },
        Bottleneck::Io,
        Some("/data"),
    ));
    let saturated = |cpu_waited: f64, io_waited: f64| Readings {
        cpu_usage: 80.0,
        iowait: 14.0,
        pressure: Pressure {
            cpu: Some(cpu_waited),
            memory: Some(0.0),
            io: Some(io_waited),
        },
        ..idle()
    };
    out.push((
        "never idle, the disks waited longer",
        saturated(8.0, 16.0),
        Bottleneck::Io,
        Some("/data"),
    ));
    out.push((
        "never idle, the CPU waited longer",
        saturated(25.0, 10.0),
        Bottleneck::Cpu,
        Some("core_mosquitto"),
    ));
    out.push((
        "no PSI on this kernel",
        Readings {
            pressure: Pressure::default(),
            ..idle()
        },
        Bottleneck::None,
        None,
    ));
    out
}

#[test]
fn the_verdict_is_right_on_at_least_ninety_percent_of_labelled_fixtures() {
    let all = fixtures();
    let mut wrong = Vec::new();
    for (name, readings, kind, culprit) in &all {
        let BottleneckVerdict {
            kind: got,
            culprit: who,
            evidence,
        } = diagnose(readings);
        assert!(!evidence.is_empty(), "{name}: a verdict names its evidence");
        if got != *kind || who.as_deref() != *culprit {
            wrong.push((*name, got, who));
        }
    }
    let right = all.len() - wrong.len();
    assert!(right * 10 >= all.len() * 9, "wrong: {wrong:?}");
}

#[test]
fn health_is_a_hundred_when_nothing_is_wrong_and_lists_each_deduction() {
    assert_eq!(score(&HealthInputs::default()).score, 100.0);
    let h = score(&HealthInputs {
        usage: vec![("disk /data".into(), 100.0), ("memory".into(), 50.0)],
        alerts_warning: 1,
        etas: vec![("disk /data".into(), 3.0 * 86_400.0)],
        anomalies: 1,
        leaks: 1,
        ..HealthInputs::default()
    });
    let lost: f64 = h.parts.iter().map(|p| p.points).sum();
    assert_eq!(h.parts.len(), 5, "{:?}", h.parts);
    assert_eq!(h.score, 100.0 - lost);
    assert_eq!(h.score, 100.0 - 15.0 - 5.0 - 10.0 - 3.0 - 5.0);
}

#[test]
fn pressure_above_a_tenth_of_the_time_costs_up_to_five_points_each() {
    let h = score(&HealthInputs {
        pressure: vec![
            ("CPU".into(), 8.0),
            ("memory".into(), 30.0),
            ("disks".into(), 90.0),
        ],
        ..HealthInputs::default()
    });
    let parts: Vec<(&str, f64)> = h
        .parts
        .iter()
        .map(|p| (p.name.as_str(), p.points))
        .collect();
    assert_eq!(parts, [("pressure: memory", 2.5), ("pressure: disks", 5.0)]);
    assert_eq!(h.score, 92.5);
}

#[test]
fn swap_that_makes_up_the_disk_traffic_and_a_box_never_idle_are_named() {
    let by_name = |wanted: &str| {
        let (_, readings, kind, _) = fixtures()
            .into_iter()
            .find(|f| f.0.starts_with(wanted))
            .expect("fixture");
        (diagnose(&readings).kind, kind)
    };
    for name in [
        "swap is most of what the disks move",
        "a little swap beside heavy disk traffic",
        "never idle, the disks waited longer",
        "never idle, the CPU waited longer",
        "busy but below the line",
    ] {
        let (got, want) = by_name(name);
        assert_eq!(got, want, "{name}");
    }
}

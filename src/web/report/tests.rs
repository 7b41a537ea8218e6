//! The report's text: its stable format, what is scrubbed, alerts, key metrics and hosts.

use std::sync::Arc;

use super::metrics::key_metrics;
use super::*;
use crate::config::Mode;
use crate::config::alert_rules::RuleSet;
use crate::model::{Sample, SeriesMeta, Snapshot, SourceHealth, Unit};
use crate::web::HostInfo;
use crate::web::feedback::FeedbackSummary;
use crate::web::summary::tests::{disk, healthy, set};
use crate::web::summary::{Extra, Overview, assess};

fn host() -> HostInfo {
    HostInfo {
        os: "Home Assistant OS 16.2".into(),
        kernel: "6.12.34-haos".into(),
        arch: "aarch64".into(),
        cpu_model: "Cortex-A76".into(),
        cores: 4,
    }
}

fn input<'a>(
    snapshot: &'a Snapshot,
    overview: &'a Overview,
    host: &'a HostInfo,
) -> ReportInput<'a> {
    ReportInput {
        version: "1.2.3",
        mode: Mode::Addon,
        host,
        app_uptime_seconds: 7_800,
        snapshot,
        overview,
        links: vec![
            ("Home Assistant", "connected".into()),
            ("Supervisor", "connected".into()),
        ],
        feedback: Some(FeedbackSummary {
            satisfaction_7d: Some(75.0),
            satisfaction_30d: Some(80.0),
            votes_7d: 4,
            votes_30d: 10,
        }),
        supervisor: true,
        secrets: vec![
            "eyJhbGciOiJIUzI1NiJ9.supersecret".into(),
            "kitchen-pi".into(),
        ],
        analysis: vec![(
            "Outlook",
            "Disk /data full in about 23 days (18–30 days)".into(),
        )],
        hosts: Vec::new(),
    }
}

#[test]
fn the_report_has_a_stable_format() {
    let mut s = healthy();
    s.samples.push(Sample {
        series: Arc::new(SeriesMeta::global(
            "system",
            "uptime_seconds",
            Unit::Seconds,
            "",
        )),
        value: 273_600.0,
    });
    s.samples.push(disk("/data", "used_bytes", 12e9));
    for (slug, mem, cpu) in [
        ("core_mosquitto", 80e6, 0.5),
        ("a0d7b954_vscode", 450e6, 2.25),
    ] {
        for (name, v, unit) in [
            ("memory_bytes", mem, Unit::Bytes),
            ("cpu_percent", cpu, Unit::Percent),
        ] {
            s.samples.push(Sample {
                series: Arc::new(SeriesMeta::global(&format!("addon.{slug}"), name, unit, "")),
                value: v,
            });
        }
    }
    s.views = crate::model::Views {
        processes: crate::model::View::Container,
        network: crate::model::View::Host,
    };
    let overview = assess(&s, &RuleSet::default(), &Extra::default());
    let h = host();
    let text = render(&input(&s, &overview, &h));
    let expected = "\
### Resource Manager status

**Status:** All good (2026-11-27 14:25 UTC)

| | |
|---|---|
| Resource Manager | 1.2.3 (add-on) |
| System | Home Assistant OS 16.2 · kernel 6.12.34-haos · aarch64 |
| Processor | Cortex-A76 (4 cores) |
| Uptime | host 3 d 4 h · Resource Manager 2 h 10 min |
| Views | processes: this container's own · network: the host's |
| Home Assistant | connected |
| Supervisor | connected |

**Key metrics**

| Metric | Value |
|---|---|
| CPU | 12.5 % · iowait 1.0 % |
| Memory | 1.2 GB of 4.0 GB (30.0 %) |
| Swap | 0 B of 1.0 GB |
| Disk /data | 12.0 GB of 30.0 GB (40.0 %) |
| Network eth0 | in 1.2 kB/s · out 300 B/s |
| Temperature | 48.0 °C (hottest sensor) |

- **Degraded sources:** none
- **Needs attention:** nothing
- **Top add-ons by memory:** a0d7b954_vscode 450 MB, CPU 2.2 %; core_mosquitto 80.0 MB, CPU 0.5 %
- **Active alerts:** none
- **Outlook:** Disk /data full in about 23 days (18–30 days)
- **Recommendations:** none (recommendations are not part of this version)
- **Satisfaction:** 75 % over 7 days (4 votes), 80 % over 30 days (10 votes)

<sub>Copied from the Resource Manager dashboard. Tokens, addresses and host names are left out.</sub>
";
    assert_eq!(text, expected);
}

#[test]
fn active_alerts_are_listed_with_severity_value_and_since_and_not_twice() {
    use crate::web::active_alerts::{tests::firing_memory, view};
    let mut s = healthy();
    set(&mut s, "memory.used_percent", 93.2);
    let mut pending = firing_memory(s.ts_ms - 30_000, 12.0);
    pending.status = crate::alert::Status::Pending;
    pending.label = "Space used on /mnt/nas.fritz.box".into();
    let mut firing = firing_memory(s.ts_ms - 14 * 60_000, 93.2);
    firing.acknowledged = true;
    let (items, alerts) = view(&[firing, pending], s.ts_ms);
    let extra = Extra {
        items,
        alerts,
        data_disk: None,
    };
    let overview = assess(&s, &RuleSet::default(), &extra);
    let h = host();
    let text = render(&input(&s, &overview, &h));
    assert!(
        text.contains(
            "**Status:** Memory in use is at 93 % (warning for 14 min, acknowledged) (2026-11-27 14:25 UTC)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "- **Active alerts:** Memory in use (warning, 93.2 %, since 2026-11-27 14:11 UTC, acknowledged); \
             Space used on [redacted] (pending, 12.0 %, since 2026-11-27 14:24 UTC)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("- **Needs attention:** nothing\n"),
        "the alert is not repeated as a threshold item: {text}"
    );
}

#[test]
fn the_report_never_contains_secrets_addresses_or_host_names() {
    let mut s = healthy();
    s.samples
        .push(disk("/media/nas.fritz.box", "used_percent", 10.0));
    s.samples
        .push(disk("/mnt/kitchen-pi", "used_percent", 10.0));
    s.sources.push(SourceHealth {
        source: "supervisor",
        ok: false,
        error: Some(
            "GET http://192.168.1.20:8123/api failed: Bearer eyJhbGciOiJIUzI1NiJ9.supersecret rejected by ha.local (fe80::1ff:fe23:4567:890a, me@example.com, 10.0.0.7)"
                .into(),
        ),
        micros: 0,
    });
    let overview = assess(&s, &RuleSet::default(), &Extra::default());
    let h = host();
    let text = render(&input(&s, &overview, &h));
    for leak in [
        "supersecret",
        "eyJhbGciOiJIUzI1NiJ9",
        "192.168",
        "http://",
        "ha.local",
        "fritz.box",
        "kitchen-pi",
        "fe80",
        "example.com",
        "10.0.0.7",
    ] {
        assert!(!text.contains(leak), "{leak} leaked:\n{text}");
    }
    assert!(text.contains("supervisor (GET [redacted] failed"), "{text}");
    assert!(text.contains("Disk /data"), "ordinary paths stay: {text}");
}

#[test]
fn scrub_keeps_ordinary_words_numbers_and_versions() {
    let plain = "CPU 12.5 % at 14:25 UTC, version 0.1.0, kernel 6.12.48+deb13-amd64, e.g. /data.";
    assert_eq!(scrub(plain, &[]), plain);
    assert_eq!(
        scrub("token 0123456789abcdef0123456789abcdef01 here", &[]),
        "token [redacted] here"
    );
    assert_eq!(scrub("see homeassistant.local.", &[]), "see [redacted].");
    // The recovery command of a storage notice names files, not hosts.
    let recover = "sqlite3 /data/history.db.corrupt-2026 \".recover\" | sqlite3 recovered.db";
    assert_eq!(scrub(recover, &[]), recover);
    assert_eq!(scrub("at nas.example.db.lan", &[]), "at [redacted]");
}

#[test]
fn the_data_disk_wear_is_reported_where_the_host_gives_it() {
    let mut s = healthy();
    s.samples.push(Sample {
        series: Arc::new(crate::model::registry::DISK_LIFE_TIME.global()),
        value: 10.0,
    });
    let rows = key_metrics(&s);
    assert!(
        rows.iter()
            .any(|(k, v)| k == "Data disk wear" && v == "10.0 % of its rated life used"),
        "{rows:?}"
    );
    assert!(
        !key_metrics(&healthy())
            .iter()
            .any(|(k, _)| k == "Data disk wear"),
        "absent: no row"
    );
}

#[test]
fn the_add_ons_own_disk_writes_are_reported_beside_the_wear() {
    let mut s = healthy();
    s.samples.push(Sample {
        series: Arc::new(crate::model::registry::ENGINE_DISK_WRITES.global()),
        value: 12_500_000.0,
    });
    let rows = key_metrics(&s);
    let row = rows
        .iter()
        .find(|(k, _)| k == "Own disk writes")
        .expect("row");
    assert!(
        row.1.ends_with(" a day (last hour)") && row.1.contains("12"),
        "{row:?}"
    );
}

#[test]
fn every_host_is_in_the_report_with_its_state() {
    use crate::web::page::HostLine;
    let s = healthy();
    let overview = assess(&s, &RuleSet::default(), &Extra::default());
    let host = host();
    let mut report = input(&s, &overview, &host);
    let line = |name: &str, state: &'static str, values: &str| HostLine {
        name: name.into(),
        local: name == "local",
        class: "ok",
        state,
        values: values.into(),
    };
    report.hosts = vec![
        line("local", "this box", "CPU 12 % · Memory 40 %"),
        line("nas", "up", "CPU 3 % · Disk 81 %"),
        line(
            "pve",
            "unreachable",
            "cannot reach it: connection refused or unreachable",
        ),
    ];
    let text = render(&report);
    assert!(text.contains("| Host | State | Values |"), "{text}");
    assert!(
        text.contains("| nas | up | CPU 3 % · Disk 81 % |"),
        "{text}"
    );
    assert!(text.contains("| pve | unreachable |"), "{text}");
    // Only this box: no hosts table.
    report.hosts.truncate(1);
    assert!(!render(&report).contains("**Hosts**"));
}

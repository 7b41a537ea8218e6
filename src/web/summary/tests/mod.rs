//! The overview judged from fixture snapshots; the fixtures (a healthy box, and helpers to
//! change it) are shared with the report's tests.

mod alerts;
mod cards;
mod history;
mod ranking;

use std::sync::Arc;

use crate::model::{Sample, SeriesMeta, Snapshot, SourceHealth, Unit};

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

//! The report's key-metrics table: CPU, memory, swap, each disk, disk wear and own writes,
//! network interfaces, temperature and power, as far as the snapshot has them.

use crate::model::{Snapshot, Unit};
use crate::web::format::{format_bytes, format_value};

/// Rows (name, value in words) of the key-metrics table.
pub(super) fn key_metrics(s: &Snapshot) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let v = |id: &str| s.value(id);
    let pct = |p: f64| format_value(p, Unit::Percent);
    if let Some(cpu) = v("cpu.usage") {
        let mut text = pct(cpu);
        if let (Some(a), Some(b), Some(c)) = (v("load.1m"), v("load.5m"), v("load.15m")) {
            text.push_str(&format!(" · load {a:.2} / {b:.2} / {c:.2}"));
        }
        if let Some(w) = v("cpu.iowait") {
            text.push_str(&format!(" · iowait {}", pct(w)));
        }
        rows.push(("CPU".into(), text));
    }
    if let (Some(u), Some(t), Some(p)) = (
        v("memory.used_bytes"),
        v("memory.total_bytes"),
        v("memory.used_percent"),
    ) {
        rows.push((
            "Memory".into(),
            format!("{} of {} ({})", format_bytes(u), format_bytes(t), pct(p)),
        ));
    }
    if let (Some(u), Some(t)) = (v("swap.used_bytes"), v("swap.total_bytes"))
        && t > 0.0
    {
        rows.push((
            "Swap".into(),
            format!("{} of {}", format_bytes(u), format_bytes(t)),
        ));
    }
    for sample in s
        .samples
        .iter()
        .filter(|x| x.series.family == "disk.used_percent")
    {
        let mount = sample.label("mount");
        let used = v(&format!("disk.{mount}.used_bytes"));
        let total = v(&format!("disk.{mount}.total_bytes"));
        let text = match (used, total) {
            (Some(u), Some(t)) => format!(
                "{} of {} ({})",
                format_bytes(u),
                format_bytes(t),
                pct(sample.value)
            ),
            _ => pct(sample.value),
        };
        rows.push((format!("Disk {mount}"), text));
    }
    if let Some(wear) = v(crate::model::registry::DISK_LIFE_TIME.pattern) {
        rows.push((
            "Data disk wear".into(),
            format!("{} of its rated life used", pct(wear)),
        ));
    }
    if let Some(written) = v(crate::model::registry::ENGINE_DISK_WRITES.pattern) {
        rows.push((
            "Own disk writes".into(),
            format!("{} a day (last hour)", format_bytes(written)),
        ));
    }
    for sample in s
        .samples
        .iter()
        .filter(|x| x.series.family == "net.rx_bytes_per_second")
        .filter(|x| x.label("kind") != "loopback")
    {
        let iface = sample.label("interface");
        let kind = sample.label("kind");
        if kind == "virtual" && sample.value == 0.0 {
            continue;
        }
        let tx = v(&format!("net.{iface}.tx_bytes_per_second")).unwrap_or(0.0);
        rows.push((
            format!("Network {iface}"),
            format!(
                "in {} · out {}",
                format_value(sample.value, Unit::BytesPerSecond),
                format_value(tx, Unit::BytesPerSecond)
            ),
        ));
    }
    rows.push((
        "Temperature".into(),
        v("temp.max_celsius").map_or_else(
            || "not available".into(),
            |t| format!("{} (hottest sensor)", format_value(t, Unit::Celsius)),
        ),
    ));
    if let Some(power) = s.samples.iter().find(|x| x.series.id.starts_with("power.")) {
        rows.push((
            "Power".into(),
            format!("{:.1} {}", power.value, power.series.unit.symbol())
                .trim_end()
                .to_string(),
        ));
    }
    rows
}

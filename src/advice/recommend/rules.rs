//! The rules one pass decides on its own: memory leaks the analysis found, add-ons idle for a
//! week, disks that fill within a month, and recorder bloat from the churn counted.

use super::inputs::AdviceInputs;
use super::shared::{duration, format_bytes, host_memory_percent, rec};
use crate::advice::recorder::ChurnReport;
use crate::advice::types::{AdviceKind, Evidence, ProposedAction, Recommendation};
use crate::config::ActionKind;
use crate::model::registry;
use crate::util::time::DAY_SECS_F64;

/// A disk that fills within this many days gets advice.
pub const DISK_DAYS: f64 = 30.0;
/// An add-on idle this long (near-zero CPU, no network) could be stopped.
pub const IDLE_DAYS: f64 = 7.0;
/// Highest hourly CPU (percent of the host) and network (bytes/s) that count as idle.
pub const IDLE_CPU_PERCENT: f64 = 0.5;
pub const IDLE_NET_BYTES: f64 = 200.0;
/// Leaks with less confidence are not advised on.
pub const LEAK_CONFIDENCE: f64 = 0.9;

pub(super) fn leaks(input: &AdviceInputs<'_>, out: &mut Vec<Recommendation>) {
    for leak in &input.findings.leaks {
        if leak.leak.confidence < LEAK_CONFIDENCE {
            continue;
        }
        let addon = leak
            .series
            .strip_prefix("addon.")
            .and_then(|s| s.strip_suffix(".memory_bytes"));
        let target = addon.unwrap_or(&leak.suspect);
        let window_s = (leak.leak.to - leak.leak.from).max(0.0);
        let grown = leak.leak.rate_per_day * window_s / DAY_SECS_F64;
        let when = leak
            .leak
            .eta_to_limit
            .map(|eta| format!(", reaching its limit in about {}", duration(eta)))
            .unwrap_or_default();
        let who = match addon {
            Some(slug) => format!("Add-on {slug}"),
            None if target == "host" => "The host's memory".to_string(),
            None => target.to_string(),
        };
        let mut r = rec(
            AdviceKind::Leak,
            target,
            format!(
                "{who} leaks memory: +{}/day{when}; a restart frees it",
                format_bytes(leak.leak.rate_per_day)
            ),
        );
        let window = Some((
            (leak.leak.from * 1000.0) as i64,
            (leak.leak.to * 1000.0) as i64,
        ));
        r.evidence.push(Evidence::of_series(
            "growth of the memory troughs",
            format!("{}/day", format_bytes(leak.leak.rate_per_day)),
            &leak.series,
            window,
        ));
        if let Some(eta) = leak.leak.eta_to_limit {
            r.evidence
                .push(Evidence::fact("limit reached in", duration(eta)));
        }
        r.saving.memory_bytes = Some(grown);
        r.saving.memory_percent = host_memory_percent(input, grown);
        r.confidence = leak.leak.confidence;
        r.action = addon.map(|slug| ProposedAction {
            kind: ActionKind::Restart,
            addon: slug.to_string(),
        });
        out.push(r);
    }
}

/// Add-ons quiet for a week (CPU and network) that the home does not depend on. Never
/// proposed: an add-on whose role the Supervisor did not tell, one on the host's network
/// (Docker counts none of its traffic: 0 is unknown, not quiet), one without network history,
/// and one that provides a service, feeds an integration or maps hardware.
pub(super) fn idle(input: &AdviceInputs<'_>, out: &mut Vec<Recommendation>) {
    for a in input.addons {
        let quiet_cpu =
            a.covered_seconds >= IDLE_DAYS * DAY_SECS_F64 && a.max_cpu_percent <= IDLE_CPU_PERCENT;
        let Some(role) = a.role.as_ref().filter(|_| quiet_cpu) else {
            continue;
        };
        if role.host_network || role.keeps_home().is_some() {
            continue;
        }
        let Some(net) = a.max_net_bytes.filter(|n| *n <= IDLE_NET_BYTES) else {
            continue;
        };
        let days = a.covered_seconds / DAY_SECS_F64;
        let mut r = rec(
            AdviceKind::Idle,
            &a.slug,
            format!(
                "Add-on {} has been idle for {days:.0} days; stopping it frees {}",
                a.slug,
                a.memory_bytes.map_or("its memory".into(), format_bytes)
            ),
        );
        r.evidence.push(Evidence::fact(
            "judged idle because",
            format!(
                "in every hour of the last {days:.0} days it used at most {:.2} % of the CPU and {net:.0} B/s of network (on its own network, so Docker counts its traffic); the Supervisor lists no service it provides, no integration it feeds and no hardware it maps",
                a.max_cpu_percent
            ),
        ));
        let window = Some((
            input.now_ms - (a.covered_seconds * 1000.0) as i64,
            input.now_ms,
        ));
        r.evidence.push(Evidence::of_series(
            "highest hourly CPU",
            format!("{:.2} % of the host", a.max_cpu_percent),
            registry::ADDON_CPU.instance(&a.slug, &[]).id,
            window,
        ));
        r.evidence.push(Evidence::of_series(
            "highest hourly network traffic",
            format!("{net:.0} B/s"),
            registry::ADDON_NET_RX.instance(&a.slug, &[]).id,
            window,
        ));
        r.saving.memory_bytes = a.memory_bytes;
        r.saving.memory_percent = a.memory_bytes.and_then(|m| host_memory_percent(input, m));
        r.saving.cpu_percent = Some(a.max_cpu_percent);
        // Longer quiet, more confident; a week is the least that counts.
        r.confidence = (0.6 + 0.05 * (days - IDLE_DAYS)).clamp(0.6, 0.95);
        r.action = Some(ProposedAction {
            kind: ActionKind::Stop,
            addon: a.slug.clone(),
        });
        out.push(r);
    }
}

pub(super) fn disk(input: &AdviceInputs<'_>, out: &mut Vec<Recommendation>) {
    for f in &input.findings.forecasts {
        let Some(eta) = f.eta_seconds else { continue };
        if f.resource != "disk" || eta > DISK_DAYS * DAY_SECS_F64 {
            continue;
        }
        let mut r = rec(
            AdviceKind::DiskFull,
            &f.instance,
            format!(
                "Disk {} fills in about {}; free space before it does",
                f.instance,
                duration(eta)
            ),
        );
        r.evidence.push(Evidence::of_series(
            "growth",
            format!("{}/day", format_bytes(f.slope_per_day)),
            &f.series,
            None,
        ));
        r.evidence.push(Evidence::fact(
            "free space left",
            format_bytes((f.threshold - f.current).max(0.0)),
        ));
        let mut freeable = 0.0;
        if let Some(b) = &input.disk.backups {
            let total: f64 = b.sizes.iter().sum();
            r.evidence.push(Evidence::fact(
                "backups",
                format!("{} taking {}", b.sizes.len(), format_bytes(total)),
            ));
            // Keeping the newest backup, the others could go (or move off the box).
            freeable += b.sizes.iter().skip(1).sum::<f64>();
        }
        if let Some(db) = input.disk.recorder_db_bytes {
            r.evidence.push(Evidence::fact(
                "recorder database (home-assistant_v2.db)",
                format_bytes(db),
            ));
        }
        if let Some(walk) = input
            .disk
            .walk
            .as_ref()
            .filter(|w| !w.addon_data.is_empty())
        {
            let largest: Vec<String> = walk
                .addon_data
                .iter()
                .take(3)
                .map(|(slug, bytes)| format!("{slug} ({})", format_bytes(*bytes)))
                .collect();
            r.evidence
                .push(Evidence::fact("largest add-on data", largest.join(", ")));
        }
        if freeable > 0.0 {
            r.title = format!(
                "Disk {} fills in about {}; removing all but the newest backup frees {}",
                f.instance,
                duration(eta),
                format_bytes(freeable)
            );
            r.saving.disk_bytes = Some(freeable);
            if f.slope_per_day > 0.0 {
                r.saving.disk_days = Some(freeable / f.slope_per_day);
            }
        }
        r.confidence = f.confidence;
        out.push(r);
    }
}

pub(super) fn recorder(input: &AdviceInputs<'_>, c: &ChurnReport, out: &mut Vec<Recommendation>) {
    let Some(snippet) = &c.snippet else { return };
    let top: Vec<String> = c
        .entities
        .iter()
        .take(3)
        .map(|e| format!("{} ({:.0}/day)", e.entity_id, e.writes_per_day))
        .collect();
    let mut r = rec(
        AdviceKind::RecorderBloat,
        "recorder",
        format!(
            "{} chatty entit{} write about {}/day into the recorder; exclude them",
            c.chatty,
            if c.chatty == 1 { "y" } else { "ies" },
            format_bytes(c.chatty_bytes_per_day)
        ),
    );
    r.evidence
        .push(Evidence::fact("most written entities", top.join(", ")));
    if let Some(d) = c.domains.first() {
        r.evidence.push(Evidence::fact(
            "busiest domain",
            format!("{} ({} writes)", d.domain, d.writes),
        ));
    }
    r.evidence.push(Evidence::fact(
        "watched for",
        duration(c.watched_seconds as f64),
    ));
    r.saving.disk_bytes = Some(c.chatty_bytes_per_day);
    if let Some(db) = input.disk.recorder_db_bytes {
        r.evidence
            .push(Evidence::fact("recorder database now", format_bytes(db)));
    }
    // A day of watching makes the daily rate a measurement instead of an extrapolation.
    r.confidence = (c.watched_seconds as f64 / DAY_SECS_F64).clamp(0.3, 0.9);
    r.snippet = Some(snippet.clone());
    out.push(r);
}

//! The rules on conditions that must last before they count (swapping, a CPU hog, heat):
//! [`Sustain`] remembers since when each holds, across passes.

use super::inputs::{AdviceInputs, Sustain};
use super::shared::{duration, format_bytes, get, host_memory_percent, rec};
use crate::advice::types::{AdviceKind, Evidence, ProposedAction, Recommendation};
use crate::config::ActionKind;
use crate::model::registry;

/// Swap traffic (bytes/s in + out) that means memory pressure, and for how long.
pub const SWAP_BYTES: f64 = 256_000.0;
pub const SWAP_FOR_MS: i64 = 10 * 60_000;
/// An add-on using this share of the host's CPU for this long is a hog.
pub const HOG_PERCENT: f64 = 50.0;
pub const HOG_FOR_MS: i64 = 30 * 60_000;
/// Temperature that counts as hot, and for how long.
pub const HOT_CELSIUS: f64 = 80.0;
pub const HOT_FOR_MS: i64 = 10 * 60_000;

pub(super) fn pressure(
    input: &AdviceInputs<'_>,
    sustain: &mut Sustain,
    out: &mut Vec<Recommendation>,
) {
    let swap = get(input.latest, "swap.in_bytes_per_second").unwrap_or(0.0)
        + get(input.latest, "swap.out_bytes_per_second").unwrap_or(0.0);
    let since = sustain.observe("memory_pressure", swap >= SWAP_BYTES, input.now_ms);
    let Some(since) = since.filter(|s| input.now_ms - s >= SWAP_FOR_MS) else {
        return;
    };
    let biggest = input
        .addons
        .iter()
        .filter_map(|a| Some((a.slug.as_str(), a.memory_bytes?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let mut r = rec(
        AdviceKind::MemoryPressure,
        "host",
        format!(
            "The box is swapping ({}/s) for {}: memory is short",
            format_bytes(swap),
            duration((input.now_ms - since) as f64 / 1000.0)
        ),
    );
    r.evidence.push(Evidence::of_series(
        "swap in + out",
        format!("{}/s", format_bytes(swap)),
        "swap.in_bytes_per_second",
        Some((since, input.now_ms)),
    ));
    if let Some(p) = get(input.latest, "memory.used_percent") {
        r.evidence.push(Evidence::of_series(
            "memory used",
            format!("{p:.0} %"),
            "memory.used_percent",
            None,
        ));
    }
    if let Some((slug, bytes)) = biggest {
        r.title.push_str(&format!(
            "; the largest add-on is {slug} ({})",
            format_bytes(bytes)
        ));
        r.saving.memory_bytes = Some(bytes);
        r.saving.memory_percent = host_memory_percent(input, bytes);
    }
    r.confidence = 0.8;
    out.push(r);
}

pub(super) fn hogs(input: &AdviceInputs<'_>, sustain: &mut Sustain, out: &mut Vec<Recommendation>) {
    for a in input.addons {
        let id = registry::ADDON_CPU.instance(&a.slug, &[]).id;
        let cpu = get(input.latest, &id).unwrap_or(0.0);
        let key = format!("cpu_hog.{}", a.slug);
        let Some(since) = sustain
            .observe(&key, cpu >= HOG_PERCENT, input.now_ms)
            .filter(|s| input.now_ms - s >= HOG_FOR_MS)
        else {
            continue;
        };
        let mut r = rec(
            AdviceKind::CpuHog,
            &a.slug,
            format!(
                "Add-on {} has used {cpu:.0} % of the CPU for {}; a restart may calm it",
                a.slug,
                duration((input.now_ms - since) as f64 / 1000.0)
            ),
        );
        r.evidence.push(Evidence::of_series(
            "CPU",
            format!("{cpu:.0} % of the host"),
            id,
            Some((since, input.now_ms)),
        ));
        r.saving.cpu_percent = Some(cpu);
        r.confidence = 0.6;
        r.action = Some(ProposedAction {
            kind: ActionKind::Restart,
            addon: a.slug.clone(),
        });
        out.push(r);
    }
}

pub(super) fn heat(input: &AdviceInputs<'_>, sustain: &mut Sustain, out: &mut Vec<Recommendation>) {
    let temp = get(input.latest, "temp.max_celsius");
    let throttling = input
        .findings
        .bottleneck
        .as_ref()
        .is_some_and(|v| v.kind == crate::analysis::bottleneck::Bottleneck::Thermal);
    let hot = temp.is_some_and(|t| t >= HOT_CELSIUS) || throttling;
    let Some(since) = sustain
        .observe("heat", hot, input.now_ms)
        .filter(|s| input.now_ms - s >= HOT_FOR_MS)
    else {
        return;
    };
    let mut r = rec(
        AdviceKind::Heat,
        "host",
        format!(
            "The box has run hot for {}{}; check the fan and airflow",
            duration((input.now_ms - since) as f64 / 1000.0),
            if throttling { " and throttles" } else { "" }
        ),
    );
    if let Some(t) = temp {
        r.evidence.push(Evidence::of_series(
            "hottest sensor",
            format!("{t:.0} °C"),
            "temp.max_celsius",
            Some((since, input.now_ms)),
        ));
    }
    if throttling {
        r.evidence.push(Evidence::fact(
            "throttling",
            "the analysis names heat as the bottleneck",
        ));
    }
    r.confidence = 0.8;
    out.push(r);
}

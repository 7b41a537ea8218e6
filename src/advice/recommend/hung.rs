//! Add-ons that hang while "started": the Supervisor's watchdog only restarts an add-on that
//! stops or fails its health check, so one stuck at its memory limit, or with a core pinned
//! and nothing moving, stays "started" for hours. Judged from the latest readings, lasting
//! [`HUNG_FOR_MS`] across passes ([`Sustain`]); the proposed action is a restart.
//!
//! Busy by nature is told apart by a sign of work: a backup, a compile or a transcode reads
//! and writes the disk or the network while it uses the CPU; a stuck loop does not. An add-on
//! at its memory limit is stuck whatever it does: the kernel reclaims and kills inside it.
//! An add-on whose Ingress gave no answer to several probes in a row (the poller's
//! `addon.<slug>.ingress_answering`, `supervisor/answers.rs`) for [`UNANSWERED_FOR_MS`] more is
//! stuck too: a busy one still answers, a backup that stops it leaves "started".

use std::sync::Arc;

use super::inputs::{AdviceInputs, Latest, Sustain};
use super::shared::{duration, format_bytes, get, rec};
use crate::advice::types::{AdviceKind, Evidence, ProposedAction, Recommendation};
use crate::config::ActionKind;
use crate::model::Sample;
use crate::model::registry::{self, Family};

/// How long a condition must hold before the add-on counts as stuck.
pub const HUNG_FOR_MS: i64 = 30 * 60_000;
/// How long an Ingress that counts as not answering must stay so (on top of the probes'
/// own 3 minutes): a restart by the user or an update takes the add-on out of "started".
pub const UNANSWERED_FOR_MS: i64 = 5 * 60_000;
/// Memory at this share of the add-on's limit is "at its limit".
pub const AT_LIMIT_PERCENT: f64 = 98.0;
/// A core counts as pinned at this share of one core's time.
pub const PINNED_CORE_SHARE: f64 = 0.9;
/// Less disk and network traffic than this (bytes/s, all four together) is no sign of work.
pub const NO_WORK_BYTES: f64 = 1024.0;

const IO: [&Family; 4] = [
    &registry::ADDON_BLOCK_READ,
    &registry::ADDON_BLOCK_WRITE,
    &registry::ADDON_NET_RX,
    &registry::ADDON_NET_TX,
];

pub(super) fn hung(input: &AdviceInputs<'_>, sustain: &mut Sustain, out: &mut Vec<Recommendation>) {
    let cores = input
        .latest
        .keys()
        .filter(|id| id.starts_with("cpu.core") && id.ends_with(".usage"))
        .count()
        .max(1) as f64;
    // One core's share of the host, as the Supervisor's cpu_percent counts.
    let pinned_at = PINNED_CORE_SHARE * 100.0 / cores;
    for a in input.addons {
        // The Supervisor itself cannot be restarted as an add-on.
        if a.slug == "supervisor" {
            continue;
        }
        let value = |family: &Family| get(input.latest, &family.instance(&a.slug, &[]).id);
        let memory = value(&registry::ADDON_MEMORY_PERCENT);
        let cpu = value(&registry::ADDON_CPU);
        let io: Option<f64> = IO.iter().filter_map(|f| value(f)).reduce(|x, y| x + y);
        let at_limit = memory.is_some_and(|m| m >= AT_LIMIT_PERCENT);
        // Unknown traffic is no evidence of idleness: not judged without the counters.
        let spinning = cpu.is_some_and(|c| c >= pinned_at) && io.is_some_and(|b| b < NO_WORK_BYTES);
        let at_limit_since = sustain
            .observe(&format!("hung_memory.{}", a.slug), at_limit, input.now_ms)
            .filter(|s| input.now_ms - s >= HUNG_FOR_MS);
        let answering = value(&registry::ADDON_ANSWERING);
        let unanswered_since = sustain
            .observe(
                &format!("hung_ingress.{}", a.slug),
                answering == Some(0.0),
                input.now_ms,
            )
            .filter(|s| input.now_ms - s >= UNANSWERED_FOR_MS);
        let spinning_since = sustain
            .observe(&format!("hung_cpu.{}", a.slug), spinning, input.now_ms)
            .filter(|s| input.now_ms - s >= HUNG_FOR_MS);
        let (since, what) = match (at_limit_since, spinning_since, unanswered_since) {
            (Some(since), _, _) => (
                since,
                format!(
                    "has been at its memory limit ({:.0} %)",
                    memory.unwrap_or_default()
                ),
            ),
            (None, Some(since), _) => (
                since,
                format!(
                    "has kept a core busy ({:.0} % of the host) with no disk or network activity",
                    cpu.unwrap_or_default()
                ),
            ),
            (None, None, Some(since)) => {
                (since, "has not answered on its Ingress port".to_string())
            }
            (None, None, None) => continue,
        };
        let mut r = rec(
            AdviceKind::Hung,
            &a.slug,
            format!(
                "Add-on {} seems stuck: it {what} for {} while \"started\"; a restart should free it",
                a.slug,
                duration((input.now_ms - since) as f64 / 1000.0)
            ),
        );
        let window = Some((since, input.now_ms));
        let readings = [
            (
                "memory",
                &registry::ADDON_MEMORY_PERCENT,
                memory.map(|m| format!("{m:.0} % of its limit")),
            ),
            (
                "CPU",
                &registry::ADDON_CPU,
                cpu.map(|c| format!("{c:.0} % of the host ({cores:.0} cores)")),
            ),
            (
                "disk and network",
                &registry::ADDON_BLOCK_WRITE,
                io.map(|b| format!("{}/s", format_bytes(b))),
            ),
            (
                "Ingress",
                &registry::ADDON_ANSWERING,
                answering.map(|v| {
                    if v == 0.0 {
                        "no HTTP answer to 3 probes in a row, a minute apart".to_string()
                    } else {
                        "answers".to_string()
                    }
                }),
            ),
        ];
        for (label, family, value) in readings {
            if let Some(value) = value {
                let id = family.instance(&a.slug, &[]).id;
                r.evidence
                    .push(Evidence::of_series(label, value, id, window));
            }
        }
        r.confidence = if at_limit_since.is_some() || unanswered_since.is_some() {
            0.8
        } else {
            0.6
        };
        // Core is restarted through its own endpoint, not as an add-on: advice only.
        if a.slug != "homeassistant" {
            r.action = Some(ProposedAction {
                kind: ActionKind::Restart,
                addon: a.slug.clone(),
            });
        }
        out.push(r);
    }
}

/// The verdict as series for the alert engine: `addon.<slug>.hung` 1 for each add-on `list`
/// finds hung, 0 for every other add-on polled now (its `cpu_percent` in `latest`); none for
/// the Supervisor, which the rule never judges.
pub fn hung_series(list: &[Recommendation], latest: &Latest) -> Vec<Sample> {
    let mut slugs: Vec<&str> = latest
        .keys()
        .filter_map(|id| id.strip_prefix("addon.")?.strip_suffix(".cpu_percent"))
        .filter(|slug| *slug != "supervisor")
        .collect();
    slugs.sort_unstable();
    slugs
        .into_iter()
        .map(|slug| Sample {
            series: Arc::new(registry::ADDON_HUNG.instance(slug, &[slug])),
            value: if list
                .iter()
                .any(|r| r.kind == AdviceKind::Hung && r.target == slug)
            {
                1.0
            } else {
                0.0
            },
        })
        .collect()
}

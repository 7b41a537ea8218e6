//! The CPU card: usage, load and cores, with hints when the load per core is high or the
//! processor waits for storage.

use super::{Card, View, plural};
use crate::advice;
use crate::model::registry;
use crate::model::{Severity, Unit};
use crate::web::attention::Attention;
use crate::web::format::format_value;

/// 5-minute load per core past which the processor is pointed out.
const LOAD_HINT: f64 = 1.5;
const IOWAIT_HINT: f64 = 25.0;

impl View<'_> {
    pub(in crate::web::summary) fn cpu_card(&self, items: &mut Vec<Attention>) -> Card {
        let usage = self.value(registry::CPU_USAGE.pattern);
        let cores = self.family(registry::CPU_CORE_USAGE.family).count();
        let load = self.value(registry::LOAD_5M.pattern);
        let mut level = Severity::Ok;
        if let (Some(load), true) = (load, cores > 0) {
            let per_core = load / cores as f64;
            if per_core >= LOAD_HINT {
                level = Severity::Info;
                items.push(
                    Attention::new(
                        level,
                        format!(
                            "The processor is overloaded: load {load:.1} on {cores} core{}",
                            plural(cores)
                        ),
                        advice::CPU,
                    )
                    .on("load.5m"),
                );
            }
        }
        if let Some(iowait) = self.value("cpu.iowait").filter(|w| *w >= IOWAIT_HINT) {
            level = level.max(Severity::Info);
            items.push(
                Attention::new(
                    Severity::Info,
                    format!("The processor waits for storage {iowait:.0} % of the time"),
                    advice::IOWAIT,
                )
                .on("cpu.iowait"),
            );
        }
        let mut detail = Vec::new();
        if let Some(load) = load {
            detail.push(format!("load {load:.2}"));
        }
        if cores > 0 {
            detail.push(format!("{cores} core{}", plural(cores)));
        }
        detail.extend(self.waiting("cpu"));
        Card {
            key: "cpu",
            title: "CPU",
            value: usage.map_or_else(|| "measuring…".into(), |u| format_value(u, Unit::Percent)),
            detail: detail.join(" · "),
            percent: usage,
            spark: usage,
            level,
            available: true,
        }
    }
}

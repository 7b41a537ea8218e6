//! The memory card: judged by the memory rule, with a hint when swap fills while memory
//! is nearly full.

use super::{Card, View};
use crate::advice;
use crate::model::registry;
use crate::model::{Severity, Unit};
use crate::web::attention::Attention;
use crate::web::format::{format_bytes, format_value};

/// Swap use pointed out once memory is at least [`SWAP_HINT_MEMORY`] % used.
const SWAP_HINT: f64 = 50.0;
const SWAP_HINT_MEMORY: f64 = 75.0;

impl View<'_> {
    pub(in crate::web::summary) fn memory_card(&self, items: &mut Vec<Attention>) -> Card {
        let pct = self.value(registry::MEMORY_USED_PERCENT.pattern);
        let used = self.value("memory.used_bytes");
        let total = self.value(registry::MEMORY_TOTAL.pattern);
        let mut level = Severity::Ok;
        let judged = pct.and_then(|p| {
            Some((
                p,
                self.rules.judge(registry::MEMORY_USED_PERCENT.pattern, p)?,
            ))
        });
        if let Some((p, item_level)) = judged {
            level = item_level;
            items.push(
                Attention::new(level, format!("Memory is {p:.0} % used"), advice::MEMORY)
                    .on("memory.used_percent"),
            );
        }
        let swap_pct = self.value("swap.used_percent");
        // Swap in use while memory is nearly full: the box is really short of memory.
        if let Some(sp) = swap_pct.filter(|sp| *sp >= SWAP_HINT)
            && pct.is_some_and(|p| p >= SWAP_HINT_MEMORY)
        {
            level = level.max(Severity::Info);
            items.push(
                Attention::new(
                    Severity::Info,
                    format!("Memory is short: swap is {sp:.0} % used"),
                    advice::SWAP,
                )
                .on("swap.used_percent"),
            );
        }
        let mut detail = match (used, total) {
            (Some(u), Some(t)) => format!("{} of {}", format_bytes(u), format_bytes(t)),
            _ => String::new(),
        };
        if let Some(swap) = self
            .value("swap.used_bytes")
            .filter(|_| self.value("swap.total_bytes").is_some_and(|t| t > 0.0))
        {
            detail.push_str(&format!(" · swap {}", format_bytes(swap)));
        }
        if let Some(waiting) = self.waiting("memory") {
            detail.push_str(&format!(" · {waiting}"));
        }
        Card {
            key: "memory",
            title: "Memory",
            value: pct.map_or_else(
                || "not available".into(),
                |p| format_value(p, Unit::Percent),
            ),
            detail,
            percent: pct,
            spark: pct,
            level,
            available: pct.is_some(),
        }
    }
}

//! Items about add-ons holding a large share of memory (no card of their own).

use super::View;
use crate::advice;
use crate::model::Severity;
use crate::model::registry;
use crate::web::attention::Attention;
use crate::web::format::format_bytes;

/// Share of memory one add-on may use before it is pointed out.
const ADDON_MEMORY_SHARE: f64 = 25.0;

impl View<'_> {
    /// Add-ons holding a large share of memory (series from the Supervisor collector).
    pub(in crate::web::summary) fn addon_items(&self, items: &mut Vec<Attention>) {
        let Some(total) = self
            .value(registry::MEMORY_TOTAL.pattern)
            .filter(|t| *t > 0.0)
        else {
            return;
        };
        for sample in &self.s.samples {
            let Some(slug) = sample
                .series
                .id
                .strip_prefix("addon.")
                .and_then(|rest| rest.strip_suffix(".memory_bytes"))
            else {
                continue;
            };
            let share = sample.value * 100.0 / total;
            if share >= ADDON_MEMORY_SHARE {
                items.push(
                    Attention::new(
                        Severity::Info,
                        format!(
                            "Add-on {slug} uses {} ({share:.0} % of memory)",
                            format_bytes(sample.value)
                        ),
                        advice::ADDON,
                    )
                    .on(sample.series.id.clone()),
                );
            }
        }
    }
}

//! The power card: measured or modelled, the energy counted and what it costs a month.

use super::{Card, View};
use crate::model::registry;
use crate::model::{Sample, Severity, Unit};
use crate::web::format::format_value;

impl View<'_> {
    /// Power readings (RAPL or a model) when a collector provides them.
    /// The host's power, whether it is measured or modelled, the energy counted so far and,
    /// with an energy price, what it costs a month.
    pub(in crate::web::summary) fn power_card(&self) -> Option<Card> {
        let power = self
            .s
            .samples
            .iter()
            .find(|s| s.series.id == registry::POWER_WATTS.pattern)?;
        let label = |sample: &Sample, name: &str| {
            sample
                .series
                .labels
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        };
        let source = label(power, "source").unwrap_or_else(|| "modelled".into());
        let mut detail = vec![match label(power, "method").as_deref() {
            Some("rapl") => "measured (RAPL)".to_string(),
            Some("hwmon") => "measured (hwmon)".to_string(),
            _ => format!(
                "{source} from CPU use ({})",
                label(power, "preset").unwrap_or_else(|| "preset".into())
            ),
        }];
        if let Some(kwh) = self.value(registry::ENERGY_TOTAL.pattern) {
            detail.push(format!(
                "{} counted",
                format_value(kwh, Unit::KilowattHours)
            ));
        }
        if let Some(cost) = self
            .s
            .samples
            .iter()
            .find(|s| s.series.id == registry::COST_PER_MONTH.pattern)
        {
            let currency = label(cost, "currency").unwrap_or_default();
            detail.push(format!("{:.2} {currency} a month", cost.value));
        }
        Some(Card {
            key: "power",
            title: "Power",
            value: format_value(power.value, Unit::Watts),
            detail: detail.join(" · "),
            percent: None,
            spark: Some(power.value),
            level: Severity::Ok,
            available: true,
        })
    }
}

//! What stopping an idle add-on or taming a CPU hog saves in power, and with a price in money:
//! added after the rules, from the add-on's share of the host's power.

use super::inputs::Latest;
use super::shared::get;
use crate::advice::types::{AdviceKind, Evidence, Recommendation};
use crate::model::registry;

/// The price of energy (`power.energy_price`) and its currency.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyPrice {
    pub per_kwh: f64,
    pub currency: String,
}

/// Adds what stopping an idle add-on or taming a CPU hog saves in watts (its share of the
/// host's power, from the derive stage) and, with a price, in money a month.
pub fn attach_power(list: &mut [Recommendation], latest: &Latest, price: Option<&EnergyPrice>) {
    for r in list {
        if !matches!(r.kind, AdviceKind::Idle | AdviceKind::CpuHog) {
            continue;
        }
        let Some(slug) = r.action.as_ref().map(|a| a.addon.clone()) else {
            continue;
        };
        let id = registry::ADDON_POWER.instance(&slug, &[]).id;
        let Some(watts) = get(latest, &id).filter(|w| *w > 0.0) else {
            continue;
        };
        r.saving.watts = Some(watts);
        let mut value = format!("{watts:.1} W");
        if let Some(price) = price {
            let cost = crate::collect::power::cost_per_month(watts, price.per_kwh);
            r.saving.cost_per_month = Some(cost);
            value.push_str(&format!(" ({cost:.2} {} a month)", price.currency));
        }
        r.evidence.push(Evidence::of_series(
            "power it draws (its share of the host's CPU)",
            value,
            id,
            None,
        ));
    }
}

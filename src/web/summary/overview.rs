//! The overview of one snapshot: the cards, the items they raise and the items from outside,
//! ranked worst first into the status line and the attention list.

use serde::Serialize;

use super::cards::{Card, View};
use crate::config::alert_rules::RuleSet;
use crate::model::{Severity, Snapshot};
use crate::web::active_alerts::ActiveAlert;
use crate::web::attention::{Attention, level_class};

/// The overview: status line, cards, the attention list and the active alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    #[serde(serialize_with = "level_class")]
    pub level: Severity,
    pub line: String,
    pub attention: Vec<Attention>,
    pub cards: Vec<Card>,
    /// Pending and firing alerts, firing first.
    pub alerts: Vec<ActiveAlert>,
}

impl Overview {
    /// Whether "Needs attention" has something besides the alerts listed above it.
    pub fn has_other_attention(&self) -> bool {
        self.attention.iter().any(|a| !a.alert)
    }
}

/// Facts from outside the snapshot.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Items from the history's health, the analyzers: firing alerts now, forecasts later.
    pub items: Vec<Attention>,
    /// Rows of the Active alerts list (pending ones included), passed through.
    pub alerts: Vec<ActiveAlert>,
    /// The mount holding the data directory (`web::data_disk`), if one is listed.
    pub data_disk: Option<String>,
}

/// Reads the overview out of one snapshot, judged by the effective alert `rules`.
pub fn assess(snapshot: &Snapshot, rules: &RuleSet, extra: &Extra) -> Overview {
    if snapshot.ts_ms == 0 {
        return Overview {
            level: Severity::Info,
            line: "Starting: the first readings arrive in a moment".into(),
            attention: Vec::new(),
            cards: Vec::new(),
            alerts: extra.alerts.clone(),
        };
    }
    let view = View {
        s: snapshot,
        rules,
        data_disk: extra.data_disk.as_deref(),
    };
    let mut items = Vec::new();
    let cards = vec![
        view.cpu_card(&mut items),
        view.memory_card(&mut items),
        view.disk_card(&mut items),
        view.network_card(),
        view.temperature_card(&mut items),
    ]
    .into_iter()
    .chain(view.power_card())
    .collect();
    view.addon_items(&mut items);
    let degraded: Vec<&str> = snapshot.degraded().map(|s| s.source).collect();
    if !degraded.is_empty() {
        items.push(Attention::new(
            Severity::Warning,
            format!("Some readings are missing: {}", degraded.join(", ")),
            "Diagnostics shows why each source fails.",
        ));
    }
    items.retain(|item| {
        item.series.as_deref().is_none_or(|series| {
            !extra
                .items
                .iter()
                .any(|x| x.series.as_deref() == Some(series))
        })
    });
    // Worst first; at equal levels outside items first. The sort is stable, so the rest keep
    // the card order and alerts the engine's order.
    let mut ranked: Vec<(bool, Attention)> = items
        .into_iter()
        .map(|item| (true, item))
        .chain(extra.items.iter().cloned().map(|item| (false, item)))
        .collect();
    ranked.sort_by_key(|(own, item)| (std::cmp::Reverse(item.level), *own));
    let items: Vec<Attention> = ranked.into_iter().map(|(_, item)| item).collect();
    let level = items.first().map_or(Severity::Ok, |i| i.level);
    let line = match items.as_slice() {
        [] => "All good".to_string(),
        [only] => only.what.clone(),
        [first, rest @ ..] => format!("{} (and {} more below)", first.what, rest.len()),
    };
    Overview {
        level,
        line,
        attention: items,
        cards,
        alerts: extra.alerts.clone(),
    }
}

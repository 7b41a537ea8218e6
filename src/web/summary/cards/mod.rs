//! The cards of the overview and the attention items their readings raise.
//!
//! Memory, disk and temperature are judged by the alert rules on their series ([`RuleSet::judge`]).
//! The other hints have no alert rule because one reading of them is no fault: load per core
//! (no rule can divide by the core count), time waiting for storage, swap in use while memory
//! fills, and an add-on's share of memory (its rule is on `memory_percent`, judged over a window).
//! They keep fixed levels and are only ever `info`, so the overview never warns where the alert
//! engine stays silent.

mod addons;
mod cpu;
mod disk;
mod memory;
mod network;
mod power;
mod temperature;

use serde::Serialize;

use crate::config::alert_rules::RuleSet;
use crate::model::{Sample, Severity, Snapshot};
use crate::web::attention::level_class;

/// One card of the overview; `value` and `detail` are formatted for display.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub key: &'static str,
    pub title: &'static str,
    pub value: String,
    pub detail: String,
    /// Fill of the bar, 0–100, for cards that have one.
    pub percent: Option<f64>,
    /// The number the sparkline follows.
    pub spark: Option<f64>,
    #[serde(serialize_with = "level_class")]
    pub level: Severity,
    pub available: bool,
}

/// One snapshot as the cards read it, judged by the effective alert `rules`; each card's
/// method is in its own file.
pub(super) struct View<'a> {
    pub(super) s: &'a Snapshot,
    pub(super) rules: &'a RuleSet,
    /// The mount holding the data directory, named as such on the card.
    pub(super) data_disk: Option<&'a str>,
}

impl View<'_> {
    fn value(&self, id: &str) -> Option<f64> {
        self.s.value(id)
    }

    /// "waiting 12 %": the share of the last 10 s in which some task waited for `resource`
    /// (PSI), on the card of that resource; nothing on a kernel without PSI.
    fn waiting(&self, resource: &str) -> Option<String> {
        self.value(&format!("pressure.{resource}.some_percent"))
            .map(|p| format!("waiting {p:.0} %"))
    }

    fn family<'b>(&'b self, family: &'b str) -> impl Iterator<Item = &'b Sample> + 'b {
        self.s
            .samples
            .iter()
            // This box's overview: remote hosts have their own cards.
            .filter(move |sample| sample.series.family == family && sample.series.host.is_none())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

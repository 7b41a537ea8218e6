//! The network card: traffic in and out of the physical interfaces (all but loopback in a
//! container).

use super::{Card, View};
use crate::model::registry;
use crate::model::{Sample, Severity, Unit};
use crate::web::format::format_value;

impl View<'_> {
    pub(in crate::web::summary) fn network_card(&self) -> Card {
        let ifaces: Vec<&Sample> = self.family(registry::NET_RX.family).collect();
        let physical: Vec<&&Sample> = ifaces
            .iter()
            .filter(|s| s.label("kind") == "physical")
            .collect();
        // In a container every interface is virtual: then count all but loopback.
        let chosen: Vec<&str> = if physical.is_empty() {
            ifaces
                .iter()
                .filter(|s| s.label("kind") != "loopback")
                .map(|s| s.label("interface"))
                .collect()
        } else {
            physical.iter().map(|s| s.label("interface")).collect()
        };
        let sum = |metric: &str| -> f64 {
            chosen
                .iter()
                .filter_map(|i| self.value(&format!("net.{i}.{metric}")))
                .sum()
        };
        if chosen.is_empty() {
            return Card {
                key: "network",
                title: "Network",
                value: "not available".into(),
                detail: "No network interface could be read".into(),
                percent: None,
                spark: None,
                level: Severity::Ok,
                available: false,
            };
        }
        let (rx, tx) = (sum("rx_bytes_per_second"), sum("tx_bytes_per_second"));
        Card {
            key: "network",
            title: "Network",
            // No-break spaces: a narrow card wraps between the two directions, not inside one.
            value: format!(
                "↓\u{a0}{} ↑\u{a0}{}",
                format_value(rx, Unit::BytesPerSecond).replace(' ', "\u{a0}"),
                format_value(tx, Unit::BytesPerSecond).replace(' ', "\u{a0}")
            ),
            detail: if self.s.views.network == crate::model::View::Container {
                format!("{} · this container's own traffic", chosen.join(", "))
            } else {
                chosen.join(", ")
            },
            percent: None,
            spark: Some(rx + tx),
            level: Severity::Ok,
            available: true,
        }
    }
}

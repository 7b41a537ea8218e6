//! The overview in plain words: one status line, the cards, and what needs attention.
//!
//! Built from one snapshot judged by the effective alert rules (the same thresholds the alerts
//! use, so changing a rule in the options changes the overview too), plus items from outside
//! through [`Extra`]: firing alerts today (`active_alerts`), forecasts and leak detection later.
//! An outside item about a series replaces the threshold item about the same series, and at
//! equal level it comes first: an alert has been judged over its `for` window, a threshold on
//! one reading has not. The cards are in [`cards`], the ranking in `overview.rs`.

mod cards;
mod history;
mod overview;

pub use super::attention::Attention;
pub use cards::Card;
pub use history::history_items;
pub use overview::{Extra, Overview, assess};

#[cfg(test)]
pub(crate) mod tests;

//! The advisor's rows: the action audit (every decision, dry runs included, and the effect
//! measured later), what the user did with recommendations, and the recorder churn per entity
//! and day. `crate::advice` owns their meaning; this folder only stores them.

mod actions;
mod churn;
mod states;

pub use actions::ActionRow;
pub use churn::ChurnRow;
pub use states::AdviceStateRow;

#[cfg(test)]
mod tests;

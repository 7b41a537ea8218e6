//! The advisor's handle: the current recommendations with the states the user gave them,
//! every action decision (decided by [`ActionPolicy`](crate::advice::policy::ActionPolicy), carried out
//! through [`AddonControl`](crate::supervisor::AddonControl), written to the audit, announced
//! on the bus), the effect measured after each action, and the recorder's churn counter.
//! Cheap to clone; the runner and the web layer share it.

mod advisor;
mod audit;
mod churn;
mod decide;
mod effect;
mod recommendations;
mod supervisor;

pub use advisor::{AdviceError, Advisor, AdvisorParts, PassStats};
pub use audit::ActionDecision;
pub use effect::{EFFECTIVE_SHARE, Effectiveness, MEASURE_AFTER_MS};
pub use recommendations::{DONE_FOR_MS, MAX_SNOOZE_SECONDS};

#[cfg(test)]
mod tests;

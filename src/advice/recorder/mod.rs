//! Recorder bloat: which entities write the most states into Home Assistant's database.
//!
//! Every `state_changed` event becomes one row of the recorder's `states` table (unless the
//! entity is already excluded, which events cannot tell), plus a `state_attributes` row when
//! the attributes changed (identical attributes are shared). The byte estimate follows that
//! shape: a fixed row and index cost, the state text, and the attributes' JSON when they
//! changed. It is an estimate to rank entities, not a measurement of the file.

mod counter;
mod report;

pub use counter::{
    ATTRIBUTES_ROW_BYTES, ChurnCounter, Count, DAYS_KEPT, ROW_BYTES, estimate_bytes,
};
pub use report::{CHATTY_MIN_WRITES, CHATTY_PER_DAY, ChurnReport, DomainChurn, EntityChurn, TOP};

#[cfg(test)]
mod tests;

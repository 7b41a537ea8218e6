//! Every series family the add-on knows, in one table: id pattern, unit, kind, descriptions,
//! Home Assistant presentation and Prometheus name.
//!
//! Collectors and the Supervisor poller build their [`SeriesMeta`] from here, the alert
//! catalog is a view over it, the HA publisher and `/metrics` read their names and attributes
//! from it, and the dashboard names its series through it. A test in `collect/` checks that
//! every series a collector or the poller emits is found here with the same unit and kind.
//!
//! [`SeriesMeta`]: crate::model::SeriesMeta

mod addons;
mod derived;
mod devices;
mod family;
mod ha;
mod lookup;
mod pressure;
mod storage;
mod system;

pub use addons::*;
pub use derived::*;
pub use devices::*;
pub use family::{Family, Storing};
pub use ha::{Entities, HaSensor, group_icon, state_class};
pub use lookup::{by_family, by_id, by_prometheus, families, meta_for_id, of, stored_on_change};
pub use pressure::*;
pub use storage::*;
pub use system::*;

#[cfg(test)]
mod tests;

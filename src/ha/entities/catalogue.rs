//! The catalogue: every entity the options ask for from one snapshot, which series stay on
//! the dashboard only, and which hosts are published.

use super::own::{engine_mode_sensor, status_sensor, top_addon_sensors};
use super::sensor::{Entity, presentation, sensor};
use crate::config::{MetricGroup, PublishOptions};
use crate::model::registry::{self, Entities};
use crate::model::{SeriesMeta, Snapshot};
use crate::store::WriteFailure;

/// Series that stay on the dashboard only, as the registry says (per-core CPU, loopback and
/// virtual interfaces).
fn dashboard_only(meta: &SeriesMeta) -> bool {
    match presentation(meta).entity {
        Entities::All => false,
        Entities::DashboardOnly => true,
        Entities::Physical => meta
            .labels
            .iter()
            .any(|(k, v)| *k == "kind" && v != "physical"),
    }
}

/// Every entity the options ask for, from one snapshot and the history's write health.
pub fn entities(
    options: &PublishOptions,
    snapshot: &Snapshot,
    history: Option<&WriteFailure>,
) -> Vec<Entity> {
    let prefix = options.entity_prefix.as_str();
    let mut out = Vec::with_capacity(snapshot.samples.len() + 3);
    out.push(status_sensor(prefix, snapshot, history));
    for sample in &snapshot.samples {
        // A remote host's series only when the host opted in (its `home_assistant` flag).
        let (host, local_id) = crate::model::host::split(&sample.series.id);
        if host != crate::model::host::LOCAL && !options.hosts.iter().any(|h| h == host) {
            continue;
        }
        let Some(group) = MetricGroup::of_series(local_id) else {
            continue;
        };
        if !options.groups.contains(&group)
            || (group == MetricGroup::Addons && !options.addon_entities)
            || dashboard_only(&sample.series)
        {
            continue;
        }
        out.push(sensor(prefix, &sample.series, sample.value));
    }
    if options.groups.contains(&MetricGroup::Addons) {
        top_addon_sensors(prefix, snapshot, &mut out);
    }
    if options.groups.contains(&MetricGroup::System)
        && let Some(level) = snapshot.value(registry::ENGINE_SCALE_LEVEL.pattern)
    {
        out.push(engine_mode_sensor(prefix, level));
    }
    out
}

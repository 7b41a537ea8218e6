//! Another Resource Manager's own `/metrics` mapped back to our families and units.

use super::state::{MapState, push};
use crate::collect::remote::text::Page;
use crate::model::registry;
use crate::model::{Sample, Unit, host};

/// Another Resource Manager: its families by their Prometheus names, back in our units. Only
/// its own host's series (`host="local"` or none): its remote hosts are not ours to repeat.
pub(super) fn map_resource_manager(page: &Page<'_>, state: &mut MapState, out: &mut Vec<Sample>) {
    for sample in &page.samples {
        let Some(family) = registry::by_prometheus(sample.name) else {
            continue;
        };
        let origin = sample.label("host");
        if !(origin.is_empty() || origin == host::LOCAL) || family == &registry::HOST_UP {
            continue;
        }
        let value = match family.unit {
            Unit::Percent => sample.value * 100.0,
            Unit::Days => sample.value / 86_400.0,
            _ => sample.value,
        };
        let meta = match family.label {
            None => state.meta(family, None, &[], None),
            Some(label) => {
                let value = sample.label(label);
                if value.is_empty() {
                    continue;
                }
                let instance = if family == &registry::CPU_CORE_USAGE {
                    format!("core{value}")
                } else {
                    value.to_string()
                };
                let kind = sample.label("kind");
                let extra = (!kind.is_empty()).then_some(("kind", kind));
                state.meta(family, Some(&instance), &[value, kind], extra)
            }
        };
        push(out, meta, value);
    }
}

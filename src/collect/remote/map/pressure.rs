//! node_exporter's pressure families (its `pressure` collector reads the same
//! `/proc/pressure/*`): `node_pressure_<resource>_waiting_seconds_total` is PSI's `some`
//! total, `..._stalled_seconds_total` its `full` total. node_exporter gives no `avg10`, so the
//! shares are the totals' rates over the scrape interval, as percent.

use super::state::{MapState, push};
use crate::collect::pressure::resource_name;
use crate::collect::remote::text::Page;
use crate::model::{Sample, registry};

/// (node_exporter name, resource, whether it is the `full` line).
const NAMES: [(&str, &str, bool); 6] = [
    ("node_pressure_cpu_waiting_seconds_total", "cpu", false),
    ("node_pressure_cpu_stalled_seconds_total", "cpu", true),
    (
        "node_pressure_memory_waiting_seconds_total",
        "memory",
        false,
    ),
    ("node_pressure_memory_stalled_seconds_total", "memory", true),
    ("node_pressure_io_waiting_seconds_total", "io", false),
    ("node_pressure_io_stalled_seconds_total", "io", true),
];

pub(super) fn map_pressure(
    page: &Page<'_>,
    elapsed: Option<f64>,
    state: &mut MapState,
    out: &mut Vec<Sample>,
) {
    use registry as r;
    for sample in &page.samples {
        let Some(&(name, resource, full)) = NAMES.iter().find(|n| n.0 == sample.name) else {
            continue;
        };
        let (share, total) = if full {
            (&r::PRESSURE_FULL, &r::PRESSURE_FULL_TOTAL)
        } else {
            (&r::PRESSURE_SOME, &r::PRESSURE_SOME_TOTAL)
        };
        let args = [resource_name(resource)];
        push(
            out,
            state.meta(total, Some(resource), &args, None),
            sample.value,
        );
        // Counted in microseconds: the rate keeps whole units, and seconds would round away
        // most of a stall.
        if let Some(rate) = state.rate(name.to_string(), sample.value * 1e6, elapsed) {
            let percent = (rate / 1e6 * 100.0).clamp(0.0, 100.0);
            push(out, state.meta(share, Some(resource), &args, None), percent);
        }
    }
}

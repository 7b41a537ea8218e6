//! From a scraped page to our series: node_exporter's families, or another Resource Manager's
//! own `/metrics`, mapped to the same families local series have (`cpu.usage`, `disk.*`…) on
//! the remote host (`nas:cpu.usage`).
//!
//! node_exporter gives counters where we keep rates and shares (CPU seconds, network bytes),
//! so the mapper keeps the previous scrape's counters per host; the first scrape of a host has
//! gauges only, like the first local tick.

mod node;
mod pressure;
mod resource_manager;
mod state;

use super::text::Page;
use crate::model::Sample;

pub use state::MapState;

/// Maps one scraped page taken at `now_ms` (Unix ms) into `out`.
pub fn map_page(page: &Page<'_>, now_ms: i64, state: &mut MapState, out: &mut Vec<Sample>) {
    let elapsed = state
        .previous_ms
        .map(|before| (now_ms - before) as f64 / 1000.0)
        .filter(|s| *s > 0.0);
    if page
        .samples
        .iter()
        .any(|s| s.name.starts_with("resource_manager_"))
    {
        resource_manager::map_resource_manager(page, state, out);
    } else {
        node::map_node_exporter(page, now_ms, elapsed, state, out);
        pressure::map_pressure(page, elapsed, state, out);
    }
    out.retain(|s| s.value.is_finite());
    state.previous_ms = Some(now_ms);
}

#[cfg(test)]
mod tests;

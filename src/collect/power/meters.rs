//! Where measured power can be read on this host: the RAPL energy counters (and their
//! wrap-around) and hwmon power inputs.

use std::path::{Path, PathBuf};

/// One RAPL zone's counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaplZone {
    pub energy: PathBuf,
    pub max_range_uj: u64,
}

/// The RAPL zones to sum (see the [`power`](super) module doc); empty when there are none.
pub fn rapl_zones(sys: &Path) -> Vec<RaplZone> {
    let dir = sys.join("class/powercap");
    let mut zones: Vec<(String, RaplZone)> = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Top-level zones only (`intel-rapl:0`, not the sub-zone `intel-rapl:0:0`, nor the
        // `intel-rapl-mmio` duplicate of a package).
        let Some(index) = name.strip_prefix("intel-rapl:") else {
            continue;
        };
        if index.is_empty() || !index.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let path = entry.path();
        let max_range_uj = std::fs::read_to_string(path.join("max_energy_range_uj"))
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        let label = std::fs::read_to_string(path.join("name"))
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        zones.push((
            label,
            RaplZone {
                energy: path.join("energy_uj"),
                max_range_uj,
            },
        ));
    }
    zones.sort_by(|a, b| a.1.energy.cmp(&b.1.energy));
    if let Some((_, psys)) = zones.iter().find(|(label, _)| label == "psys") {
        return vec![psys.clone()];
    }
    zones.into_iter().map(|(_, z)| z).collect()
}

/// The first hwmon `power*_input` (sorted by path), if any.
pub fn hwmon_power_input(sys: &Path) -> Option<PathBuf> {
    let mut inputs: Vec<PathBuf> = Vec::new();
    for chip in std::fs::read_dir(sys.join("class/hwmon")).ok()?.flatten() {
        let Ok(files) = std::fs::read_dir(chip.path()) else {
            continue;
        };
        for file in files.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.starts_with("power") && name.ends_with("_input") {
                inputs.push(file.path());
            }
        }
    }
    inputs.sort();
    inputs.into_iter().next()
}

/// Energy used between two readings of a counter that wraps at `max_range` (microjoules).
/// A reading that went backwards without a known range is treated as a reset: no energy.
pub fn counter_delta(previous: u64, now: u64, max_range: u64) -> u64 {
    if now >= previous {
        now - previous
    } else if max_range > previous {
        max_range - previous + now
    } else {
        0
    }
}

/// Why RAPL cannot be read here, if it cannot: Docker masks `/sys/devices/virtual/powercap`
/// (where `/sys/class/powercap/intel-rapl:*` points) with an empty tmpfs; a host without RAPL
/// has no `intel-rapl` zone at all.
pub fn rapl_unreadable(sys: &Path) -> Option<String> {
    let zones = rapl_zones(sys);
    if !zones.is_empty()
        && let Some(zone) = zones
            .iter()
            .find(|z| std::fs::read_to_string(&z.energy).is_err())
    {
        let masked = super::board::is_empty_dir(&sys.join("devices/virtual/powercap"));
        return Some(if masked {
            "RAPL: /sys/devices/virtual/powercap is masked by Docker".into()
        } else {
            format!("RAPL: {} is not readable", zone.energy.display())
        });
    }
    if !zones.is_empty() {
        return None;
    }
    if super::board::is_empty_dir(&sys.join("devices/virtual/powercap")) {
        return Some("RAPL: /sys/devices/virtual/powercap is masked by Docker".into());
    }
    Some(
        "RAPL: no intel-rapl zone under /sys/class/powercap (not an Intel or AMD x86 CPU, or a \
         kernel without RAPL: Home Assistant OS has it from 18.2)"
            .into(),
    )
}

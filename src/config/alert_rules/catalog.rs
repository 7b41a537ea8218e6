//! The metrics alert rules may name, and how a rule's metric pattern selects series.
//!
//! Options are validated before any collector runs, so "unknown metric" cannot be decided from
//! live data: the metric registry (`model::registry`) is the contract, and this catalog is a
//! view over it. A unit test checks that every series this machine produces is registered, so a
//! new collector without a registry entry fails the build's tests. Forecasts (analytics) join
//! as further entries: to the engine a forecast is just another series id with a value.

use crate::model::host;
pub use crate::model::registry::Family as KnownMetric;
use crate::model::registry::families;

/// A rule's metric: an exact series id, or a prefix and suffix around one `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    prefix: String,
    /// `None` for an exact id.
    suffix: Option<String>,
}

impl Pattern {
    /// Parses a metric or pattern; `None` if it holds more than one `*` or is empty.
    pub fn parse(text: &str) -> Option<Pattern> {
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return None;
        }
        match text.split_once('*') {
            None => Some(Pattern {
                prefix: text.to_string(),
                suffix: None,
            }),
            Some((prefix, suffix)) if !suffix.contains('*') => Some(Pattern {
                prefix: prefix.to_string(),
                suffix: Some(suffix.to_string()),
            }),
            Some(_) => None,
        }
    }

    /// For a match, the part of `id` the `*` stands for (`""` for an exact id).
    pub fn instance<'a>(&self, id: &'a str) -> Option<&'a str> {
        match &self.suffix {
            None => (id == self.prefix).then_some(""),
            Some(suffix) => {
                let inner = id
                    .strip_prefix(self.prefix.as_str())?
                    .strip_suffix(suffix.as_str())?;
                (!inner.is_empty()).then_some(inner)
            }
        }
    }

    /// Whether every id this pattern selects is also selected by `wider`.
    fn within(&self, wider: &Pattern) -> bool {
        match (&self.suffix, &wider.suffix) {
            (None, _) => wider.instance(&self.prefix).is_some(),
            (Some(_), None) => false,
            (Some(suffix), Some(wide_suffix)) => {
                suffix == wide_suffix && self.prefix.starts_with(wider.prefix.as_str())
            }
        }
    }
}

/// The catalog entry a rule's metric falls under, if any: an exact id, an instance of a
/// per-instance metric (`disk./data.used_percent`), the family pattern itself
/// (`disk.*.used_percent`) or a narrower one (`addon.core_*.memory_bytes`).
///
/// A rule may also name a remote host's series (`nas:cpu.usage`, `nas:disk.*.used_percent`)
/// or one series on every remote host (`*:host.up`, `*:memory.used_percent`); the part after
/// the host is checked against the catalog as a local metric is.
pub fn lookup(metric: &str) -> Option<(&'static KnownMetric, Pattern)> {
    let pattern = Pattern::parse(metric)?;
    let local = match metric.strip_prefix("*:") {
        Some(rest) => Pattern::parse(rest).filter(|p| p.suffix.is_none())?,
        None => Pattern::parse(host::split(metric).1)?,
    };
    families().find_map(|known| {
        let wider = Pattern::parse(known.pattern)?;
        local.within(&wider).then(|| (known, pattern.clone()))
    })
}

/// The instance a catalog entry's `*` stands for in `id` (`""` for a global metric).
pub fn instance_of<'a>(known: &KnownMetric, id: &'a str) -> &'a str {
    Pattern::parse(known.pattern)
        .and_then(|p| p.instance(id))
        .unwrap_or("")
}

/// A few catalog patterns, for error messages.
pub fn examples() -> &'static str {
    "cpu.usage, memory.used_percent, swap.out_bytes_per_second, disk.*.used_percent, \
     temp.max_celsius, addon.*.memory_bytes (all: DOCS.md, Alerts)"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Unit;

    #[test]
    fn patterns_select_one_instance_between_prefix_and_suffix() {
        let p = Pattern::parse("disk.*.used_percent").expect("pattern");
        assert_eq!(p.instance("disk./data.used_percent"), Some("/data"));
        assert_eq!(p.instance("disk./mnt/a.b.used_percent"), Some("/mnt/a.b"));
        assert_eq!(p.instance("disk..used_percent"), None);
        assert_eq!(p.instance("disk./data.used_bytes"), None);
        let cpu = Pattern::parse("cpu.*.usage").expect("pattern");
        assert_eq!(cpu.instance("cpu.usage"), None);
        assert_eq!(cpu.instance("cpu.core3.usage"), Some("core3"));
        assert_eq!(Pattern::parse("a.*.*"), None);
        assert_eq!(Pattern::parse(""), None);
    }

    #[test]
    fn lookup_accepts_ids_instances_families_and_narrower_patterns_only() {
        let unit = |m: &str| lookup(m).map(|(k, _)| k.unit);
        assert_eq!(unit("cpu.usage"), Some(Unit::Percent));
        assert_eq!(unit("disk./data.used_percent"), Some(Unit::Percent));
        assert_eq!(unit("disk.*.used_percent"), Some(Unit::Percent));
        assert_eq!(unit("addon.core_*.memory_bytes"), Some(Unit::Bytes));
        assert_eq!(unit("addon.*.memory_bytes"), Some(Unit::Bytes));
        for unknown in [
            "gpu.usage",
            "disk.*",
            "*",
            "disk.*.used_ratio",
            "cpu.usage.*",
            "cpu",
            "nas:gpu.usage",
            "*:disk.*.used_percent",
            "nas:*",
            "local:cpu.usage",
        ] {
            assert_eq!(unit(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn rules_may_name_remote_hosts_series() {
        let (known, pattern) = lookup("nas:disk.*.used_percent").expect("known");
        assert_eq!(known.pattern, "disk.*.used_percent");
        assert_eq!(pattern.instance("nas:disk./srv.used_percent"), Some("/srv"));
        assert_eq!(pattern.instance("disk./srv.used_percent"), None);
        let (known, every) = lookup("*:host.up").expect("known");
        assert_eq!(known.pattern, "host.up");
        assert_eq!(every.instance("pve-1:host.up"), Some("pve-1"));
        assert_eq!(
            lookup("nas:cpu.usage").map(|(k, _)| k.pattern),
            Some("cpu.usage")
        );
    }
}

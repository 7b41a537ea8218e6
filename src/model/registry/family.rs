//! What a family is, how it builds the metadata of its series, and the short builders the
//! tables are written with.

use super::ha::HaSensor;
use crate::model::{Kind, SeriesMeta, Unit};

/// One family of series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Family {
    /// Series id, or a pattern whose `*` stands for one instance (mount, add-on slug, …).
    pub pattern: &'static str,
    /// [`SeriesMeta::family`]: the id without the instance, the Prometheus name's stem.
    pub family: &'static str,
    /// Name of the instance label (`mount`, `interface`, …); `None` for a global series.
    pub label: Option<&'static str>,
    pub unit: Unit,
    pub kind: Kind,
    /// [`SeriesMeta::description`] (HA's `friendly_name`); each `{}` takes one argument the
    /// collector supplies (mount point, interface name and kind, add-on name, …).
    pub description: &'static str,
    /// Plain-words name for alert messages; `{}` is replaced by the instance.
    pub title: &'static str,
    /// Name in the Prometheus exposition (base units, `_ratio`, `_total`).
    pub prometheus: &'static str,
    pub ha: HaSensor,
    /// How often the store keeps a value of its series.
    pub storing: Storing,
}

/// How often the store keeps a value of a family's series. The collector repeats every value
/// in each tick for the live views and alert rules; a value that changes rarely (once per
/// walk of the data disk, per advice pass or per restart) needs no row per tick on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storing {
    /// Every tick's value.
    EveryTick,
    /// A value when it differs from the last one kept, or an hour after it: about a point an
    /// hour for a series that stays put, every change for one that moves.
    OnChange,
}

impl Family {
    /// The group: the id's first segment (`cpu`, `disk`, `addon`, …).
    pub fn group(&self) -> &'static str {
        self.pattern.split('.').next().unwrap_or_default()
    }

    /// The metadata of the family's one series (a global family).
    pub fn global(&self) -> SeriesMeta {
        self.meta(None, &[])
    }

    /// The metadata of one instance (`disk./data.used_bytes`); `args` fill the description.
    pub fn instance(&self, instance: &str, args: &[&str]) -> SeriesMeta {
        self.meta(Some(instance), args)
    }

    fn meta(&self, instance: Option<&str>, args: &[&str]) -> SeriesMeta {
        let (id, labels) = match (instance, self.label) {
            (Some(instance), Some(label)) => (
                self.pattern.replacen('*', instance, 1),
                vec![(label, instance.to_string())],
            ),
            _ => (self.pattern.to_string(), Vec::new()),
        };
        SeriesMeta {
            id,
            host: None,
            family: self.family.to_string(),
            labels,
            unit: self.unit,
            kind: self.kind,
            description: fill(self.description, args),
        }
    }
}

/// `template` with each `{}` replaced by the next argument (missing ones by nothing).
pub(super) fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut parts = template.split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        out.push_str(args.next().copied().unwrap_or_default());
        out.push_str(part);
    }
    out
}

#[allow(clippy::too_many_arguments)]
const fn f(
    pattern: &'static str,
    family: &'static str,
    label: Option<&'static str>,
    unit: Unit,
    description: &'static str,
    title: &'static str,
    prometheus: &'static str,
    ha: HaSensor,
) -> Family {
    Family {
        pattern,
        family,
        label,
        unit,
        kind: Kind::Gauge,
        description,
        title,
        prometheus,
        ha,
        storing: Storing::EveryTick,
    }
}

/// A host-wide gauge whose family is its id.
pub(super) const fn g(
    id: &'static str,
    unit: Unit,
    description: &'static str,
    title: &'static str,
    prometheus: &'static str,
) -> Family {
    f(
        id,
        id,
        None,
        unit,
        description,
        title,
        prometheus,
        HaSensor::for_unit(unit),
    )
}

/// A per-instance gauge.
pub(super) const fn i(
    pattern: &'static str,
    family: &'static str,
    label: &'static str,
    unit: Unit,
    description: &'static str,
    title: &'static str,
    prometheus: &'static str,
) -> Family {
    f(
        pattern,
        family,
        Some(label),
        unit,
        description,
        title,
        prometheus,
        HaSensor::for_unit(unit),
    )
}

pub(super) const fn with_ha(mut family: Family, ha: HaSensor) -> Family {
    family.ha = ha;
    family
}

pub(super) const fn counter(mut family: Family) -> Family {
    family.kind = Kind::Counter;
    family
}

/// Kept by the store on change or hourly rather than every tick ([`Storing::OnChange`]).
pub(super) const fn on_change(mut family: Family) -> Family {
    family.storing = Storing::OnChange;
    family
}

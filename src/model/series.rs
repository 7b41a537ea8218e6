//! What a series is: its metadata (id, host, family, labels, unit, kind) and one value of it.

use serde::Serialize;

use super::host;
use super::unit::Unit;

/// Whether a series is a level (gauge) or an ever-growing counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Gauge,
    Counter,
}

/// Everything known about a series besides its values.
///
/// `id` is dotted (`cpu.usage`, `disk./data.used_bytes`); `family` is the id with the instance
/// removed (`disk.used_bytes`), and `labels` carry the instance (`("mount", "/data")`) so the
/// Prometheus publisher can emit one metric family with labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesMeta {
    /// Unique id; a remote host's series carry its name in front (`nas:cpu.usage`, see
    /// [`host`]).
    pub id: String,
    /// The host the series describes; `None` is this box (`local`).
    #[serde(serialize_with = "host_name")]
    pub host: Option<std::sync::Arc<str>>,
    pub family: String,
    pub labels: Vec<(&'static str, String)>,
    pub unit: Unit,
    pub kind: Kind,
    pub description: String,
}

fn host_name<S: serde::Serializer>(
    host: &Option<std::sync::Arc<str>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(host.as_deref().unwrap_or(host::LOCAL))
}

impl SeriesMeta {
    /// The host's name (`local` for this box).
    pub fn host_name(&self) -> &str {
        self.host.as_deref().unwrap_or(host::LOCAL)
    }

    /// The same series on a remote host: the id gets the host in front (`nas:cpu.usage`).
    pub fn on_host(mut self, host: &std::sync::Arc<str>) -> Self {
        if &**host != host::LOCAL {
            self.id = host::qualify(host, &self.id);
            self.host = Some(host.clone());
        }
        self
    }

    /// A host-wide series such as `memory.used_bytes`.
    pub fn global(group: &str, name: &str, unit: Unit, description: impl Into<String>) -> Self {
        let id = format!("{group}.{name}");
        SeriesMeta {
            family: id.clone(),
            id,
            host: None,
            labels: Vec::new(),
            unit,
            kind: Kind::Gauge,
            description: description.into(),
        }
    }

    /// A per-instance series such as `disk./data.used_bytes` (label `mount="/data"`).
    pub fn instance(
        group: &str,
        label: &'static str,
        instance: &str,
        name: &str,
        unit: Unit,
        description: impl Into<String>,
    ) -> Self {
        SeriesMeta {
            id: format!("{group}.{instance}.{name}"),
            host: None,
            family: format!("{group}.{name}"),
            labels: vec![(label, instance.to_string())],
            unit,
            kind: Kind::Gauge,
            description: description.into(),
        }
    }

    /// Overrides the value of the instance label (the id keeps the instance as given).
    pub fn label_value(mut self, value: impl Into<String>) -> Self {
        if let Some(first) = self.labels.first_mut() {
            first.1 = value.into();
        }
        self
    }

    /// Adds a further label, e.g. `kind="virtual"` on a network interface.
    pub fn with_label(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.labels.push((name, value.into()));
        self
    }

    /// Overrides the family (the metric name stem shared by all instances).
    pub fn with_family(mut self, family: impl Into<String>) -> Self {
        self.family = family.into();
        self
    }

    /// Marks the series as a monotonically increasing counter.
    pub fn counter(mut self) -> Self {
        self.kind = Kind::Counter;
        self
    }
}

/// One value of one series at the snapshot's timestamp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub series: std::sync::Arc<SeriesMeta>,
    pub value: f64,
}

impl Sample {
    /// The value of one of its series' labels (`mount`, `interface`, `kind`…), or "".
    pub fn label(&self, name: &str) -> &str {
        self.series
            .labels
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

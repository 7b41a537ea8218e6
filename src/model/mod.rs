//! The data model shared by collectors, the store and the publishers.

use serde::Serialize;

pub mod host;
pub mod registry;

/// Unit of a series' values. Values are kept in the unit users read (percent, bytes, °C);
/// the Prometheus publisher converts to base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Percent,
    Bytes,
    BytesPerSecond,
    Celsius,
    Seconds,
    /// Days: forecasts' time until full (exposed to Prometheus in seconds).
    Days,
    Count,
    /// Unitless (load averages).
    Ratio,
    /// Electrical power (`power.watts`, per add-on estimates).
    Watts,
    /// Electrical energy (`energy.kwh_total`): what Home Assistant's Energy dashboard counts.
    KilowattHours,
    /// An amount of money in the currency of the `power` option (the series carries it as its
    /// `currency` label).
    Money,
}

impl Unit {
    /// Symbol shown next to a value (also Home Assistant's `unit_of_measurement`).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Bytes => "B",
            Unit::BytesPerSecond => "B/s",
            Unit::Celsius => "°C",
            Unit::Seconds => "s",
            Unit::Days => "d",
            Unit::Watts => "W",
            Unit::KilowattHours => "kWh",
            Unit::Count | Unit::Ratio | Unit::Money => "",
        }
    }

    /// Stable name stored in SQLite and shown in the JSON API.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Percent => "percent",
            Unit::Bytes => "bytes",
            Unit::BytesPerSecond => "bytes_per_second",
            Unit::Celsius => "celsius",
            Unit::Seconds => "seconds",
            Unit::Days => "days",
            Unit::Count => "count",
            Unit::Ratio => "ratio",
            Unit::Watts => "watts",
            Unit::KilowattHours => "kilowatt_hours",
            Unit::Money => "money",
        }
    }

    /// Inverse of [`Unit::as_str`].
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "percent" => Unit::Percent,
            "bytes" => Unit::Bytes,
            "bytes_per_second" => Unit::BytesPerSecond,
            "celsius" => Unit::Celsius,
            "seconds" => Unit::Seconds,
            "days" => Unit::Days,
            "count" => Unit::Count,
            "ratio" => Unit::Ratio,
            "watts" => Unit::Watts,
            "kilowatt_hours" => Unit::KilowattHours,
            "money" => Unit::Money,
            _ => return None,
        })
    }
}

/// How much something matters, lowest first (so `max` picks the worst): the one severity
/// vocabulary of alerts (options, API, Home Assistant) and the dashboard's overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing to say (the overview only; no rule has this severity).
    Ok,
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    /// The option and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    /// A rule's severity as the options write it (`ok` is no rule's severity).
    pub fn parse(text: &str) -> Option<Severity> {
        Some(match text {
            "info" => Severity::Info,
            "warning" => Severity::Warning,
            "error" => Severity::Error,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// The dashboard's CSS class (and the overview JSON's `level`): errors and critical
    /// findings share the `problem` colour.
    pub fn class(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error | Severity::Critical => "problem",
        }
    }
}

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

/// Health of one data source in one tick.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceHealth {
    pub source: &'static str,
    pub ok: bool,
    /// Why the source is degraded; `None` when healthy.
    pub error: Option<String>,
    /// CPU-side cost of reading the source, in microseconds of wall time.
    pub micros: u64,
}

/// One process in a top list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessInfo {
    pub pid: u32,
    pub name: String,
    pub cpu_percent: f64,
    pub memory_bytes: u64,
}

/// Top processes, refreshed on their own cadence.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TopProcesses {
    /// Unix milliseconds of the refresh.
    pub ts_ms: i64,
    pub by_cpu: Vec<ProcessInfo>,
    pub by_memory: Vec<ProcessInfo>,
    pub total: usize,
}

/// Whose processes or network traffic a view shows: the whole machine's, or only those of the
/// container (PID or network namespace) this process runs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    Host,
    Container,
    /// The signals could not tell (unreadable, or contradicting each other).
    #[default]
    Unknown,
}

impl View {
    /// The word the API and the report use.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Host => "host",
            View::Container => "container",
            View::Unknown => "unknown",
        }
    }
}

/// Which views are in effect (`collect::views` decides).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Views {
    /// Whose processes the process list shows.
    pub processes: View,
    /// Whose traffic `/proc/net/dev` counts.
    pub network: View,
}

/// One tick of the engine: every source read once, stamped with one timestamp.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    /// Unix milliseconds.
    pub ts_ms: i64,
    pub samples: Vec<Sample>,
    pub sources: Vec<SourceHealth>,
    pub processes: std::sync::Arc<TopProcesses>,
    /// The process and network views in effect at this tick.
    pub views: Views,
}

impl Snapshot {
    /// The value of a series in this snapshot, if present.
    pub fn value(&self, id: &str) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.series.id == id)
            .map(|s| s.value)
    }

    /// Sources that failed in this tick.
    pub fn degraded(&self) -> impl Iterator<Item = &SourceHealth> {
        self.sources.iter().filter(|s| !s.ok)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day), so dates can be shown
/// without a date library (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A UTC calendar time: year, month, day, hour, minute, second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl UtcTime {
    /// The UTC calendar time of Unix milliseconds.
    pub fn of_ms(ms: i64) -> UtcTime {
        let secs = ms.div_euclid(1000);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        UtcTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
        }
    }
}

/// Unix milliseconds as `2026-11-27 14:05 UTC` (no time-zone database needed).
pub fn format_utc_minute(ts_ms: i64) -> String {
    let t = UtcTime::of_ms(ts_ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

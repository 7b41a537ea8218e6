//! What a recommendation is: a stable id, a title in plain words, the evidence, the estimated
//! saving, a confidence, an optional action and the state the user gave it.

use serde::Serialize;

use crate::config::ActionKind;

/// The kinds of advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdviceKind {
    Leak,
    Idle,
    DiskFull,
    RecorderBloat,
    MemoryPressure,
    CpuHog,
    Heat,
    /// "Started" but stuck: at its memory limit, or a core pinned with no sign of work.
    Hung,
}

impl AdviceKind {
    /// The id prefix and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            AdviceKind::Leak => "leak",
            AdviceKind::Idle => "idle",
            AdviceKind::DiskFull => "disk_full",
            AdviceKind::RecorderBloat => "recorder_bloat",
            AdviceKind::MemoryPressure => "memory_pressure",
            AdviceKind::CpuHog => "cpu_hog",
            AdviceKind::Heat => "heat",
            AdviceKind::Hung => "hung",
        }
    }
}

/// One piece of evidence: a label, the number in words, and the series and window it is from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub label: String,
    pub value: String,
    pub series: Option<String>,
    /// Unix ms.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

impl Evidence {
    /// Evidence without a series.
    pub fn fact(label: impl Into<String>, value: impl Into<String>) -> Evidence {
        Evidence {
            label: label.into(),
            value: value.into(),
            series: None,
            from_ms: None,
            to_ms: None,
        }
    }

    /// Evidence read from `series` over `[from_ms, to_ms]`.
    pub fn of_series(
        label: impl Into<String>,
        value: impl Into<String>,
        series: impl Into<String>,
        window: Option<(i64, i64)>,
    ) -> Evidence {
        Evidence {
            label: label.into(),
            value: value.into(),
            series: Some(series.into()),
            from_ms: window.map(|w| w.0),
            to_ms: window.map(|w| w.1),
        }
    }
}

/// What following the advice is expected to save; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Saving {
    /// Memory freed, bytes.
    pub memory_bytes: Option<f64>,
    /// Share of the host's memory freed, percent.
    pub memory_percent: Option<f64>,
    /// CPU saved, percent of the host.
    pub cpu_percent: Option<f64>,
    /// Disk space freed, bytes (for the recorder: bytes per day no longer written).
    pub disk_bytes: Option<f64>,
    /// Days of disk won before it is full.
    pub disk_days: Option<f64>,
    /// Power saved, watts: the add-on's share of the host's power (`addon.<slug>.power_watts`).
    pub watts: Option<f64>,
    /// What that power costs a month, in the `power.currency`, when `power.energy_price` is set.
    pub cost_per_month: Option<f64>,
}

impl Saving {
    /// One number to sort by: memory and disk in MB, CPU percent and watts as they are.
    pub fn weight(&self) -> f64 {
        let mb = |b: Option<f64>| b.unwrap_or(0.0) / 1e6;
        mb(self.memory_bytes)
            + mb(self.disk_bytes)
            + self.cpu_percent.unwrap_or(0.0) * 10.0
            + self.watts.unwrap_or(0.0) * 10.0
    }
}

/// An action the advice proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposedAction {
    pub kind: ActionKind,
    pub addon: String,
}

/// What the user did with a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdviceState {
    Open,
    Snoozed,
    Dismissed,
    Done,
}

impl AdviceState {
    /// The API's and the table's name.
    pub fn as_str(self) -> &'static str {
        match self {
            AdviceState::Open => "open",
            AdviceState::Snoozed => "snoozed",
            AdviceState::Dismissed => "dismissed",
            AdviceState::Done => "done",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<AdviceState> {
        [
            AdviceState::Open,
            AdviceState::Snoozed,
            AdviceState::Dismissed,
            AdviceState::Done,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// Stable: the same advice about the same thing keeps its id (`leak-core_mosquitto`).
    pub id: String,
    pub kind: AdviceKind,
    /// The add-on slug, the mount, `host` or `recorder`.
    pub target: String,
    pub title: String,
    pub evidence: Vec<Evidence>,
    pub saving: Saving,
    /// 0 to 1.
    pub confidence: f64,
    pub action: Option<ProposedAction>,
    pub state: AdviceState,
    /// Until when it is snoozed, Unix ms.
    pub snoozed_until_ms: Option<i64>,
    /// For the recorder: the `recorder: exclude:` YAML to paste.
    pub snippet: Option<String>,
}

/// `kind-target`, with the target reduced to `a-z0-9_.-` so the id fits in a URL path.
pub fn make_id(kind: AdviceKind, target: &str) -> String {
    let mut clean: String = target
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = clean.trim_matches('_');
    clean = if trimmed.is_empty() {
        "root".into()
    } else {
        trimmed.to_string()
    };
    format!("{}-{clean}", kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_and_stable() {
        assert_eq!(make_id(AdviceKind::DiskFull, "/"), "disk_full-root");
        assert_eq!(
            make_id(AdviceKind::DiskFull, "/mnt/data"),
            "disk_full-mnt_data"
        );
        assert_eq!(
            make_id(AdviceKind::Leak, "core_mosquitto"),
            "leak-core_mosquitto"
        );
        assert_eq!(
            make_id(AdviceKind::Leak, "process Äx/y"),
            "leak-process__x_y"
        );
    }
}

//! The one severity vocabulary: alerts, their options and API, Home Assistant and the
//! dashboard overview all rank with it.

use serde::Serialize;

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

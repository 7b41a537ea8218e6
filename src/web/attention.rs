//! One "Needs attention" item, shared by the overview (`summary`) that ranks the items and the
//! alerts (`active_alerts`) that add one per firing alert; and the class spelling every level
//! of the overview is serialized with.

use serde::{Serialize, Serializer};

use crate::model::Severity;

/// Serializes a severity as the dashboard's class (`problem` for errors and critical ones), the
/// spelling the overview JSON has always had.
pub(crate) fn level_class<S: Serializer>(level: &Severity, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(level.class())
}

/// One thing that needs attention, with what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attention {
    #[serde(serialize_with = "level_class")]
    pub level: Severity,
    pub what: String,
    pub todo: String,
    /// The series it is about, so an outside item can replace a fixed-threshold one.
    #[serde(skip)]
    pub series: Option<String>,
    /// From a firing alert: the page lists it under Active alerts instead of twice.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub alert: bool,
}

impl Attention {
    /// An item about no particular series.
    pub fn new(level: Severity, what: String, todo: impl Into<String>) -> Self {
        Attention {
            level,
            what,
            todo: todo.into(),
            series: None,
            alert: false,
        }
    }

    /// The same item, about `series`.
    pub fn on(mut self, series: impl Into<String>) -> Self {
        self.series = Some(series.into());
        self
    }
}

//! The `retention` option: how long each storage tier is kept.

use serde::Serialize;

use super::problems::Problems;
use super::reader::Object;

/// How long each storage tier is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Retention {
    pub raw_hours: u32,
    pub minute_days: u32,
    pub hour_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw_hours: 48,
            minute_days: 30,
            hour_days: 730,
        }
    }
}

impl Retention {
    /// The keys of the `retention` object, in the order messages list them.
    pub const KEYS: &[&str] = &["raw_hours", "minute_days", "hour_days"];

    /// Reads `retention` from the options object, reporting every bad field.
    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> Retention {
        let d = Retention::default();
        let Some(section) = options.section("retention", Retention::KEYS, p) else {
            return d;
        };
        Retention {
            raw_hours: section.int("raw_hours", 1..=720, d.raw_hours, p),
            minute_days: section.int("minute_days", 1..=365, d.minute_days, p),
            hour_days: section.int("hour_days", 1..=3650, d.hour_days, p),
        }
    }
}

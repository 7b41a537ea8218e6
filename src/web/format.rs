//! Numbers as people write them: SI bytes (`util::format_bytes`), one decimal, short
//! durations, UTC times.
//! `static/app.js` mirrors these rules so live updates read the same as the first render.

use crate::model::Unit;
pub use crate::util::format_bytes;

/// Human rendering of a value with its unit.
pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Percent => format!("{value:.1} %"),
        Unit::Bytes => format_bytes(value),
        Unit::BytesPerSecond => format!("{}/s", format_bytes(value)),
        Unit::Celsius => format!("{value:.1} °C"),
        Unit::Seconds => format_duration(value),
        Unit::Days => format!("{value:.1} d"),
        Unit::Count => format!("{value:.0}"),
        Unit::Ratio => format!("{value:.2}"),
        Unit::Watts => format!("{value:.1} W"),
        Unit::KilowattHours => format!("{value:.3} kWh"),
        Unit::Money => format!("{value:.2}"),
    }
}

/// A duration in its two largest units: `3 d 4 h`, `2 h 10 min`, `4 min 2 s`.
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min {} s", s % 60)
    }
}

pub use crate::model::format_utc_minute;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_like_a_person_would_write_them() {
        assert_eq!(format_value(1_234_567_890.0, Unit::Bytes), "1.2 GB");
        assert_eq!(format_value(512.0, Unit::BytesPerSecond), "512 B/s");
        assert_eq!(format_value(42.345, Unit::Percent), "42.3 %");
        assert_eq!(format_value(90_061.0, Unit::Seconds), "1 d 1 h");
        assert_eq!(format_value(61.0, Unit::Seconds), "1 min 1 s");
    }

    #[test]
    fn utc_times_match_known_dates() {
        assert_eq!(format_utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc_minute(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc_minute(1_795_789_506_132), "2026-11-27 14:25 UTC");
    }
}

//! The one way a size is written for people, everywhere (dashboard, report, alerts, advice,
//! notices): decimal SI units, three significant digits. `static/app.js` (`RM.fmt.bytes`)
//! mirrors it so live updates read the same as the first render.

const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];

/// `999 B`, `2.1 MB`, `18.0 GB`, `340 kB`: one decimal below 100 of a unit, none from 100 (and
/// none for bytes).
pub fn format_bytes(bytes: f64) -> String {
    if !bytes.is_finite() {
        return "–".to_string();
    }
    let mut value = bytes;
    let mut unit = 0;
    // Step up also when rounding would print a fourth digit ("1000 kB" is "1.0 MB").
    while unit < UNITS.len() - 1 && round_for(value.abs(), unit) >= 1000.0 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 || value.abs() >= 99.95 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `value` as it will be printed in `unit`, rounded.
fn round_for(value: f64, unit: usize) -> f64 {
    if unit == 0 || value >= 99.95 {
        value.round()
    } else {
        (value * 10.0).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::format_bytes;

    #[test]
    fn sizes_have_three_significant_digits() {
        assert_eq!(format_bytes(0.0), "0 B");
        assert_eq!(format_bytes(999.0), "999 B");
        assert_eq!(format_bytes(1_000.0), "1.0 kB");
        assert_eq!(format_bytes(340_000.0), "340 kB");
        assert_eq!(format_bytes(200_000.0), "200 kB");
        assert_eq!(format_bytes(2_100_000.0), "2.1 MB");
        assert_eq!(format_bytes(40e6), "40.0 MB");
        assert_eq!(format_bytes(1_234_567_890.0), "1.2 GB");
        assert_eq!(format_bytes(18e9), "18.0 GB");
        assert_eq!(format_bytes(-10e6), "-10.0 MB");
        assert_eq!(format_bytes(f64::NAN), "–");
    }

    #[test]
    fn rounding_never_prints_a_fourth_digit() {
        assert_eq!(format_bytes(999_999.0), "1.0 MB");
        assert_eq!(format_bytes(999.6), "1.0 kB");
        assert_eq!(format_bytes(99_960.0), "100 kB");
        assert_eq!(format_bytes(2e18), "2000 PB");
    }
}

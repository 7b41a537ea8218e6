//! Durations as the options form writes them: a whole number and a unit, `30s`, `5m`, `1h`, `1d`.

/// The regular expression the add-on options form validates durations with (config.yaml).
pub const FORM_PATTERN: &str = r"^\d+[smhd]$";

/// Longest duration accepted anywhere, so arithmetic on milliseconds cannot overflow.
const MAX_SECONDS: u64 = 366 * 86_400;

/// Parses `30s`, `5m`, `1h` or `1d` into seconds. Anything else (signs, fractions, spaces, other
/// units, more than a year) is `None`: the caller names the option in its message.
pub fn parse_seconds(text: &str) -> Option<u64> {
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 9 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    let seconds = n.checked_mul(factor)?;
    (seconds <= MAX_SECONDS).then_some(seconds)
}

/// Serde: a number of seconds written as the options spell durations (`1h`, `30m`).
pub fn serialize_seconds<S: serde::Serializer>(seconds: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_seconds(*seconds))
}

/// The shortest exact form of a number of seconds (`300` → `5m`), for the rules view.
pub fn format_seconds(seconds: u64) -> String {
    match seconds {
        0 => "0s".to_string(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Plain words for a message: `5 min`, `1 h 30 min`, `45 s`.
pub fn words(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "min"), (s, "s")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if parts.is_empty() {
        "0 s".to_string()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_whole_numbers_with_a_unit_only() {
        assert_eq!(parse_seconds("30s"), Some(30));
        assert_eq!(parse_seconds("5m"), Some(300));
        assert_eq!(parse_seconds("2h"), Some(7200));
        assert_eq!(parse_seconds("1d"), Some(86_400));
        assert_eq!(parse_seconds("0s"), Some(0));
        for bad in [
            "",
            "5",
            "m",
            "-5m",
            "+5m",
            "1.5h",
            "5 m",
            "5M",
            "5min",
            "1w",
            "367d",
            "99999999999s",
            "５m",
        ] {
            assert_eq!(parse_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_the_shortest_exact_form_and_plain_words() {
        assert_eq!(format_seconds(300), "5m");
        assert_eq!(format_seconds(5400), "90m");
        assert_eq!(format_seconds(90), "90s");
        assert_eq!(format_seconds(86_400), "1d");
        assert_eq!(words(5400), "1 h 30 min");
        assert_eq!(words(0), "0 s");
    }

    proptest! {
        #[test]
        fn format_and_parse_round_trip(seconds in 0u64..=MAX_SECONDS) {
            prop_assert_eq!(parse_seconds(&format_seconds(seconds)), Some(seconds));
        }

        #[test]
        fn never_panics(text in "\\PC{0,12}") {
            let _ = parse_seconds(&text);
        }
    }
}

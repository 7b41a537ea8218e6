//! Findings in plain words, for the overview, Details and the status report: "Disk /data full
//! in about 23 days (18–30)", "Add-on core_mosquitto grows 40 MB a day".

use super::findings::{ForecastItem, LeakItem};
use crate::model::Unit;
use crate::util::format_bytes;

/// Days with the precision people use: hours under two days, whole days after.
pub fn days(seconds: f64) -> String {
    let d = seconds / 86_400.0;
    if d < 2.0 {
        format!("{:.0} hours", (seconds / 3600.0).max(1.0))
    } else {
        format!("{d:.0} days")
    }
}

fn range(low: f64, high: Option<f64>) -> String {
    let (lo, hi, unit) = match high {
        None => return format!(" (not before {})", days(low)),
        Some(h) if h / 86_400.0 >= 2.0 => {
            ((low / 86_400.0).round(), (h / 86_400.0).round(), "days")
        }
        Some(h) => ((low / 3600.0).round(), (h / 3600.0).round(), "hours"),
    };
    // An interval narrower than the rounding says nothing more than "about".
    if lo == hi {
        String::new()
    } else {
        format!(" ({lo:.0}–{hi:.0} {unit})")
    }
}

fn subject(resource: &str, instance: &str) -> String {
    match resource {
        "disk" => format!("Disk {instance}"),
        "memory" => "Memory".into(),
        "swap" => "Swap".into(),
        _ => format!("Add-on {instance}"),
    }
}

/// One forecast in a sentence.
pub fn forecast(f: &ForecastItem) -> String {
    let who = subject(f.resource, &f.instance);
    let what = if f.resource == "addon_memory" {
        "reaches its memory limit"
    } else {
        "full"
    };
    match f.eta_seconds {
        Some(eta) if eta <= 0.0 => format!("{who} is {what} now"),
        Some(eta) => format!(
            "{who} {what} in about {}{}",
            days(eta),
            range(f.eta_low_seconds.unwrap_or(eta), f.eta_high_seconds)
        ),
        None => {
            let per_day = if f.unit == Unit::Bytes {
                format!("{} a day", format_bytes(f.slope_per_day.abs()))
            } else {
                format!("{:.1} a day", f.slope_per_day.abs())
            };
            format!("{who}: not growing ({per_day}, within noise or falling)")
        }
    }
}

/// One suspected leak in a sentence.
pub fn leak(l: &LeakItem) -> String {
    let who = if l.suspect == "host" {
        "Host memory".to_string()
    } else if let Some(process) = l.suspect.strip_prefix("process ") {
        format!("Process {process}")
    } else {
        format!("Add-on {}", l.suspect)
    };
    let sure = if l.leak.confidence >= 0.995 {
        "over 99".to_string()
    } else {
        format!("{:.0}", l.leak.confidence * 100.0)
    };
    let mut text = format!(
        "{who} grows {} a day underneath its usual ups and downs ({sure} % sure)",
        format_bytes(l.leak.rate_per_day)
    );
    if let Some(eta) = l.leak.eta_to_limit {
        text.push_str(&format!("; reaches its limit in about {}", days(eta)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_naturally() {
        assert_eq!(days(23.0 * 86_400.0), "23 days");
        assert_eq!(days(5.0 * 3600.0), "5 hours");
        assert_eq!(format_bytes(40e6), "40.0 MB");
        assert_eq!(format_bytes(1.5e9), "1.5 GB");
        assert_eq!(
            range(18.0 * 86_400.0, Some(30.0 * 86_400.0)),
            " (18–30 days)"
        );
    }
}

//! The health score: 100 minus documented deductions, each listed as a part.
//!
//! - headroom: per resource (CPU, memory, swap, each disk) above 70 % used, up to 15 points
//!   at 100 %;
//! - active alerts: 5 per warning, 10 per error, 20 per critical, at most 40;
//! - forecasts: a threshold reached within a day 20, within a week 10, within a month 3;
//! - anomalies: 3 per series flagged now, at most 10; leaks: 5 per suspect, at most 15;
//! - pressure: per resource (CPU, memory, disks) on which some task waited more than 10 % of
//!   the time, up to 5 points at 50 % (PSI; nothing on a kernel without it).

use serde::Serialize;

/// What the score is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthInputs {
    /// (resource, percent used).
    pub usage: Vec<(String, f64)>,
    pub alerts_warning: usize,
    pub alerts_error: usize,
    pub alerts_critical: usize,
    /// (what fills, seconds until full).
    pub etas: Vec<(String, f64)>,
    pub anomalies: usize,
    pub leaks: usize,
    /// (resource, percent of time some task waited for it).
    pub pressure: Vec<(String, f64)>,
}

/// One deduction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub name: String,
    pub points: f64,
    pub reason: String,
}

/// The score and its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// 0..=100.
    pub score: f64,
    pub parts: Vec<Part>,
}

/// Computes the score from `inputs`.
pub fn score(inputs: &HealthInputs) -> Health {
    let mut parts = Vec::new();
    for (name, used) in &inputs.usage {
        if used.is_finite() && *used > 70.0 {
            let points = ((used - 70.0) / 30.0 * 15.0).min(15.0);
            parts.push(Part {
                name: format!("headroom: {name}"),
                points,
                reason: format!("{used:.0} % used"),
            });
        }
    }
    let alerts =
        (inputs.alerts_warning * 5 + inputs.alerts_error * 10 + inputs.alerts_critical * 20)
            .min(40);
    if alerts > 0 {
        parts.push(Part {
            name: "active alerts".into(),
            points: alerts as f64,
            reason: format!(
                "{} warning, {} error, {} critical",
                inputs.alerts_warning, inputs.alerts_error, inputs.alerts_critical
            ),
        });
    }
    for (name, eta) in &inputs.etas {
        let days = eta / 86_400.0;
        let points = match days {
            d if !d.is_finite() => 0.0,
            d if d < 1.0 => 20.0,
            d if d < 7.0 => 10.0,
            d if d < 30.0 => 3.0,
            _ => 0.0,
        };
        if points > 0.0 {
            parts.push(Part {
                name: format!("forecast: {name}"),
                points,
                reason: format!("full in about {days:.1} days"),
            });
        }
    }
    if inputs.anomalies > 0 {
        parts.push(Part {
            name: "anomalies".into(),
            points: (inputs.anomalies as f64 * 3.0).min(10.0),
            reason: format!("{} series unusual now", inputs.anomalies),
        });
    }
    if inputs.leaks > 0 {
        parts.push(Part {
            name: "leaks".into(),
            points: (inputs.leaks as f64 * 5.0).min(15.0),
            reason: format!("{} suspected memory leak(s)", inputs.leaks),
        });
    }
    for (name, waited) in &inputs.pressure {
        if waited.is_finite() && *waited > 10.0 {
            parts.push(Part {
                name: format!("pressure: {name}"),
                points: ((waited - 10.0) / 40.0 * 5.0).min(5.0),
                reason: format!("work waited for it {waited:.0} % of the time"),
            });
        }
    }
    let lost: f64 = parts.iter().map(|p| p.points).sum();
    Health {
        score: (100.0 - lost).clamp(0.0, 100.0),
        parts,
    }
}

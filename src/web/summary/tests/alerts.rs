//! Firing and pending alerts on the overview: they lead the line and replace the threshold item
//! on their series.

use super::{healthy, set};
use crate::config::alert_rules::RuleSet;
use crate::model::Severity;
use crate::web::summary::{Extra, assess};

fn with_alerts(states: &[crate::alert::AlertState], now_ms: i64) -> Extra {
    let (items, alerts) = crate::web::active_alerts::view(states, now_ms);
    Extra {
        items,
        alerts,
        data_disk: None,
    }
}

#[test]
fn a_firing_alert_leads_the_line_and_replaces_the_threshold_item_on_its_series() {
    use crate::web::active_alerts::tests::firing_memory;
    let mut s = healthy();
    set(&mut s, "memory.used_percent", 93.2);
    set(&mut s, "temp.max_celsius", 82.0);
    assert_eq!(
        assess(&s, &RuleSet::default(), &Extra::default()).line,
        "Memory is 93 % used (and 1 more below)"
    );
    let fired = s.ts_ms - 14 * 60_000;
    let o = assess(
        &s,
        &RuleSet::default(),
        &with_alerts(&[firing_memory(fired, 93.2)], s.ts_ms),
    );
    assert_eq!(
        o.line,
        "Memory in use is at 93 % (warning for 14 min) (and 1 more below)"
    );
    assert_eq!(o.level, Severity::Warning);
    let whats: Vec<&str> = o.attention.iter().map(|a| a.what.as_str()).collect();
    assert_eq!(
        whats,
        [
            "Memory in use is at 93 % (warning for 14 min)",
            "The system is hot: 82 °C"
        ],
        "the alert replaced 'Memory is 93 % used'"
    );
    assert!(o.attention[0].alert && !o.attention[1].alert);
    assert!(o.has_other_attention());
    assert_eq!(o.alerts.len(), 1);
    assert_eq!(o.alerts[0].since, "for 14 min");
}

#[test]
fn a_worse_reading_still_leads_an_alert_of_a_lower_level() {
    use crate::web::active_alerts::tests::firing_memory;
    let mut s = healthy();
    set(&mut s, "disk./data.used_percent", 96.4);
    set(&mut s, "disk./data.free_bytes", 1.1e9);
    let o = assess(
        &s,
        &RuleSet::default(),
        &with_alerts(&[firing_memory(s.ts_ms, 40.0)], s.ts_ms),
    );
    assert_eq!(o.level, Severity::Critical);
    assert_eq!(
        o.line,
        "Disk /data is 96 % full (1.1 GB free) (and 1 more below)"
    );
    assert_eq!(
        o.attention[1].what,
        "Memory in use is at 40 % (warning for under a minute)"
    );
}

#[test]
fn pending_alerts_are_listed_but_leave_the_line_alone() {
    use crate::web::active_alerts::tests::firing_memory;
    let mut pending = firing_memory(0, 91.0);
    pending.status = crate::alert::Status::Pending;
    let s = healthy();
    let o = assess(&s, &RuleSet::default(), &with_alerts(&[pending], s.ts_ms));
    assert_eq!(o.line, "All good");
    assert!(o.attention.is_empty());
    assert_eq!(o.alerts.len(), 1);
    assert!(!o.has_other_attention());
}

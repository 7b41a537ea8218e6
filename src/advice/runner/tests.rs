//! Recovery's requests from made-up findings, and the Supervisor's backup and disk usage
//! answers read from recorded JSON.

use serde_json::json;

use super::*;
use crate::advice::policy::Origin;
use crate::analysis::leak::Leak;
use crate::analysis::report::{Findings, LeakItem};
use crate::config::{ActionKind, ActionOptions};

fn leak(series: &str, eta: Option<f64>, confidence: f64) -> LeakItem {
    LeakItem {
        series: series.into(),
        suspect: "x".into(),
        limit: Some(1e9),
        summary: "grows 20 MB a day".into(),
        leak: Leak {
            rate_per_day: 20e6,
            confidence,
            from: 0.0,
            to: 86_400.0,
            eta_to_limit: eta,
        },
    }
}

#[test]
fn recovery_asks_for_leaks_near_their_limit_and_stopped_addons_only() {
    let options = ActionOptions {
        recovery_within: 6 * 3600,
        ..ActionOptions::default()
    };
    let findings = Findings {
        leaks: vec![
            leak("addon.core_a.memory_bytes", Some(3600.0), 0.999),
            leak("addon.core_far.memory_bytes", Some(86_400.0), 0.999),
            leak("addon.core_unsure.memory_bytes", Some(60.0), 0.5),
            leak("addon.core_nolimit.memory_bytes", None, 0.999),
            leak("memory.used_bytes", Some(60.0), 0.999),
        ],
        ..Findings::default()
    };
    let asked = recovery_requests(&options, &findings, &["core_b".to_string()]);
    let got: Vec<(ActionKind, &str, Origin)> = asked
        .iter()
        .map(|(r, _)| (r.kind, r.addon.as_str(), r.origin))
        .collect();
    assert_eq!(
        got,
        [
            (ActionKind::Restart, "core_a", Origin::Rule),
            (ActionKind::Start, "core_b", Origin::Rule)
        ]
    );
    assert!(
        asked
            .iter()
            .all(|(r, why)| !r.dry_run && why.starts_with("automatic recovery"))
    );
}

#[test]
fn a_hung_addon_is_asked_a_restart_and_core_never_is() {
    use crate::advice::types::{
        AdviceKind, AdviceState, ProposedAction, Recommendation, Saving, make_id,
    };
    let rec = |kind: AdviceKind, target: &str, action: bool| Recommendation {
        id: make_id(kind, target),
        kind,
        target: target.into(),
        title: format!("Add-on {target} seems stuck"),
        evidence: vec![],
        saving: Saving::default(),
        confidence: 0.6,
        action: action.then(|| ProposedAction {
            kind: ActionKind::Restart,
            addon: target.into(),
        }),
        state: AdviceState::Open,
        snoozed_until_ms: None,
        snippet: None,
    };
    let list = [
        rec(AdviceKind::Hung, "a0d7b954_spin", true),
        rec(AdviceKind::Hung, "homeassistant", false),
        rec(AdviceKind::CpuHog, "core_busy", true),
    ];
    let asked = hung_restarts(&list);
    let got: Vec<(ActionKind, &str, bool)> = asked
        .iter()
        .map(|(r, _)| (r.kind, r.addon.as_str(), r.dry_run))
        .collect();
    assert_eq!(got, [(ActionKind::Restart, "a0d7b954_spin", false)]);
    assert!(asked[0].1.starts_with("automatic recovery: "));
}

#[test]
fn backups_are_read_newest_first_in_bytes() {
    let data = json!({"backups": [
        {"slug": "a", "date": "2026-11-01T03:00:00+00:00", "size": 10.0},
        {"slug": "b", "date": "2026-11-20T03:00:00+00:00", "size": 1.5, "size_bytes": 1_600_000},
        {"slug": "c", "date": "2026-11-10T03:00:00+00:00"}
    ]});
    assert_eq!(
        parse_backups(&data).sizes,
        vec![1_600_000.0, 10.0 * 1_048_576.0]
    );
    assert!(parse_backups(&json!({})).sizes.is_empty());
}

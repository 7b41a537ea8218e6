//! Items about the history: failing writes, a backlog, a storage notice.

use super::healthy;
use crate::config::alert_rules::RuleSet;
use crate::model::Severity;
use crate::web::summary::{Extra, assess, history_items};

fn failing(reason: crate::store::FailureReason) -> crate::store::WriteStatus {
    crate::store::WriteStatus {
        failure: Some(crate::store::WriteFailure {
            since_ms: 0,
            reason,
            error: "(code: 13) database or disk is full".into(),
            free_bytes: Some(200_000),
            attempts: 1,
            next_attempt_ms: 0,
            logged_ms: 0,
        }),
        ..crate::store::WriteStatus::default()
    }
}

#[test]
fn failing_writes_lead_the_line_from_the_first_failure_with_the_cause_and_free_space() {
    let write = failing(crate::store::FailureReason::DiskFull);
    let items = history_items(&write, 3, 24, &[], 0);
    let o = assess(
        &healthy(),
        &RuleSet::default(),
        &Extra {
            items,
            ..Extra::default()
        },
    );
    assert_eq!(o.level, Severity::Critical);
    assert_eq!(
        o.line,
        "History is not being saved: the data disk is full (200 kB free)"
    );
    assert!(
        o.attention[0]
            .todo
            .contains("3 readings are waiting in memory")
    );
}

#[test]
fn a_backlog_without_failures_is_a_warning_and_a_healthy_store_says_nothing() {
    let ok = crate::store::WriteStatus::default();
    assert!(history_items(&ok, 10, 24, &[], 0).is_empty());
    let items = history_items(&ok, 500, 12, &[], 0);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].level, Severity::Warning);
    assert!(items[0].what.starts_with("History is behind"));
}

#[test]
fn a_storage_notice_shows_for_a_day() {
    let notice = crate::store::StoreNotice {
        ts_ms: 1_000,
        kind: "moved_aside".into(),
        message: "It was moved to /data/history.db.corrupt-20260101T000000Z".into(),
    };
    let ok = crate::store::WriteStatus::default();
    let items = history_items(&ok, 0, 24, std::slice::from_ref(&notice), 2_000);
    assert_eq!(
        items[0].what,
        "The history database was damaged and replaced"
    );
    assert!(items[0].todo.contains("corrupt-2026"));
    assert!(history_items(&ok, 0, 24, &[notice], 1_000 + 86_400_000).is_empty());
}

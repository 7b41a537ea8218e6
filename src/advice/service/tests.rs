//! The advisor on a real store under a fake clock: the user's states survive a restart and
//! snoozes run out; an action without a Supervisor is refused, audited and not counted.

use std::sync::Arc;

use tokio::sync::watch;

use super::*;
use crate::advice::policy::{ActionRequest, Origin};
use crate::advice::recommend::{AdviceInputs, DiskContent, Latest};
use crate::advice::types::{AdviceState, Recommendation};
use crate::analysis::leak::Leak;
use crate::analysis::report::{Findings, LeakItem};
use crate::config::{ActionKind, ActionOptions};
use crate::model::Snapshot;
use crate::store::{Store, StoreOptions};
use crate::util::{Emit, ManualClock};

const T0: i64 = 1_780_000_000_000;

async fn advisor(path: &std::path::Path, clock: &ManualClock) -> Advisor {
    let store = Store::open_with(
        path,
        StoreOptions {
            clock: clock.clock(),
            ..StoreOptions::default()
        },
    )
    .await
    .expect("store");
    let (_tx, latest) = watch::channel(Arc::new(Snapshot::default()));
    Advisor::open(AdvisorParts {
        store,
        clock: clock.clock(),
        options: ActionOptions {
            allowed: vec![ActionKind::Restart],
            ..ActionOptions::default()
        },
        control: None,
        emit: Emit::none(),
        latest,
    })
    .await
    .expect("advisor")
}

fn pass(a: &Advisor, now: i64) -> Arc<Vec<Recommendation>> {
    let findings = Findings {
        leaks: vec![LeakItem {
            series: "addon.core_a.memory_bytes".into(),
            suspect: "core_a".into(),
            limit: None,
            summary: String::new(),
            leak: Leak {
                rate_per_day: 1e7,
                confidence: 0.999,
                from: 0.0,
                to: 86_400.0,
                eta_to_limit: None,
            },
        }],
        ..Findings::default()
    };
    a.pass(AdviceInputs {
        now_ms: now,
        findings: &findings,
        latest: &Latest::new(),
        addons: &[],
        disk: &DiskContent::default(),
    })
}

#[tokio::test]
async fn snoozes_and_dismissals_survive_a_restart_and_snoozes_run_out() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("h.db");
    let clock = ManualClock::new(T0);
    let a = advisor(&path, &clock).await;
    assert_eq!(pass(&a, T0)[0].state, AdviceState::Open);
    let bad = a
        .set_state("leak-core_a", AdviceState::Snoozed, Some(5))
        .await;
    assert!(matches!(bad, Err(AdviceError::BadRequest(_))));
    let missing = a.set_state("leak-nope", AdviceState::Dismissed, None).await;
    assert!(matches!(
        missing,
        Err(AdviceError::UnknownRecommendation(_))
    ));
    let snoozed = a
        .set_state("leak-core_a", AdviceState::Snoozed, Some(3600))
        .await
        .expect("snooze");
    assert_eq!(snoozed.snoozed_until_ms, Some(T0 + 3_600_000));
    assert!(a.open_recommendations().is_empty());
    let again = advisor(&path, &clock).await;
    assert_eq!(pass(&again, T0 + 60_000)[0].state, AdviceState::Snoozed);
    clock.advance(std::time::Duration::from_secs(3601));
    assert_eq!(
        pass(&again, clock.clock().now_ms())[0].state,
        AdviceState::Open
    );
    again
        .set_state("leak-core_a", AdviceState::Dismissed, None)
        .await
        .expect("dismiss");
    assert_eq!(
        pass(&again, clock.clock().now_ms())[0].state,
        AdviceState::Dismissed
    );
}

#[tokio::test]
async fn an_allowed_action_without_a_supervisor_is_refused_and_audited() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = ManualClock::new(T0);
    let a = advisor(&dir.path().join("h.db"), &clock).await;
    pass(&a, T0);
    let d = a
        .act(
            ActionRequest {
                kind: ActionKind::Restart,
                addon: "core_a".into(),
                dry_run: false,
                origin: Origin::User,
            },
            None,
            None,
        )
        .await
        .expect("decided");
    assert_eq!((d.result, d.code), ("refused", Some("unavailable")));
    // Refused before the call: it does not count towards the cap.
    assert_eq!(a.inner.ledger.lock().map(|l| l.today(T0)).unwrap_or(9), 0);
    let rows = a.audit(10).await.expect("audit");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].recommendation_id.as_deref(), Some("leak-core_a"));
    assert!(rows[0].evidence.contains("growth of the memory troughs"));
}

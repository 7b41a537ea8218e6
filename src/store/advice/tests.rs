use super::*;
use crate::store::Store;

fn row(at_ms: i64, result: &str) -> ActionRow {
    ActionRow {
        id: 0,
        at_ms,
        kind: "restart".into(),
        addon: "core_mosquitto".into(),
        origin: "user".into(),
        recommendation_id: Some("leak-core_mosquitto".into()),
        reason: "leaks".into(),
        evidence: "[]".into(),
        result: result.into(),
        detail: None,
        estimate_memory: Some(100.0),
        estimate_cpu: None,
        before_memory: Some(500.0),
        before_cpu: Some(1.0),
        measure_at_ms: (result == "done").then_some(at_ms + 600_000),
        freed_memory: None,
        saved_cpu: None,
        effective: None,
    }
}

#[tokio::test]
async fn audit_rows_round_trip_and_effects_are_counted() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("h.db")).await.expect("open");
    let a = store.insert_action(&row(1_000, "done")).await.expect("a");
    let b = store
        .insert_action(&row(2_000, "dry_run"))
        .await
        .expect("b");
    assert!(b > a);
    let listed = store.actions(10).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, b, "newest first");
    assert_eq!(
        store.attempted_actions_since(0).await.expect("since").len(),
        1
    );
    assert!(
        store
            .unmeasured_actions(1_000)
            .await
            .expect("due")
            .is_empty()
    );
    let due = store.unmeasured_actions(601_000).await.expect("due");
    assert_eq!(due.len(), 1);
    store
        .set_action_effect(a, 80.0, 0.0, Some(true))
        .await
        .expect("effect");
    assert!(
        store
            .unmeasured_actions(601_000)
            .await
            .expect("due")
            .is_empty()
    );
    assert_eq!(store.action_effectiveness().await.expect("eff"), (1, 1));
}

#[tokio::test]
async fn states_and_churn_are_kept_and_trimmed() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("h.db")).await.expect("open");
    store
        .set_advice_state("idle-core_samba", Some(("snoozed", Some(9))), 1)
        .await
        .expect("set");
    assert_eq!(
        store.advice_states().await.expect("states")[0].until_ms,
        Some(9)
    );
    store
        .set_advice_state("idle-core_samba", None, 2)
        .await
        .expect("clear");
    assert!(store.advice_states().await.expect("states").is_empty());
    let churn = |day, writes| ChurnRow {
        day,
        entity_id: "sensor.power".into(),
        writes,
        bytes: writes * 150,
    };
    store
        .save_churn(&[churn(10, 5), churn(11, 7)], 0)
        .await
        .expect("save");
    store.save_churn(&[churn(11, 9)], 11).await.expect("save");
    assert_eq!(store.load_churn(0).await.expect("load"), vec![churn(11, 9)]);
}

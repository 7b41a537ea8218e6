//! The policy's refusals with their codes, and a property: whatever is asked, what is
//! carried out keeps within every limit.

use super::*;
use proptest::prelude::*;

const T0: i64 = 1_780_000_000_000;

fn policy(allowed: &[ActionKind]) -> ActionPolicy {
    ActionPolicy {
        options: ActionOptions {
            allowed: allowed.to_vec(),
            daily_cap: 2,
            cooldown: 600,
            ..ActionOptions::default()
        },
        own_slug: Some("a1b2c3d4_resource_manager".into()),
    }
}

fn req(kind: ActionKind, addon: &str, dry_run: bool) -> ActionRequest {
    ActionRequest {
        kind,
        addon: addon.into(),
        dry_run,
        origin: Origin::User,
    }
}

#[test]
fn by_default_only_dry_runs_are_answered_and_real_actions_are_refused() {
    let p = ActionPolicy {
        options: ActionOptions::default(),
        own_slug: None,
    };
    let ask = |dry_run| {
        p.decide(
            &req(ActionKind::Restart, "core_mosquitto", dry_run),
            &Ledger::default(),
            T0,
        )
    };
    assert!(
        matches!(ask(true), ActionVerdict::DryRun(_)),
        "{:?}",
        ask(true)
    );
    assert!(
        matches!(ask(false), ActionVerdict::Refused { code: "not_allowed", ref reason } if reason.contains("actions.allowed")),
        "{:?}",
        ask(false)
    );
}

#[test]
fn guardrails_hold_whatever_the_options_say() {
    let mut p = policy(&ActionKind::ALL);
    p.options.addons_allow = vec!["homeassistant".into(), "local_resource_manager".into()];
    for slug in [
        "homeassistant",
        "supervisor",
        "core",
        "self",
        "local_resource_manager",
        "a1b2c3d4_resource_manager",
    ] {
        for dry in [false, true] {
            let v = p.decide(&req(ActionKind::Stop, slug, dry), &Ledger::default(), T0);
            assert!(
                matches!(
                    v,
                    ActionVerdict::Refused {
                        code: "protected",
                        ..
                    }
                ),
                "{slug}: {v:?}"
            );
        }
    }
    let v = p.decide(
        &req(ActionKind::Stop, "../core", false),
        &Ledger::default(),
        T0,
    );
    assert!(matches!(
        v,
        ActionVerdict::Refused {
            code: "invalid_addon",
            ..
        }
    ));
}

#[test]
fn lists_cap_and_cooldown_refuse_with_their_codes() {
    let mut p = policy(&[ActionKind::Restart]);
    p.options.addons_deny = vec!["core_ssh".into()];
    let mut ledger = Ledger::default();
    let code = |v: ActionVerdict| match v {
        ActionVerdict::Refused { code, .. } => code,
        ActionVerdict::Execute => "execute",
        ActionVerdict::DryRun(_) => "dry_run",
    };
    assert_eq!(
        code(p.decide(&req(ActionKind::Restart, "core_ssh", false), &ledger, T0)),
        "denied"
    );
    assert_eq!(
        code(p.decide(&req(ActionKind::Stop, "core_samba", false), &ledger, T0)),
        "not_allowed",
        "a real action of a kind not enabled"
    );
    assert_eq!(
        code(p.decide(&req(ActionKind::Restart, "core_samba", true), &ledger, T0)),
        "dry_run"
    );
    assert_eq!(
        code(p.decide(&req(ActionKind::Restart, "core_samba", false), &ledger, T0)),
        "execute"
    );
    ledger.record(T0, "core_samba");
    assert_eq!(
        code(p.decide(
            &req(ActionKind::Restart, "core_samba", false),
            &ledger,
            T0 + 1000
        )),
        "cooldown"
    );
    assert_eq!(
        code(p.decide(
            &req(ActionKind::Restart, "core_samba", false),
            &ledger,
            T0 + 600_000
        )),
        "execute"
    );
    ledger.record(T0 + 1000, "core_mosquitto");
    assert_eq!(
        code(p.decide(
            &req(ActionKind::Restart, "core_other", false),
            &ledger,
            T0 + 2000
        )),
        "daily_cap"
    );
    p.options.addons_allow = vec!["core_mosquitto".into()];
    assert_eq!(
        code(p.decide(&req(ActionKind::Restart, "core_samba", false), &ledger, T0)),
        "not_allowed"
    );
}

proptest! {
    /// Over random requests and times, what is carried out never touches a protected
    /// target, a kind not enabled, a dry run, more than the cap per day or anything inside
    /// the cooldown.
    #[test]
    fn executions_respect_every_limit(
        steps in proptest::collection::vec((0usize..3, 0usize..7, any::<bool>(), 0i64..4_000_000), 1..80),
        allowed_mask in 0u8..8,
        cap in 0u32..4,
        cooldown in 0u64..3000,
    ) {
        let slugs = ["core_mosquitto", "core_samba", "homeassistant", "supervisor", "self", "x_resource_manager", "core_ssh"];
        let allowed: Vec<ActionKind> = ActionKind::ALL.into_iter().enumerate().filter(|(i, _)| allowed_mask & (1 << i) != 0).map(|(_, k)| k).collect();
        let p = ActionPolicy {
            options: ActionOptions { allowed: allowed.clone(), daily_cap: cap, cooldown, ..ActionOptions::default() },
            own_slug: None,
        };
        let mut ledger = Ledger::default();
        let mut now = T0;
        let mut done: Vec<(i64, &str)> = Vec::new();
        for (k, s, dry, dt) in steps {
            now += dt;
            let r = req(ActionKind::ALL[k], slugs[s], dry);
            if p.decide(&r, &ledger, now) == ActionVerdict::Execute {
                prop_assert!(!is_protected(slugs[s], None));
                prop_assert!(allowed.contains(&r.kind) && !dry);
                ledger.record(now, slugs[s]);
                done.push((now, slugs[s]));
            }
        }
        for (i, (t, s)) in done.iter().enumerate() {
            let same_day = done.iter().filter(|(u, _)| u.div_euclid(DAY_MS) == t.div_euclid(DAY_MS)).count();
            prop_assert!(same_day <= cap as usize);
            if let Some((u, _)) = done[..i].iter().rev().find(|(_, a)| a == s) {
                prop_assert!(t - u >= cooldown as i64 * 1000);
            }
        }
    }
}

#[test]
fn a_stop_of_an_addon_the_home_depends_on_is_refused_with_why_dry_runs_included() {
    let p = policy(&ActionKind::ALL);
    let ledger = Ledger::default();
    let mosquitto = RoleCheck::Known(AddonRole {
        provides: vec!["mqtt".into()],
        discovery: vec!["mqtt".into()],
        ..AddonRole::default()
    });
    for dry_run in [false, true] {
        let request = req(ActionKind::Stop, "core_mosquitto", dry_run);
        match p.decide_knowing(&request, &mosquitto, &ledger, T0) {
            ActionVerdict::Refused {
                code: "keeps_home",
                reason,
            } => assert!(reason.contains("mqtt service"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
    // A restart keeps the home running: allowed whatever the role.
    assert_eq!(
        p.decide_knowing(
            &req(ActionKind::Restart, "core_mosquitto", false),
            &mosquitto,
            &ledger,
            T0
        ),
        ActionVerdict::Execute
    );
    // Without the role a stop is refused; with a role that keeps nothing it goes on.
    let samba = req(ActionKind::Stop, "core_samba", false);
    for role in [RoleCheck::NotAsked, RoleCheck::Failed("HTTP 500".into())] {
        assert!(matches!(
            p.decide_knowing(&samba, &role, &ledger, T0),
            ActionVerdict::Refused {
                code: "role_unknown",
                ..
            }
        ));
    }
    let host_network_only = RoleCheck::Known(AddonRole {
        host_network: true,
        ..AddonRole::default()
    });
    assert_eq!(
        p.decide_knowing(&samba, &host_network_only, &ledger, T0),
        ActionVerdict::Execute
    );
}

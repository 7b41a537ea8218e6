//! Whether an add-on action may be carried out: the guardrails no option lifts (Home
//! Assistant Core, the Supervisor and its plugins, this add-on), the allow and deny lists,
//! the daily cap and the cooldown, then whether it is only a dry run. Pure: the ledger of
//! actions carried out and the time are handed in.

use serde::Serialize;

use crate::config::{ActionKind, ActionOptions};

const DAY_MS: i64 = 86_400_000;

/// Slugs never acted on: Core, the Supervisor and its plugins, and the names this add-on has
/// (the Supervisor's `self` alias, the bare slug; installed copies end in `_resource_manager`).
pub const PROTECTED: &[&str] = &[
    "homeassistant",
    "core",
    "supervisor",
    "hassio",
    "hassio_supervisor",
    "dns",
    "audio",
    "cli",
    "multicast",
    "observer",
    "self",
    "resource_manager",
];

/// Who asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The API or the dashboard.
    User,
    /// Automatic recovery.
    Rule,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::User => "user",
            Origin::Rule => "rule",
        }
    }
}

/// One request to act.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    pub kind: ActionKind,
    pub addon: String,
    /// Asked as a dry run: say what would happen, do nothing.
    pub dry_run: bool,
    pub origin: Origin,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Carry it out.
    Execute,
    /// Only say what would happen, and why nothing does.
    DryRun(String),
    /// Not even as a dry run: a guardrail, a list, the cap or the cooldown, with a code.
    Refused { code: &'static str, reason: String },
}

/// Actions carried out (done or failed), oldest first: what the cap and cooldown count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    entries: Vec<(i64, String)>,
}

impl Ledger {
    /// Records an action carried out on `addon` at `at_ms`.
    pub fn record(&mut self, at_ms: i64, addon: &str) {
        self.entries.push((at_ms, addon.to_string()));
        // Nothing older than a week matters to a cap or a cooldown (both at most 7 days).
        let horizon = at_ms - 8 * DAY_MS;
        self.entries.retain(|(t, _)| *t >= horizon);
    }

    /// Actions carried out on the UTC day of `now_ms`.
    pub fn today(&self, now_ms: i64) -> usize {
        let day = now_ms.div_euclid(DAY_MS);
        self.entries
            .iter()
            .filter(|(t, _)| t.div_euclid(DAY_MS) == day)
            .count()
    }

    /// The last action carried out on `addon`, Unix ms.
    pub fn last_on(&self, addon: &str) -> Option<i64> {
        self.entries
            .iter()
            .rev()
            .find(|(_, a)| a == addon)
            .map(|(t, _)| *t)
    }
}

/// The policy the options and this add-on's own slug make.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub options: ActionOptions,
    /// This add-on's slug as the Supervisor knows it (`/addons/self/info`), once learnt.
    pub own_slug: Option<String>,
}

/// Whether `slug` is one of the guarded targets (whatever the options say).
pub fn is_protected(slug: &str, own_slug: Option<&str>) -> bool {
    PROTECTED.contains(&slug) || slug.ends_with("_resource_manager") || own_slug == Some(slug)
}

impl Policy {
    /// Decides `request` at `now_ms` given what was carried out before.
    pub fn decide(&self, request: &ActionRequest, ledger: &Ledger, now_ms: i64) -> Verdict {
        let o = &self.options;
        let slug = request.addon.as_str();
        let refuse = |code, reason: String| Verdict::Refused { code, reason };
        if crate::supervisor::AddonSlug::parse(slug).is_err() {
            return refuse("invalid_addon", format!("'{slug}' is not an add-on slug"));
        }
        if is_protected(slug, self.own_slug.as_deref()) {
            return refuse(
                "protected",
                format!(
                    "'{slug}' is protected: Home Assistant Core, the Supervisor and this add-on are never acted on"
                ),
            );
        }
        if o.addons_deny.iter().any(|d| d == slug) {
            return refuse("denied", format!("'{slug}' is in actions.addons_deny"));
        }
        if !o.addons_allow.is_empty() && !o.addons_allow.iter().any(|a| a == slug) {
            return refuse(
                "not_allowed",
                format!("'{slug}' is not in actions.addons_allow"),
            );
        }
        let enabled = o.allowed.contains(&request.kind);
        if request.dry_run {
            return Verdict::DryRun("asked as a dry run".to_string());
        }
        if !enabled {
            // A real action was asked for: answering with a dry run would look like success.
            return refuse(
                "not_allowed",
                format!(
                    "'{}' is not in actions.allowed: add-ons are only {} by the advisor when the option allows it (ask with dry_run true to see what it would do)",
                    request.kind.as_str(),
                    match request.kind {
                        crate::config::ActionKind::Start => "started",
                        crate::config::ActionKind::Stop => "stopped",
                        crate::config::ActionKind::Restart => "restarted",
                    }
                ),
            );
        }
        let today = ledger.today(now_ms);
        if today >= o.daily_cap as usize {
            return refuse(
                "daily_cap",
                format!(
                    "{today} action(s) today already: actions.daily_cap is {}",
                    o.daily_cap
                ),
            );
        }
        if let Some(last) = ledger.last_on(slug) {
            let cooldown_ms = o.cooldown as i64 * 1000;
            if now_ms - last < cooldown_ms {
                let left = (cooldown_ms - (now_ms - last)).div_euclid(1000).max(1);
                return refuse(
                    "cooldown",
                    format!(
                        "'{slug}' was acted on {} s ago; actions.cooldown leaves {left} s",
                        (now_ms - last) / 1000
                    ),
                );
            }
        }
        Verdict::Execute
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_780_000_000_000;

    fn policy(allowed: &[ActionKind]) -> Policy {
        Policy {
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
        let p = Policy {
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
        assert!(matches!(ask(true), Verdict::DryRun(_)), "{:?}", ask(true));
        assert!(
            matches!(ask(false), Verdict::Refused { code: "not_allowed", ref reason } if reason.contains("actions.allowed")),
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
                        Verdict::Refused {
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
            Verdict::Refused {
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
        let code = |v: Verdict| match v {
            Verdict::Refused { code, .. } => code,
            Verdict::Execute => "execute",
            Verdict::DryRun(_) => "dry_run",
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
            let p = Policy {
                options: ActionOptions { allowed: allowed.clone(), daily_cap: cap, cooldown, ..ActionOptions::default() },
                own_slug: None,
            };
            let mut ledger = Ledger::default();
            let mut now = T0;
            let mut done: Vec<(i64, &str)> = Vec::new();
            for (k, s, dry, dt) in steps {
                now += dt;
                let r = req(ActionKind::ALL[k], slugs[s], dry);
                if p.decide(&r, &ledger, now) == Verdict::Execute {
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
}

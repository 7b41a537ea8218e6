//! Whether an add-on action may be carried out: the guardrails no option lifts (Home
//! Assistant Core, the Supervisor and its plugins, this add-on; no stop of an add-on the home
//! depends on), the allow and deny lists, the daily cap and the cooldown, then whether it is
//! only a dry run. Pure: the ledger of actions carried out, the add-on's role and the time are
//! handed in.

use serde::Serialize;

use crate::config::{ActionKind, ActionOptions};
use crate::supervisor::AddonRole;

use crate::util::time::DAY_MS;

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
pub enum ActionVerdict {
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

/// What the Supervisor said of the add-on a stop is asked for (`/addons/<slug>/info`).
#[derive(Debug, Clone, PartialEq)]
pub enum RoleCheck {
    /// Not asked: a stop is then refused, since nothing says the home can do without it.
    NotAsked,
    Known(AddonRole),
    /// The question failed, with why.
    Failed(String),
}

/// The refusal of a stop the add-on's role forbids (dry runs included), if any.
fn role_guard(request: &ActionRequest, role: &RoleCheck) -> Option<ActionVerdict> {
    if request.kind != ActionKind::Stop {
        return None;
    }
    let slug = &request.addon;
    let (code, reason) = match role {
        RoleCheck::Known(role) => (
            "keeps_home",
            format!(
                "'{slug}' is never stopped by Resource Manager: it {}; stopping it could break the home (stop it on its own add-on page if you mean to)",
                role.keeps_home()?
            ),
        ),
        RoleCheck::NotAsked => (
            "role_unknown",
            format!(
                "'{slug}' is not stopped: the Supervisor has not said what it does for the home"
            ),
        ),
        RoleCheck::Failed(why) => (
            "role_unknown",
            format!(
                "'{slug}' is not stopped: the Supervisor could not say what it does for the home ({why})"
            ),
        ),
    };
    Some(ActionVerdict::Refused { code, reason })
}

/// The policy the options and this add-on's own slug make.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionPolicy {
    pub options: ActionOptions,
    /// This add-on's slug as the Supervisor knows it (`/addons/self/info`), once learnt.
    pub own_slug: Option<String>,
}

/// Whether `slug` is one of the guarded targets (whatever the options say).
pub fn is_protected(slug: &str, own_slug: Option<&str>) -> bool {
    PROTECTED.contains(&slug) || slug.ends_with("_resource_manager") || own_slug == Some(slug)
}

impl ActionPolicy {
    /// Decides `request` at `now_ms` given what was carried out before, without the add-on's
    /// role: a stop is refused.
    pub fn decide(&self, request: &ActionRequest, ledger: &Ledger, now_ms: i64) -> ActionVerdict {
        self.decide_knowing(request, &RoleCheck::NotAsked, ledger, now_ms)
    }

    /// Decides `request` at `now_ms` given what was carried out before and what the
    /// Supervisor said of the add-on (only a stop needs it).
    pub fn decide_knowing(
        &self,
        request: &ActionRequest,
        role: &RoleCheck,
        ledger: &Ledger,
        now_ms: i64,
    ) -> ActionVerdict {
        let o = &self.options;
        let slug = request.addon.as_str();
        let refuse = |code, reason: String| ActionVerdict::Refused { code, reason };
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
            return role_guard(request, role)
                .unwrap_or_else(|| ActionVerdict::DryRun("asked as a dry run".to_string()));
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
        if let Some(refused) = role_guard(request, role) {
            return refused;
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
        ActionVerdict::Execute
    }
}

#[cfg(test)]
mod tests;

//! The policy's part of the advisor: the options and this add-on's slug it decides with, the
//! verdict on a request (entered in the ledger of actions carried out), and the recommendation
//! an action follows.

use super::advisor::{AdviceError, Advisor};
use crate::advice::policy::{ActionRequest, ActionVerdict, RoleCheck, is_protected};
use crate::advice::types::{AdviceState, Recommendation};
use crate::config::{ActionKind, ActionOptions};
use crate::supervisor::AddonSlug;
use crate::util::lock;

impl Advisor {
    /// This add-on's slug as the Supervisor reports it: protected from then on.
    pub fn set_own_slug(&self, slug: String) {
        lock(&self.inner.policy).own_slug = Some(slug);
    }

    /// The action options in effect.
    pub fn options(&self) -> ActionOptions {
        lock(&self.inner.policy).options.clone()
    }

    /// What the Supervisor says of the add-on a stop is asked for (`/addons/<slug>/info`),
    /// asked only for a stop of a valid, unprotected slug (other requests need no role).
    pub(super) async fn role_check(&self, request: &ActionRequest) -> RoleCheck {
        if request.kind != ActionKind::Stop {
            return RoleCheck::NotAsked;
        }
        let own = lock(&self.inner.policy).own_slug.clone();
        let Ok(slug) = AddonSlug::parse(&request.addon) else {
            return RoleCheck::NotAsked;
        };
        if is_protected(slug.as_str(), own.as_deref()) {
            return RoleCheck::NotAsked;
        }
        let Some(control) = &self.inner.control else {
            return RoleCheck::Failed("no Supervisor here (standalone mode)".into());
        };
        match control.role(&slug).await {
            Ok(role) => RoleCheck::Known(role),
            Err(err) => RoleCheck::Failed(err.to_string()),
        }
    }

    /// What the policy says of `request` at `now` knowing the add-on's `role`, refused when
    /// no Supervisor is there to carry it out; an action to be carried out is entered in the
    /// ledger at once.
    pub(super) fn verdict(
        &self,
        request: &ActionRequest,
        role: &RoleCheck,
        now: i64,
    ) -> ActionVerdict {
        let policy = lock(&self.inner.policy);
        let mut ledger = lock(&self.inner.ledger);
        let verdict = match policy.decide_knowing(request, role, &ledger, now) {
            ActionVerdict::Execute if self.inner.control.is_none() => ActionVerdict::Refused {
                code: "unavailable",
                reason: "no Supervisor here (standalone mode): add-ons cannot be controlled".into(),
            },
            verdict => verdict,
        };
        // Counted before the call, so concurrent requests cannot pass the cap together.
        if verdict == ActionVerdict::Execute {
            ledger.record(now, &request.addon);
        }
        verdict
    }

    /// The recommendation an action follows: the named one (which must exist), else an open
    /// one proposing this very action.
    pub(super) fn matching(
        &self,
        request: &ActionRequest,
        id: Option<&str>,
    ) -> Result<Option<Recommendation>, AdviceError> {
        let list = self.recommendations();
        if let Some(id) = id {
            let found = list
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| AdviceError::UnknownRecommendation(id.to_string()))?;
            // Its estimate is only the measure of the action it proposes.
            return match &found.action {
                Some(a) if a.kind == request.kind && a.addon == request.addon => {
                    Ok(Some(found.clone()))
                }
                Some(a) => Err(AdviceError::BadRequest(format!(
                    "recommendation '{id}' proposes {} {}, not {} {}",
                    a.kind.as_str(),
                    a.addon,
                    request.kind.as_str(),
                    request.addon
                ))),
                None => Err(AdviceError::BadRequest(format!(
                    "recommendation '{id}' proposes no add-on action"
                ))),
            };
        }
        Ok(list
            .iter()
            .find(|r| {
                r.state == AdviceState::Open
                    && r.action
                        .as_ref()
                        .is_some_and(|a| a.kind == request.kind && a.addon == request.addon)
            })
            .cloned())
    }
}

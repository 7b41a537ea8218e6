//! The Supervisor call that carries an action out: the request's slug checked and the kind
//! mapped to the Supervisor's add-on action; any error becomes a failed outcome, never a panic.

use super::advisor::Advisor;
use crate::advice::policy::ActionRequest;
use crate::config::ActionKind;
use crate::event::ActionOutcome;
use crate::supervisor::{AddonAction, AddonSlug};

impl Advisor {
    pub(super) async fn execute(&self, request: &ActionRequest) -> ActionOutcome {
        // Both were checked by the caller and the policy; kept as errors, never panics.
        let Some(control) = &self.inner.control else {
            return ActionOutcome::Failed("no Supervisor".into());
        };
        let slug = match AddonSlug::parse(&request.addon) {
            Ok(slug) => slug,
            Err(err) => return ActionOutcome::Failed(err.to_string()),
        };
        let action = match request.kind {
            ActionKind::Start => AddonAction::Start,
            ActionKind::Stop => AddonAction::Stop,
            ActionKind::Restart => AddonAction::Restart,
        };
        match control.act(action, &slug).await {
            Ok(()) => ActionOutcome::Done,
            Err(err) => ActionOutcome::Failed(err.to_string()),
        }
    }
}

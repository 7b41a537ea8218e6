//! Acting on an add-on: every decision, dry runs and refusals too, is written to the audit
//! before anything is carried out, logged under its audit id and announced on the bus; the
//! audit is read back for the API and for automatic recovery.

use crate::util::time::HOUR_MS;
use serde::Serialize;

use super::advisor::{AdviceError, Advisor};
use super::effect::MEASURE_AFTER_MS;
use crate::advice::policy::{ActionRequest, ActionVerdict, Origin};
use crate::advice::types::{AdviceState, Evidence};
use crate::config::ActionKind;
use crate::event::{ActionOutcome, ActionResult};
use crate::store::{ActionRow, StoreError};
use crate::util::lock;

/// One decision as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionDecision {
    pub audit_id: i64,
    pub kind: ActionKind,
    pub addon: String,
    pub dry_run: bool,
    /// `done`, `dry_run`, `refused` or `failed`.
    pub result: &'static str,
    /// The refusal's code (`protected`, `daily_cap`, …), when refused.
    pub code: Option<&'static str>,
    /// What would happen, why not, or the error.
    pub detail: Option<String>,
    /// When its effect will be measured, Unix ms (actions carried out).
    pub measure_at_ms: Option<i64>,
}

impl Advisor {
    /// Decides `request` (what for: `recommendation_id`, else a matching open
    /// recommendation), writes the audit row, carries it out if allowed, and announces it.
    pub async fn act(
        &self,
        request: ActionRequest,
        recommendation_id: Option<&str>,
        reason: Option<String>,
    ) -> Result<ActionDecision, AdviceError> {
        let now = self.inner.clock.now_ms();
        let recommendation = self.matching(&request, recommendation_id)?;
        let role = self.role_check(&request).await;
        let verdict = self.verdict(&request, &role, now);
        let (before_memory, before_cpu) = self.readings(&request.addon);
        let mut outcome = match &verdict {
            ActionVerdict::Execute => ActionOutcome::Done,
            ActionVerdict::DryRun(why) => ActionOutcome::DryRun(format!(
                "would {} {}; {why}",
                request.kind.as_str(),
                request.addon
            )),
            ActionVerdict::Refused { reason, .. } => ActionOutcome::Refused(reason.clone()),
        };
        let code = match &verdict {
            ActionVerdict::Refused { code, .. } => Some(*code),
            _ => None,
        };
        let reason = reason
            .or_else(|| recommendation.as_ref().map(|r| r.title.clone()))
            .unwrap_or_else(|| {
                format!(
                    "{} asked by the {}",
                    request.kind.as_str(),
                    request.origin.as_str()
                )
            });
        let evidence = recommendation
            .as_ref()
            .map(|r| r.evidence.clone())
            .unwrap_or_default();
        let executing = verdict == ActionVerdict::Execute;
        let row = ActionRow {
            id: 0,
            at_ms: now,
            kind: request.kind.as_str().into(),
            addon: request.addon.clone(),
            origin: request.origin.as_str().into(),
            recommendation_id: recommendation.as_ref().map(|r| r.id.clone()),
            reason: reason.clone(),
            evidence: evidence_json(&evidence),
            result: if executing {
                "pending"
            } else {
                outcome.as_str()
            }
            .into(),
            detail: outcome.detail().map(str::to_string),
            estimate_memory: recommendation.as_ref().and_then(|r| r.saving.memory_bytes),
            estimate_cpu: recommendation.as_ref().and_then(|r| r.saving.cpu_percent),
            before_memory,
            before_cpu,
            measure_at_ms: None,
            freed_memory: None,
            saved_cpu: None,
            effective: None,
        };
        // Written before the call: an attempt is on record even if the add-on stops midway.
        let audit_id = self.inner.store.insert_action(&row).await?;
        let mut measure_at_ms = None;
        if executing {
            outcome = self.execute(&request).await;
            // Measured from when the Supervisor reported it done (a restart may take minutes).
            measure_at_ms = (outcome == ActionOutcome::Done)
                .then(|| self.inner.clock.now_ms() + MEASURE_AFTER_MS);
            self.inner
                .store
                .finish_action(audit_id, outcome.as_str(), outcome.detail(), measure_at_ms)
                .await?;
        }
        if outcome == ActionOutcome::Done
            && let Some(r) = &recommendation
            && let Err(err) = self.set_state(&r.id, AdviceState::Done, None).await
        {
            tracing::warn!(error = %err, id = %r.id, "cannot mark the recommendation done");
        }
        // Every decision, dry runs and refusals too, under its audit row's id.
        tracing::info!(
            resource_management_id = %format!("action-{audit_id}"),
            action = request.kind.as_str(),
            addon = %request.addon,
            origin = request.origin.as_str(),
            outcome = outcome.as_str(),
            recommendation = row.recommendation_id.as_deref().unwrap_or(""),
            "add-on action decided"
        );
        self.inner.emit.emit(ActionResult {
            audit_id,
            action: request.kind.as_str().into(),
            target: request.addon.clone(),
            origin: request.origin.as_str().into(),
            reason,
            recommendation_id: row.recommendation_id.clone(),
            finished_ms: self.inner.clock.now_ms(),
            outcome: outcome.clone(),
        });
        Ok(ActionDecision {
            audit_id,
            kind: request.kind,
            addon: request.addon,
            dry_run: matches!(outcome, ActionOutcome::DryRun(_)),
            result: outcome.as_str(),
            code,
            detail: outcome.detail().map(str::to_string),
            measure_at_ms,
        })
    }

    /// The audit log, newest first.
    pub async fn audit(&self, limit: u32) -> Result<Vec<ActionRow>, StoreError> {
        self.inner.store.actions(limit).await
    }

    /// Whether `addon` was acted on lately (by anyone), or the rules asked about it, within
    /// the cooldown (at least an hour): automatic recovery then leaves it alone, so a stop
    /// the user made is not "unexpected" and a dry run is not repeated every pass.
    pub async fn recently_acted(&self, addon: &str) -> Result<bool, StoreError> {
        let now = self.inner.clock.now_ms();
        let cooldown = (lock(&self.inner.policy).options.cooldown as i64 * 1000).max(HOUR_MS);
        Ok(self.inner.store.actions(200).await?.iter().any(|r| {
            r.addon == addon
                && now - r.at_ms < cooldown
                && (r.origin == Origin::Rule.as_str() || r.result == "done" || r.result == "failed")
        }))
    }
}

fn evidence_json(evidence: &[Evidence]) -> String {
    serde_json::to_string(evidence).unwrap_or_else(|_| "[]".into())
}

//! The advisor's handle: the current recommendations with the states the user gave them,
//! every action decision (decided by [`Policy`], carried out through [`AddonControl`],
//! written to the audit, announced on the bus), the effect measured after each action, and
//! the recorder's churn counter. Cheap to clone; the runner and the web layer share it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::watch;

use super::policy::{ActionRequest, Ledger, Origin, Policy, Verdict};
use super::recommend::{self, Inputs, Sustain};
use super::recorder::{ChurnCounter, ChurnReport};
use super::types::{AdviceState, Evidence, Recommendation};
use crate::config::{ActionKind, ActionOptions};
use crate::event::{ActionOutcome, ActionResult};
use crate::model::{Snapshot, registry};
use crate::store::{ActionRow, Store, StoreError};
use crate::supervisor::{AddonAction, AddonControl, AddonSlug};
use crate::util::{Clock, Emit, lock};

/// The effect of an action is measured this long after it.
pub const MEASURE_AFTER_MS: i64 = 10 * 60_000;
/// An action counts as effective when it reached this share of its estimate.
pub const EFFECTIVE_SHARE: f64 = 0.5;
/// How long a recommendation acted on stays `done` before it may open again.
pub const DONE_FOR_MS: i64 = 86_400_000;
/// Longest snooze.
pub const MAX_SNOOZE_SECONDS: u64 = 90 * 86_400;
const DAY_MS: i64 = 86_400_000;

/// Failures of the advisor's operations.
#[derive(Debug, thiserror::Error)]
pub enum AdviceError {
    #[error("no open recommendation has the id '{0}'")]
    UnknownRecommendation(String),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One decision as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
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

/// The share of measured actions whose effect reached half the estimate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Effectiveness {
    pub measured: u64,
    pub effective: u64,
    /// `effective / measured`; `None` before the first measurement.
    pub share: Option<f64>,
}

/// The last pass, for Diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PassStats {
    pub runs: u64,
    pub made_ms: i64,
    /// CPU time of the rules (loading excluded), milliseconds.
    pub cpu_ms: f64,
}

/// What the advisor is built from.
pub struct AdvisorParts {
    pub store: Store,
    pub clock: Clock,
    pub options: ActionOptions,
    /// The Supervisor (absent when standalone: actions carried out are refused).
    pub control: Option<Arc<dyn AddonControl>>,
    /// Where decisions are announced (the bus).
    pub emit: Emit<ActionResult>,
    /// Add-on readings before and after an action.
    pub latest: watch::Receiver<Arc<Snapshot>>,
}

/// The advisor; cheap to clone.
#[derive(Clone)]
pub struct Advisor {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    control: Option<Arc<dyn AddonControl>>,
    emit: Emit<ActionResult>,
    latest: watch::Receiver<Arc<Snapshot>>,
    policy: Mutex<Policy>,
    ledger: Mutex<Ledger>,
    recommendations: Mutex<Arc<Vec<Recommendation>>>,
    states: Mutex<HashMap<String, (AdviceState, Option<i64>)>>,
    churn: Mutex<ChurnCounter>,
    sustain: Mutex<Sustain>,
    pass: Mutex<PassStats>,
    /// `power.energy_price`, for savings in money.
    energy_price: Mutex<Option<recommend::EnergyPrice>>,
}

impl std::fmt::Debug for Advisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Advisor")
    }
}

impl Advisor {
    /// Opens the advisor: the cap and cooldown count the stored actions of the last week,
    /// the user's states and the recorder churn come back.
    pub async fn open(parts: AdvisorParts) -> Result<Advisor, StoreError> {
        let now = parts.clock.now_ms();
        let mut ledger = Ledger::default();
        for row in parts
            .store
            .attempted_actions_since(now - 8 * DAY_MS)
            .await?
        {
            ledger.record(row.at_ms, &row.addon);
        }
        let mut states = HashMap::new();
        for row in parts.store.advice_states().await? {
            if let Some(state) = AdviceState::parse(&row.state) {
                states.insert(row.id, (state, row.until_ms));
            }
        }
        let mut churn = ChurnCounter::default();
        let days = super::recorder::DAYS_KEPT;
        churn.restore(
            &parts
                .store
                .load_churn(now.div_euclid(DAY_MS) - days + 1)
                .await?,
        );
        Ok(Advisor {
            inner: Arc::new(Inner {
                store: parts.store,
                clock: parts.clock,
                control: parts.control,
                emit: parts.emit,
                latest: parts.latest,
                policy: Mutex::new(Policy {
                    options: parts.options,
                    own_slug: None,
                }),
                ledger: Mutex::new(ledger),
                recommendations: Mutex::default(),
                states: Mutex::new(states),
                churn: Mutex::new(churn),
                sustain: Mutex::default(),
                pass: Mutex::default(),
                energy_price: Mutex::default(),
            }),
        })
    }

    /// This add-on's slug as the Supervisor reports it: protected from then on.
    pub fn set_own_slug(&self, slug: String) {
        lock(&self.inner.policy).own_slug = Some(slug);
    }

    /// The action options in effect.
    pub fn options(&self) -> ActionOptions {
        lock(&self.inner.policy).options.clone()
    }

    /// The app's clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Every current recommendation with its state.
    pub fn recommendations(&self) -> Arc<Vec<Recommendation>> {
        lock(&self.inner.recommendations).clone()
    }

    /// The open ones, largest saving first.
    pub fn open_recommendations(&self) -> Vec<Recommendation> {
        self.recommendations()
            .iter()
            .filter(|r| r.state == AdviceState::Open)
            .cloned()
            .collect()
    }

    /// The recorder ranking now.
    pub fn churn_report(&self) -> ChurnReport {
        lock(&self.inner.churn).report(self.inner.clock.now_ms())
    }

    /// The last pass's numbers.
    pub fn pass_stats(&self) -> PassStats {
        *lock(&self.inner.pass)
    }

    /// Counts one recorded state change (from the `state_changed` subscription).
    pub fn observe_state_change(&self, entity_id: &str, at_ms: i64, bytes: u64) {
        lock(&self.inner.churn).observe(entity_id, at_ms, bytes);
    }

    /// Stores the churn counted since the last call.
    pub async fn save_churn(&self) -> Result<(), StoreError> {
        let rows = lock(&self.inner.churn).take_dirty();
        if rows.is_empty() {
            return Ok(());
        }
        let today = self.inner.clock.now_ms().div_euclid(DAY_MS);
        self.inner
            .store
            .save_churn(&rows, today - super::recorder::DAYS_KEPT + 1)
            .await
    }

    /// Prices the power savings of later passes (`power.energy_price`).
    pub fn set_energy_price(&self, price: Option<recommend::EnergyPrice>) {
        *lock(&self.inner.energy_price) = price;
    }

    /// One pass of the rules over `input` and the recorder churn counted so far; the result,
    /// with the user's states applied, becomes the current list.
    pub fn pass(&self, input: Inputs<'_>) -> Arc<Vec<Recommendation>> {
        let started = crate::collect::thread_cpu_time();
        let churn = lock(&self.inner.churn).report(input.now_ms);
        let mut list = {
            let mut sustain = lock(&self.inner.sustain);
            recommend::recommend(&input, &churn, &mut sustain)
        };
        recommend::attach_power(
            &mut list,
            input.latest,
            lock(&self.inner.energy_price).as_ref(),
        );
        {
            let states = lock(&self.inner.states);
            for r in &mut list {
                apply_state(r, states.get(&r.id).copied(), input.now_ms);
            }
        }
        let now_ms = input.now_ms;
        let list = Arc::new(list);
        let previous = std::mem::replace(&mut *lock(&self.inner.recommendations), list.clone());
        // A line when advice appears, under its stable id (the id is the correlation).
        for r in list
            .iter()
            .filter(|r| !previous.iter().any(|p| p.id == r.id))
        {
            tracing::info!(
                resource_management_id = %r.id,
                kind = r.kind.as_str(),
                memory_usage_mb = r.saving.memory_bytes.map(|b| (b / 1e6).round()),
                cpu_usage_percentage = r.saving.cpu_percent,
                power_consumption_watts = r.saving.watts,
                "recommendation: {}",
                r.title
            );
        }
        let mut pass = lock(&self.inner.pass);
        pass.runs += 1;
        pass.made_ms = now_ms;
        pass.cpu_ms = crate::collect::thread_cpu_time()
            .saturating_sub(started)
            .as_secs_f64()
            * 1000.0;
        list
    }

    /// Dismisses, snoozes (for `snooze_seconds`), marks done or reopens recommendation `id`.
    pub async fn set_state(
        &self,
        id: &str,
        state: AdviceState,
        snooze_seconds: Option<u64>,
    ) -> Result<Recommendation, AdviceError> {
        let now = self.inner.clock.now_ms();
        let Some(mut found) = self.recommendations().iter().find(|r| r.id == id).cloned() else {
            return Err(AdviceError::UnknownRecommendation(id.to_string()));
        };
        let until = match (state, snooze_seconds) {
            (AdviceState::Snoozed, Some(s)) if (60..=MAX_SNOOZE_SECONDS).contains(&s) => {
                Some(now + s as i64 * 1000)
            }
            (AdviceState::Snoozed, _) => {
                return Err(AdviceError::BadRequest(format!(
                    "a snooze needs a duration from 60 to {MAX_SNOOZE_SECONDS} seconds"
                )));
            }
            // Acted on: if the rules still find it a day later, it is open again.
            (AdviceState::Done, _) => Some(now + DONE_FOR_MS),
            _ => None,
        };
        let stored = (state != AdviceState::Open).then(|| (state.as_str(), until));
        self.inner.store.set_advice_state(id, stored, now).await?;
        {
            let mut states = lock(&self.inner.states);
            match state {
                AdviceState::Open => states.remove(id),
                _ => states.insert(id.to_string(), (state, until)),
            };
        }
        apply_state(&mut found, stored.map(|_| (state, until)), now);
        let mut list = (*self.recommendations()).clone();
        if let Some(r) = list.iter_mut().find(|r| r.id == id) {
            *r = found.clone();
        }
        *lock(&self.inner.recommendations) = Arc::new(list);
        Ok(found)
    }

    /// Decides `request` (what for: `recommendation_id`, else a matching open
    /// recommendation), writes the audit row, carries it out if allowed, and announces it.
    pub async fn act(
        &self,
        request: ActionRequest,
        recommendation_id: Option<&str>,
        reason: Option<String>,
    ) -> Result<Decision, AdviceError> {
        let now = self.inner.clock.now_ms();
        let recommendation = self.matching(&request, recommendation_id)?;
        let verdict = {
            let policy = lock(&self.inner.policy);
            let mut ledger = lock(&self.inner.ledger);
            let verdict = match policy.decide(&request, &ledger, now) {
                Verdict::Execute if self.inner.control.is_none() => Verdict::Refused {
                    code: "unavailable",
                    reason: "no Supervisor here (standalone mode): add-ons cannot be controlled"
                        .into(),
                },
                verdict => verdict,
            };
            // Counted before the call, so concurrent requests cannot pass the cap together.
            if verdict == Verdict::Execute {
                ledger.record(now, &request.addon);
            }
            verdict
        };
        let (before_memory, before_cpu) = self.readings(&request.addon);
        let mut outcome = match &verdict {
            Verdict::Execute => ActionOutcome::Done,
            Verdict::DryRun(why) => ActionOutcome::DryRun(format!(
                "would {} {}; {why}",
                request.kind.as_str(),
                request.addon
            )),
            Verdict::Refused { reason, .. } => ActionOutcome::Refused(reason.clone()),
        };
        let code = match &verdict {
            Verdict::Refused { code, .. } => Some(*code),
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
        let executing = verdict == Verdict::Execute;
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
        Ok(Decision {
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

    /// The recommendation an action follows: the named one (which must exist), else an open
    /// one proposing this very action.
    fn matching(
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

    async fn execute(&self, request: &ActionRequest) -> ActionOutcome {
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

    /// The add-on's memory (bytes) and CPU (percent of the host) in the latest snapshot.
    fn readings(&self, slug: &str) -> (Option<f64>, Option<f64>) {
        let snapshot = self.inner.latest.borrow().clone();
        (
            snapshot.value(&registry::ADDON_MEMORY.instance(slug, &[]).id),
            snapshot.value(&registry::ADDON_CPU.instance(slug, &[]).id),
        )
    }

    /// Measures the effect of every action whose time has come; returns how many.
    pub async fn measure_due(&self) -> Result<usize, StoreError> {
        let now = self.inner.clock.now_ms();
        let due = self.inner.store.unmeasured_actions(now).await?;
        for row in &due {
            let (after_memory, after_cpu) = self.readings(&row.addon);
            // A stopped add-on reports nothing: it uses nothing.
            let stopped = row.kind == "stop";
            let after_memory = after_memory.or(stopped.then_some(0.0));
            let after_cpu = after_cpu.or(stopped.then_some(0.0));
            let freed = match (row.before_memory, after_memory) {
                (Some(b), Some(a)) => b - a,
                _ => 0.0,
            };
            let saved = match (row.before_cpu, after_cpu) {
                (Some(b), Some(a)) => b - a,
                _ => 0.0,
            };
            let effective = match (row.estimate_memory, row.estimate_cpu) {
                (Some(e), _) if e > 0.0 => Some(freed >= EFFECTIVE_SHARE * e),
                (_, Some(e)) if e > 0.0 => Some(saved >= EFFECTIVE_SHARE * e),
                _ => None,
            };
            self.inner
                .store
                .set_action_effect(row.id, freed, saved, effective)
                .await?;
        }
        Ok(due.len())
    }

    /// The measured effectiveness so far.
    pub async fn effectiveness(&self) -> Result<Effectiveness, StoreError> {
        let (measured, effective) = self.inner.store.action_effectiveness().await?;
        Ok(Effectiveness {
            measured,
            effective,
            share: (measured > 0).then(|| effective as f64 / measured as f64),
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
        let cooldown = (lock(&self.inner.policy).options.cooldown as i64 * 1000).max(3_600_000);
        Ok(self.inner.store.actions(200).await?.iter().any(|r| {
            r.addon == addon
                && now - r.at_ms < cooldown
                && (r.origin == Origin::Rule.as_str() || r.result == "done" || r.result == "failed")
        }))
    }
}

/// Applies the user's state; a snooze that ran out, or a `done` a day old, opens the
/// recommendation again (the rules still find it).
fn apply_state(r: &mut Recommendation, state: Option<(AdviceState, Option<i64>)>, now_ms: i64) {
    r.snoozed_until_ms = None;
    r.state = match state {
        Some((AdviceState::Snoozed, Some(until))) if until > now_ms => {
            r.snoozed_until_ms = Some(until);
            AdviceState::Snoozed
        }
        Some((AdviceState::Done, until)) if until.is_none_or(|u| u > now_ms) => AdviceState::Done,
        Some((AdviceState::Dismissed, _)) => AdviceState::Dismissed,
        _ => AdviceState::Open,
    };
}

fn evidence_json(evidence: &[Evidence]) -> String {
    serde_json::to_string(evidence).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advice::recommend::{DiskContent, Latest};
    use crate::analysis::leak::Leak;
    use crate::analysis::report::{Findings, LeakItem};
    use crate::store::StoreOptions;
    use crate::util::ManualClock;

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
        a.pass(Inputs {
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
}

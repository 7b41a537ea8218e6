//! The current recommendations and the states the user gave them: each pass of the rules
//! replaces the list (with the states applied and power priced), and dismissing, snoozing or
//! marking one done is stored so it survives a restart.

use crate::util::time::DAY_MS;
use std::sync::Arc;

use super::advisor::{AdviceError, Advisor, PassStats};
use crate::advice::recommend::{self, AdviceInputs};
use crate::advice::types::{AdviceState, Recommendation};
use crate::util::lock;

/// How long a recommendation acted on stays `done` before it may open again.
pub const DONE_FOR_MS: i64 = DAY_MS;
/// Longest snooze.
pub const MAX_SNOOZE_SECONDS: u64 = 90 * 86_400;

impl Advisor {
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

    /// The last pass's numbers.
    pub fn pass_stats(&self) -> PassStats {
        *lock(&self.inner.pass)
    }

    /// Prices the power savings of later passes (`power.energy_price`).
    pub fn set_energy_price(&self, price: Option<recommend::EnergyPrice>) {
        *lock(&self.inner.energy_price) = price;
    }

    /// One pass of the rules over `input` and the recorder churn counted so far; the result,
    /// with the user's states applied, becomes the current list.
    pub fn pass(&self, input: AdviceInputs<'_>) -> Arc<Vec<Recommendation>> {
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

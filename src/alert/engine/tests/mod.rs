//! The engine under a fake clock: every transition, `for`, hysteresis, cooldown and
//! acknowledgement, plus the quietness properties of ADR 0003. This file holds the rules and
//! the harness every topic's tests share.

use serde_json::{Value, json};

use super::*;
use crate::alert::rule::RuleSource;

mod lifecycle;
mod properties;
mod targets;

const MIN: i64 = 60_000;

/// Only the rules written here (no built-in ones).
fn rules(list: Value) -> RuleSet {
    let mut problems = Vec::new();
    let set = RuleSet::from_option(Some(&list), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    RuleSet {
        rules: set
            .rules
            .into_iter()
            .filter(|r| r.source != RuleSource::Default)
            .collect(),
    }
}

/// cpu: warn 80, critical 90, clear 70, for 1 min, cooldown 10 min.
fn cpu_rules() -> RuleSet {
    rules(
        json!([{"name": "cpu", "metric": "cpu.usage", "warn": 80, "critical": 90,
                   "clear": 70, "for": "1m", "cooldown": "10m"}]),
    )
}

/// The engine, a fake clock ticking every `step_ms`, and everything it said.
struct Harness {
    engine: AlertEngine,
    now: i64,
    step_ms: i64,
    seen: Vec<AlertTransition>,
}

impl Harness {
    fn new(rules: &RuleSet) -> Self {
        Harness {
            engine: AlertEngine::new(rules),
            now: 1_000_000_000,
            step_ms: 5000,
            seen: Vec::new(),
        }
    }

    /// One tick with these readings; returns its transitions.
    fn tick(&mut self, readings: &[(&str, f64)]) -> Vec<AlertTransition> {
        self.now += self.step_ms;
        let out = self.engine.evaluate(
            self.now,
            readings
                .iter()
                .map(|(id, value)| Reading { id, value: *value }),
        );
        self.seen.extend(out.iter().cloned());
        out
    }

    /// `cpu.usage` at `value` for `ms`; returns the transition kinds.
    fn hold(&mut self, value: f64, ms: i64) -> Vec<TransitionKind> {
        let mut kinds = Vec::new();
        for _ in 0..ms / self.step_ms {
            kinds.extend(self.tick(&[("cpu.usage", value)]).iter().map(|t| t.kind));
        }
        kinds
    }

    fn last(&self, kind: TransitionKind) -> &AlertTransition {
        self.seen
            .iter()
            .rev()
            .find(|t| t.kind == kind)
            .expect("transition seen")
    }
}

use TransitionKind::*;

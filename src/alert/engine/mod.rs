//! The alert lifecycle per rule and target: ok → pending → firing → resolved, with the mean
//! over `for`, hysteresis, escalation, cooldown and acknowledgement. Pure logic: no I/O and no
//! clock, every call takes the time, so tests drive it with a fake clock.

use std::collections::HashMap;

mod routes;
mod track;
mod view;

pub use track::NO_DATA_MS;
use track::{Ctx, Phase, Track};

use super::RuleSet;
use super::catalog;
use super::rule::{Level, Rule};
use super::transition::{
    AlertState, AlertTransition, Incident, IncidentResolution, Status, TransitionKind,
};
use super::window::Window;
use crate::model::Snapshot;

/// How often silent series are looked for.
const SWEEP_EVERY_MS: i64 = 60_000;

/// One value of one signal: a series of a snapshot, or later a forecast (`forecast.…`).
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    pub id: &'a str,
    pub value: f64,
}

/// The readings of a snapshot.
pub fn readings(snapshot: &Snapshot) -> impl Iterator<Item = Reading<'_>> {
    snapshot.samples.iter().map(|s| Reading {
        id: &s.series.id,
        value: s.value,
    })
}

/// Result of an acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub enum AckOutcome {
    Acknowledged(Box<AlertTransition>),
    AlreadyAcknowledged(Box<Incident>),
    /// Not firing here (resolved, unknown, or pending): the store may know it.
    NotActive,
}

/// Every rule and target, in memory.
#[derive(Debug, Clone)]
pub struct AlertEngine {
    rules: Vec<Rule>,
    tracks: Vec<Track>,
    /// Series id → tracks it feeds (empty for series no rule watches).
    routes: routes::Routes,
    /// Cooldowns of stored incidents by (rule, series), applied when their track appears.
    remembered: HashMap<(String, String), (i64, Level)>,
    next_id: i64,
    firing: usize,
    last_sweep_ms: i64,
}

impl AlertEngine {
    /// An engine over the enabled rules, with no history.
    pub fn new(rules: &RuleSet) -> Self {
        AlertEngine {
            rules: rules.enabled().cloned().collect(),
            tracks: Vec::new(),
            routes: routes::Routes::default(),
            remembered: HashMap::new(),
            next_id: 1,
            firing: 0,
            last_sweep_ms: i64::MIN,
        }
    }

    /// An engine that carries on from stored incidents: open ones keep firing under the same
    /// id (or resolve now if their rule is gone), resolved ones keep their cooldown.
    pub fn resume(
        rules: &RuleSet,
        history: Vec<Incident>,
        next_id: i64,
        now_ms: i64,
    ) -> (Self, Vec<AlertTransition>) {
        let mut engine = AlertEngine::new(rules);
        engine.next_id = next_id.max(1);
        let mut out = Vec::new();
        let mut history = history;
        history.sort_by_key(|i| i.id);
        for mut incident in history {
            engine.next_id = engine.next_id.max(incident.id + 1);
            let remembered = incident
                .last_notified_ms
                .map(|at| (at, incident.peak_level));
            if incident.resolved_ms.is_some() {
                if let Some(r) = remembered {
                    engine
                        .remembered
                        .insert((incident.rule.clone(), incident.series.clone()), r);
                }
                continue;
            }
            let rule = engine.rules.iter().position(|r| {
                r.name == incident.rule && r.pattern.instance(&incident.series).is_some()
            });
            match rule {
                Some(rule) => {
                    // The options may have changed the levels since the incident opened.
                    let r = &engine.rules[rule];
                    if r.critical.is_none() {
                        incident.level = Level::Warn;
                    }
                    incident.threshold = r.threshold(incident.level);
                    engine.tracks.push(Track {
                        rule,
                        series: incident.series.clone(),
                        target: incident.target.clone(),
                        label: incident.label.clone(),
                        window: Window::new(engine.rules[rule].for_ms()),
                        phase: Phase::Firing(Box::new(incident)),
                        last_seen_ms: now_ms,
                        last_notified: remembered,
                    });
                    engine.firing += 1;
                }
                None => {
                    incident.resolved_ms = Some(now_ms);
                    incident.resolution = Some(IncidentResolution::RuleRemoved);
                    out.push(view::removed(incident, now_ms, engine.firing));
                }
            }
        }
        (engine, out)
    }

    /// Feeds one tick's readings; returns the transitions they caused, in order.
    pub fn evaluate<'a>(
        &mut self,
        now_ms: i64,
        readings: impl IntoIterator<Item = Reading<'a>>,
    ) -> Vec<AlertTransition> {
        let mut out = Vec::new();
        for (position, reading) in readings.into_iter().enumerate() {
            if !reading.value.is_finite() {
                continue;
            }
            let slot = match self.routes.find(position, reading.id) {
                Some(slot) => slot,
                None => self.route(position, reading.id),
            };
            let AlertEngine {
                rules,
                tracks,
                routes,
                next_id,
                firing,
                ..
            } = self;
            let mut ctx = Ctx {
                now_ms,
                next_id,
                firing,
                out: &mut out,
            };
            for &index in routes.tracks(slot) {
                let track = &mut tracks[index];
                track.observe(&rules[track.rule], reading.value, &mut ctx);
            }
        }
        if now_ms.saturating_sub(self.last_sweep_ms) >= SWEEP_EVERY_MS {
            self.last_sweep_ms = now_ms;
            self.sweep(now_ms, &mut out);
        }
        out
    }

    /// Marks a firing incident acknowledged.
    pub fn acknowledge(&mut self, id: i64, now_ms: i64, note: Option<String>) -> AckOutcome {
        let Some(track) = self
            .tracks
            .iter_mut()
            .find(|t| matches!(&t.phase, Phase::Firing(i) if i.id == id))
        else {
            return AckOutcome::NotActive;
        };
        let rule = &self.rules[track.rule];
        let Phase::Firing(incident) = &mut track.phase else {
            return AckOutcome::NotActive;
        };
        if incident.acknowledged_ms.is_some() {
            return AckOutcome::AlreadyAcknowledged(incident.clone());
        }
        incident.acknowledged_ms = Some(now_ms);
        incident.ack_note = note;
        let notify = incident.notifications > 0;
        let transition = track.transition(
            rule,
            TransitionKind::Acknowledged,
            now_ms,
            notify,
            self.firing,
            None,
        );
        AckOutcome::Acknowledged(Box::new(transition))
    }

    /// Every rule and target seen so far.
    pub fn states(&self) -> Vec<AlertState> {
        self.tracks
            .iter()
            .map(|t| t.state(&self.rules[t.rule]))
            .collect()
    }

    /// Pending and firing rules and targets: firing first, then the worst severity, then the
    /// oldest. Ok tracks are skipped before any text is built, so a quiet box pays nothing.
    pub fn active_states(&self) -> Vec<AlertState> {
        let mut active: Vec<AlertState> = self
            .tracks
            .iter()
            .filter(|t| !matches!(t.phase, Phase::Ok))
            .map(|t| t.state(&self.rules[t.rule]))
            .collect();
        active.sort_by_key(|s| {
            (
                s.status != Status::Firing,
                std::cmp::Reverse(s.severity),
                s.since_ms,
            )
        });
        active
    }

    /// Open incidents (for the final write at shutdown).
    pub fn open_incidents(&self) -> Vec<Incident> {
        self.tracks
            .iter()
            .filter_map(|t| match &t.phase {
                Phase::Firing(i) => Some((**i).clone()),
                _ => None,
            })
            .collect()
    }

    /// Series each enabled rule watches now, by rule name.
    pub fn targets(&self) -> HashMap<&str, Vec<&str>> {
        let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
        for t in &self.tracks {
            map.entry(self.rules[t.rule].name.as_str())
                .or_default()
                .push(t.series.as_str());
        }
        map
    }

    /// Incidents firing now.
    pub fn firing_count(&self) -> usize {
        self.firing
    }

    /// Finds (or, for restored incidents, reuses) the tracks a new series id feeds.
    fn route(&mut self, position: usize, id: &str) -> usize {
        let mut indexes = Vec::new();
        for (rule_index, rule) in self.rules.iter().enumerate() {
            if rule.pattern.instance(id).is_none() {
                continue;
            }
            let existing = self
                .tracks
                .iter()
                .position(|t| t.rule == rule_index && t.series == id);
            let index = existing.unwrap_or_else(|| {
                // A remote host's series (`nas:cpu.usage`) names its host in the label.
                let (host, local_id) = crate::model::host::split(id);
                let instance = catalog::instance_of(rule.known, local_id).to_string();
                let mut label = rule.known.title.replace("{}", &instance);
                let target = if host == crate::model::host::LOCAL {
                    instance
                } else {
                    label = format!("{label} on {host}");
                    if instance.is_empty() {
                        host.to_string()
                    } else {
                        format!("{host}:{instance}")
                    }
                };
                self.tracks.push(Track {
                    rule: rule_index,
                    series: id.to_string(),
                    label,
                    target,
                    window: Window::new(rule.for_ms()),
                    phase: Phase::Ok,
                    last_seen_ms: i64::MIN,
                    last_notified: self
                        .remembered
                        .get(&(rule.name.clone(), id.to_string()))
                        .copied(),
                });
                self.tracks.len() - 1
            });
            indexes.push(index);
        }
        self.routes.insert(position, id, indexes)
    }

    /// Resolves or cancels what has gone silent.
    fn sweep(&mut self, now_ms: i64, out: &mut Vec<AlertTransition>) {
        let AlertEngine {
            rules,
            tracks,
            next_id,
            firing,
            ..
        } = self;
        let mut ctx = Ctx {
            now_ms,
            next_id,
            firing,
            out,
        };
        for track in tracks.iter_mut() {
            if track.last_seen_ms == i64::MIN || now_ms - track.last_seen_ms <= NO_DATA_MS {
                continue;
            }
            let rule = &rules[track.rule];
            track.window.reset();
            match track.phase {
                Phase::Ok => {}
                Phase::Pending { .. } => {
                    track.phase = Phase::Ok;
                    track.emit(rule, TransitionKind::Cancelled, false, None, &mut ctx);
                }
                Phase::Firing(_) => track.resolve(rule, IncidentResolution::NoData, &mut ctx),
            }
        }
    }
}

#[cfg(test)]
mod tests;

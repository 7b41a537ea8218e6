//! One rule and target: the state the engine keeps for it (its `Track` and `Phase`, shared
//! with `view.rs`) and its lifecycle: pending, firing, escalation, resolution, and when a
//! notification is allowed.

use crate::alert::rule::{Direction, Level, Rule};
use crate::alert::transition::{AlertTransition, Incident, IncidentResolution, TransitionKind};
use crate::alert::window::Window;

/// Silence after which a series counts as gone: its window restarts, its alert resolves.
pub const NO_DATA_MS: i64 = 10 * 60_000;

#[derive(Debug, Clone)]
pub(super) enum Phase {
    Ok,
    Pending { id: i64, since_ms: i64, peak: f64 },
    Firing(Box<Incident>),
}

/// State of one rule and one series.
#[derive(Debug, Clone)]
pub(super) struct Track {
    pub(super) rule: usize,
    pub(super) series: String,
    pub(super) target: String,
    pub(super) label: String,
    pub(super) window: Window,
    pub(super) phase: Phase,
    pub(super) last_seen_ms: i64,
    /// Latest notification for this rule and target, for the cooldown.
    pub(super) last_notified: Option<(i64, Level)>,
}

/// What a step needs besides the track.
pub(super) struct Ctx<'a> {
    pub(super) now_ms: i64,
    pub(super) next_id: &'a mut i64,
    pub(super) firing: &'a mut usize,
    pub(super) out: &'a mut Vec<AlertTransition>,
}

/// The worse of two values for a direction.
fn worse(direction: Direction, a: f64, b: f64) -> f64 {
    match direction {
        Direction::Above => a.max(b),
        Direction::Below => a.min(b),
    }
}

impl Track {
    pub(super) fn observe(&mut self, rule: &Rule, value: f64, ctx: &mut Ctx<'_>) {
        let now = ctx.now_ms;
        self.window.push(now, value, NO_DATA_MS);
        self.last_seen_ms = now;
        let Some(mean) = self.window.mean() else {
            return;
        };
        let covered = self.window.covered(now);
        let dir = rule.direction;
        let first = rule.first_threshold();
        match &mut self.phase {
            Phase::Ok => {
                if dir.beyond(value, first) || (covered && dir.beyond(mean, first)) {
                    self.phase = Phase::Pending {
                        id: *ctx.next_id,
                        since_ms: now,
                        peak: value,
                    };
                    *ctx.next_id += 1;
                    self.emit(rule, TransitionKind::Pending, false, None, ctx);
                    if covered && dir.beyond(mean, first) {
                        self.fire(rule, mean, ctx);
                    }
                }
            }
            Phase::Pending { peak, .. } => {
                *peak = worse(dir, *peak, value);
                if covered && dir.beyond(mean, first) {
                    self.fire(rule, mean, ctx);
                } else if dir.cleared(value, rule.clear) {
                    self.phase = Phase::Ok;
                    self.emit(rule, TransitionKind::Cancelled, false, None, ctx);
                }
            }
            Phase::Firing(incident) => {
                incident.peak = worse(dir, incident.peak, value);
                incident.value = mean;
                if dir.cleared(mean, rule.clear) {
                    self.resolve(rule, IncidentResolution::Recovered, ctx);
                } else if incident.level == Level::Warn
                    && rule.critical.is_some_and(|c| dir.beyond(mean, c))
                {
                    self.escalate(rule, ctx);
                } else if incident.level == Level::Critical
                    && rule.critical_clear().is_some_and(|c| dir.cleared(mean, c))
                {
                    incident.level = Level::Warn;
                    incident.threshold = rule.threshold(Level::Warn);
                    self.emit(rule, TransitionKind::Deescalated, false, None, ctx);
                }
            }
        }
    }

    /// Whether a notification at `level` is allowed: not if one at this level or worse went
    /// out within the cooldown.
    fn may_notify(&self, rule: &Rule, level: Level, now_ms: i64) -> bool {
        !matches!(self.last_notified, Some((at, l)) if now_ms - at < rule.cooldown_ms() && l >= level)
    }

    fn fire(&mut self, rule: &Rule, mean: f64, ctx: &mut Ctx<'_>) {
        let Phase::Pending { id, since_ms, peak } = self.phase else {
            return;
        };
        // The peak covers every sample the mean was judged on, not only those since pending.
        let peak = match (self.window.extremes(), rule.direction) {
            (Some((_, hi)), Direction::Above) => peak.max(hi),
            (Some((lo, _)), Direction::Below) => peak.min(lo),
            (None, _) => peak,
        };
        let now = ctx.now_ms;
        let level = rule.level_of(mean).unwrap_or(Level::Warn);
        let notify = self.may_notify(rule, level, now);
        if notify {
            self.last_notified = Some((now, level));
        }
        self.phase = Phase::Firing(Box::new(Incident {
            id,
            rule: rule.name.clone(),
            series: self.series.clone(),
            target: self.target.clone(),
            label: self.label.clone(),
            unit: rule.known.unit,
            level,
            peak_level: level,
            severity: rule.severity_at(level),
            threshold: rule.threshold(level),
            pending_ms: since_ms,
            fired_ms: now,
            resolved_ms: None,
            resolution: None,
            acknowledged_ms: None,
            ack_note: None,
            peak,
            value: mean,
            notifications: u32::from(notify),
            last_notified_ms: notify.then_some(now),
        }));
        *ctx.firing += 1;
        self.emit(rule, TransitionKind::Fired, notify, None, ctx);
    }

    fn escalate(&mut self, rule: &Rule, ctx: &mut Ctx<'_>) {
        let now = ctx.now_ms;
        let allowed = self.may_notify(rule, Level::Critical, now);
        let Phase::Firing(incident) = &mut self.phase else {
            return;
        };
        incident.level = Level::Critical;
        incident.peak_level = Level::Critical;
        incident.severity = rule.severity_at(Level::Critical);
        incident.threshold = rule.threshold(Level::Critical);
        // An acknowledged incident stays quiet: someone is on it.
        let notify = allowed && incident.acknowledged_ms.is_none();
        if notify {
            incident.notifications += 1;
            incident.last_notified_ms = Some(now);
            self.last_notified = Some((now, Level::Critical));
        }
        self.emit(rule, TransitionKind::Escalated, notify, None, ctx);
    }

    pub(super) fn resolve(
        &mut self,
        rule: &Rule,
        resolution: IncidentResolution,
        ctx: &mut Ctx<'_>,
    ) {
        let Phase::Firing(mut incident) = std::mem::replace(&mut self.phase, Phase::Ok) else {
            return;
        };
        incident.resolved_ms = Some(ctx.now_ms);
        incident.resolution = Some(resolution);
        let notify = incident.notifications > 0;
        *ctx.firing = ctx.firing.saturating_sub(1);
        self.emit(
            rule,
            TransitionKind::Resolved,
            notify,
            Some((*incident, resolution)),
            ctx,
        );
    }
}

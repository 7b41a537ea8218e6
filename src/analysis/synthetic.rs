//! Synthetic series with known truth, for the tests, the backtests' synthetic suite and the
//! benchmark: linear growth, daily cycles, a GC sawtooth, steps, gaps and resets, with noise
//! from a small seeded generator so every run sees the same numbers.

use super::Obs;
use crate::util::time::DAY_SECS_F64;

/// A seeded normal noise source (xorshift64* and Box–Muller).
#[derive(Debug, Clone)]
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Noise {
        Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// One draw of N(0, 1).
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// What a synthetic series is made of; values are summed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub base: f64,
    /// Units per day.
    pub slope_per_day: f64,
    /// Amplitude of a daily cycle peaking at 14:00 UTC.
    pub daily: f64,
    /// Height of a sawtooth that rises over `saw_period` seconds and drops back.
    pub saw: f64,
    pub saw_period: f64,
    /// A step of this size at `step_at` (seconds after the start).
    pub step: f64,
    pub step_at: f64,
    /// Standard deviation of the noise.
    pub noise: f64,
}

impl Shape {
    pub const fn flat(base: f64, noise: f64) -> Shape {
        Shape {
            base,
            slope_per_day: 0.0,
            daily: 0.0,
            saw: 0.0,
            saw_period: 1800.0,
            step: 0.0,
            step_at: 0.0,
            noise,
        }
    }

    /// The noiseless value `dt` seconds after the start.
    pub fn truth(&self, dt: f64) -> f64 {
        let hour = (dt.rem_euclid(DAY_SECS_F64)) / 3600.0;
        let cycle = self.daily * (std::f64::consts::TAU * (hour - 8.0) / 24.0).sin();
        let saw = if self.saw_period > 0.0 {
            self.saw * (dt.rem_euclid(self.saw_period) / self.saw_period)
        } else {
            0.0
        };
        let step = if dt >= self.step_at { self.step } else { 0.0 };
        self.base + self.slope_per_day * dt / DAY_SECS_F64 + cycle + saw + step
    }

    /// Observations every `every` seconds for `days` days from `start` (a day boundary).
    pub fn sample(&self, start: f64, days: f64, every: f64, seed: u64) -> Vec<Obs> {
        let mut noise = Noise::new(seed);
        let n = (days * DAY_SECS_F64 / every) as usize;
        (0..n)
            .map(|k| {
                let dt = k as f64 * every;
                Obs::new(start + dt, self.truth(dt) + self.noise * noise.normal())
            })
            .collect()
    }
}

/// Removes the observations in `[from, to)` seconds after the first one (a gap).
pub fn with_gap(mut obs: Vec<Obs>, from: f64, to: f64) -> Vec<Obs> {
    let Some(t0) = obs.first().map(|o| o.t) else {
        return obs;
    };
    obs.retain(|o| o.t - t0 < from || o.t - t0 >= to);
    obs
}

/// Adds `height` to the points in `[from, to)` seconds after the first (injected spikes).
pub fn with_spike(mut obs: Vec<Obs>, from: f64, to: f64, height: f64) -> Vec<Obs> {
    let Some(t0) = obs.first().map(|o| o.t) else {
        return obs;
    };
    for o in obs.iter_mut() {
        if o.t - t0 >= from && o.t - t0 < to {
            o.v += height;
        }
    }
    obs
}

/// A Monday midnight UTC, the start of every synthetic series.
pub const START: f64 = 1_767_571_200.0;

/// The synthetic backtest suite: named series at one-minute resolution over `days` days, with
/// known shapes (growth, daily cycles with and without growth, a nightly purge, flat noise, a
/// step, a gap).
pub fn suite(days: f64) -> Vec<(&'static str, Vec<Obs>)> {
    let growth = Shape {
        slope_per_day: 1.0,
        ..Shape::flat(40.0, 0.3)
    };
    let daily = Shape {
        daily: 8.0,
        ..Shape::flat(50.0, 0.5)
    };
    vec![
        ("linear growth", growth.sample(START, days, 60.0, 1)),
        ("daily cycle", daily.sample(START, days, 60.0, 2)),
        (
            "daily cycle with growth",
            Shape {
                slope_per_day: 0.5,
                ..daily
            }
            .sample(START, days, 60.0, 3),
        ),
        (
            "nightly purge",
            Shape {
                saw: 5.0,
                saw_period: DAY_SECS_F64,
                ..Shape::flat(30.0, 0.1)
            }
            .sample(START, days, 60.0, 4),
        ),
        (
            "flat noise",
            Shape::flat(20.0, 1.0).sample(START, days, 60.0, 5),
        ),
        (
            "step",
            Shape {
                step: 5.0,
                step_at: days * DAY_SECS_F64 / 2.0,
                ..Shape::flat(20.0, 0.5)
            }
            .sample(START, days, 60.0, 6),
        ),
        (
            "growth with a gap",
            with_gap(
                growth.sample(START, days, 60.0, 7),
                5.0 * DAY_SECS_F64,
                6.0 * DAY_SECS_F64,
            ),
        ),
    ]
}

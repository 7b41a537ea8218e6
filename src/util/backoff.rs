//! Capped exponential back-off with jitter, so many clients never retry in lockstep.

use std::time::Duration;

/// Back-off state: `next()` gives the wait before the next attempt.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    seed: u64,
}

impl Backoff {
    /// Starts at `base`, doubles per failure, never exceeds `cap`.
    pub fn new(base: Duration, cap: Duration) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            | 1;
        Backoff {
            base,
            cap,
            attempt: 0,
            seed,
        }
    }

    /// Wait before the next attempt: a random point in the upper half of the current window.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16));
        let window = exp.min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        // xorshift: no dependency needed for jitter.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let fraction = (self.seed % 1000) as f64 / 1000.0;
        window.mul_f64(0.5 + fraction / 2.0)
    }

    /// After a success: start from `base` again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Number of failures since the last reset.
    pub fn failures(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn delays_grow_stay_capped_and_jitter(base_ms in 1u64..5000, cap_ms in 1u64..600_000, n in 1usize..40) {
            let (base, cap) = (Duration::from_millis(base_ms), Duration::from_millis(cap_ms));
            let mut b = Backoff::new(base, cap);
            for i in 0..n {
                let window = base.saturating_mul(1u32 << (i as u32).min(16)).min(cap);
                let d = b.next_delay();
                prop_assert!(d <= window && d >= window / 2, "attempt {i}: {d:?} outside [{:?}, {window:?}]", window / 2);
            }
            b.reset();
            prop_assert!(b.next_delay() <= base);
        }
    }
}

//! Rates from cumulative counters, with counter resets and 32-bit wrap-around handled.

/// Largest value a 32-bit kernel counter reaches before wrapping to zero.
const U32_WRAP: u64 = 1 << 32;

/// Per-second rate between two readings of a cumulative counter.
///
/// Returns `None` when no honest rate exists: no time passed, or the counter went backwards
/// in a way that is not a 32-bit wrap (a reset, e.g. an interface re-created).
pub fn rate(previous: u64, current: u64, elapsed_seconds: f64) -> Option<f64> {
    if !elapsed_seconds.is_finite() || elapsed_seconds <= 0.0 {
        return None;
    }
    let delta = delta(previous, current)?;
    Some(delta as f64 / elapsed_seconds)
}

/// Increase of a cumulative counter between two readings (see [`rate`]).
pub fn delta(previous: u64, current: u64) -> Option<u64> {
    if current >= previous {
        return Some(current - previous);
    }
    // A 32-bit counter (32-bit kernels) wraps at 2^32: the previous reading fits in 32 bits
    // and the distance across the wrap is small. Anything else is a reset.
    if previous < U32_WRAP {
        let across = U32_WRAP - previous + current;
        if across < U32_WRAP / 2 {
            return Some(across);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_increase_gives_its_rate() {
        assert_eq!(rate(1_000, 3_000, 2.0), Some(1_000.0));
    }

    #[test]
    fn thirty_two_bit_wrap_counts_across_the_wrap() {
        assert_eq!(delta(u64::from(u32::MAX) - 9, 10), Some(20));
    }

    #[test]
    fn reset_gives_no_rate() {
        assert_eq!(rate(10_000_000_000, 5, 1.0), None);
        assert_eq!(rate(3_000_000_000, 5, 1.0), Some(1_294_967_301.0));
        assert_eq!(rate(1_000_000_000, 5, 1.0), None);
    }

    #[test]
    fn no_time_gives_no_rate() {
        assert_eq!(rate(1, 2, 0.0), None);
        assert_eq!(rate(1, 2, f64::NAN), None);
    }

    proptest! {
        #[test]
        fn rate_is_never_negative_nor_absurd(prev in any::<u64>(), cur in any::<u64>(), dt in 0.001f64..1000.0) {
            if let Some(r) = rate(prev, cur, dt) {
                prop_assert!(r >= 0.0 && r.is_finite());
                if cur < prev {
                    // Only a 32-bit wrap is accepted, so the increase stays below 2^31.
                    prop_assert!(r * dt < (U32_WRAP / 2) as f64 + 1.0);
                }
            }
        }
    }
}

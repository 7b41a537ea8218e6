//! The quietness properties of ADR 0003, over random signals and jittered ticks.

use proptest::prelude::*;

use super::*;

/// A tick schedule with jitter: steps of 1 to 10 s.
fn steps(n: usize) -> impl Strategy<Value = Vec<i64>> {
    proptest::collection::vec(1000i64..10_000, n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// From ok, a signal that stays inside the hysteresis band never fires; whatever came
    /// before, it never notifies twice within a cooldown.
    #[test]
    fn a_signal_inside_the_band_never_fires_more_than_once_per_cooldown(
        before in proptest::collection::vec(0.0f64..100.0, 0..300),
        band in proptest::collection::vec(70.0f64..80.0, 100..600),
        jitter in steps(900),
    ) {
        for prefix in [&before[..0], &before[..]] {
            let mut engine = AlertEngine::new(&cpu_rules());
            let mut now = 0;
            let mut band_fires = 0;
            let mut notified: Vec<i64> = Vec::new();
            for (i, value) in prefix.iter().chain(&band).enumerate() {
                now += jitter[i % jitter.len()];
                for t in engine.evaluate(now, [Reading { id: "cpu.usage", value: *value }]) {
                    if t.kind == Fired && i >= prefix.len() {
                        band_fires += 1;
                    }
                    if t.notify && matches!(t.kind, Fired) {
                        notified.push(now);
                    }
                }
            }
            if prefix.is_empty() {
                prop_assert_eq!(band_fires, 0);
            }
            prop_assert!(notified.windows(2).all(|w| w[1] - w[0] >= 10 * MIN), "{:?}", notified);
        }
    }

    /// A signal past the threshold for longer than `for` fires exactly once, whatever came
    /// before and however the ticks jitter.
    #[test]
    fn a_signal_above_for_longer_than_for_fires_exactly_once(
        before in proptest::collection::vec(0.0f64..100.0, 0..300),
        above in proptest::collection::vec(80.0f64..100.0, 1..50),
        jitter in steps(400),
        extra_ms in 0i64..600_000,
    ) {
        let mut engine = AlertEngine::new(&cpu_rules());
        let mut now = 0;
        let mut i = 0;
        for value in &before {
            now += jitter[i % jitter.len()];
            i += 1;
            engine.evaluate(now, [Reading { id: "cpu.usage", value: *value }]);
        }
        let firing_before = engine.firing_count();
        let start = now + 1;
        let mut fires = 0;
        let mut resolves = 0;
        while now - start < MIN + extra_ms {
            now += jitter[i % jitter.len()];
            let value = above[i % above.len()];
            i += 1;
            for t in engine.evaluate(now, [Reading { id: "cpu.usage", value }]) {
                fires += usize::from(t.kind == Fired);
                resolves += usize::from(t.kind == Resolved);
            }
        }
        prop_assert_eq!(resolves, 0);
        prop_assert_eq!(firing_before + fires, 1);
        prop_assert_eq!(engine.firing_count(), 1);
    }
}

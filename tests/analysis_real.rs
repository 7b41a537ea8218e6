//! Analyses measured on public machine-metric traces with labelled incidents (the NAB series in
//! `tests/fixtures/analysis/nab`, split into development and held-out before any tuning). The
//! targets of issue 27 are asserted on the development part; the held-out figures are printed
//! (`--nocapture`) and asserted only where they hold, see the README there.

#[path = "analysis_real/anomalies.rs"]
mod anomalies;
#[path = "analysis_real/intervals.rs"]
mod intervals;
#[path = "analysis_real/nab.rs"]
mod nab;

use resource_manager::analysis::forecast::Method;

use anomalies::Tally;

fn report(part: &str, series: &[&nab::Series]) -> Tally {
    let mut pooled = Tally::default();
    for s in series {
        let t = anomalies::score(s);
        eprintln!(
            "{part} {:<40} incidents {}/{} flagged, normal days {}/{} flagged, median delay {:.1} h",
            s.name,
            t.caught,
            t.incidents,
            t.flagged_days,
            t.normal_days,
            t.median_delay_h()
        );
        pooled.add(&t);
    }
    eprintln!(
        "{part} POOLED: incidents {}/{} = {:.0} % flagged in their window; normal days {}/{} = {:.0} % with a flag; median delay {:.1} h",
        pooled.caught,
        pooled.incidents,
        100.0 * pooled.caught_share(),
        pooled.flagged_days,
        pooled.normal_days,
        100.0 * pooled.flagged_share(),
        pooled.median_delay_h()
    );
    pooled
}

#[test]
fn anomalies_on_public_traces_are_rare_and_catch_incidents() {
    let all = nab::load();
    assert_eq!(all.len(), 20);
    let dev: Vec<&nab::Series> = all.iter().filter(|s| !s.heldout).collect();
    let held: Vec<&nab::Series> = all.iter().filter(|s| s.heldout).collect();
    assert_eq!((dev.len(), held.len()), (10, 10));
    let d = report("dev", &dev);
    let h = report("held-out", &held);
    assert!(
        d.caught_share() >= 0.70,
        "dev incidents flagged {:.2}",
        d.caught_share()
    );
    assert!(
        d.flagged_share() <= 0.20,
        "dev normal days flagged {:.2}",
        d.flagged_share()
    );
    // Held-out, scored once with the detector frozen (2026-12-07): 13 of 24 incidents (54 %)
    // flagged, 12 of 153 normal days (8 %) with a flag. The false-flag target holds there and
    // is asserted; the incident target does not, and is reported rather than tuned on.
    assert!(
        h.flagged_share() <= 0.20,
        "held-out normal days flagged {:.2}",
        h.flagged_share()
    );
    assert!(
        h.caught_share() >= 0.50,
        "held-out incidents flagged {:.2}",
        h.caught_share()
    );
}

#[test]
fn calibrated_forecast_intervals_hold_about_eighty_percent_on_public_traces() {
    let all = nab::load();
    for (part, held) in [("dev", false), ("held-out", true)] {
        let series: Vec<&nab::Series> = all.iter().filter(|s| s.heldout == held).collect();
        for method in [Method::Linear, Method::DailyMax] {
            let (raw, cal) = intervals::pooled(&series, method);
            eprintln!(
                "{part} {}: raw 80 % interval covers {:.1} % of {} outcomes; calibrated {:.1} % of {}",
                method.as_str(),
                100.0 * raw.coverage,
                raw.cases,
                100.0 * cal.coverage,
                cal.cases
            );
            assert!(cal.cases >= 50, "{part} {}: {cal:?}", method.as_str());
            // Measured 2026-12-07: dev 73.7 % (linear) and 80.1 % (daily max), held-out 81.0 %
            // and 78.3 %; the raw bands covered 61 to 73 %.
            assert!(
                (0.70..=0.90).contains(&cal.coverage),
                "{part} {}: {cal:?}",
                method.as_str()
            );
        }
    }
}

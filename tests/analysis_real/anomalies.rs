//! The anomaly detector walked over each public series as the product runs it: once a day,
//! the day's points judged against everything before it. Scored against the labelled
//! incidents: incidents flagged inside their window, normal days with any flag, and the time
//! from the labelled incident point to the first flag.

use resource_manager::analysis::anomaly::detect;

use super::nab::Series;

const DAY: f64 = 86_400.0;

/// What one series scored.
#[derive(Default, Clone)]
pub struct Tally {
    pub incidents: usize,
    pub caught: usize,
    pub normal_days: usize,
    pub flagged_days: usize,
    /// Seconds from each caught incident's labelled point to its first flag in the window
    /// (negative: flagged before the labelled point, still inside the window).
    pub delays: Vec<f64>,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.incidents += o.incidents;
        self.caught += o.caught;
        self.normal_days += o.normal_days;
        self.flagged_days += o.flagged_days;
        self.delays.extend_from_slice(&o.delays);
    }

    pub fn caught_share(&self) -> f64 {
        self.caught as f64 / self.incidents.max(1) as f64
    }

    pub fn flagged_share(&self) -> f64 {
        self.flagged_days as f64 / self.normal_days.max(1) as f64
    }

    pub fn median_delay_h(&self) -> f64 {
        let mut d = self.delays.clone();
        if d.is_empty() {
            return f64::NAN;
        }
        d.sort_by(f64::total_cmp);
        d[d.len() / 2] / 3600.0
    }
}

/// The flagged runs of `s`, found day by day (each day judged on the history before it).
pub fn flags(s: &Series) -> Vec<(f64, f64)> {
    let (first, last) = (s.obs[0].t, s.obs[s.obs.len() - 1].t);
    let mut day = (first / DAY).floor() * DAY + DAY;
    let mut out = Vec::new();
    while day <= last {
        let end = s.obs.partition_point(|o| o.t < day + DAY);
        let found = detect(&s.obs[..end], day);
        out.extend(found.intervals.iter().map(|i| (i.from, i.to)));
        day += DAY;
    }
    out
}

pub fn score(s: &Series) -> Tally {
    let flagged = flags(s);
    let mut t = Tally::default();
    for (k, &(from, to)) in s.windows.iter().enumerate() {
        t.incidents += 1;
        if let Some(first) = flagged
            .iter()
            .filter(|f| f.1 >= from && f.0 <= to)
            .map(|f| f.0.max(from))
            .min_by(f64::total_cmp)
        {
            t.caught += 1;
            let label = s.labels.get(k).copied().unwrap_or(from);
            t.delays.push(first - label);
        }
    }
    // Normal days: whole UTC days after the first, touching no incident window.
    let (first, last) = (s.obs[0].t, s.obs[s.obs.len() - 1].t);
    let mut day = (first / DAY).floor() * DAY + DAY;
    while day + DAY <= last {
        let end = day + DAY;
        if !s.windows.iter().any(|w| w.1 >= day && w.0 < end) {
            t.normal_days += 1;
            if flagged.iter().any(|f| f.1 >= day && f.0 < end) {
                t.flagged_days += 1;
            }
        }
        day += DAY;
    }
    t
}

//! The analysis' lines in the report: outlook, health score, bottleneck, anomalies and how
//! accurate the forecasts were.

/// The analysis in the report's words; before the first run, one line saying so.
pub fn analysis_lines(report: &crate::analysis::runner::Report) -> Vec<(&'static str, String)> {
    if report.made_ms == 0 {
        return vec![("Outlook", "not analysed yet".into())];
    }
    let f = &report.findings;
    let mut outlook: Vec<String> = f
        .forecasts
        .iter()
        .filter(|x| x.eta_seconds.is_some() || x.resource == "disk")
        .map(|x| x.summary.clone())
        .collect();
    outlook.extend(f.leaks.iter().map(|l| l.summary.clone()));
    let mut out = vec![(
        "Outlook",
        if outlook.is_empty() {
            "nothing fills or leaks".into()
        } else {
            outlook.join("; ")
        },
    )];
    if let Some(h) = &f.health {
        let parts: Vec<String> = h
            .parts
            .iter()
            .map(|p| format!("{} −{:.0}", p.name, p.points))
            .collect();
        out.push((
            "Health score",
            if parts.is_empty() {
                format!("{:.0}/100", h.score)
            } else {
                format!("{:.0}/100 ({})", h.score, parts.join(", "))
            },
        ));
    }
    if let Some(b) = &f.bottleneck {
        out.push(("Bottleneck", b.evidence.join("; ")));
    }
    let days = report.backtests.anomaly_days;
    let rate = if days.days > 0 {
        format!(
            "; a flag on {} of {} series-days of the last week here",
            days.flagged, days.days
        )
    } else {
        String::new()
    };
    out.push((
        "Anomalies",
        match f.anomalies.len() {
            0 => format!("none{rate}"),
            n => format!("{n} series (highest score {:.1}){rate}", f.anomaly_score),
        },
    ));
    let accuracy: Vec<String> = report
        .backtests
        .kinds
        .iter()
        .map(|k| {
            format!(
                "{}: {:.0} % of {} outcomes inside the calibrated 80 % interval (the model's own band {:.0} % of {}, least squares {:.0} %){}",
                k.method.as_str(),
                k.calibrated.coverage * 100.0,
                k.calibrated.cases,
                k.ours.coverage * 100.0,
                k.ours.cases,
                k.baseline.coverage * 100.0,
                if crate::analysis::accuracy::reliable(&k.calibrated) {
                    ", reliable"
                } else {
                    ""
                }
            )
        })
        .collect();
    out.push((
        "Forecast accuracy",
        if accuracy.is_empty() {
            "not measured yet".into()
        } else {
            accuracy.join("; ")
        },
    ));
    out
}

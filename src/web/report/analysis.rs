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
    out.push((
        "Anomalies",
        match f.anomalies.len() {
            0 => "none".into(),
            n => format!("{n} series (highest score {:.1})", f.anomaly_score),
        },
    ));
    let accuracy: Vec<String> = report
        .backtests
        .kinds
        .iter()
        .map(|k| {
            format!(
                "{}: {:.0} % of outcomes inside the 80 % interval over {} cases (least squares {:.0} %)",
                k.method.as_str(),
                k.ours.coverage * 100.0,
                k.ours.cases,
                k.baseline.coverage * 100.0
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

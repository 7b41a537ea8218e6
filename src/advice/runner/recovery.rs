//! Automatic recovery: which add-ons stopped on their own since the last look, what to ask for
//! (a restart of a leak near its limit or of an add-on stuck while "started", a start of what
//! stopped), and asking the advisor for it unless the add-on was acted on lately.

use std::collections::HashMap;

use crate::advice::policy::{ActionRequest, Origin};
use crate::advice::service::Advisor;
use crate::advice::types::{AdviceKind, Recommendation};
use crate::config::{ActionKind, ActionOptions};
use crate::supervisor::SupervisorClient;

/// Add-ons that were started at the last look and are in `error` now: the Supervisor sets
/// that when the container exits on its own (a user's stop is `stopped`, left alone).
pub(super) async fn stopped_unexpectedly(
    client: &SupervisorClient,
    states: &mut HashMap<String, String>,
) -> Vec<String> {
    let Ok(addons) = client.addons().await else {
        return Vec::new();
    };
    let mut stopped = Vec::new();
    for a in addons {
        let now = a.state.unwrap_or_default();
        if let Some(before) = states.insert(a.slug.clone(), now.clone())
            && before == "started"
            && now == "error"
        {
            stopped.push(a.slug);
        }
    }
    stopped
}

/// What automatic recovery asks for: restarts of add-ons whose leak reaches their limit
/// within `recovery_within`, starts of add-ons that stopped unexpectedly.
pub fn recovery_requests(
    options: &ActionOptions,
    findings: &crate::analysis::report::Findings,
    stopped: &[String],
) -> Vec<(ActionRequest, String)> {
    let mut out = Vec::new();
    for leak in &findings.leaks {
        let Some(slug) = leak
            .series
            .strip_prefix("addon.")
            .and_then(|s| s.strip_suffix(".memory_bytes"))
        else {
            continue;
        };
        let soon = leak
            .leak
            .eta_to_limit
            .is_some_and(|eta| eta <= options.recovery_within as f64);
        if soon && leak.leak.confidence >= crate::advice::recommend::LEAK_CONFIDENCE {
            out.push((
                ActionRequest {
                    kind: ActionKind::Restart,
                    addon: slug.to_string(),
                    dry_run: false,
                    origin: Origin::Rule,
                },
                format!("automatic recovery: {}", leak.summary),
            ));
        }
    }
    for slug in stopped {
        out.push((
            ActionRequest {
                kind: ActionKind::Start,
                addon: slug.clone(),
                dry_run: false,
                origin: Origin::Rule,
            },
            format!("automatic recovery: add-on {slug} stopped unexpectedly"),
        ));
    }
    out
}

/// Restarts of add-ons the hung rule found stuck while "started" (those it proposes a restart
/// for: Core and the Supervisor are never in the list).
pub fn hung_restarts(list: &[Recommendation]) -> Vec<(ActionRequest, String)> {
    list.iter()
        .filter(|r| r.kind == AdviceKind::Hung)
        .filter_map(|r| {
            let action = r.action.as_ref()?;
            Some((
                ActionRequest {
                    kind: action.kind,
                    addon: action.addon.clone(),
                    dry_run: false,
                    origin: Origin::Rule,
                },
                format!("automatic recovery: {}", r.title),
            ))
        })
        .collect()
}

pub(super) async fn recover(
    advisor: &Advisor,
    options: &ActionOptions,
    list: &[Recommendation],
    findings: &crate::analysis::report::Findings,
    stopped: &[String],
) {
    let mut requests = recovery_requests(options, findings, stopped);
    requests.extend(hung_restarts(list));
    for (request, reason) in requests {
        // A stop we made ourselves is not unexpected; neither is asking again and again.
        match advisor.recently_acted(&request.addon).await {
            Ok(false) => {}
            Ok(true) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the audit; no automatic recovery now");
                return;
            }
        }
        let recommendation = list
            .iter()
            .find(|r| {
                r.action
                    .as_ref()
                    .is_some_and(|a| a.kind == request.kind && a.addon == request.addon)
            })
            .map(|r| r.id.clone());
        if let Err(err) = advisor
            .act(request, recommendation.as_deref(), Some(reason))
            .await
        {
            tracing::warn!(error = %err, "automatic recovery could not be decided");
        }
    }
}

//! The add-on's Ingress address, as the Supervisor assigned it (`GET /addons/self/info`).
//!
//! With `host_network: true` and `ingress_port: 0` the Supervisor picks the port (62000-65500)
//! and connects to the add-on's `ip_address` (the `hassio` bridge's gateway, 172.30.32.1, for
//! a host-network add-on), so both are only known at start. Listening there, and not on all
//! interfaces, keeps the port off the LAN.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::{SupervisorClient, SupervisorError};
use crate::util::Backoff;

/// Why the Ingress address could not be learnt.
#[derive(Debug, thiserror::Error)]
pub enum IngressError {
    /// The Supervisor answered, but with nothing to listen on.
    #[error("GET /addons/self/info answered without a usable Ingress address: {0}")]
    Unusable(String),
    /// A final refusal (a bad token, an unexpected answer): retrying would not help.
    #[error("cannot learn the Ingress address: {0}")]
    Refused(SupervisorError),
    /// No answer before the deadline.
    #[error(
        "the Supervisor did not tell the Ingress address within {} s ({attempts} attempts); last error: {last}",
        waited.as_secs()
    )]
    NoAnswer {
        attempts: u32,
        waited: Duration,
        last: SupervisorError,
    },
}

/// The address to listen on, from the `data` of `/addons/self/info`.
pub fn address_from_info(info: &Value) -> Result<SocketAddr, IngressError> {
    if info["ingress"] == Value::Bool(false) {
        return Err(IngressError::Unusable(
            "ingress is off for this add-on".into(),
        ));
    }
    let port = match info["ingress_port"].as_u64() {
        Some(port @ 1..=65535) => port as u16,
        Some(0) | None => {
            return Err(IngressError::Unusable(format!(
                "ingress_port is {}, expected a port from 1 to 65535",
                info["ingress_port"]
            )));
        }
        Some(other) => {
            return Err(IngressError::Unusable(format!(
                "ingress_port {other} is not a port"
            )));
        }
    };
    let ip: IpAddr = info["ip_address"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .filter(|ip: &IpAddr| !ip.is_unspecified())
        .ok_or_else(|| {
            IngressError::Unusable(format!(
                "ip_address is {}, expected this add-on's IP address",
                info["ip_address"]
            ))
        })?;
    Ok(SocketAddr::new(ip, port))
}

/// Whether asking again may get another answer.
fn worth_retrying(err: &SupervisorError) -> bool {
    matches!(
        err,
        SupervisorError::Unreachable { .. }
            | SupervisorError::Timeout { .. }
            | SupervisorError::Unavailable { .. }
    )
}

/// Asks until the Supervisor answers or `wait` has passed (it may still be starting when the
/// add-on starts at boot); the caller exits non-zero on an error and the watchdog restarts it.
pub async fn ask_address(
    client: &SupervisorClient,
    wait: Duration,
) -> Result<SocketAddr, IngressError> {
    let started = Instant::now();
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(5));
    let mut attempts = 0;
    loop {
        attempts += 1;
        match client.get::<Value>("/addons/self/info").await {
            Ok(info) => return address_from_info(&info),
            Err(err) if worth_retrying(&err) => {
                let left = wait.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(IngressError::NoAnswer {
                        attempts,
                        waited: wait,
                        last: err,
                    });
                }
                tracing::warn!(error = %err, attempt = attempts, "the Supervisor has not told the Ingress address yet; asking again");
                tokio::time::sleep(backoff.next_delay().min(left)).await;
            }
            Err(err) => return Err(IngressError::Refused(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_host_network_addon_listens_on_the_gateway_and_its_assigned_port() {
        let info = json!({"ingress": true, "ingress_port": 63412, "ip_address": "172.30.32.1",
            "host_network": true, "slug": "resource_manager"});
        assert_eq!(
            address_from_info(&info).expect("usable"),
            "172.30.32.1:63412".parse().expect("addr")
        );
    }

    #[test]
    fn unusable_answers_name_the_field_and_value() {
        for (info, field) in [
            (
                json!({"ingress_port": 0, "ip_address": "172.30.32.1"}),
                "ingress_port is 0",
            ),
            (json!({"ip_address": "172.30.32.1"}), "ingress_port is null"),
            (
                json!({"ingress_port": 70000, "ip_address": "172.30.32.1"}),
                "ingress_port 70000",
            ),
            (
                json!({"ingress_port": 63000, "ip_address": "0.0.0.0"}),
                "ip_address is \"0.0.0.0\"",
            ),
            (
                json!({"ingress_port": 63000, "ip_address": "supervisor"}),
                "ip_address is \"supervisor\"",
            ),
            (
                json!({"ingress": false, "ingress_port": 63000, "ip_address": "172.30.33.4"}),
                "ingress is off",
            ),
        ] {
            let err = address_from_info(&info).expect_err("unusable");
            assert!(err.to_string().contains(field), "{err} lacks {field}");
        }
    }

    #[test]
    fn only_transport_and_5xx_failures_are_retried() {
        let path = String::from("/addons/self/info");
        assert!(worth_retrying(&SupervisorError::Unreachable {
            path: path.clone(),
            message: "refused".into()
        }));
        assert!(worth_retrying(&SupervisorError::Unavailable {
            path: path.clone(),
            status: 502,
            message: String::new()
        }));
        assert!(!worth_retrying(&SupervisorError::Forbidden {
            path: path.clone()
        }));
        assert!(!worth_retrying(&SupervisorError::Protocol {
            path,
            message: "not json".into()
        }));
    }
}

//! Which `Host` names the server answers to, against DNS rebinding: a page on
//! `evil.example` whose name is re-pointed at this machine's address reaches the server from
//! the browser's own machine (loopback, trusted) and with a matching `Origin`, so only the
//! `Host` it must send (`evil.example`) gives it away.
//!
//! Allowed: no `Host` at all (not a browser), an IP address (a rebinding page always has a
//! name), `localhost` and its subdomains, this machine's name (also under `.local`), and
//! the names given with `--allowed-hosts` / `RM_ALLOWED_HOSTS`.

/// The names the server answers to besides IP addresses and `localhost`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    names: Vec<String>,
}

impl AllowedHosts {
    /// This machine's name (from the kernel) and the configured names, lower-cased.
    pub fn for_this_machine(configured: &[String]) -> Self {
        let node = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .to_ascii_lowercase();
        let mut names: Vec<String> = configured
            .iter()
            .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        if !node.is_empty() {
            names.push(format!("{node}.local"));
            names.push(node);
        }
        AllowedHosts { names }
    }

    /// Exactly the given names (tests).
    pub fn only(names: &[&str]) -> Self {
        AllowedHosts {
            names: names.iter().map(|n| n.to_ascii_lowercase()).collect(),
        }
    }

    /// Whether a request with this `Host` header value may be answered.
    pub fn allows(&self, host: Option<&str>) -> bool {
        let Some(host) = host.map(str::trim) else {
            return true;
        };
        let name = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() {
            return false;
        }
        if name.parse::<std::net::IpAddr>().is_ok() {
            return true;
        }
        name == "localhost" || name.ends_with(".localhost") || self.names.contains(&name)
    }
}

/// `name:port` → `name`; `[::1]:8099` → `::1`.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(ip, _)| ip);
    }
    match host.rsplit_once(':') {
        // A bare IPv6 address has more than one colon and no port to strip.
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_localhost_and_named_hosts_pass() {
        let hosts = AllowedHosts::only(&["ha-box", "monitor.example.org"]);
        for ok in [
            "127.0.0.1:8099",
            "127.0.0.1",
            "[::1]:8099",
            "::1",
            "192.168.1.20:8099",
            "localhost:8099",
            "LOCALHOST",
            "app.localhost:8099",
            "ha-box:8099",
            "Monitor.Example.Org",
            "monitor.example.org.:8099",
        ] {
            assert!(hosts.allows(Some(ok)), "{ok}");
        }
        assert!(hosts.allows(None), "no Host: not a browser");
    }

    #[test]
    fn other_names_are_refused() {
        let hosts = AllowedHosts::only(&["ha-box"]);
        for bad in [
            "evil.example",
            "evil.example:8099",
            "ha-box.evil.example",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "",
            ":8099",
        ] {
            assert!(!hosts.allows(Some(bad)), "{bad}");
        }
    }

    #[test]
    fn this_machine_s_name_is_allowed() {
        let node = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .to_string();
        let hosts = AllowedHosts::for_this_machine(&[" Extra.Example. ".into()]);
        assert!(hosts.allows(Some(&format!("{node}:8099"))));
        assert!(hosts.allows(Some(&format!("{node}.local"))));
        assert!(hosts.allows(Some("extra.example")));
        assert!(!hosts.allows(Some("evil.example")));
    }

    proptest! {
        #[test]
        fn any_header_value_is_judged_without_panicking(host in ".{0,64}") {
            let _ = AllowedHosts::only(&["a"]).allows(Some(&host));
        }
    }
}

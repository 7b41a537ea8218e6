//! The host dimension: which machine a series describes.
//!
//! This box is the host `local`, and its series keep the ids they always had (`cpu.usage`).
//! A remote host's series carry the host's name in front of the same id, separated by a colon
//! (`nas:cpu.usage`): ids stay unique in one snapshot, in the store and in Home Assistant,
//! and every reader that only knows local ids keeps working unchanged (ADR 0014). A local id
//! never holds a colon before its first dot, so the split is unambiguous.

/// The name of this box.
pub const LOCAL: &str = "local";

/// Longest host name (it ends up in entity ids and Prometheus labels).
pub const MAX_NAME: usize = 32;

/// Whether `name` may name a remote host: 1-32 of `a-z`, `0-9`, `_`, `-`, starting with a
/// letter, and not `local`.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && name != LOCAL
}

/// The id of a local series `id` on `host` (`local` keeps the id as it is).
pub fn qualify(host: &str, id: &str) -> String {
    if host == LOCAL {
        id.to_string()
    } else {
        format!("{host}:{id}")
    }
}

/// A series id split into its host and the id the series has on that host:
/// `nas:cpu.usage` is (`nas`, `cpu.usage`), `cpu.usage` is (`local`, `cpu.usage`).
pub fn split(id: &str) -> (&str, &str) {
    match id.split_once(':') {
        Some((host, rest)) if !host.contains('.') && valid_name(host) => (host, rest),
        _ => (LOCAL, id),
    }
}

/// The host of a series id.
pub fn of(id: &str) -> &str {
    split(id).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn local_ids_stay_as_they_are_and_remote_ones_carry_the_host() {
        assert_eq!(qualify(LOCAL, "cpu.usage"), "cpu.usage");
        assert_eq!(qualify("nas", "cpu.usage"), "nas:cpu.usage");
        assert_eq!(
            split("nas:disk./data.used_bytes"),
            ("nas", "disk./data.used_bytes")
        );
        assert_eq!(split("cpu.usage"), (LOCAL, "cpu.usage"));
        // A colon inside a local instance (a mount point) is no host.
        assert_eq!(
            split("disk./mnt/a:b.used_bytes"),
            (LOCAL, "disk./mnt/a:b.used_bytes")
        );
        assert_eq!(of("pve-1:load.1m"), "pve-1");
    }

    #[test]
    fn names_are_short_lowercase_and_never_local() {
        for good in ["nas", "pve-1", "pi_4"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "local", "NAS", "1nas", "a.b", "a:b", &"x".repeat(33)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn split_undoes_qualify(host in "[a-z][a-z0-9_-]{0,31}", id in "[a-z]{1,8}\\.[ -~]{0,20}") {
            prop_assume!(host != LOCAL);
            let qualified = qualify(&host, &id);
            prop_assert_eq!(split(&qualified), (host.as_str(), id.as_str()));
            prop_assert_eq!(split(&id), (LOCAL, id.as_str()));
        }
    }
}

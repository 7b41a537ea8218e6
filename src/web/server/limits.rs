//! The server's time limits, the largest request body it reads, and how many connections the
//! descriptor limit leaves room for.

use std::time::Duration;

/// Time limits of every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// From the first byte a connection may send (or the end of its last response) to the end
    /// of the request's headers: the header timeout and the idle timeout in one.
    pub header_timeout: Duration,
    /// Longest silence inside a request body.
    pub body_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
        }
    }
}

/// Largest request body any endpoint reads (a lease request, a vote, an acknowledgement are
/// a few hundred bytes); larger ones get a JSON 413.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Most connections served at once, however many descriptors there are.
pub const MAX_CONNECTIONS: usize = 1024;
/// Descriptors kept for everything but connections: the store's pool and WAL, `/proc` and
/// `/sys` reads of the collectors and the process scan, the Home Assistant and Supervisor
/// links, the listeners, the log.
pub const RESERVED_DESCRIPTORS: u64 = 256;

/// What the descriptor limit allows: the soft limit (raised to the hard one where it was
/// lower) and the connection cap that leaves [`RESERVED_DESCRIPTORS`] free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescriptorBudget {
    pub limit: Option<u64>,
    pub max_connections: usize,
}

/// Raises the soft descriptor limit to the hard one (containers often start at 1024 with a
/// far higher hard limit) and works out the connection cap from the result.
pub fn descriptor_budget() -> DescriptorBudget {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut current = getrlimit(Resource::Nofile);
    if current.current < current.maximum {
        let raised = rustix::process::Rlimit {
            current: current.maximum,
            maximum: current.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => current = getrlimit(Resource::Nofile),
            Err(err) => {
                tracing::debug!(error = %err, "cannot raise the soft descriptor limit");
            }
        }
    }
    budget_for(current.current)
}

/// The cap for a descriptor limit (`None`: unlimited).
pub fn budget_for(limit: Option<u64>) -> DescriptorBudget {
    let max_connections = match limit {
        None => MAX_CONNECTIONS,
        Some(limit) => {
            let room = limit.saturating_sub(RESERVED_DESCRIPTORS).max(16);
            usize::try_from(room)
                .unwrap_or(usize::MAX)
                .min(MAX_CONNECTIONS)
        }
    };
    DescriptorBudget {
        limit,
        max_connections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_the_reserve_free() {
        assert_eq!(budget_for(Some(1024)).max_connections, 768);
        assert_eq!(budget_for(Some(1_048_576)).max_connections, MAX_CONNECTIONS);
        assert_eq!(budget_for(None).max_connections, MAX_CONNECTIONS);
        // A tiny limit still serves a few connections rather than none.
        assert_eq!(budget_for(Some(100)).max_connections, 16);
    }
}
